// Independent BigInt re-implementation of the integer semantics in docs/ops-nonlinear.md: softmax,
// log_softmax, layer_norm, rms_norm. It shares no code with src/engine/intmath.ts; even the exp2
// tables are derived here from exact integer roots.
import { requantizeBig } from "../../../src/engine/requant.ts";
import type { DType } from "../../../src/engine/tensor.ts";

/** floor(n^(1/k)) for n ≥ 0 by bisection on exact powers. */
function iroot(n: bigint, k: bigint): bigint {
  let lo = 0n;
  let hi = 1n << (BigInt(n.toString(2).length) / k + 1n);
  while (lo < hi) {
    const mid = (lo + hi + 1n) >> 1n;
    if (mid ** k <= n) lo = mid;
    else hi = mid - 1n;
  }
  return lo;
}

/** round(2^(e/k)) for integer e ≥ 0: r = floor root, then r+1 when (2r+1)^k ≤ 2^(e+k) (i.e. r + 1/2 ≤ 2^(e/k)). */
function roundPow2Root(e: bigint, k: bigint): bigint {
  const r = iroot(1n << e, k);
  return (2n * r + 1n) ** k <= 1n << (e + k) ? r + 1n : r;
}

/** round(2^30 · 2^(−i/16)) = round(2^((480 − i)/16)). */
export const ORACLE_COARSE: readonly bigint[] = Array.from({ length: 16 }, (_, i) => roundPow2Root(480n - BigInt(i), 16n));
/** round(2^30 · 2^(−j/256)) = round(2^((7680 − j)/256)). */
export const ORACLE_FINE: readonly bigint[] = Array.from({ length: 16 }, (_, j) => roundPow2Root(7680n - BigInt(j), 256n));
export const LOG2E = 1549082005n;
export const LN2 = 744261118n;
const CAP = 1n << 22n;

const mulQ30 = (a: bigint, b: bigint) => (a * b + (1n << 29n)) >> 30n;

/** R = min(2^22, floor((d·M·2^16 + 2^(t−1)) / 2^t)). */
export function oracleDistance(d: bigint, m: bigint, t: bigint): bigint {
  const r = (d * m * 65536n + (t > 0n ? 1n << (t - 1n) : 0n)) >> t;
  return r > CAP ? CAP : r;
}

/** e^(−R/2^16) in Q24 per the documented table-and-polynomial recipe. */
export function oracleExp(r: bigint): bigint {
  const u = (r * LOG2E + (1n << 29n)) >> 30n;
  const k = u >> 16n;
  if (k >= 37n) return 0n;
  const f = u & 0xffffn;
  const y = ((f & 255n) * LN2 + 32768n) >> 16n;
  const poly = (1n << 30n) - y + ((y * y + (1n << 30n)) >> 31n);
  const v = mulQ30(mulQ30(ORACLE_COARSE[Number(f >> 12n)]!, ORACLE_FINE[Number((f >> 8n) & 15n)]!), poly);
  return (v + (1n << (5n + k))) >> (6n + k);
}

/** log2(S/2^24) in Q16 by 16 squarings of the Q30 mantissa. */
export function oracleLog2(s: bigint): bigint {
  const b = BigInt(s.toString(2).length - 1);
  let m = b >= 30n ? s >> (b - 30n) : s << (30n - b);
  let frac = 0n;
  for (let i = 15n; i >= 0n; i--) {
    m = mulQ30(m, m);
    if (m >= 1n << 31n) {
      frac += 1n << i;
      m >>= 1n;
    }
  }
  return (b - 24n) * 65536n + frac;
}

export interface ScoreScale {
  multiplier: number;
  shift: number;
}

