// Integer-only math for the non-linear ops: exact divisions, floor square root, exp on negative
// arguments and log2, all in fixed point. Every intermediate is an exact integer below 2^53 (or a
// BigInt), so results are bit-identical on every machine. Formulas are documented in
// docs/ops-nonlinear.md and re-implemented in BigInt by test/engine/oracle-nonlinear.test.ts.

const TWO16 = 65536;
const TWO30 = 2 ** 30;

/** floor(a / b) for safe integers a and b > 0. The float quotient is only a guess; the remainder fixes it. */
export function floorDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  const r = a - q * b;
  if (r < 0) q -= 1;
  else if (r >= b) q += 1;
  return q;
}

/** a / b rounded to nearest, ties away from zero (b > 0, 2|a| + b < 2^53). Symmetric: f(−a) = −f(a). */
export function roundDivAway(a: number, b: number): number {
  return a < 0 ? -floorDiv(-2 * a + b, 2 * b) : floorDiv(2 * a + b, 2 * b);
}

/** BigInt twin of roundDivAway. */
export function roundDivAwayBig(a: bigint, b: bigint): bigint {
  return a < 0n ? -((-2n * a + b) / (2n * b)) : (2n * a + b) / (2n * b);
}

/** floor(sqrt(n)) for a safe integer n ≥ 0: integer Newton steps from a power of two above the root. */
export function isqrt(n: number): number {
  if (n < 2) return n;
  let x = 2;
  while (x * x <= n) x *= 2; // x ≤ 2^27, so x² stays exact
  for (;;) {
    const y = Math.floor((x + floorDiv(n, x)) / 2);
    if (y >= x) return x;
    x = y;
  }
}

