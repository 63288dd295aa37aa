// Freivalds' check of a matmul's int32 accumulator (docs/verify.md, "Freivalds"): instead of
// recomputing ACC = (A − aZero)·B + bias, O(M·K·N), draw a random vector r and compare
// (A − aZero)·(B·r) + bias·r with ACC·r, O(M·K + K·N + M·N). Arithmetic is exact modulo the prime
// p = 2^32 + 15: an accumulator error is an int32 difference, below 2^32 in magnitude, hence never
// 0 mod p, and by Schwartz–Zippel a nonzero error passes one round with probability at most
// 1/|S| for r uniform over S = [0, values). For an error in a single element the bound is exact:
// the round passes iff that element's r is 0. The vector comes from keccak256(seed ‖ round ‖ block),
// so a verifier seeded by a later block's VRF output is unpredictable to the producer.
import { requantize } from "../engine/requant.ts";
import type { DType } from "../engine/tensor.ts";
import { keccak256 } from "./keccak.ts";
import { u32be } from "./hash.ts";
import { ROW_KERNELS, freivaldsWasm, freivaldsWasmMemory, type FreivaldsWasm } from "./freivalds-wasm.ts";

/** 2^32 + 15, the smallest prime above 2^32. */
export const FREIVALDS_PRIME = 4294967311;

export interface MatmulClaim {
  /** A [M,K], row-major (int8 or int16). */
  a: Int8Array | Int16Array;
  aZero: number;
  /** B [K,N], row-major (int8 weights). */
  b: Int8Array;
  /** int32 [N] or null. */
  bias: Int32Array | null;
  /** The claimed accumulator [M,N]: sat32(bias + (A − aZero)·B), before requantization. */
  acc: Int32Array;
  m: number;
  k: number;
  n: number;
}

export interface FreivaldsOptions {
  /** Independent vectors; the soundness error is (1/values)^rounds. */
  rounds: number;
  /** |S|: r is uniform over [0, values); a power of two from 2 to 65536. */
  values: number;
}

/** The false-accept bound of `freivaldsMatmul` for any wrong accumulator. */
export function freivaldsBound(o: FreivaldsOptions): number {
  return (1 / o.values) ** o.rounds;
}

const P = FREIVALDS_PRIME;
const TWO32 = 4294967296;
const mod = (x: number) => ((x % P) + P) % P;
// s − ⌊s / 2^32⌋·p ≡ s (mod p): for |s| < 2^53 the quotient is below 2^21 and every step is exact,
// leaving −2^25 < result < 2^32 + 2^25, at the cost of a floor instead of a remainder.
const fold = (s: number) => {
  const q = Math.floor(s / TWO32);
  return s - q * TWO32 - 15 * q;
};
/** x·y mod p for 0 ≤ x, y < p, with y in 16-bit halves so each product stays below 2^50. */
const mulMod = (x: number, y: number) => mod(mod(x * Math.floor(y / 65536)) * 65536 + x * (y % 65536));

/** r for one round: 16-bit words of keccak256(seed ‖ round ‖ block), masked to [0, values). */
export function freivaldsRandomVector(seed: Uint8Array, round: number, n: number, values: number): Int32Array {
  const r = new Int32Array(n);
  const mask = values - 1;
  for (let block = 0; block * 16 < n; block++) {
    const h = keccak256(seed, u32be(round), u32be(block));
    for (let w = 0; w < 16 && block * 16 + w < n; w++) r[block * 16 + w] = ((h[2 * w]! << 8) | h[2 * w + 1]!) & mask;
  }
  return r;
}

/** Whether freivaldsMatmul may use the WASM kernels (freivalds-wasm.ts); tests turn it off to check the JS path. */
export const freivaldsPaths = { wasm: true };

/** Above this the operands' copy in WASM memory would stay too large for the process: use JS. */
const WASM_MAX_BYTES = 256 * 1024 * 1024;

// Sums below run on four accumulators (the loops are bound by add latency, not by multiplies) and
// are folded after as many terms as keep each one below 2^53: every intermediate is an exact integer.
/** ACC terms: |acc| ≤ 2^31 and r < 2^16, so 32 terms per accumulator add below 2^52 to a folded sum. */
const ACC_CHUNK = 4 * 32;

/** bias·r mod p: terms below 2^47, reduced every 32. */
function biasDotMod(bias: ArrayLike<number>, r: Int32Array): number {
  let s = 0;
  for (let j = 0; j < r.length; j++) {
    s += bias[j]! * r[j]!;
    if ((j & 31) === 31) s %= P;
  }
  return mod(s);
}

/**
 * Σ x[offset + t]·y[t] for t < len, ≡ mod p: four accumulators, each folded after every `chunk`
 * terms (chunk / 4 per accumulator), which the caller picks so that no sum leaves 2^53.
 */
