// Requantization: y = floor((acc·M + 2^(t−1)) / 2^t) + z, then clamp — one rounding, integers only.
// acc is an int32 accumulator, M ∈ [0, 2^31), t ∈ [0, 62]. acc·M can reach 2^62, beyond exact
// double range, so the product is split: M = Mh·2^16 + Ml, and each partial product stays < 2^47.
import { InvalidArgumentError } from "./errors.ts";
import { INV_POW2, POW2 } from "./intmath.ts";
import { DTYPE_MAX, DTYPE_MIN, type DType } from "./tensor.ts";

export interface Requant {
  /** Integer multiplier M, 0 ≤ M < 2^31. */
  multiplier: number;
  /** Right shift t, 0 ≤ t ≤ 62. */
  shift: number;
  /** Output zero point z, added after rounding. */
  zeroPoint: number;
}

/** Per-channel requantization: one multiplier and shift per output channel, one zero point. */
export interface ChannelRequant {
  multiplier: readonly number[];
  shift: readonly number[];
  zeroPoint: number;
}

const TWO16 = 65536;

export function checkRequant(op: string, multiplier: number, shift: number, zeroPoint: number, out: DType): void {
  if (!Number.isInteger(multiplier) || multiplier < 0 || multiplier > 0x7fffffff) {
    throw new InvalidArgumentError(op, "requant multiplier", "must be an integer in [0, 2^31)");
  }
  if (!Number.isInteger(shift) || shift < 0 || shift > 62) {
    throw new InvalidArgumentError(op, "requant shift", "must be an integer in [0, 62]");
  }
  if (!Number.isInteger(zeroPoint) || zeroPoint < DTYPE_MIN[out] || zeroPoint > DTYPE_MAX[out]) {
    throw new InvalidArgumentError(op, "zero point", `must be an integer in the ${out} range`);
  }
}

/**
 * floor((acc·M + 2^(t−1)) / 2^t) without the zero point or clamp, exact for |acc| < 2^31.
 * Every intermediate stays below 2^53 in magnitude.
 */
export function roundingMultiplyShift(acc: number, multiplier: number, shift: number): number {
  const mh = Math.floor(multiplier / TWO16);
  const ml = multiplier - mh * TWO16;
  const hi = acc * mh; // |hi| < 2^46
  const lo = acc * ml; // |lo| < 2^47
  if (shift >= 17) {
    // floor((hi·2^16 + lo + 2^(t−1)) / 2^t) = floor((hi + 2^(t−17) + floor(lo / 2^16)) / 2^(t−16))
    return Math.floor((hi + POW2[shift - 17]! + Math.floor(lo * INV_POW2[16]!)) * INV_POW2[shift - 16]!);
  }
  if (shift === 16) return hi + Math.floor((lo + 32768) * INV_POW2[16]!);
  // t < 16: the result exceeds every dtype range unless acc·M is small; use exact BigInt (rare path).
  const big = BigInt(acc) * BigInt(multiplier) + (shift > 0 ? 1n << BigInt(shift - 1) : 0n);
  const q = big >> BigInt(shift); // arithmetic shift = floor division by 2^t
  const cap = 1n << 40n; // beyond any int32 output; clamped by the caller
  return Number(q > cap ? cap : q < -cap ? -cap : q);
}

/** Full requantization of one accumulator to a dtype. */
export function requantize(acc: number, multiplier: number, shift: number, zeroPoint: number, out: DType): number {
  const v = roundingMultiplyShift(acc, multiplier, shift) + zeroPoint;
  const lo = DTYPE_MIN[out];
  const hi = DTYPE_MAX[out];
  return v < lo ? lo : v > hi ? hi : v;
}

/** BigInt reference of `requantize`, for oracles in the tests. */
export function requantizeBig(acc: bigint, multiplier: bigint, shift: bigint, zeroPoint: bigint, out: DType): bigint {
  const v = ((acc * multiplier + (shift > 0n ? 1n << (shift - 1n) : 0n)) >> shift) + zeroPoint;
  const lo = BigInt(DTYPE_MIN[out]);
  const hi = BigInt(DTYPE_MAX[out]);
  return v < lo ? lo : v > hi ? hi : v;
}

/** Saturates an exact accumulator to int32, the accumulator type. */
export function saturateInt32(v: number): number {
  return v < -2147483648 ? -2147483648 : v > 2147483647 ? 2147483647 : v;
}
