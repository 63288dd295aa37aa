// Offline builder of the 256-entry lookup tables the `lut` op applies to int8 inputs (GELU,
// sigmoid, tanh, SiLU, exp, erf). Floats are fine here: the output is a table of integers.
import { InvalidArgumentError } from "../engine/errors.ts";
import { DTYPE_MAX, DTYPE_MIN, tensor, type Tensor } from "../engine/tensor.ts";

export type LutFunction = "gelu" | "sigmoid" | "tanh" | "silu" | "exp" | "erf";
export type LutDType = "int8" | "int16";

/** erf: Maclaurin series for |x| < 3, the Laplace continued fraction of erfc beyond (both ~1e-13). */
export function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  if (a < 3) return s * erfSeries(a);
  if (a > 10) return s;
  // erfc(a) = e^(−a²)/√π · 1/(a + (1/2)/(a + (2/2)/(a + (3/2)/(a + …)))), evaluated from the tail.
  let f = a;
  for (let n = 80; n >= 1; n--) f = a + n / 2 / f;
  return s * (1 - Math.exp(-a * a) / (Math.sqrt(Math.PI) * f));
}

/** Maclaurin series erf(x) = 2/√π Σ (−1)^n x^(2n+1) / (n!(2n+1)); accurate to ~1e-15 for |x| < 3. */
function erfSeries(x: number): number {
  let term = x;
  let sum = x;
  const x2 = x * x;
  for (let n = 1; n < 200; n++) {
    term *= -x2 / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

export const LUT_FUNCTIONS: Readonly<Record<LutFunction, (x: number) => number>> = {
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: (x) => Math.tanh(x),
  silu: (x) => x / (1 + Math.exp(-x)),
  exp: (x) => Math.exp(x),
  erf,
};

export interface LutSpec {
  fn: LutFunction;
  /** Input quantization: real = (q − inZero)·inScale, q ∈ [−128, 127]. */
  inScale: number;
  inZero?: number;
  /** Output quantization: real = (q − outZero)·outScale. */
  outScale: number;
  outZero?: number;
  outDtype: LutDType;
}

/** Entry i (input q = i − 128) = clamp(round(f((q − inZero)·inScale) / outScale) + outZero). */
export function buildLut(spec: LutSpec): number[] {
  const { inScale, outScale } = spec;
  const inZero = spec.inZero ?? 0;
  const outZero = spec.outZero ?? 0;
  if (!(inScale > 0) || !(outScale > 0) || !Number.isFinite(inScale) || !Number.isFinite(outScale)) {
    throw new InvalidArgumentError("buildLut", "scales", "must be finite and > 0");
  }
  const lo = DTYPE_MIN[spec.outDtype];
  const hi = DTYPE_MAX[spec.outDtype];
  if (!Number.isInteger(inZero) || inZero < -128 || inZero > 127 || !Number.isInteger(outZero) || outZero < lo || outZero > hi) {
    throw new InvalidArgumentError("buildLut", "zero points", `inZero must be an int8 value, outZero a ${spec.outDtype} value`);
  }
  const f = LUT_FUNCTIONS[spec.fn];
  if (!f) throw new InvalidArgumentError("buildLut", "fn", `unknown function; accepted: ${Object.keys(LUT_FUNCTIONS).join(", ")}`);
  const table: number[] = [];
  for (let i = 0; i < 256; i++) {
    const q = Math.round(f((i - 128 - inZero) * inScale) / outScale) + outZero;
    table.push(q < lo ? lo : q > hi ? hi : q);
  }
  return table;
}

/** The table as the tensor the `lut` op takes as its second input. */
export function lutTensor(spec: LutSpec): Tensor {
  return tensor(spec.outDtype, [256], buildLut(spec));
}

/**
 * The smallest symmetric output scale (zero point 0) that represents f over every int8 input
 * without clamping: max |f| over the 256 inputs / the dtype's largest value.
 */
export function lutOutputScale(fn: LutFunction, inScale: number, outDtype: LutDType, inZero = 0): number {
  const f = LUT_FUNCTIONS[fn];
  let maxAbs = 0;
  for (let q = -128; q <= 127; q++) maxAbs = Math.max(maxAbs, Math.abs(f((q - inZero) * inScale)));
  return maxAbs > 0 ? maxAbs / DTYPE_MAX[outDtype] : 1;
}