/** floor(sqrt(n)) for a BigInt n ≥ 0 (Newton's method from above). */
export function isqrtBig(n: bigint): bigint {
  if (n < 2n) return n;
  if (n < 2n ** 52n) return BigInt(isqrt(Number(n)));
  let x = 1n << BigInt((n.toString(2).length >> 1) + 1); // x ≥ sqrt(n)
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** round(log2(e) · 2^30). */
export const LOG2E_Q30 = 1549082005;
/** round(ln(2) · 2^30). */
export const LN2_Q30 = 744261118;
/** EXP2_COARSE_Q30[i] = round(2^30 · 2^(−i/16)), i = 0..15. Checked against exact BigInt roots in the tests. */
export const EXP2_COARSE_Q30: readonly number[] = [
  1073741824, 1028218693, 984625594, 942880699, 902905651, 864625413, 827968132, 792865000, 759250125, 727060411,
  696235434, 666717336, 638450708, 611382493, 585461881, 560640218,
];
/** EXP2_FINE_Q30[j] = round(2^30 · 2^(−j/256)), j = 0..15. */
export const EXP2_FINE_Q30: readonly number[] = [
  1073741824, 1070838486, 1067942999, 1065055341, 1062175491, 1059303428, 1056439131, 1053582579, 1050733751,
  1047892626, 1045059183, 1042233401, 1039415261, 1036604740, 1033801819, 1031006477,
];

/** POW2[k] = 2^k for k = 0..63; dividing a safe integer by it is exact, so floor(x / POW2[k]) = x >> k. */
export const POW2: readonly number[] = Array.from({ length: 64 }, (_, k) => 2 ** k);
/**
 * INV_POW2[k] = 1 / 2^k, exactly a double. x · INV_POW2[k] is bit for bit x / POW2[k] for every safe
 * integer x (both only change the exponent), so floor(x · INV_POW2[k]) is the same integer as
 * floor(x / POW2[k]); a multiply costs a few cycles where a division by a value loaded at run time
 * costs ~15, so the hot paths multiply (here, in the element-wise rescale and the output stage).
 */
export const INV_POW2: readonly number[] = POW2.map((p) => 1 / p);

/**
 * round(a·b / 2^30) = floor((a·b + 2^29) / 2^30) for 0 ≤ a, b < 2^32, exact: b = bh·2^15 + bl keeps
 * both partial products below 2^49, and floor((X·2^15 + W)/2^30) = floor((X + floor(W/2^15))/2^15).
 */
function mulQ30(a: number, b: number): number {
  const bh = b >>> 15;
  const bl = b & 0x7fff;
  return Math.floor((a * bh + Math.floor((a * bl + 2 ** 29) * INV_POW2[15]!)) * INV_POW2[15]!);
}

/** EXP2_TABLE_Q30[16·i + j] = mulQ30(EXP2_COARSE_Q30[i], EXP2_FINE_Q30[j]): the two table factors, pre-multiplied. */
const EXP2_TABLE_Q30: readonly number[] = Array.from({ length: 256 }, (_, ij) => mulQ30(EXP2_COARSE_Q30[ij >>> 4]!, EXP2_FINE_Q30[ij & 15]!));

/**
 * 2^(−r/2^16) in Q30 for 0 ≤ r < 2^16: r = 4096·i + 256·j + l splits into two table factors and a
 * second-order Taylor term e^(−y) ≈ 1 − y + y²/2 with y = l·ln2/2^16 < ln2/256 (error < 2^−28):
 * mulQ30(mulQ30(EXP2_COARSE_Q30[i], EXP2_FINE_Q30[j]), poly).
 */
export function exp2FracQ30(r: number): number {
  const l = r & 255;
  const y = Math.floor((l * LN2_Q30 + 32768) * INV_POW2[16]!); // Q30, < 2^22
  const poly = TWO30 - y + Math.floor((y * y + TWO30) * INV_POW2[31]!);
  return mulQ30(EXP2_TABLE_Q30[r >>> 8]!, poly);
}

/** Natural-log distances are capped here (Q16, i.e. 64.0): e^−64 is far below every output's resolution. */
export const EXP_ARG_CAP_Q16 = 2 ** 22;
/** Fractional bits of the exp values softmax sums (e^0 = 2^24). */
export const EXP_FRAC_BITS = 24;

/**
 * e^(−R/2^16) in Q24 for 0 ≤ R ≤ EXP_ARG_CAP_Q16:
 *   U = floor((R·LOG2E_Q30 + 2^29) / 2^30)         (the distance in log2 units, Q16)
 *   k = floor(U / 2^16), r = U mod 2^16
 *   e = floor((exp2FracQ30(r) + 2^(5+k)) / 2^(6+k)) (0 once k ≥ 37)
 */
export function expNegQ24(rQ16: number): number {
  const u = Math.floor((rQ16 * LOG2E_Q30 + 2 ** 29) * INV_POW2[30]!); // < 2^23
  const k = u >>> 16;
  if (k >= 37) return 0;
  const v = exp2FracQ30(u & 0xffff);
  return Math.floor((v + POW2[5 + k]!) * INV_POW2[6 + k]!);
}

/**
 * The distance R = min(cap, floor((d·M·2^16 + 2^(t−1)) / 2^t)) in Q16 natural-log units, where d ≥ 0
 * (d < 2^32) is an integer score distance and M/2^t (0 ≤ M < 2^31, 0 ≤ t ≤ 62) its real scale.
 * d·M·2^16 reaches 2^79, so the product is split d = dh·2^16 + dl and the shifts are nested.
 */
export function scaledDistanceQ16(d: number, multiplier: number, shift: number): number {
  const cap = EXP_ARG_CAP_Q16;
  if (shift <= 16) {
    const v = d * multiplier * POW2[16 - shift]!; // exact whenever it is below the cap
    return v >= cap ? cap : v;
  }
  const dh = Math.floor(d * INV_POW2[16]!);
  const dl = d - dh * TWO16;
  const x = dh * multiplier; // < 2^47
  const y = dl * multiplier; // < 2^47
  let r: number;
  if (shift >= 32) {
    // floor((x·2^32 + y·2^16 + 2^(t−1)) / 2^t) = floor((x + floor((y + 2^(t−17)) / 2^16)) / 2^(t−32))
    r = Math.floor((x + Math.floor((y + POW2[shift - 17]!) * INV_POW2[16]!)) * INV_POW2[shift - 32]!);
  } else {
    if (x * POW2[32 - shift]! >= cap) return cap;
    r = Math.floor((x * TWO16 + y + POW2[shift - 17]!) * INV_POW2[shift - 16]!); // x < 2^22 here: < 2^48
  }
  return r >= cap ? cap : r;
}

/**
 * log2(s / 2^24) in Q16 for 2^24 ≤ s < 2^53: the integer part from the top bit, then 16 fraction
 * bits by repeated squaring of the Q30 mantissa (truncated, not rounded, when s has > 31 bits).
 */
export function log2Q16OfQ24(s: number): number {
  let b = 24;
  while (2 ** (b + 1) <= s) b += 1;
  let m = b >= 30 ? Math.floor(s / 2 ** (b - 30)) : s * 2 ** (30 - b); // [2^30, 2^31)
  let frac = 0;
  for (let i = 15; i >= 0; i--) {
    m = mulQ30(m, m);
    if (m >= 2 * TWO30) {
      frac += 2 ** i;
      m = Math.floor(m / 2);
    }
  }
  return (b - 24) * TWO16 + frac;
}
