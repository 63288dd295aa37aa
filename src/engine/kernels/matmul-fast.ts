// The fast matmul kernels (WASM SIMD dispatch in matmulFast, direct or with A split into bytes; JS below): A rows (zero point removed) against rows of Bᵀ, 4×2 register-blocked.
// When dtype bounds prove |Σ| < 2^31 the accumulators use `| 0` (V8 keeps them int32);
// otherwise the same loop runs in plain doubles, exact because every sum stays below 2^53.
import { DTYPE_MAX, DTYPE_MIN, dtypeOf } from "../tensor.ts";
import { saturateInt32 } from "../requant.ts";
import type { MatmulKernelArgs } from "./matmul-reference.ts";
import { matmulWasm, matmulWasmPaths } from "./matmul-wasm.ts";

/** Largest |A − aZero| allowed by A's dtype. */
function maxAbsCentered(x: MatmulKernelArgs): number {
  const dt = dtypeOf(x.a);
  return Math.max(Math.abs(DTYPE_MIN[dt] - x.aZero), Math.abs(DTYPE_MAX[dt] - x.aZero));
}

/** True when no partial sum can leave int32: K·max|A−z|·128 < 2^31. */
export function fitsInt32Accumulation(x: MatmulKernelArgs): boolean {
  return x.k * maxAbsCentered(x) * 128 < 2 ** 31;
}

/** A [M,K] with the zero point removed, contiguous from 0. */
function packA(x: MatmulKernelArgs): Int32Array {
  const size = x.m * x.k;
  const pa = new Int32Array(size);
  const a = x.a;
  const off = x.aOffset;
  const z = x.aZero;
  for (let i = 0; i < size; i++) pa[i] = a[off + i]! - z;
  return pa;
}

/** Bᵀ [N,K], contiguous from 0 (a view when B already is transposed). */
function packBt(x: MatmulKernelArgs): Int8Array {
  const { k, n } = x;
  if (x.transB) return x.b.subarray(x.bOffset, x.bOffset + n * k);
  const bt = new Int8Array(n * k);
  const b = x.b;
  const off = x.bOffset;
  for (let p = 0; p < k; p++) {
    const row = off + p * n;
    for (let j = 0; j < n; j++) bt[j * k + p] = b[row + j]!;
  }
  return bt;
}

/** Centred A values fit int16 lanes (int8 input, or int16 with zero point 0). */
function fitsInt16Lanes(x: MatmulKernelArgs): boolean {
  const dt = dtypeOf(x.a);
  return DTYPE_MIN[dt] - x.aZero >= -32768 && DTYPE_MAX[dt] - x.aZero <= 32767;
}

/** The WASM kernel with A split into bytes (matmulWasm's splitA) stays exact: K·256·128 < 2^31. */
function fitsSplitAccumulation(x: MatmulKernelArgs): boolean {
  return matmulWasmPaths.splitA && maxAbsCentered(x) <= 65535 && x.k * 256 * 128 < 2 ** 31;
}

/**
 * Multiply-adds (M·K·N of one batch entry) below which the JS loop runs instead of the WASM kernel:
 * staging the operands into the kernel's memory and calling it costs ~0.6 µs, more than a tiny
 * product (a 2×2 entry: 0.18 µs in JS; 8×8×8 is even, /tmp bench of batched matmuls).
 */
export const WASM_MIN_MACS = 512;

/** Rows of A packed at a time: bounds the Int32 copy of A to 16 MiB whatever the operand size. */
export const A_CHUNK_ELEMENTS = 1 << 22;

/** Dispatch: WASM SIMD when available and provably overflow-free, else the JS int32 or exact-double loop. */
export function matmulFast(x: MatmulKernelArgs): void {
  runInRowChunks(x, true);
}

/** The JS-only kernel (no WASM), exported so tests pin it against the reference too. */
export function matmulFastJs(x: MatmulKernelArgs): void {
  runInRowChunks(x, false);
}

