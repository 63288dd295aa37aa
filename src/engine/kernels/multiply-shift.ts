// floor((x·M + 2^(t−1)) / 2^t) for any safe integer x — requant.ts's version assumes |x| ≤ 2^31,
// element-wise ops rescale wider values (int16 products, int32 minus a zero point).
import { INV_POW2, POW2 } from "../intmath.ts";

const TWO52 = 2 ** 52;
/** Results beyond this are clamped by every caller anyway; capping keeps them exact numbers. */
const CAP = 2 ** 40;
const TWO16 = 2 ** 16;
const TWO22 = 2 ** 22;

/** Exact rounding multiply-shift; x a safe integer, 0 ≤ M < 2^31, 0 ≤ t ≤ 62. Result capped at ±2^40. */
export function multiplyShiftRound(x: number, multiplier: number, shift: number): number {
  const p = x * multiplier;
  // Fast path: the product and the rounding half are exact doubles and their sum stays below 2^53.
  if (shift <= 52 && p < TWO52 && p > -TWO52) {
    const r = shift === 0 ? p : Math.floor((p + POW2[shift - 1]!) * INV_POW2[shift]!);
    return r > CAP ? CAP : r < -CAP ? -CAP : r;
  }
  return multiplyShiftRoundWide(x, multiplier, shift);
}

/**
 * The same for products beyond 2^52, without BigInt: x·M is rebuilt exactly as A·2^38 + L with
 * 0 ≤ L < 2^38 from partial products that each stay below 2^53 —
 * x = xh·2^22 + xl (0 ≤ xl < 2^22), M = mh·2^16 + ml:
 * x·M = xh·mh·2^38 + xh·ml·2^22 + xl·M, carried upward at 2^22 and 2^38.
 * Then floor((A·2^38 + L + 2^(t−1)) / 2^t) is A's share plus L's rounding, exactly.
 */
export function multiplyShiftRoundWide(x: number, multiplier: number, shift: number): number {
  const xh = Math.floor(x / TWO22); // |xh| < 2^31
  const xl = x - xh * TWO22;
  const mh = Math.floor(multiplier / TWO16); // < 2^15
  const ml = multiplier - mh * TWO16;
  const c = xl * multiplier; // < 2^53
  const ch = Math.floor(c / TWO22);
  const b = xh * ml + ch; // |b| < 2^48
  const bh = Math.floor(b / TWO16);
  const low = (b - bh * TWO16) * TWO22 + (c - ch * TWO22); // 0 ≤ low < 2^38
  const a = xh * mh + bh; // |a| < 2^47: x·M = a·2^38 + low
  let r: number;
  if (shift >= 39) {
    // 2^(t−1) is a multiple of 2^38, so low (< 2^38) cannot carry past the floor.
    r = Math.floor((a + POW2[shift - 39]!) * INV_POW2[shift - 38]!);
  } else if (shift === 38) {
    r = a + (low >= POW2[37]! ? 1 : 0);
  } else {
    // a·2^(38−t) decides the magnitude; past ±2^41 the capped result is known.
    if (a >= POW2[shift + 3]!) return CAP;
    if (a < -POW2[shift + 3]!) return -CAP;
    const lowRounded = shift === 0 ? low : Math.floor((low + POW2[shift - 1]!) * INV_POW2[shift]!);
    r = a * POW2[38 - shift]! + lowRounded;
  }
  return r > CAP ? CAP : r < -CAP ? -CAP : r;
}