function dotFolded(x: ArrayLike<number>, offset: number, y: ArrayLike<number>, len: number, chunk: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let t = 0; t < len; ) {
    const end = Math.min(len, t + chunk);
    for (; t + 3 < end; t += 4) {
      s0 += x[offset + t]! * y[t]!;
      s1 += x[offset + t + 1]! * y[t + 1]!;
      s2 += x[offset + t + 2]! * y[t + 2]!;
      s3 += x[offset + t + 3]! * y[t + 3]!;
    }
    for (; t < end; t++) s0 += x[offset + t]! * y[t]!;
    s0 = fold(s0);
    s1 = fold(s1);
    s2 = fold(s2);
    s3 = fold(s3);
  }
  return s0 + s1 + s2 + s3;
}

/**
 * True when the claim passes `rounds` Freivalds rounds. Sound only where the accumulator did not
 * saturate: when K·max|A − aZero|·128 + max|bias| ≥ 2^31, re-execute instead. Accepts exactly when
 * freivaldsMatmulReference (freivalds-reference.ts) does: both compare the same residues mod p.
 */
export function freivaldsMatmul(c: MatmulClaim, seed: Uint8Array, o: FreivaldsOptions): boolean {
  const { m, k, n } = c;
  if (!Number.isInteger(o.values) || (o.values & (o.values - 1)) !== 0 || o.values < 2 || o.values > 65536) throw new RangeError("values must be a power of two from 2 to 65536");
  if (c.a.length !== m * k || c.b.length !== k * n || c.acc.length !== m * n || (c.bias && c.bias.length !== n)) throw new RangeError("operand lengths do not match M, K, N");
  if (k >= 1 << 19 || n >= 1 << 21) throw new RangeError("K must stay below 2^19 and N below 2^21 for exact sums");
  if (!Number.isSafeInteger(c.aZero)) throw new RangeError("aZero must be a safe integer");
  const w = freivaldsPaths.wasm && k < 1 << 15 && n < 1 << 15 ? freivaldsWasm() : null;
  if (w && wasmBytes(c) <= WASM_MAX_BYTES) return freivaldsInWasm(w, c, seed, o);
  const { a, b, acc } = c;
  // (A − aZero)·(B·r) = A·(B·r) − aZero·Σ(B·r): terms of A·(B·r) are below |A|max·p, so a folded
  // sum takes 2^20 / |A|max terms per accumulator (8,192 for int8 A, 32 for int16) below 2^53.
  const aChunk = 4 * ((1 << 20) / (a instanceof Int8Array ? 128 : 32768));
  const zero = mod(c.aZero);
  // B·r mod p: exact integers in [0, p), held as numbers because p exceeds the int32 range.
  const br: number[] = Array.from({ length: k }, () => 0);
  for (let round = 0; round < o.rounds; round++) {
    const r = freivaldsRandomVector(seed, round, n, o.values);
    // |B| ≤ 128 and r < 2^16: a row's sum stays below 2^44 for N < 2^21.
    let brSum = 0;
    for (let p = 0; p < k; p++) {
      const v = mod(dotFolded(b, p * n, r, n, n));
      br[p] = v;
      brSum += v; // below 2^52 for K < 2^19
    }
    const zeroTerm = mulMod(zero, mod(brSum));
    const biasR = c.bias ? biasDotMod(c.bias, r) : 0;
    for (let i = 0; i < m; i++) {
      const left = mod(dotFolded(a, i * k, br, k, aChunk) - zeroTerm + biasR);
      if (left !== mod(dotFolded(acc, i * n, r, n, ACC_CHUNK))) return false;
    }
  }
  return true;
}

const align16 = (x: number) => Math.ceil(x / 16) * 16;
/** Byte offsets of r, B·r, the two row-sum outputs, B, A and ACC in WASM memory, and the total. */
function wasmLayout(c: MatmulClaim) {
  const r = 0;
  const br = align16(4 * c.n);
  const outA = align16(br + 32 * Math.ceil(c.k / 4)); // B·r in blocks of 4 high then 4 low halves
  const outC = align16(outA + 8 * Math.max(c.m, c.k)); // outA takes B·r's K rows, then A's M
  const b = align16(outC + 8 * c.m);
  const a = align16(b + c.k * c.n);
  const acc = align16(a + c.a.byteLength);
  return { r, br, outA, outC, b, a, acc, end: acc + 4 * c.m * c.n };
}
const wasmBytes = (c: MatmulClaim) => wasmLayout(c).end;

/**
 * freivaldsMatmul with its three row-sum passes (B·r, A·(B·r), ACC·r) in the WASM kernels, their
 * row tails and the mod-p bookkeeping here. Row sums come back as i64 in (−p, p), read as two
 * int32 words: exact as numbers.
 */
