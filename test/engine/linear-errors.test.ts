// Bad inputs to matmul and conv2d fail in `infer` (hence before any gas or allocation) with typed
// errors that name the op, the input and the shapes — never the values. Also pins codes and FLOPs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { getOp, OP_CODES } from "../../src/engine/registry.ts";
import { DTypeMismatchError, ElementLimitError, InvalidArgumentError, InvalidDimensionError, RankLimitError, ShapeMismatchError } from "../../src/engine/errors.ts";
import type { Attrs } from "../../src/engine/op.ts";
import { tensor, type DType, type TensorMeta } from "../../src/engine/tensor.ts";

const m = (dtype: DType, shape: number[]): TensorMeta => ({ dtype, shape });
const mm = getOp("matmul");
const conv = getOp("conv2d");

function rejects(op: typeof mm, inputs: TensorMeta[], attrs: Attrs, type: new (...args: never[]) => Error, pattern: RegExp): void {
  assert.throws(() => op.infer(inputs, attrs), (e: Error) => e instanceof type && pattern.test(e.message), `${op.name} ${JSON.stringify(attrs)}`);
  assert.throws(() => op.flops(inputs, attrs), type);
}

test("matmul and conv2d carry their OP_CODES", () => {
  assert.equal(mm.code, OP_CODES.matmul);
  assert.equal(conv.code, OP_CODES.conv2d);
});

test("matmul rejects mismatched inner dimensions naming both shapes", () => {
  rejects(mm, [m("int8", [2, 3]), m("int8", [4, 5])], {}, ShapeMismatchError, /matmul: input "b" has shape \[4,5\].*K = last dim/);
  rejects(mm, [m("int8", [2, 3]), m("int8", [5, 4])], { transB: 1 }, ShapeMismatchError, /\[5,4\]/);
});

test("matmul rejects rank < 2, unbroadcastable batches and a bias of the wrong shape", () => {
  rejects(mm, [m("int8", [3]), m("int8", [3, 2])], {}, ShapeMismatchError, /"a".*rank ≥ 2/);
  rejects(mm, [m("int8", [2, 1, 3]), m("int8", [3, 3, 2])], {}, ShapeMismatchError, /"b"/);
  rejects(mm, [m("int8", [2, 3]), m("int8", [3, 2]), m("int32", [3])], {}, ShapeMismatchError, /"bias" has shape \[3\], expected \[2\]/);
});

test("matmul rejects wrong dtypes for a, b and bias", () => {
  rejects(mm, [m("int32", [2, 3]), m("int8", [3, 2])], {}, DTypeMismatchError, /"a" has dtype int32, expected int8 or int16/);
  rejects(mm, [m("int8", [2, 3]), m("int16", [3, 2])], {}, DTypeMismatchError, /"b" has dtype int16/);
  rejects(mm, [m("int8", [2, 3]), m("int8", [3, 2]), m("int8", [2])], {}, DTypeMismatchError, /"bias"/);
});

test("matmul rejects bad attributes: unknown names, transB, zero point, requant lists", () => {
  rejects(mm, [m("int8", [2, 3]), m("int8", [3, 2])], { transb: 1 }, InvalidArgumentError, /unknown/);
  rejects(mm, [m("int8", [2, 3]), m("int8", [3, 2])], { transB: 2 }, InvalidArgumentError, /transB/);
  rejects(mm, [m("int8", [2, 3]), m("int8", [3, 2])], { aZero: 128 }, InvalidArgumentError, /aZero/);
  rejects(mm, [m("int8", [2, 3]), m("int8", [3, 2])], { outDtype: 0 }, InvalidArgumentError, /multiplier.*required/);
  rejects(mm, [m("int8", [2, 3]), m("int8", [3, 2])], { outDtype: 3 }, InvalidArgumentError, /outDtype/);
  rejects(mm, [m("int8", [2, 3]), m("int8", [3, 2])], { outDtype: 0, multiplier: [1, 2, 3], shift: [1, 2, 3] }, InvalidArgumentError, /expected 1 or 2/);
  rejects(mm, [m("int8", [2, 3]), m("int8", [3, 2])], { outDtype: 0, multiplier: [1], shift: [63] }, InvalidArgumentError, /shift/);
  rejects(mm, [m("int8", [2, 3]), m("int8", [3, 2])], { outDtype: 0, multiplier: [2 ** 31], shift: [1] }, InvalidArgumentError, /multiplier/);
  rejects(mm, [m("int8", [2, 3]), m("int8", [3, 2])], { outDtype: 0, multiplier: [1], shift: [1], zeroPoint: 200 }, InvalidArgumentError, /zero point/);
  rejects(mm, [m("int8", [2, 3]), m("int8", [3, 2])], { shift: [1] }, InvalidArgumentError, /need "multiplier"/);
  rejects(mm, [m("int8", [2, 3])], {}, InvalidArgumentError, /expected 2 or 3 tensors/);
});

