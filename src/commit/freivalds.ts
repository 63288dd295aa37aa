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
const mod = (x: number) => ((x % P) + P) % P;

/** r for one round: 16-bit words of keccak256(seed ‖ round ‖ block), masked to [0, values). */
function randomVector(seed: Uint8Array, round: number, n: number, values: number): Int32Array {
  const r = new Int32Array(n);
  const mask = values - 1;
  for (let block = 0; block * 16 < n; block++) {
    const h = keccak256(seed, u32be(round), u32be(block));
    for (let w = 0; w < 16 && block * 16 + w < n; w++) r[block * 16 + w] = ((h[2 * w]! << 8) | h[2 * w + 1]!) & mask;
  }
  return r;
}

/**
 * True when the claim passes `rounds` Freivalds rounds. Sound only where the accumulator did not
 * saturate: when K·max|A − aZero|·128 + max|bias| ≥ 2^31, re-execute instead.
 */
export function freivaldsMatmul(c: MatmulClaim, seed: Uint8Array, o: FreivaldsOptions): boolean {
  const { m, k, n } = c;
  if (!Number.isInteger(o.values) || (o.values & (o.values - 1)) !== 0 || o.values < 2 || o.values > 65536) throw new RangeError("values must be a power of two from 2 to 65536");
  if (c.a.length !== m * k || c.b.length !== k * n || c.acc.length !== m * n || (c.bias && c.bias.length !== n)) throw new RangeError("operand lengths do not match M, K, N");
  if (k >= 1 << 19 || n >= 1 << 21) throw new RangeError("K must stay below 2^19 and N below 2^21 for exact sums");
  const { a, b, acc, aZero } = c;
  // B·r mod p, split in 16-bit halves (hi < 2^17, lo < 2^16) so the products with A need no reduction.
  const brHi = new Int32Array(k);
  const brLo = new Int32Array(k);
  for (let round = 0; round < o.rounds; round++) {
    const r = randomVector(seed, round, n, o.values);
    // |B| ≤ 128 and r < 2^16: each row's sum stays below 2^53 for N < 2^30.
    for (let p = 0; p < k; p++) {
      let s = 0;
      const row = p * n;
      for (let j = 0; j < n; j++) s += b[row + j]! * r[j]!;
      const v = mod(s);
      brHi[p] = Math.floor(v / 65536);
      brLo[p] = v % 65536;
    }
    // bias·r: terms below 2^47, reduced every 32.
    let biasR = 0;
    if (c.bias) {
      let s = 0;
      for (let j = 0; j < n; j++) {
        s += c.bias[j]! * r[j]!;
        if ((j & 31) === 31) s %= P;
      }
      biasR = mod(s);
    }
    for (let i = 0; i < m; i++) {
      // (A − aZero)·(B·r): |A − aZero| < 2^17 against halves below 2^17, K < 2^19 terms: below 2^53.
      let hi = 0;
      let lo = 0;
      const arow = i * k;
      for (let p = 0; p < k; p++) {
        const av = a[arow + p]! - aZero;
        hi += av * brHi[p]!;
        lo += av * brLo[p]!;
      }
      const left = mod(mod(hi) * 65536 + lo + biasR);
      // ACC·r with ACC split the same way (hi = acc >> 16, lo = acc & 0xffff): N < 2^21 terms below 2^32.
      let accHi = 0;
      let accLo = 0;
      const crow = i * n;
      for (let j = 0; j < n; j++) {
        const v = acc[crow + j]!;
        const rj = r[j]!;
        accHi += (v >> 16) * rj;
        accLo += (v & 0xffff) * rj;
      }
      if (left !== mod(mod(accHi) * 65536 + accLo)) return false;
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
