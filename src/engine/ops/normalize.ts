// softmax, log_softmax, layer_norm and rms_norm: integer exp, integer sums, exact floor square root,
// one rounding per division. Exact semantics and accuracy bounds: docs/ops-nonlinear.md. The small
// input/attribute checks at the top are shared with reduce, pool, movement and attention.
import { attrInt, checkAttrNames, normAxis } from "../attrs.ts";
import { DTypeMismatchError, InvalidArgumentError, ShapeMismatchError } from "../errors.ts";
import {
  expNegQ24,
  floorDiv,
  isqrtBig,
  LN2_Q30,
  log2Q16OfQ24,
  roundDivAway,
  roundDivAwayBig,
  scaledDistanceQ16,
} from "../intmath.ts";
import { applyRescale, rescaleOf } from "../kernels/elementwise-loops.ts";
import type { Attrs, OpDef, PreparedRun } from "../op.ts";
import { saturateInt32 } from "../requant.ts";
import { allocate, checkShape, DTYPE_MAX, DTYPE_MIN, numElements, type DType, type TensorMeta } from "../tensor.ts";

/** `outDtype` attribute codes, shared with matmul's output stage. */
export const OUT_DTYPES: readonly DType[] = ["int8", "int16", "int32"];
const INT_DTYPES: readonly DType[] = ["int8", "int16", "int32"];

/** FLOPs charged per element: max, subtract, rescale, exp (two table products and a polynomial), sum, divide. */
export const SOFTMAX_FLOPS_PER_ELEMENT = 12n;
/** FLOPs charged per row for log_softmax's integer log2 (16 squarings plus setup). */
export const LOG_FLOPS_PER_ROW = 64n;
/** FLOPs per element of a norm: sum, square-accumulate, centre, divide, gamma multiply-add, requantize. */
export const NORM_FLOPS_PER_ELEMENT = 10n;
/** FLOPs per row of a norm for the variance and the integer square root. */
export const NORM_FLOPS_PER_ROW = 64n;
/** Fractional bits of the normalized value (x − μ)/σ before gamma: n = round(2^12 · (x − μ)/σ). */
export const NORM_FRAC_BITS = 12;

export function expectDType(op: string, input: string, meta: TensorMeta, allowed: readonly DType[]): void {
  if (!allowed.includes(meta.dtype)) throw new DTypeMismatchError(op, input, allowed, meta.dtype);
}

export function expectInputCount(op: string, inputs: readonly unknown[], min: number, max: number): void {
  if (inputs.length < min || inputs.length > max) {
    const want = min === max ? `${min}` : `${min} to ${max}`;
    throw new InvalidArgumentError(op, "input count", `got ${inputs.length}, expected ${want}`);
  }
}

/** Reads a real scale M/2^t from two integer attributes (e.g. "multiplier"/"shift" or "scoreMultiplier"/"scoreShift"). */
export function attrScale(op: string, attrs: Attrs, multiplierName: string, shiftName: string): { multiplier: number; shift: number } {
  const multiplier = attrInt(op, attrs, multiplierName);
  const shift = attrInt(op, attrs, shiftName);
  if (multiplier < 0 || multiplier > 0x7fffffff) throw new InvalidArgumentError(op, `attribute "${multiplierName}"`, "must be in [0, 2^31)");
  if (shift < 0 || shift > 62) throw new InvalidArgumentError(op, `attribute "${shiftName}"`, "must be in [0, 62]");
  return { multiplier, shift };
}

export function attrOutDType(op: string, attrs: Attrs, allowed: readonly DType[], fallback: DType): DType {
  const code = attrInt(op, attrs, "outDtype", OUT_DTYPES.indexOf(fallback));
  const out = OUT_DTYPES[code];
  if (out === undefined || !allowed.includes(out)) {
    const codes = allowed.map((d) => `${OUT_DTYPES.indexOf(d)} (${d})`).join(" or ");
    throw new InvalidArgumentError(op, 'attribute "outDtype"', `must be ${codes}`);
  }
  return out;
}