test("matmul rejects an output above MAX_ELEMENTS before allocating", () => {
  rejects(mm, [m("int8", [65536, 1]), m("int8", [1, 65536])], {}, ElementLimitError, /more than/);
});

test("matmul FLOPs: 2·batch·M·N·K, plus M·N per bias add and per requantization", () => {
  assert.equal(mm.flops([m("int8", [4, 2, 3]), m("int8", [3, 5])], {}), 2n * 4n * 2n * 5n * 3n);
  assert.equal(mm.flops([m("int8", [2, 3]), m("int8", [3, 5]), m("int32", [5])], { outDtype: 0, multiplier: 1, shift: 1 }), 60n + 10n + 10n);
});

test("conv2d rejects wrong ranks, channel counts and groups", () => {
  rejects(conv, [m("int8", [1, 3, 8]), m("int8", [4, 3, 3, 3])], {}, ShapeMismatchError, /"x".*\[N,Cin,H,W\]/);
  rejects(conv, [m("int8", [1, 3, 8, 8]), m("int8", [4, 2, 3, 3])], {}, ShapeMismatchError, /"weight" has shape \[4,2,3,3\], expected \[4,3,kH≥1,kW≥1\]/);
  rejects(conv, [m("int8", [1, 3, 8, 8]), m("int8", [4, 1, 3, 3])], { groups: 2 }, InvalidArgumentError, /groups/);
  rejects(conv, [m("int8", [1, 3, 8, 8]), m("int8", [4, 3, 3, 3]), m("int32", [3])], {}, ShapeMismatchError, /"bias"/);
});

test("conv2d rejects a kernel larger than the padded input and bad strides, pads, dilations", () => {
  rejects(conv, [m("int8", [1, 1, 2, 2]), m("int8", [1, 1, 3, 3])], {}, ShapeMismatchError, /padded H ≥ 3/);
  rejects(conv, [m("int8", [1, 1, 4, 4]), m("int8", [1, 1, 3, 3])], { dilations: [2, 2] }, ShapeMismatchError, /dilated/);
  rejects(conv, [m("int8", [1, 1, 4, 4]), m("int8", [1, 1, 3, 3])], { strides: [0, 1] }, InvalidArgumentError, /strides/);
  rejects(conv, [m("int8", [1, 1, 4, 4]), m("int8", [1, 1, 3, 3])], { pads: [1, 1] }, InvalidArgumentError, /pads/);
  rejects(conv, [m("int8", [1, 1, 4, 4]), m("int8", [1, 1, 3, 3])], { pads: [-1, 0, 0, 0] }, InvalidArgumentError, /pads/);
  rejects(conv, [m("int8", [1, 1, 4, 4]), m("int8", [1, 1, 3, 3])], { xZero: -129 }, InvalidArgumentError, /xZero/);
});

test("conv2d rejects wrong dtypes", () => {
  rejects(conv, [m("int32", [1, 1, 4, 4]), m("int8", [1, 1, 3, 3])], {}, DTypeMismatchError, /"x" has dtype int32/);
  rejects(conv, [m("int8", [1, 1, 4, 4]), m("int16", [1, 1, 3, 3])], {}, DTypeMismatchError, /"weight"/);
});

test("conv2d infers NCHW output sizes and FLOPs from shapes (2·outputs·Cin/groups·kH·kW)", () => {
  const inputs = [m("int8", [2, 4, 9, 7]), m("int8", [6, 2, 3, 2])];
  const attrs = { groups: 2, strides: [2, 1], pads: [1, 0, 1, 1], dilations: [1, 2] };
  // H: (9+2−3)/2+1 = 5; W: (7+1−3)/1+1 = 6
  assert.deepEqual(conv.infer(inputs, attrs), [{ dtype: "int32", shape: [2, 6, 5, 6] }]);
  assert.equal(conv.flops(inputs, attrs), 2n * BigInt(2 * 6 * 5 * 6) * BigInt(2 * 3 * 2));
});

test("run() rejects a bad call too, and its message names shapes but never tensor values", () => {
  const a = tensor("int8", [2, 3], new Array(6).fill(-99));
  const b = tensor("int8", [4, 5], new Array(20).fill(-99));
  assert.throws(() => mm.run([a, b], {}), (e: Error) => e instanceof ShapeMismatchError && /\[2,3\]|\[4,5\]/.test(e.message) && !e.message.includes("99"));
});

test("matmul and conv2d reject malformed declared input shapes (negative, fractional, rank > 8)", () => {
  assert.throws(() => mm.infer([m("int8", [2, -3]), m("int8", [-3, 2])], {}), InvalidDimensionError);
  assert.throws(() => mm.infer([m("int8", [2, 1.5]), m("int8", [1.5, 2])], {}), InvalidDimensionError);
  assert.throws(() => mm.infer([m("int8", [1, 1, 1, 1, 1, 1, 1, 2, 3]), m("int8", [3, 2])], {}), RankLimitError);
  assert.throws(() => conv.infer([m("int8", [1, 1, -4, 4]), m("int8", [1, 1, 1, 1])], {}), InvalidDimensionError);
});