function freivaldsInWasm(w: FreivaldsWasm, c: MatmulClaim, seed: Uint8Array, o: FreivaldsOptions): boolean {
  const { m, k, n, a, b, acc } = c;
  const at = wasmLayout(c);
  const buffer = freivaldsWasmMemory(w, at.end);
  new Int8Array(buffer, at.b, k * n).set(b);
  if (a instanceof Int8Array) new Int8Array(buffer, at.a, m * k).set(a);
  else new Int16Array(buffer, at.a, m * k).set(a);
  new Int32Array(buffer, at.acc, m * n).set(acc);
  const words = new Int32Array(buffer);
  const readI64 = (byteOffset: number) => words[(byteOffset >> 2) + 1]! * TWO32 + (words[byteOffset >> 2]! >>> 0);
  const aKernel = a instanceof Int8Array ? ROW_KERNELS.i8xi64 : ROW_KERNELS.i16xi64;
  const aRun = a instanceof Int8Array ? w.i8xi64 : w.i16xi64;
  const bDone = n - (n % ROW_KERNELS.i8xi32.elements);
  const aDone = k - (k % aKernel.elements);
  const accDone = n - (n % ROW_KERNELS.i32xi32.elements);
  const zero = mod(c.aZero);
  const br: number[] = Array.from({ length: k }, () => 0);
  for (let round = 0; round < o.rounds; round++) {
    const r = freivaldsRandomVector(seed, round, n, o.values);
    words.set(r, at.r >> 2);
    w.i8xi32(at.b, at.r, k, bDone / ROW_KERNELS.i8xi32.elements, n, at.outA);
    let brSum = 0;
    for (let p = 0; p < k; p++) {
      let s = readI64(at.outA + 8 * p);
      for (let j = bDone; j < n; j++) s += b[p * n + j]! * r[j]!;
      let v = s % P;
      if (v < 0) v += P;
      br[p] = v;
      brSum += v; // below 2^52 for K < 2^19
      // The kernels read B·r in blocks of 4: the high 16-bit halves, then the low ones.
      const high = Math.floor(v / 65536);
      const slot = (at.br >> 2) + 8 * (p >> 2) + (p & 3);
      words[slot] = high;
      words[slot + 4] = v - high * 65536;
    }
    const zeroTerm = mulMod(zero, mod(brSum));
    const biasR = c.bias ? biasDotMod(c.bias, r) : 0;
    aRun(at.a, at.br, m, aDone / aKernel.elements, k * a.BYTES_PER_ELEMENT, at.outA);
    w.i32xi32(at.acc, at.r, m, accDone / ROW_KERNELS.i32xi32.elements, 4 * n, at.outC);
    for (let i = 0; i < m; i++) {
      // Fewer than 8 tail terms, each below 2^48, on a sum below p: exact.
      let left = readI64(at.outA + 8 * i) - zeroTerm + biasR;
      for (let p = aDone; p < k; p++) left += a[i * k + p]! * br[p]!;
      let right = readI64(at.outC + 8 * i);
      for (let j = accDone; j < n; j++) right += acc[i * n + j]! * r[j]!;
      // Both sides are below 2^51 in magnitude: their difference is exact.
      if ((left - right) % P !== 0) return false;
    }
  }
  return true;
}

/**
 * The element-wise half of the check: the first index where the output is not the requantized
 * accumulator (one multiplier, shift and zero point for the tensor), or -1. For int8 outputs and a
 * positive multiplier, requantization is monotone in the accumulator, so each of the 256 outputs is
 * the image of one interval of accumulators: 256 binary searches find the intervals' starts, then
 * each element costs two comparisons instead of a requantization.
 */
export function requantizationMismatch(acc: Int32Array, out: ArrayLike<number>, multiplier: number, shift: number, zeroPoint: number, dtype: DType): number {
  if (out.length !== acc.length) return 0;
  if (dtype !== "int8" || multiplier <= 0) {
    for (let i = 0; i < acc.length; i++) if (out[i] !== requantize(acc[i]!, multiplier, shift, zeroPoint, dtype)) return i;
    return -1;
  }
  const q = (v: number) => requantize(v, multiplier, shift, zeroPoint, dtype);
  // starts[v + 128]: the smallest int32 accumulator whose output is at least v (2^31 when none is).
  const starts: number[] = [];
  for (let v = -128; v <= 128; v++) {
    let lo = -(2 ** 31);
    let hi = 2 ** 31;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (q(mid) >= v) hi = mid;
      else lo = mid + 1;
    }
    starts.push(lo);
  }
  for (let i = 0; i < acc.length; i++) {
    const y = out[i]!;
    const a = acc[i]!;
    if (!(y >= -128 && y <= 127 && a >= starts[y + 128]! && a < starts[y + 129]!)) return i;
  }
  return -1;
}
