// checkAttrNames remembers an attrs object that passed against a list of names (a program's nodes
// keep theirs): the memory must never let an unknown name through for another list.
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkAttrNames } from "../../src/engine/attrs.ts";
import { InvalidArgumentError } from "../../src/engine/errors.ts";

test("an attrs object that passed against one op's names is checked again against another's", () => {
  const attrs = { transB: 1, outDtype: 0 };
  const matmulNames = ["transB", "aZero", "outDtype"];
  checkAttrNames("matmul", attrs, matmulNames);
  checkAttrNames("matmul", attrs, matmulNames);
  assert.throws(() => checkAttrNames("add", attrs, ["outDtype"]), (e: unknown) => e instanceof InvalidArgumentError && /attribute "transB"/.test(e.message));
  // Failing leaves no memory behind, and the first list still passes.
  assert.throws(() => checkAttrNames("add", attrs, ["outDtype"]), InvalidArgumentError);
  checkAttrNames("matmul", attrs, matmulNames);
});
