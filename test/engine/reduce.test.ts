// reduce_sum, reduce_mean, reduce_max, argmax: goldens, a multi-index reference over random axes,
// the exact (BigInt) path for huge int32 sums, FLOPs and bad input.
import assert from "node:assert/strict";
import { test } from "node:test";
import { AivmError, InvalidArgumentError, ShapeMismatchError } from "../../src/engine/errors.ts";
import type { Attrs } from "../../src/engine/op.ts";
import { getOp } from "../../src/engine/registry.ts";
import { DTYPE_MAX, DTYPE_MIN, numElements, stridesOf, tensor, type DType, type Tensor } from "../../src/engine/tensor.ts";
import { checkGolden } from "../golden/nonlinear/golden.ts";
import { listOnnxCases, loadOnnxCase } from "../golden/nonlinear/onnx-cases.ts";
import { prng } from "../golden/nonlinear/prng.ts";

const run = (op: string, inputs: Tensor[], attrs: Attrs) => getOp(op).run(inputs, attrs)[0]!;

test("golden vectors: reduce_sum, reduce_mean, reduce_max, argmax", () => {
  for (const op of ["reduce_sum", "reduce_mean", "reduce_max", "argmax"]) assert.ok(checkGolden(op) >= 2);
});

/** Reference: enumerate output multi-indices, then every reduced multi-index, with BigInt sums. */
function reference(op: string, x: Tensor, axes: number[], keepdims: boolean): { shape: number[]; data: number[] } {
  const rank = x.shape.length;
  const red = new Set(axes.length ? axes.map((a) => (a + rank) % rank) : x.shape.map((_, i) => i));
  const kept = x.shape.map((d, i) => (red.has(i) ? 1 : d));
  const strides = stridesOf(x.shape);
  const outCount = numElements(kept);
  const data: number[] = [];
  for (let o = 0; o < outCount; o++) {
    const base = kept.map((_, i) => Math.floor(o / numElements(kept.slice(i + 1))) % kept[i]!);
    const vals: bigint[] = [];
    const redDims = [...red].sort();
    const redCount = numElements(redDims.map((d) => x.shape[d]!));
    for (let j = 0; j < redCount; j++) {
      const idx = [...base];
      let rem = j;
      for (let k = redDims.length - 1; k >= 0; k--) {
        idx[redDims[k]!] = rem % x.shape[redDims[k]!]!;
        rem = Math.floor(rem / x.shape[redDims[k]!]!);
      }
      vals.push(BigInt(x.data[idx.reduce((a, v, i) => a + v * strides[i]!, 0)]!));
    }
    const sum = vals.reduce((a, b) => a + b, 0n);
    if (op === "reduce_sum") data.push(Number(sum > 2147483647n ? 2147483647n : sum < -2147483648n ? -2147483648n : sum));
    else if (op === "reduce_max") data.push(Number(vals.reduce((a, b) => (b > a ? b : a))));
    else {
      const n = BigInt(vals.length);
      const q = (2n * (sum < 0n ? -sum : sum) + n) / (2n * n);
      data.push(Number(sum < 0n ? -q : q));
    }
  }
  const shape = keepdims ? kept : x.shape.filter((_, i) => !red.has(i));
  return { shape, data };
}

test("reduce_sum/mean/max match a multi-index BigInt reference over random shapes and axes", () => {
  const r = prng(21);
  for (let c = 0; c < 300; c++) {
    const dtype: DType = r.pick(["int8", "int16", "int32"]);
    const rank = r.int(1, 4);
    const shape = Array.from({ length: rank }, () => r.int(1, 4));
    const x = tensor(dtype, shape, Array.from({ length: numElements(shape) }, () => r.int(DTYPE_MIN[dtype], DTYPE_MAX[dtype])));
    const axes = [...new Set(Array.from({ length: r.int(0, rank) }, () => r.int(-rank, rank - 1)).map((a) => (a + rank) % rank))];
    const keepdims = r.int(0, 1) === 1;
    for (const op of ["reduce_sum", "reduce_mean", "reduce_max"]) {
      const y = run(op, [x], { axes, keepdims: keepdims ? 1 : 0 });
      const want = reference(op, x, axes, keepdims);
      assert.deepEqual({ shape: y.shape, data: Array.from(y.data) }, want, `${op} ${dtype}[${shape}] axes ${axes} keepdims ${keepdims}`);
      assert.equal(y.dtype, op === "reduce_sum" ? "int32" : dtype);
    }
  }
});

test("argmax picks the first maximum, or the last with select_last_index", () => {
  const x = tensor("int16", [2, 5], [3, 9, 9, 1, 9, -5, -5, -7, -5, -6]);
  assert.deepEqual(Array.from(run("argmax", [x], { axis: 1, keepdims: 0 }).data), [1, 0]);
  assert.deepEqual(Array.from(run("argmax", [x], { axis: 1, keepdims: 0, select_last_index: 1 }).data), [4, 3]);
  assert.deepEqual(run("argmax", [x], { axis: -1 }).shape, [2, 1]);
  assert.deepEqual(Array.from(run("argmax", [x], {}).data), [0, 0, 0, 0, 0]);
});

