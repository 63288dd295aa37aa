// The matmul kernels agree bit for bit: WASM SIMD (hand-assembled), the JS 4×2 int32 loop, the
// exact-double loop and the readable reference, over odd and padded shapes, biases and zero points.
import { test } from "node:test";
import assert from "node:assert/strict";
import { matmulReference, type MatmulKernelArgs } from "../../src/engine/kernels/matmul-reference.ts";
import { A_CHUNK_ELEMENTS, WASM_MIN_MACS, fitsInt32Accumulation, matmulFast, matmulFastJs } from "../../src/engine/kernels/matmul-fast.ts";
import { matmulWasm, matmulWasmBytes, matmulWasmInto, wasmApi, wasmMatmul } from "../../src/engine/kernels/matmul-wasm.ts";
import { rng, int } from "../golden/linear/cases.ts";
import { conv2dReference } from "../../src/engine/kernels/conv2d-reference.ts";
import { conv2dIm2col, IM2COL_CHUNK_ELEMENTS } from "../../src/engine/kernels/conv2d-im2col.ts";

test("the hand-assembled WASM module validates and instantiates (SIMD128 available in this Node)", () => {
  assert.ok(wasmApi?.validate(matmulWasmBytes()));
  assert.ok(wasmMatmul() !== null);
});

function randomArgs(r: () => number, dtype: "int8" | "int16"): Omit<MatmulKernelArgs, "out"> {
  const m = int(r, 1, 13);
  const k = int(r, 0, 70);
  const n = int(r, 1, 11);
  const a = dtype === "int8" ? new Int8Array(m * k + 3) : new Int16Array(m * k + 3);
  const lo = dtype === "int8" ? -128 : -32768;
  const hi = dtype === "int8" ? 127 : 32767;
  for (let i = 0; i < a.length; i++) a[i] = r() < 0.3 ? (r() < 0.5 ? lo : hi) : int(r, lo, hi);
  const b = new Int8Array(k * n + 5);
  for (let i = 0; i < b.length; i++) b[i] = r() < 0.3 ? (r() < 0.5 ? -128 : 127) : int(r, -128, 127);
  const bias = r() < 0.5 ? Int32Array.from({ length: n }, () => (r() < 0.3 ? (r() < 0.5 ? -2147483648 : 2147483647) : int(r, -1e6, 1e6))) : null;
  const aZero = dtype === "int16" && r() < 0.5 ? 0 : r() < 0.5 ? 0 : int(r, lo, hi);
  return { a, aOffset: int(r, 0, 3), aZero, b, bOffset: int(r, 0, 5), transB: r() < 0.5, bias, m, k, n, outOffset: int(r, 0, 2) };
}

test("matmulFast (WASM when eligible), matmulFastJs and the reference agree on 1,500 random kernel calls, and write every output", () => {
  const r = rng(77);
  let wasmEligible = 0;
  for (let c = 0; c < 1500; c++) {
    const args = randomArgs(r, c % 3 === 0 ? "int16" : "int8");
    const size = args.outOffset + args.m * args.n;
    const want = new Int32Array(size);
    matmulReference({ ...args, out: want });
    // Outputs start as two different fills: an element a kernel skipped would differ from the
    // reference in one of them (the matmul op hands the kernels unzeroed memory, tensor.ts unfilled).
    for (const kernel of [matmulFast, matmulFastJs]) {
      for (const fill of [0x5a5a5a5a, -1]) {
        const got = new Int32Array(size).fill(fill);
        kernel({ ...args, out: got });
        assert.deepEqual(got.subarray(args.outOffset), want.subarray(args.outOffset), `${kernel.name} case ${c} m=${args.m} k=${args.k} n=${args.n} aZero=${args.aZero}`);
        assert.ok(got.subarray(0, args.outOffset).every((v) => v === fill), "nothing written before the offset");
      }
    }
    if (fitsInt32Accumulation({ ...args, out: want }) && args.a instanceof Int8Array && args.m * args.k * args.n >= WASM_MIN_MACS) wasmEligible++;
  }
  assert.ok(wasmEligible > 500, `only ${wasmEligible} cases reached the WASM path`);
});

test("the WASM kernel alone matches the reference on padded shapes (odd m, n; k not a multiple of 8)", () => {
  const r = rng(78);
  for (const [m, k, n] of [[1, 1, 1], [3, 7, 5], [2, 8, 2], [5, 17, 3], [8, 64, 8], [9, 129, 7]] as const) {
    const pa = Int32Array.from({ length: m * k }, () => int(r, -255, 255));
    const bt = Int8Array.from({ length: n * k }, () => int(r, -128, 127));
    const out = new Int32Array(m * n);
    assert.ok(matmulWasmInto(pa, bt, m, k, n, null, out, 0));
    const want = new Int32Array(m * n);
    matmulReference({ a: pa, aOffset: 0, aZero: 0, b: bt, bOffset: 0, transB: true, bias: null, m, k, n, out: want, outOffset: 0 });
    assert.deepEqual(out, want, `${m}x${k}x${n}`);
  }
});