function runInRowChunks(x: MatmulKernelArgs, allowWasm: boolean): void {
  if (x.m === 0 || x.n === 0) return;
  const int32 = fitsInt32Accumulation(x);
  // The WASM kernel packs A and B itself, straight from their arrays; A split into bytes when its
  // values or sums are too wide for int16 lanes and int32 sums (int16 activations, long K).
  if (allowWasm && x.k > 0 && x.m * x.k * x.n >= WASM_MIN_MACS) {
    const direct = int32 && fitsInt16Lanes(x);
    if (direct ? matmulWasm(x) : fitsSplitAccumulation(x) && matmulWasm(x, true)) return;
  }
  const bt = packBt(x);
  const chunk = Math.max(1, Math.min(x.m, Math.floor(A_CHUNK_ELEMENTS / Math.max(1, x.k))));
  for (let first = 0; first < x.m; first += chunk) {
    const part: MatmulKernelArgs = {
      ...x, aOffset: x.aOffset + first * x.k, m: Math.min(chunk, x.m - first), outOffset: x.outOffset + first * x.n,
    };
    const pa = packA(part);
    if (int32) matmulInt32(pa, bt, part);
    else matmulExactDouble(pa, bt, part);
  }
}

function matmulInt32(pa: Int32Array, bt: Int8Array, x: MatmulKernelArgs): void {
  const { m, k, n, out, outOffset, bias } = x;
  const m4 = m - (m & 3);
  const n2 = n - (n & 1);
  for (let i = 0; i < m4; i += 4) {
    const r0 = i * k;
    const r1 = r0 + k;
    const r2 = r1 + k;
    const r3 = r2 + k;
    for (let j = 0; j < n2; j += 2) {
      const c0 = j * k;
      const c1 = c0 + k;
      let s00 = 0;
      let s01 = 0;
      let s10 = 0;
      let s11 = 0;
      let s20 = 0;
      let s21 = 0;
      let s30 = 0;
      let s31 = 0;
      for (let p = 0; p < k; p++) {
        const b0 = bt[c0 + p]!;
        const b1 = bt[c1 + p]!;
        const a0 = pa[r0 + p]!;
        const a1 = pa[r1 + p]!;
        const a2 = pa[r2 + p]!;
        const a3 = pa[r3 + p]!;
        s00 = (s00 + a0 * b0) | 0;
        s01 = (s01 + a0 * b1) | 0;
        s10 = (s10 + a1 * b0) | 0;
        s11 = (s11 + a1 * b1) | 0;
        s20 = (s20 + a2 * b0) | 0;
        s21 = (s21 + a2 * b1) | 0;
        s30 = (s30 + a3 * b0) | 0;
        s31 = (s31 + a3 * b1) | 0;
      }
      const bias0 = bias ? bias[j]! : 0;
      const bias1 = bias ? bias[j + 1]! : 0;
      const o = outOffset + i * n + j;
      out[o] = saturateInt32(s00 + bias0);
      out[o + 1] = saturateInt32(s01 + bias1);
      out[o + n] = saturateInt32(s10 + bias0);
      out[o + n + 1] = saturateInt32(s11 + bias1);
      out[o + 2 * n] = saturateInt32(s20 + bias0);
      out[o + 2 * n + 1] = saturateInt32(s21 + bias1);
      out[o + 3 * n] = saturateInt32(s30 + bias0);
      out[o + 3 * n + 1] = saturateInt32(s31 + bias1);
    }
    for (let j = n2; j < n; j++) {
      for (let r = 0; r < 4; r++) out[outOffset + (i + r) * n + j] = dotInt32(pa, (i + r) * k, bt, j * k, k, bias ? bias[j]! : 0);
    }
  }
  for (let i = m4; i < m; i++) {
    const o = outOffset + i * n;
    for (let j = 0; j < n; j++) out[o + j] = dotInt32(pa, i * k, bt, j * k, k, bias ? bias[j]! : 0);
  }
}

function dotInt32(pa: Int32Array, ra: number, bt: Int8Array, rb: number, k: number, bias: number): number {
  let s = 0;
  for (let p = 0; p < k; p++) s = (s + pa[ra + p]! * bt[rb + p]!) | 0;
  return saturateInt32(s + bias);
}

function matmulExactDouble(pa: Int32Array, bt: Int8Array, x: MatmulKernelArgs): void {
  const { m, k, n, out, outOffset, bias } = x;
  for (let i = 0; i < m; i++) {
    const ra = i * k;
    const o = outOffset + i * n;
    for (let j = 0; j < n; j++) {
      const rb = j * k;
      let s = bias ? bias[j]! : 0;
      for (let p = 0; p < k; p++) s += pa[ra + p]! * bt[rb + p]!;
      out[o + j] = saturateInt32(s);
    }
  }
}
