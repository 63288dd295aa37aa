// Golden vectors for the element-wise ops (generated once from the BigInt oracle): the engine must
// reproduce each expected output exactly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { getOp } from "../../src/engine/registry.ts";
import { tensor } from "../../src/engine/tensor.ts";
import { ELEMENTWISE_OPS } from "../golden/elementwise/cases.ts";
import type { GoldenCase } from "../golden/generate-linear.ts";

for (const op of ELEMENTWISE_OPS) {
  test(`${op} reproduces every golden vector in test/golden/elementwise/${op}.json exactly`, () => {
    const file = JSON.parse(readFileSync(new URL(`../golden/elementwise/${op}.json`, import.meta.url), "utf8")) as { cases: GoldenCase[] };
    assert.ok(file.cases.length >= 30);
    for (const c of file.cases) {
      const got = getOp(op).run(c.inputs.map((t) => tensor(t.dtype, t.shape, t.data)), c.attrs)[0]!;
      assert.equal(got.dtype, c.expected.dtype, c.name);
      assert.deepEqual(got.shape, c.expected.shape, c.name);
      assert.deepEqual(Array.from(got.data), c.expected.data, c.name);
    }
  });
}
