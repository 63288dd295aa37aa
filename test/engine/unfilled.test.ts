// `unfilled` (tensor.ts): outputs a kernel writes in full skip the zero fill from UNFILLED_MIN_BYTES;
// they are still the dtype's own array, alone on their buffer. The kernels' tests start outputs
// from two fills to show each writes every element (linear-kernels, output-stage, matmul-threads).
import { test } from "node:test";
import assert from "node:assert/strict";
import { UNFILLED_MIN_BYTES, unfilled, type DType } from "../../src/engine/tensor.ts";
import { getOp } from "../../src/engine/registry.ts";
import { runMatmul } from "../../src/engine/ops/linear.ts";
import { matmulReference } from "../../src/engine/kernels/matmul-reference.ts";
import { tensor } from "../../src/engine/tensor.ts";
import { rng, int } from "../golden/linear/cases.ts";

test("unfilled gives the dtype's array of the shape's length on its own buffer, zeroed below UNFILLED_MIN_BYTES", () => {
  for (const [dtype, bytes] of [["int8", 1], ["int16", 2], ["int32", 4]] as [DType, number][]) {
    for (const count of [0, 7, UNFILLED_MIN_BYTES / bytes - 1, UNFILLED_MIN_BYTES / bytes, 3 * UNFILLED_MIN_BYTES + 5]) {
      const t = unfilled(dtype, [count]);
      assert.equal(t.dtype, dtype);
      assert.deepEqual(t.shape, [count]);
      assert.equal(t.data.length, count);
      assert.equal(t.data.BYTES_PER_ELEMENT, bytes);
      assert.equal(t.data.byteOffset, 0);
      assert.equal(t.data.buffer.byteLength, count * bytes, "no pooled buffer shared with other arrays");
      if (count * bytes < UNFILLED_MIN_BYTES) assert.ok(t.data.every((v) => v === 0), `${dtype} ×${count} zeroed`);
    }
  }
  assert.throws(() => unfilled("int32", [-1]), /shape/i);
});

test("the matmul op's large outputs (unzeroed memory) equal the reference kernel's: int32, and requantized to int8 and int16", () => {
  const r = rng(8080);
  const op = getOp("matmul");
  for (const [m, k, n, attrs] of [
    [300, 64, 300, {}],
    [257, 40, 129, {}],
    [600, 32, 210, { outDtype: 0, multiplier: 1 << 30, shift: 38, zeroPoint: 3 }],
    [300, 48, 301, { outDtype: 1, multiplier: 12345, shift: 20, zeroPoint: 0 }],
  ] as [number, number, number, Record<string, number>][]) {
    // Garbage the allocator may hand back (not guaranteed: the kernels' two-fill tests are the proof).
    for (let i = 0; i < 4; i++) new Int32Array(m * n).fill(-1);
    const a = tensor("int8", [m, k], Int8Array.from({ length: m * k }, () => int(r, -128, 127)));
    const b = tensor("int8", [k, n], Int8Array.from({ length: k * n }, () => int(r, -128, 127)));
    const got = op.run([a, b], attrs)[0]!;
    assert.ok(got.data.byteLength >= UNFILLED_MIN_BYTES, `${m}x${k}x${n} is large enough to skip the fill`);
    assert.deepEqual(got.data, runMatmul([a, b], attrs, matmulReference).data, `${m}x${k}x${n} ${JSON.stringify(attrs)}`);
  }
});