test("int32 sums beyond 2^53 are exact: huge rows take the BigInt path and saturate only at the end", () => {
  const n = 2 ** 22 + 2;
  const data = new Int32Array(n);
  for (let i = 0; i < n; i++) data[i] = i % 2 === 0 ? 2147483647 : -2147483647;
  data[n - 1] = -2147483640; // exact sum is 7
  const x: Tensor = { dtype: "int32", shape: [n], data };
  assert.deepEqual(Array.from(run("reduce_sum", [x], {}).data), [7]);
  assert.deepEqual(Array.from(run("reduce_mean", [x], {}).data), [0]);
  data.fill(2147483647);
  assert.deepEqual(Array.from(run("reduce_sum", [x], {}).data), [2147483647]);
  assert.deepEqual(Array.from(run("reduce_mean", [x], {}).data), [2147483647]);
});

test("FLOPs: one per input element, plus one per output for the mean's division", () => {
  const x = { dtype: "int8" as const, shape: [4, 6] };
  assert.equal(getOp("reduce_sum").flops([x], { axes: [1] }), 24n);
  assert.equal(getOp("reduce_mean").flops([x], { axes: [1] }), 28n);
  assert.equal(getOp("reduce_max").flops([x], {}), 24n);
  assert.equal(getOp("argmax").flops([x], { axis: 1 }), 24n);
});

test("reductions over zero elements: sum is 0, max/mean/argmax are rejected", () => {
  const empty = tensor("int8", [2, 0], []);
  assert.deepEqual(Array.from(run("reduce_sum", [empty], { axes: [1] }).data), [0, 0]);
  assert.throws(() => getOp("reduce_max").infer([empty], { axes: [1] }), ShapeMismatchError);
  assert.throws(() => getOp("reduce_mean").infer([empty], { axes: [1] }), ShapeMismatchError);
  assert.throws(() => getOp("argmax").infer([empty], { axis: 1 }), ShapeMismatchError);
});

test("bad input: typed errors naming the op", () => {
  const x = tensor("int8", [2, 3], [1, 2, 3, 4, 5, 6]);
  const cases: [string, Tensor[], Attrs, new (...a: any[]) => AivmError][] = [
    ["reduce_sum", [x], { axes: [2] }, InvalidArgumentError],
    ["reduce_sum", [x], { axes: [1, -1] }, InvalidArgumentError],
    ["reduce_mean", [x], { keepdims: 2 }, InvalidArgumentError],
    ["reduce_max", [x], { axis: 0 }, InvalidArgumentError],
    ["reduce_max", [x, x], {}, InvalidArgumentError],
    ["argmax", [x], { axis: -3 }, InvalidArgumentError],
    ["argmax", [x], { select_last_index: 3 }, InvalidArgumentError],
    ["argmax", [tensor("int8", [], [1])], {}, ShapeMismatchError],
  ];
  for (const [op, inputs, attrs, cls] of cases) {
    assert.throws(() => getOp(op).infer(inputs, attrs), (e: unknown) => e instanceof cls && (e as AivmError).message.includes(op), `${op} ${JSON.stringify(attrs)}`);
    assert.throws(() => getOp(op).run(inputs, attrs), cls);
  }
});

test("ONNX backend ReduceSum/ReduceMean/ArgMax cases agree on inputs scaled to integers", { skip: listOnnxCases(/^test_reduce_/).length === 0 }, () => {
  const names = listOnnxCases(/^test_(reduce_sum|reduce_mean|argmax)_/);
  assert.ok(names.length >= 20, `found ${names.length}`);
  for (const name of names) {
    const c = loadOnnxCase(name);
    const op = c.opType === "ReduceSum" ? "reduce_sum" : c.opType === "ReduceMean" ? "reduce_mean" : "argmax";
    // Argmax needs a fine scale so distinct floats stay distinct; sums need headroom in int32.
    const scale = op === "argmax" ? 2 ** 20 : 2 ** 16;
    const data = c.inputs[0]!;
    const x = tensor("int32", data.shape, Array.from(data.data, (v) => Math.round(v * scale)));
    const attrs: Record<string, number | number[]> = { ...(c.attrs as Record<string, number>) };
    if (c.inputs[1]) attrs["axes"] = Array.from(c.inputs[1].data);
    const y = run(op, [x], attrs);
    const ref = c.outputs[0]!;
    assert.deepEqual(y.shape, ref.shape, `${name}: shape`);
    const n = numElements(data.shape) / Math.max(1, numElements(ref.shape));
    for (let i = 0; i < y.data.length; i++) {
      if (op === "argmax") assert.equal(y.data[i], ref.data[i], `${name}[${i}]`);
      else assert.ok(Math.abs(y.data[i]! / scale - ref.data[i]!) <= (n / 2 + 1) / scale + 1e-5 * Math.abs(ref.data[i]!), `${name}[${i}]`);
    }
  }
});
