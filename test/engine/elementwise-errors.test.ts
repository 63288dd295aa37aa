// Bad inputs to the element-wise ops fail in `infer` with typed errors naming op, input and
// shapes; also pins codes, default semantics, output dtypes and FLOPs per element.
import { test } from "node:test";
import assert from "node:assert/strict";
import { getOp, OP_CODES } from "../../src/engine/registry.ts";
import { DTypeMismatchError, InvalidArgumentError, ShapeMismatchError } from "../../src/engine/errors.ts";
import type { Attrs } from "../../src/engine/op.ts";
import { tensor, type DType, type TensorMeta } from "../../src/engine/tensor.ts";

const m = (dtype: DType, shape: number[]): TensorMeta => ({ dtype, shape });

function rejects(name: string, inputs: TensorMeta[], attrs: Attrs, type: new (...args: never[]) => Error, pattern: RegExp): void {
  const op = getOp(name);
  assert.throws(() => op.infer(inputs, attrs), (e: Error) => e instanceof type && pattern.test(e.message), `${name} ${JSON.stringify(attrs)}`);
  assert.throws(() => op.flops(inputs, attrs), type);
}

test("element-wise ops carry their OP_CODES", () => {
  for (const name of ["add", "sub", "mul", "relu", "relu6", "leaky_relu", "clip", "lut", "requantize"] as const) {
    assert.equal(getOp(name).code, OP_CODES[name], name);
  }
});

test("add/sub/mul reject shapes that do not broadcast, naming both shapes", () => {
  for (const op of ["add", "sub", "mul"]) {
    rejects(op, [m("int8", [2, 3]), m("int8", [4])], {}, ShapeMismatchError, new RegExp(`${op}: input "b" has shape \\[4\\].*\\[2,3\\]`));
    rejects(op, [m("int8", [2, 3, 4]), m("int8", [3, 1, 4])], {}, ShapeMismatchError, /dimension -3/);
  }
});

test("add/sub/mul broadcast and default to a saturating op in the wider dtype", () => {
  const a = tensor("int8", [2, 1], [100, -100]);
  const b = tensor("int16", [3], [100, 0, -300]);
  assert.deepEqual(getOp("add").infer([a, b], {}), [{ dtype: "int16", shape: [2, 3] }]);
  assert.deepEqual(Array.from(getOp("add").run([a, b], {})[0]!.data), [200, 100, -200, 0, -100, -400]);
  assert.deepEqual(Array.from(getOp("sub").run([a, b], { outDtype: 0 })[0]!.data), [0, 100, 127, -128, -100, 127]);
  assert.deepEqual(Array.from(getOp("mul").run([a, b], {})[0]!.data), [10000, 0, -30000, -10000, 0, 30000]);
});

test("add/sub/mul reject bad attributes", () => {
  const ab = [m("int8", [4]), m("int8", [4])];
  rejects("add", ab, { aZero: 128 }, InvalidArgumentError, /aZero/);
  rejects("add", ab, { leftShift: 25 }, InvalidArgumentError, /leftShift/);
  rejects("add", [m("int32", [4]), m("int8", [4])], { leftShift: 1 }, InvalidArgumentError, /leftShift/);
  rejects("add", ab, { aMultiplier: -1 }, InvalidArgumentError, /multiplier/);
  rejects("sub", ab, { outShift: 63 }, InvalidArgumentError, /shift/);
  rejects("sub", ab, { outDtype: 0, zeroPoint: 1000 }, InvalidArgumentError, /zeroPoint/);
  rejects("mul", ab, { leftShift: 1 }, InvalidArgumentError, /unknown/);
  rejects("mul", ab, { multiplier: [1, 2] }, InvalidArgumentError, /single integer/);
  rejects("mul", [m("int8", [4])], {}, InvalidArgumentError, /expected 2 tensors/);
});

