// Attribute names that a plain object cannot hold as keys (issue 13, finding 9). Assigning
// `__proto__` to a plain object sets its prototype instead of adding a key, so a program encoding
// with a `__proto__` attribute decoded to the same program as the encoding without it: one program,
// two byte strings, two content ids. The name is now refused everywhere an attribute name enters:
// the program decoder, the encoder's validation, and TMATMUL/TEWOP's ABI attributes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeProgram, encodeProgram, isAttrName, type Program } from "../../src/codec/program.ts";
import { InvalidArgumentError, MalformedEncodingError } from "../../src/engine/errors.ts";
import { getOp } from "../../src/engine/registry.ts";
import { attrsFromAbi } from "../../precompiles/op-call.ts";

/** relu over an int8[4] input, with one attribute of a 9-character name (the length of `__proto__`). */
function withAttr(name: string): Program {
  return {
    stateCount: 0,
    values: [{ kind: "input", dtype: "int8", shape: [4] }],
    nodes: [{ op: getOp("relu").code, inputs: [0], outputs: 1, attrs: { [name]: [7, 8] } }],
    outputs: [1],
  };
}

/** The encoding of `withAttr(name)` with the name's bytes replaced by `__proto__`, as an attacker writes it. */
function protoEncoding(): Uint8Array {
  const bytes = encodeProgram(withAttr("zzzzzzzzz"));
  const text = Buffer.from(bytes).toString("latin1");
  const at = text.indexOf("zzzzzzzzz");
  assert.ok(at > 0 && text.indexOf("zzzzzzzzz", at + 1) < 0);
  bytes.set(Buffer.from("__proto__", "latin1"), at);
  return bytes;
}

test("a program encoding with a __proto__ attribute is malformed, not a second encoding of the program without it", () => {
  const plain = encodeProgram({ ...withAttr("x"), nodes: [{ ...withAttr("x").nodes[0]!, attrs: {} }] });
  // Every accepted encoding re-encodes to itself: one program, one byte string, one content id.
  assert.deepEqual(encodeProgram(decodeProgram(plain)), plain);
  assert.throws(() => decodeProgram(protoEncoding()), (e: unknown) => e instanceof MalformedEncodingError && /__proto__/.test(e.message));
});

test("encoding refuses a program whose attributes hold an own __proto__ key", () => {
  const base = withAttr("zzzzzzzzz");
  const attrs = JSON.parse('{"__proto__": [7, 8]}') as Record<string, number[]>;
  assert.ok(Object.hasOwn(attrs, "__proto__"));
  const p: Program = { ...base, nodes: [{ ...base.nodes[0]!, attrs }] };
  assert.throws(() => encodeProgram(p), InvalidArgumentError);
});

test("TMATMUL/TEWOP attributes refuse __proto__ and other non-identifiers before planning", () => {
  assert.throws(() => attrsFromAbi("matmul", ["__proto__"], [[1n, 2n]]), InvalidArgumentError);
  assert.throws(() => attrsFromAbi("matmul", ["a-b"], [[1n]]), InvalidArgumentError);
  assert.deepEqual(attrsFromAbi("matmul", ["shift", "zp"], [[3n], [1n, 2n]]), { shift: 3, zp: [1, 2] });
  assert.equal(isAttrName("__proto__"), false);
  assert.equal(isAttrName("constructor"), true, "an own `constructor` key is an ordinary attribute");
});