/** Splits a shape around one axis: outer · n · inner elements. */
export function splitAt(shape: readonly number[], axis: number): { outer: number; n: number; inner: number } {
  return { outer: numElements(shape.slice(0, axis)), n: shape[axis]!, inner: numElements(shape.slice(axis + 1)) };
}

// ---------------------------------------------------------------------------------------------
// softmax / log_softmax

/**
 * The shared exp stage of one row: R_i = scaledDistanceQ16(max − x_i, M, t) and e_i = expNegQ24(R_i)
 * over the allowed positions (all when `allowed` is null). Returns S = Σ e_i (0 when nothing is allowed).
 */
export function expRow(
  scores: ArrayLike<number>,
  n: number,
  allowed: Uint8Array | null,
  multiplier: number,
  shift: number,
  dist: Int32Array,
  exps: Int32Array,
): number {
  let max = -Infinity;
  for (let i = 0; i < n; i++) if ((allowed === null || allowed[i]) && scores[i]! > max) max = scores[i]!;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (allowed !== null && !allowed[i]) {
      exps[i] = 0;
      dist[i] = -1;
      continue;
    }
    const r = scaledDistanceQ16(max - scores[i]!, multiplier, shift);
    const e = expNegQ24(r);
    dist[i] = r;
    exps[i] = e;
    sum += e;
  }
  return sum;
}

/**
 * Probabilities from exp values: int16 → round(2^15·e/S) capped at 32767 (scale 2^−15);
 * int8 → round(2^8·e/S) − 128 capped at 127 (scale 2^−8, zero point −128). Ties round up.
 * S = 0 (every position masked) gives probability 0.
 */
export function probability(e: number, sum: number, out: DType): number {
  if (out === "int16") return sum === 0 ? 0 : Math.min(32767, floorDiv(e * 65536 + sum, 2 * sum));
  return sum === 0 ? -128 : Math.min(127, floorDiv(e * 512 + sum, 2 * sum) - 128);
}

/** Scales of log_softmax's output: Q16 in int32, Q10 (saturating at −32) in int16. */
export const LOG_SOFTMAX_FRAC_BITS: Readonly<Record<"int16" | "int32", number>> = { int16: 10, int32: 16 };

function softmaxLike(name: "softmax" | "log_softmax"): OpDef {
  const isLog = name === "log_softmax";
  const outAllowed: readonly DType[] = isLog ? ["int16", "int32"] : ["int8", "int16"];
  const outDefault: DType = isLog ? "int32" : "int16";
  const attrs = ["axis", "multiplier", "shift", "outDtype"];
  const parse = (metas: readonly TensorMeta[], a: Attrs) => {
    checkAttrNames(name, a, attrs);
    expectInputCount(name, metas, 1, 1);
    const x = metas[0]!;
    expectDType(name, "x", x, INT_DTYPES);
    checkShape(x.shape);
    if (x.shape.length === 0) throw new ShapeMismatchError(name, "x", "rank ≥ 1", x.shape);
    const axis = normAxis(name, attrInt(name, a, "axis", -1), x.shape.length);
    const scale = attrScale(name, a, "multiplier", "shift");
    return { x, axis, scale, out: attrOutDType(name, a, outAllowed, outDefault) };
  };
  return {
    name,
    inputs: ["x"],
    attrs,
    infer(inputs, a) {
      const { x, out } = parse(inputs, a);
      return [{ dtype: out, shape: [...x.shape] }];
    },
    flops(inputs, a) {
      const { x, axis } = parse(inputs, a);
      const count = BigInt(numElements(x.shape));
      if (!isLog) return SOFTMAX_FLOPS_PER_ELEMENT * count;
      const rows = x.shape[axis] === 0 ? 0n : count / BigInt(x.shape[axis]!);
      return (SOFTMAX_FLOPS_PER_ELEMENT + 1n) * count + LOG_FLOPS_PER_ROW * rows;
    },
    run(inputs, a) {
      const { x, axis, scale, out } = parse(inputs, a);
      const data = inputs[0]!.data;
      const { outer, n, inner } = splitAt(x.shape, axis);
      const y = allocate(out, data.length);
      // No rows, no row buffers: an empty tensor may still declare a 2^31 − 1 long axis.
      if (data.length === 0) return [{ dtype: out, shape: [...x.shape], data: y }];
      const row = new Int32Array(n);
      const dist = new Int32Array(n);
      const exps = new Int32Array(n);
      const frac = isLog ? LOG_SOFTMAX_FRAC_BITS[out as "int16" | "int32"] : 0;
      for (let o = 0; o < outer; o++) {
        for (let k = 0; k < inner; k++) {
          const base = o * n * inner + k;
          for (let i = 0; i < n; i++) row[i] = data[base + i * inner]!;
          const sum = expRow(row, n, null, scale.multiplier, scale.shift, dist, exps);
          if (!isLog) {
            for (let i = 0; i < n; i++) y[base + i * inner] = probability(exps[i]!, sum, out);
            continue;
          }
          // ln(S/2^24) in Q16; the row max contributes e = 2^24, so S ≥ 2^24.
          const lnSum = floorDiv(log2Q16OfQ24(sum) * LN2_Q30 + 2 ** 29, 2 ** 30);
          for (let i = 0; i < n; i++) {
            const q16 = -(dist[i]! + lnSum);
            const v = frac === 16 ? q16 : floorDiv(q16 + 2 ** (15 - frac), 2 ** (16 - frac));
            y[base + i * inner] = Math.max(DTYPE_MIN[out], v);
          }
        }
      }
      return [{ dtype: out, shape: [...x.shape], data: y }];
    },
  };
}

