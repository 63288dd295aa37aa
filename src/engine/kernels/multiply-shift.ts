// floor((x·M + 2^(t−1)) / 2^t) for any safe integer x — requant.ts's version assumes |x| ≤ 2^31,
// element-wise ops rescale wider values (int16 products, int32 minus a zero point).
const TWO52 = 2 ** 52;
/** Results beyond this are clamped by every caller anyway; capping keeps them exact numbers. */
const CAP = 2 ** 40;

/** Exact rounding multiply-shift; x a safe integer, 0 ≤ M < 2^31, 0 ≤ t ≤ 62. Result capped at ±2^40. */
export function multiplyShiftRound(x: number, multiplier: number, shift: number): number {
  const p = x * multiplier;
  // Fast path: the product and the rounding half are exact doubles and their sum stays below 2^53.
  if (shift <= 52 && p < TWO52 && p > -TWO52) {
    const r = shift === 0 ? p : Math.floor((p + 2 ** (shift - 1)) / 2 ** shift);
    return r > CAP ? CAP : r < -CAP ? -CAP : r;
  }
  const big = BigInt(x) * BigInt(multiplier) + (shift > 0 ? 1n << BigInt(shift - 1) : 0n);
  const q = big >> BigInt(shift);
  return q > BigInt(CAP) ? CAP : q < -BigInt(CAP) ? -CAP : Number(q);
}