/** softmax of one row (optionally with a mask of allowed positions) as int16 Q15 or int8 (1/256, zp −128). */
export function oracleSoftmaxRow(x: readonly number[], scale: ScoreScale, out: "int8" | "int16", allowed?: readonly boolean[]): number[] {
  const ok = (i: number) => allowed === undefined || allowed[i]!;
  const xs = x.map(BigInt);
  let max: bigint | null = null;
  xs.forEach((v, i) => {
    if (ok(i) && (max === null || v > max)) max = v;
  });
  const e = xs.map((v, i) => (ok(i) ? oracleExp(oracleDistance(max! - v, BigInt(scale.multiplier), BigInt(scale.shift))) : 0n));
  const s = e.reduce((a, b) => a + b, 0n);
  return e.map((ei) => {
    if (out === "int16") return s === 0n ? 0 : Number((ei * 65536n + s) / (2n * s) > 32767n ? 32767n : (ei * 65536n + s) / (2n * s));
    if (s === 0n) return -128;
    const q = (ei * 512n + s) / (2n * s) - 128n;
    return Number(q > 127n ? 127n : q);
  });
}

/** log_softmax of one row: int32 Q16 or int16 Q10 (saturating). */
export function oracleLogSoftmaxRow(x: readonly number[], scale: ScoreScale, out: "int16" | "int32"): number[] {
  const xs = x.map(BigInt);
  const max = xs.reduce((a, b) => (b > a ? b : a));
  const r = xs.map((v) => oracleDistance(max - v, BigInt(scale.multiplier), BigInt(scale.shift)));
  const s = r.map(oracleExp).reduce((a, b) => a + b, 0n);
  const ln = (oracleLog2(s) * LN2 + (1n << 29n)) >> 30n;
  return r.map((ri) => {
    const q16 = -(ri + ln);
    if (out === "int32") return Number(q16);
    // floor((q16 + 32) / 64) on a negative numerator: BigInt division truncates, so floor by hand.
    const num = q16 + 32n;
    const q = num >= 0n ? num / 64n : -((-num + 63n) / 64n);
    return Number(q < -32768n ? -32768n : q);
  });
}

function isqrtOracle(n: bigint): bigint {
  return iroot(n, 2n);
}

function roundAway(a: bigint, b: bigint): bigint {
  const q = (2n * (a < 0n ? -a : a) + b) / (2n * b);
  return a < 0n ? -q : q;
}

export interface NormParams {
  centred: boolean;
  epsilon: number;
  multiplier: number;
  shift: number;
  zeroPoint: number;
  out: DType;
}

/** The normalized value n = round(2^(12+G)·(N·x − Sx) / isqrt(V·4^G)) of every element of a row. */
export function oracleNormalized(x: readonly number[], centred: boolean, epsilon: number): bigint[] {
  const n = BigInt(x.length);
  const xs = x.map(BigInt);
  const sx = xs.reduce((a, b) => a + b, 0n);
  const sxx = xs.reduce((a, b) => a + b * b, 0n);
  const mean = centred ? sx : 0n;
  const v = n * sxx - mean * mean + n * n * BigInt(epsilon);
  if (v === 0n) return xs.map(() => 0n);
  const bits = BigInt(v.toString(2).length);
  const g = bits >= 32n ? 0n : 16n - bits / 2n;
  const d = isqrtOracle(v * 4n ** g);
  return xs.map((xi) => roundAway((n * xi - mean) * 2n ** (12n + g), d));
}

/** One row of layer_norm / rms_norm: requantize(sat32(n·γ + β)). */
export function oracleNormRow(x: readonly number[], gamma: readonly number[], beta: readonly number[] | null, p: NormParams): number[] {
  const nq = oracleNormalized(x, p.centred, p.epsilon);
  return nq.map((ni, i) => {
    let acc = ni * BigInt(gamma[i]!) + (beta ? BigInt(beta[i]!) : 0n);
    if (acc > 2147483647n) acc = 2147483647n;
    if (acc < -2147483648n) acc = -2147483648n;
    return Number(requantizeBig(acc, BigInt(p.multiplier), BigInt(p.shift), BigInt(p.zeroPoint), p.out));
  });
}