test("conv2d im2col matches the reference when output positions are unfolded in several chunks", () => {
  const r = rng(79);
  // kc = 2·3·3 = 18, so a 700×700-position image needs ceil(490,000·18 / 2^22) = 3 chunks.
  const g = { batch: 1, cin: 2, h: 700, w: 700, cout: 3, kh: 3, kw: 3, groups: 1, strideH: 1, strideW: 1, padTop: 1, padLeft: 1, dilationH: 1, dilationW: 1, hout: 700, wout: 700 };
  assert.ok(g.hout * g.wout * 18 > 2 * IM2COL_CHUNK_ELEMENTS);
  const x = Int8Array.from({ length: 2 * 700 * 700 }, () => int(r, -128, 127));
  const weight = Int8Array.from({ length: 3 * 2 * 9 }, () => int(r, -128, 127));
  const bias = Int32Array.from([5, -7, 1 << 20]);
  const want = new Int32Array(3 * 700 * 700);
  const got = new Int32Array(3 * 700 * 700);
  conv2dReference({ x, xZero: 3, weight, bias, g, out: want });
  conv2dIm2col({ x, xZero: 3, weight, bias, g, out: got });
  assert.deepEqual(got, want);
});

test("conv2d weights-first path (int8, zero point 0) matches the reference over a batch, with groups, every image's columns large enough for the packed-weight cache", () => {
  const r = rng(83);
  // kc·positions = 2·3·3 · 16·16 = 4608 ≥ the cache's minElements: columns must never be served from it.
  const g = { batch: 4, cin: 4, h: 16, w: 16, cout: 6, kh: 3, kw: 3, groups: 2, strideH: 1, strideW: 1, padTop: 1, padLeft: 1, dilationH: 1, dilationW: 1, hout: 16, wout: 16 };
  const x = Int8Array.from({ length: 4 * 4 * 16 * 16 }, () => int(r, -128, 127));
  const weight = Int8Array.from({ length: 6 * 2 * 9 }, () => int(r, -128, 127));
  const bias = Int32Array.from([5, -7, 1 << 20, 0, 2147483000, -3]);
  const want = new Int32Array(4 * 6 * 16 * 16);
  const got = new Int32Array(4 * 6 * 16 * 16);
  conv2dReference({ x, xZero: 0, weight, bias, g, out: want });
  conv2dIm2col({ x, xZero: 0, weight, bias, g, out: got });
  assert.deepEqual(got, want);
});

test("matmul kernels match the reference when A is packed in several row chunks", () => {
  const r = rng(80);
  const [m, k, n] = [2100, 2048, 3];
  assert.ok(m * k > A_CHUNK_ELEMENTS);
  const a = Int8Array.from({ length: m * k }, () => int(r, -128, 127));
  const b = Int8Array.from({ length: k * n }, () => int(r, -128, 127));
  const args = { a, aOffset: 0, aZero: -3, b, bOffset: 0, transB: false, bias: Int32Array.from([1, 2, 3]), m, k, n, outOffset: 0 };
  const want = new Int32Array(m * n);
  matmulReference({ ...args, out: want });
  for (const kernel of [matmulFast, matmulFastJs]) {
    const got = new Int32Array(m * n);
    kernel({ ...args, out: got });
    assert.deepEqual(got, want, kernel.name);
  }
});

test("int8 A packed by the WASM packers gives the reference's result through the kernel (K 1…4096, M 1…5, N 1…9, extreme values, zero points)", () => {
  const r = rng(81);
  /** Values that stress every lane: all −128, all 127, alternating extremes, or random. */
  const fillA = (len: number, mode: number): Int8Array =>
    Int8Array.from({ length: len }, (_, i) => (mode === 0 ? -128 : mode === 1 ? 127 : mode === 2 ? (i & 1 ? 127 : -128) : int(r, -128, 127)));
  let cases = 0;
  for (const k of [1, 7, 8, 15, 16, 17, 63, 4096]) {
    for (let m = 1; m <= 5; m++) {
      for (let n = 1; n <= 9; n++) {
        const mode = cases % 4;
        const aOffset = cases % 3;
        // A ends exactly at its last row: the copy into the kernel's memory must not read past it.
        const a = fillA(aOffset + m * k, mode);
        const b = Int8Array.from({ length: k * n }, (_, i) => (mode === 2 ? (i % 3 === 0 ? 127 : -128) : mode === 0 ? -128 : int(r, -128, 127)));
        const aZero = [0, -128, 127, 5][(cases >> 2) % 4]!;
        const bias = cases % 5 === 0 ? Int32Array.from({ length: n }, (_, j) => (j & 1 ? 2147483647 : -2147483648)) : null;
        const args = { a, aOffset, aZero, b, bOffset: 0, transB: cases % 2 === 0, bias, m, k, n, outOffset: 1 };
        const want = new Int32Array(1 + m * n);
        matmulReference({ ...args, out: want });
        const got = new Int32Array(1 + m * n);
        assert.ok(matmulWasm({ ...args, out: got }), "the WASM path ran");
        assert.deepEqual(got, want, `m=${m} k=${k} n=${n} aZero=${aZero} mode=${mode}`);
        cases++;
      }
    }
  }
});