test("unary activations reject bad attributes and keep dtype and shape", () => {
  rejects("relu", [m("int8", [4])], { zeroPoint: 300 }, InvalidArgumentError, /zeroPoint/);
  rejects("relu6", [m("int8", [4])], {}, InvalidArgumentError, /"six".*required/);
  rejects("relu6", [m("int8", [4])], { zeroPoint: 10, six: 5 }, InvalidArgumentError, /six/);
  rejects("clip", [m("int16", [4])], { min: 5, max: 4 }, InvalidArgumentError, /min must be ≤ max/);
  rejects("clip", [m("int8", [4])], { min: -200, max: 4 }, InvalidArgumentError, /min/);
  rejects("leaky_relu", [m("int8", [4])], { alphaMultiplier: 1 }, InvalidArgumentError, /alphaShift/);
  rejects("leaky_relu", [m("int8", [4])], { alphaMultiplier: 1, alphaShift: 70 }, InvalidArgumentError, /shift/);
  assert.deepEqual(getOp("relu6").infer([m("int16", [2, 5])], { six: 600 }), [{ dtype: "int16", shape: [2, 5] }]);
  const x = tensor("int8", [5], [-128, -3, 0, 3, 127]);
  assert.deepEqual(Array.from(getOp("relu").run([x], { zeroPoint: -3 })[0]!.data), [-3, -3, 0, 3, 127]);
  assert.deepEqual(Array.from(getOp("relu6").run([x], { six: 3 })[0]!.data), [0, 0, 0, 3, 3]);
  // alpha = 1/8 at shift 3; −128 → −16, −3 → round(−0.375) = 0 (floor(−3/8 + 1/2))
  assert.deepEqual(Array.from(getOp("leaky_relu").run([x], { alphaMultiplier: 1, alphaShift: 3 })[0]!.data), [-16, 0, 0, 3, 127]);
});

test("lut requires int8 x and an int8/int16 table of exactly 256 entries", () => {
  rejects("lut", [m("int16", [4]), m("int8", [256])], {}, DTypeMismatchError, /"x" has dtype int16/);
  rejects("lut", [m("int8", [4]), m("int32", [256])], {}, DTypeMismatchError, /"table"/);
  rejects("lut", [m("int8", [4]), m("int8", [255])], {}, ShapeMismatchError, /"table" has shape \[255\], expected \[256\]/);
  rejects("lut", [m("int8", [4]), m("int8", [256])], { axis: 0 }, InvalidArgumentError, /unknown/);
  const table = tensor("int16", [256], Array.from({ length: 256 }, (_, i) => (i - 128) * 100));
  const y = getOp("lut").run([tensor("int8", [3], [-128, 0, 127]), table], {})[0]!;
  assert.equal(y.dtype, "int16");
  assert.deepEqual(Array.from(y.data), [-12800, 0, 12700]);
});

test("requantize requires outDtype, valid per-channel lists and an axis in range", () => {
  const x = m("int32", [2, 3]);
  rejects("requantize", [x], { multiplier: 1, shift: 0 }, InvalidArgumentError, /outDtype.*required/);
  rejects("requantize", [x], { outDtype: 0, multiplier: [1, 2, 3], shift: [0, 0, 0] }, InvalidArgumentError, /axis.*required/);
  rejects("requantize", [x], { outDtype: 0, multiplier: [1, 2], shift: [0, 0], axis: 1 }, InvalidArgumentError, /expected 1 or 3/);
  rejects("requantize", [x], { outDtype: 0, multiplier: [1, 2], shift: [0], axis: 0 }, InvalidArgumentError, /shift/);
  rejects("requantize", [x], { outDtype: 0, multiplier: 1, shift: 0, axis: 2 }, InvalidArgumentError, /axis/);
  rejects("requantize", [m("int8", [2])], { outDtype: 0, multiplier: 1, shift: 0, inZero: 128 }, InvalidArgumentError, /inZero/);
  const y = getOp("requantize").run([tensor("int32", [2, 2], [1000, 1000, -1000, 7])], { outDtype: 0, multiplier: [1, 3], shift: [4, 1], axis: -1, zeroPoint: 2 })[0]!;
  // column 0: round(x/16)+2; column 1: round(3x/2)+2 clamped to int8
  assert.deepEqual(Array.from(y.data), [65, 127, -60, 13]);
});

test("FLOPs per output element: add/sub 4, mul 2, leaky_relu 2, relu/relu6/clip/lut/requantize 1", () => {
  const x = m("int8", [3, 4]);
  assert.equal(getOp("add").flops([x, m("int8", [4])], {}), 48n);
  assert.equal(getOp("sub").flops([x, x], {}), 48n);
  assert.equal(getOp("mul").flops([x, m("int8", [1])], {}), 24n);
  assert.equal(getOp("leaky_relu").flops([x], { alphaMultiplier: 1, alphaShift: 3 }), 24n);
  assert.equal(getOp("relu").flops([x], {}), 12n);
  assert.equal(getOp("clip").flops([x], { min: 0, max: 1 }), 12n);
  assert.equal(getOp("lut").flops([x, m("int8", [256])], {}), 12n);
  assert.equal(getOp("requantize").flops([x], { outDtype: 0, multiplier: 1, shift: 0 }), 12n);
});
