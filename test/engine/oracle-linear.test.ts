// Issue 2: matmul (with requantization) and conv2d against the BigInt oracle over ≥ 6,000 seeded
// random cases, extremes included — zero mismatches allowed, for the dispatching fast kernel (WASM SIMD), the JS kernel and the reference.
import { test } from "node:test";
import assert from "node:assert/strict";
import { getOp } from "../../src/engine/registry.ts";
import { tensor, type Tensor } from "../../src/engine/tensor.ts";
import { runConv2d, runMatmul } from "../../src/engine/ops/linear.ts";
import { matmulReference } from "../../src/engine/kernels/matmul-reference.ts";
import { matmulFastJs } from "../../src/engine/kernels/matmul-fast.ts";
import { conv2dReference } from "../../src/engine/kernels/conv2d-reference.ts";
import { conv2dCase, matmulCase, rng, type LinearCase } from "../golden/linear/cases.ts";
import { conv2dOracle, matmulOracle, type PlainTensor } from "../golden/linear/oracle.ts";

const toTensor = (p: PlainTensor): Tensor => tensor(p.dtype, p.shape, p.data);

function check(c: LinearCase, label: string): void {
  const [x, w, bias] = c.inputs as [PlainTensor, PlainTensor, PlainTensor | undefined];
  const want = c.op === "matmul" ? matmulOracle(x, w, bias, c.attrs) : conv2dOracle(x, w, bias, c.attrs);
  const ts = c.inputs.map(toTensor);
  const fast = getOp(c.op).run(ts, c.attrs)[0]!;
  const ref = c.op === "matmul" ? runMatmul(ts, c.attrs, matmulReference) : runConv2d(ts, c.attrs, conv2dReference);
  const js = c.op === "matmul" ? runMatmul(ts, c.attrs, matmulFastJs) : ref;
  for (const [kernel, got] of [["fast", fast], ["reference", ref], ["js", js]] as const) {
    const ctx = `${label} ${kernel} ${c.op} ${JSON.stringify(c.inputs.map((t) => [t.dtype, t.shape]))} ${JSON.stringify(c.attrs)}`;
    assert.equal(got.dtype, want.dtype, ctx);
    assert.deepEqual(got.shape, want.shape, ctx);
    assert.deepEqual(Array.from(got.data), want.data, ctx);
  }
}

test("matmul matches the BigInt oracle on 4,500 small random cases (int8/int16, zero points, bias, transB, broadcast batches, requant)", () => {
  const r = rng(1);
  for (let i = 0; i < 4500; i++) check(matmulCase(r), `case ${i}`);
});

test("matmul matches the BigInt oracle when int16 accumulators cross the int32 saturation edge (exact-double path)", () => {
  const r = rng(2);
  for (let i = 0; i < 400; i++) check(matmulCase(r, 700, true), `case ${i}`);
});

test("matmul matches the BigInt oracle for K up to 4096 (int8 `| 0` path and int16 exact path)", () => {
  const r = rng(3);
  for (let i = 0; i < 24; i++) {
    const c = matmulCase(r, 16, i % 2 === 1);
    // Stretch K to 4096 − i: replace a and b with [M,K] / [K,N] tensors of extremes.
    const k = 4096 - i;
    const a = c.inputs[0]!;
    const m = a.shape.at(-2)!;
    const transB = c.attrs["transB"] === 1;
    const n = transB ? c.inputs[1]!.shape.at(-2)! : c.inputs[1]!.shape.at(-1)!;
    const fill = (count: number, lo: number, hi: number): number[] =>
      Array.from({ length: count }, () => (r() < 0.7 ? (r() < 0.5 ? lo : hi) : lo + Math.floor(r() * (hi - lo + 1))));
    c.inputs[0] = { dtype: a.dtype, shape: [m, k], data: a.dtype === "int8" ? fill(m * k, -128, 127) : fill(m * k, -32768, 32767) };
    c.inputs[1] = { dtype: "int8", shape: transB ? [n, k] : [k, n], data: fill(k * n, -128, 127) };
    check(c, `case ${i}`);
  }
});

test("matmul saturates exactly at ±2^31 (accumulator edges ±(2^31−1), ±2^31, beyond)", () => {
  // (a − z)·b = 65535·128 per term with int16; pick K and a bias to land on each edge.
  const perTerm = 65535 * 128;
  for (const target of [2147483647, 2147483648, 2147483646, -2147483648, -2147483649, -2147483647]) {
    const k = Math.floor(Math.abs(target) / perTerm);
    const rest = Math.abs(target) - k * perTerm;
    const sign = target < 0 ? -1 : 1;
    const a: PlainTensor = { dtype: "int16", shape: [1, k], data: new Array(k).fill(-32768) };
    const b: PlainTensor = { dtype: "int8", shape: [k, 1], data: new Array(k).fill(sign > 0 ? -128 : 127) };
    // With b = 127 each term is −65535·127; rebalance the bias so the exact sum is `target`.
    const sum = k * 65535 * (sign > 0 ? 128 : -127);
    const bias = target - sum;
    assert.ok(bias >= -2147483648 && bias <= 2147483647 && rest >= 0);
    const c: LinearCase = { op: "matmul", inputs: [a, b, { dtype: "int32", shape: [1], data: [bias] }], attrs: { aZero: 32767 } };
    check(c, `target ${target}`);
    const got = getOp("matmul").run(c.inputs.map(toTensor), c.attrs)[0]!.data[0];
    assert.equal(got, Math.max(-2147483648, Math.min(2147483647, target)));
  }
});

test("conv2d matches the BigInt oracle on 1,500 random cases (groups, strides, pads, dilations, zero points, requant)", () => {
  const r = rng(4);
  for (let i = 0; i < 1500; i++) check(conv2dCase(r), `case ${i}`);
});
