// The element-wise ops' inner loops, one per formula, each over whole typed arrays: an op hands a
// loop its constants once instead of calling a per-op closure per element, which V8 cannot inline
// once a call site sees several closures.
import type { BroadcastPlan } from "../broadcast.ts";
import { INV_POW2, POW2 } from "../intmath.ts";
import type { IntArray } from "../tensor.ts";
import { multiplyShiftRound } from "./multiply-shift.ts";

const I32_MIN = -2147483648;
const I32_MAX = 2147483647;
const TWO16 = 65536;

/**
 * v ↦ clamp(rms(v, M, t) + z, lo, hi) as plain data. `split` selects the form
 * with acc·M split at 2^16 (constants hoisted), exact for t ≥ 17 and |v| ≤ 2^31; otherwise
 * multiplyShiftRound, exact for any safe integer. Both give the same integer where both apply.
 */
export interface Rescale {
  readonly multiplier: number;
  readonly shift: number;
  readonly zeroPoint: number;
  readonly lo: number;
  readonly hi: number;
  readonly split: boolean;
  readonly mh: number;
  readonly ml: number;
  readonly half: number;
  /** 2^−(t−16): a power of two, so multiplying by it divides exactly (and faster than dividing). */
  readonly invDiv: number;
}

/** The rescale by (M, t) then + z, clamped to [lo, hi]; the split form when `narrow` (|v| ≤ 2^31) and t ≥ 17. */
export function rescaleOf(multiplier: number, shift: number, zeroPoint: number, lo: number, hi: number, narrow: boolean): Rescale {
  const split = narrow && shift >= 17;
  const mh = Math.floor(multiplier / TWO16);
  return {
    multiplier, shift, zeroPoint, lo, hi, split, mh,
    ml: multiplier - mh * TWO16,
    half: split ? POW2[shift - 17]! : 0,
    invDiv: split ? INV_POW2[shift - 16]! : 1,
  };
}

/** One value through a Rescale (a plain function, so V8 inlines it into each loop below). */
export function applyRescale(v: number, r: Rescale): number {
  const q = (r.split
    ? Math.floor((v * r.mh + r.half + Math.floor(v * r.ml * INV_POW2[16]!)) * r.invDiv)
    : multiplyShiftRound(v, r.multiplier, r.shift)) + r.zeroPoint;
  return q < r.lo ? r.lo : q > r.hi ? r.hi : q;
}

// The clamp once per typed-array kind: a loop that only ever sees one kind compiles to direct loads
// and stores, where one loop shared by all three checks the kind per element (1.3-1.6× slower on
// relu's int8 and int16 node shapes).
function clamp8(x: Int8Array, y: Int8Array, lo: number, hi: number): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    y[i] = v < lo ? lo : v > hi ? hi : v;
  }
}
function clamp16(x: Int16Array, y: Int16Array, lo: number, hi: number): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    y[i] = v < lo ? lo : v > hi ? hi : v;
  }
}
function clamp32(x: Int32Array, y: Int32Array, lo: number, hi: number): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    y[i] = v < lo ? lo : v > hi ? hi : v;
  }
}

/** y[i] = clamp(x[i], lo, hi) for x and y of one dtype: relu, relu6 and clip. */
export function clampInto(x: IntArray, y: IntArray, lo: number, hi: number): void {
  if (x instanceof Int8Array) clamp8(x, y as Int8Array, lo, hi);
  else if (x instanceof Int16Array) clamp16(x, y as Int16Array, lo, hi);
  else clamp32(x, y as Int32Array, lo, hi);
}

/** y[i] = x[i] for x[i] ≥ z, else below(x[i] − z): leaky_relu, whose slope side requantizes. */
export function keepAboveInto(x: IntArray, y: IntArray, z: number, below: Rescale): void {
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    y[i] = v >= z ? v : applyRescale(v - z, below);
  }
}

/** y[i] = rescale(x[i] − zero), the next of `rescales` (cyclically) for each run of `run` elements: requantize per tensor or per channel. */
export function requantizeInto(x: IntArray, y: IntArray, zero: number, rescales: readonly Rescale[], run: number): void {
  const n = x.length;
  for (let start = 0, c = 0; start < n; start += run) {
    const r = rescales[c]!;
    const end = Math.min(n, start + run);
    for (let i = start; i < end; i++) y[i] = applyRescale(x[i]! - zero, r);
    if (++c === rescales.length) c = 0;
  }
}

/** One add/sub input rescaled once per element: r[i] = rescale((x[i] − zero)·lift), an int32 copy. */
export function rescaledCopy(x: IntArray, zero: number, lift: number, rescale: Rescale): Int32Array {
  const n = x.length;
  const r = new Int32Array(n);
  for (let i = 0; i < n; i++) r[i] = applyRescale((x[i]! - zero) * lift, rescale);
  return r;
}

/** add/sub of rescaled inputs over a broadcast plan: out = rescale(sat32(a ± b)). */
export function addRescaledInto(plan: BroadcastPlan, a: Int32Array, b: Int32Array, out: IntArray, sign: 1 | -1, rescale: Rescale): void {
  const { rows, rowLength, rowOffsetA, rowOffsetB, strideA, strideB } = plan;
  for (let r = 0, o = 0; r < rows; r++) {
    let ia = rowOffsetA[r]!;
    let ib = rowOffsetB[r]!;
    const end = o + rowLength;
    for (; o < end; o++, ia += strideA, ib += strideB) {
      const s = a[ia]! + sign * b[ib]!;
      out[o] = applyRescale(s < I32_MIN ? I32_MIN : s > I32_MAX ? I32_MAX : s, rescale);
    }
  }
}

/** mul whose centred product is an exact double: out = rescale((a − za)·(b − zb)). */
export function mulRescaledInto(plan: BroadcastPlan, a: IntArray, b: IntArray, out: IntArray, aZero: number, bZero: number, rescale: Rescale): void {
  const { rows, rowLength, rowOffsetA, rowOffsetB, strideA, strideB } = plan;
  for (let r = 0, o = 0; r < rows; r++) {
    let ia = rowOffsetA[r]!;
    let ib = rowOffsetB[r]!;
    const end = o + rowLength;
    for (; o < end; o++, ia += strideA, ib += strideB) out[o] = applyRescale((a[ia]! - aZero) * (b[ib]! - bZero), rescale);
  }
}