// ---------------------------------------------------------------------------------------------
// layer_norm / rms_norm

const NORM_MAX_ABS: Readonly<Record<DType, number>> = { int8: 128, int16: 32768, int32: 2 ** 31 };
const TWO52 = 2 ** 52;

/**
 * Extra precision for the square root of small variances: G = max(0, 16 − floor(bitlen(V)/2)), so
 * D = isqrt(V·4^G) ≥ 2^15 and its floor costs at most 2^−15 relative.
 */
export function normGuardBits(v: bigint): number {
  const bits = v.toString(2).length;
  return bits >= 32 ? 0 : 16 - (bits >> 1);
}

function normOp(name: "layer_norm" | "rms_norm"): OpDef {
  const centred = name === "layer_norm";
  const attrs = ["axis", "epsilon", "multiplier", "shift", "zeroPoint", "outDtype"];
  const parse = (metas: readonly TensorMeta[], a: Attrs) => {
    checkAttrNames(name, a, attrs);
    expectInputCount(name, metas, 2, 3);
    const x = metas[0]!;
    const gamma = metas[1]!;
    const beta = metas[2];
    expectDType(name, "x", x, INT_DTYPES);
    expectDType(name, "gamma", gamma, ["int8"]);
    if (beta) expectDType(name, "beta", beta, ["int32"]);
    checkShape(x.shape);
    if (x.shape.length === 0) throw new ShapeMismatchError(name, "x", "rank ≥ 1", x.shape);
    const axis = normAxis(name, attrInt(name, a, "axis", -1), x.shape.length);
    const normShape = x.shape.slice(axis);
    const sameAsNorm = (s: readonly number[]) => s.length === normShape.length && s.every((d, i) => d === normShape[i]);
    if (!sameAsNorm(gamma.shape)) throw new ShapeMismatchError(name, "gamma", normShape, gamma.shape, `gamma covers the normalized dimensions x.shape[${axis}:]`);
    if (beta && !sameAsNorm(beta.shape)) throw new ShapeMismatchError(name, "beta", normShape, beta.shape);
    const epsilon = attrInt(name, a, "epsilon", 0);
    if (epsilon < 0 || epsilon > 0x7fffffff) throw new InvalidArgumentError(name, 'attribute "epsilon"', "must be in [0, 2^31)");
    const scale = attrScale(name, a, "multiplier", "shift");
    const out = attrOutDType(name, a, OUT_DTYPES, "int8");
    const zeroPoint = attrInt(name, a, "zeroPoint", 0);
    if (zeroPoint < DTYPE_MIN[out] || zeroPoint > DTYPE_MAX[out]) throw new InvalidArgumentError(name, 'attribute "zeroPoint"', `must be in the ${out} range`);
    return { x, axis, epsilon, scale, out, zeroPoint, n: numElements(normShape) };
  };
  return {
    name,
    inputs: ["x", "gamma", "beta?"],
    attrs,
    infer(inputs, a) {
      const { x, out } = parse(inputs, a);
      return [{ dtype: out, shape: [...x.shape] }];
    },
    flops(inputs, a) {
      const { x, n } = parse(inputs, a);
      const count = BigInt(numElements(x.shape));
      const rows = n === 0 ? 0n : count / BigInt(n);
      return NORM_FLOPS_PER_ELEMENT * count + NORM_FLOPS_PER_ROW * rows;
    },
    prepare,
    run: (inputs, a) => prepare(inputs, a)(inputs),
  };
  function prepare(metas: readonly TensorMeta[], a: Attrs): PreparedRun {
    const { x, epsilon, scale, out, zeroPoint, n } = parse(metas, a);
    const A = NORM_MAX_ABS[x.dtype];
    // Both paths compute the same integers; the bounds only decide whether doubles hold them exactly.
    const sumsFit = n * A * A < TWO52;
    const N = BigInt(n);
    // The output stage's constants once, applied by a plain function V8 inlines (a per-call
    // closure here cost about 2/3 of a [1,288] row's time): each |acc| ≤ 2^31, saturated first.
    const rescale = rescaleOf(scale.multiplier, scale.shift, zeroPoint, DTYPE_MIN[out], DTYPE_MAX[out], true);
    return (inputs) => {
      const data = inputs[0]!.data;
      const gamma = inputs[1]!.data;
      const beta = inputs[2]?.data ?? null;
      const y = allocate(out, data.length);
      const rows = n === 0 ? 0 : data.length / n;
      for (let r = 0; r < rows; r++) {
        const base = r * n;
        let sx: bigint;
        let sxx: bigint;
        if (sumsFit) {
          let s1 = 0;
          let s2 = 0;
          for (let i = 0; i < n; i++) {
            const v = data[base + i]!;
            s1 += v;
            s2 += v * v;
          }
          sx = BigInt(s1);
          sxx = BigInt(s2);
        } else {
          sx = 0n;
          sxx = 0n;
          for (let i = 0; i < n; i++) {
            const v = BigInt(data[base + i]!);
            sx += v;
            sxx += v * v;
          }
        }
        const mean = centred ? sx : 0n;
        const v = N * sxx - mean * mean + N * N * BigInt(epsilon);
        if (v === 0n) {
          for (let i = 0; i < n; i++) y[base + i] = applyRescale(saturateInt32(beta === null ? 0 : beta[i]!), rescale);
          continue;
        }
        const g = normGuardBits(v);
        const d = isqrtBig(v << BigInt(2 * g));
        const frac = NORM_FRAC_BITS + g;
        const meanN = Number(mean);
        if (d < TWO52 && (n * A + Math.abs(meanN)) * 2 ** (frac + 1) + Number(d) < TWO52) {
          const dn = Number(d);
          const one = 2 ** frac;
          for (let i = 0; i < n; i++) {
            const nq = roundDivAway((n * data[base + i]! - meanN) * one, dn);
            y[base + i] = applyRescale(saturateInt32(nq * gamma[i]! + (beta === null ? 0 : beta[i]!)), rescale);
          }
        } else {
          for (let i = 0; i < n; i++) {
            const nq = Number(roundDivAwayBig((N * BigInt(data[base + i]!) - mean) << BigInt(frac), d));
            y[base + i] = applyRescale(saturateInt32(nq * gamma[i]! + (beta === null ? 0 : beta[i]!)), rescale);
          }
        }
      }
      return [{ dtype: out, shape: [...x.shape], data: y }];
    };
  }
}

export const normalizeOps: readonly OpDef[] = [softmaxLike("softmax"), softmaxLike("log_softmax"), normOp("layer_norm"), normOp("rms_norm")];
