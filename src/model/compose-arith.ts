// Arithmetic ONNX ops composed from the engine's mul/where/slice/concat/matmul (no new engine op):
// Pow with a constant tensor of small integer exponents, ReduceProd as a tree of multiplications,
// integer Div/Mod and BitShift by long division in exact int32 arithmetic, ReverseSequence as a
// constant gather, MeanVarianceNormalization and LRN from reductions and tables.
import type { Rewriter } from "./compose.ts";
import { indexHit, pickHits } from "./compose-select.ts";
import { normAxis, sizeOf } from "./float-exec.ts";
import type { FloatNode } from "./graph.ts";
import { hostTensor, type HostTensor } from "./onnx.ts";

/** Largest integer exponent composed by repeated multiplication. */
export const MAX_INTEGER_EXPONENT = 16;

const isFloat = (d: HostTensor["dtype"]) => d === "float32" || d === "float64";

/**
 * x^e with e a constant tensor of integers in 0…MAX_INTEGER_EXPONENT (not one scalar, which the
 * lookup table takes): x, x·x, x·x·x… once each, then one where per distinct exponent with the
 * constant mask of the elements that use it. Integer x stays exact (int32, saturating).
 */
export function composeIntegerPow(r: Rewriter, node: FloatNode, dtype: HostTensor["dtype"], e: HostTensor): boolean {
  const ints = Array.from(e.data);
  if (ints.length === 1 || !ints.every((v) => Number.isInteger(v) && v >= 0 && v <= MAX_INTEGER_EXPONENT)) return false;
  const x = node.inputs[0]!, out = node.outputs[0]!;
  const distinct = [...new Set(ints)].sort((p, q) => p - q);
  const powers = new Map<number, string>();
  let p = x;
  for (let k = 1; k <= distinct[distinct.length - 1]!; k++) {
    if (k > 1) p = r.add("Mul", [p, x]);
    powers.set(k, p);
  }
  powers.set(0, r.konst("one", hostTensor(isFloat(dtype) ? "float32" : "int64", [], [1])));
  const mask = (k: number) => r.konst("mask", hostTensor("bool", e.shape, ints.map((v) => (v === k ? 1 : 0))));
  let acc = powers.get(distinct[0]!)!;
  if (distinct.length === 1) {
    r.add("Where", [mask(distinct[0]!), acc, acc], {}, out); // broadcast to the output's shape
    return true;
  }
  distinct.slice(1).forEach((k, i) => {
    const last = i === distinct.length - 2;
    acc = r.add("Where", [mask(k), powers.get(k)!, acc], {}, last ? out : undefined);
  });
  return true;
}

/**
 * BitShift on run-time integers: 2^shift picked from the constant powers 2^0…2^30 by comparing the
 * shift exactly with 0…30 (compose-select.ts); LEFT is one exact int32 mul (saturating at 2^31),
 * RIGHT the quotient of the long division by that power (see composeIntegerMod).
 */
export function composeBitShift(r: Rewriter, node: FloatNode, ys: readonly number[], dtype: HostTensor["dtype"]): void {
  const [x, y] = node.inputs as [string, string];
  const hit = indexHit(r, y, ys, 31, ys.length, false);
  const powers = r.konst("powers", hostTensor("int64", [...ys.map(() => 1), 31], Array.from({ length: 31 }, (_, k) => 2 ** k)));
  const power = pickHits(r, hit, powers, "int64", ys.length);
  if (node.attrs.direction === "RIGHT") longDivision(r, x, power, dtype, node.outputs[0]!);
  else r.add("Mul", [x, power], {}, node.outputs[0]!);
}

/**
 * Long division of a ≥ 0 by b > 0 in exact int32 arithmetic: for j from the top bit down, when the
 * remainder is at least b·2^j (which saturates at 2^31 and then never fits) it loses b·2^j and the
 * quotient gains 2^j. Returns the remainder, or writes the quotient to `quotientOut`.
 */
function longDivision(r: Rewriter, a: string, b: string, dtype: HostTensor["dtype"], quotientOut?: string): string {
  const int = (v: number) => r.konst("k", hostTensor("int64", [], [v]));
  const top = dtype === "int8" || dtype === "uint8" ? 7 : 30;
  let rem = a;
  const bits: string[] = [];
  for (let j = top; j >= 0; j--) {
    const t = r.add("Mul", [b, int(2 ** j)]);
    const fits = r.add("Sub", [int(1), r.add("Clip", [r.add("Sub", [t, rem])], { min: 0, max: 1 })]); // [rem ≥ t]
    rem = r.add("Sub", [rem, r.add("Mul", [fits, t])]);
    if (quotientOut) bits.push(r.add("Mul", [fits, int(2 ** j)]));
  }
  if (!quotientOut) return rem;
  return bits.reduce((acc, v, k) => r.add("Add", [acc, v], {}, k === bits.length - 1 ? quotientOut : undefined));
}

/** Div of integers (truncation toward zero): the quotient of |a| by |b|, negated when the signs differ. */
export function composeIntegerDiv(r: Rewriter, node: FloatNode, dtype: HostTensor["dtype"]): void {
  const [a, b] = node.inputs as [string, string];
  const int = (v: number) => r.konst("k", hostTensor("int64", [], [v]));
  const isNeg = (v: string) => r.add("Clip", [r.add("Sub", [int(0), v])], { min: 0, max: 1 });
  const abs = (v: string) => r.add("Add", [r.add("Relu", [v]), r.add("Relu", [r.add("Sub", [int(0), v])])]);
  const q = r.fresh("quotient");
  longDivision(r, abs(a), abs(b), dtype, q);
  const [negA, negB] = [isNeg(a), isNeg(b)];
  const differ = r.add("Sub", [r.add("Add", [negA, negB]), r.add("Mul", [r.add("Mul", [negA, negB]), int(2)])]);
  r.add("Mul", [q, r.add("Sub", [int(1), r.add("Mul", [differ, int(2)])])], {}, node.outputs[0]!);
}

/**
 * Mod on run-time integers: the remainder of the long division of |a| by |b|, then the sign rule:
 * fmod = 1 takes a's sign, fmod = 0 (Python's %) b's.
 */
export function composeIntegerMod(r: Rewriter, node: FloatNode, dtype: HostTensor["dtype"]): void {
  const [a, b] = node.inputs as [string, string];
  const int = (v: number) => r.konst("k", hostTensor("int64", [], [v]));
  const isNeg = (v: string) => r.add("Clip", [r.add("Sub", [int(0), v])], { min: 0, max: 1 }); // [v < 0]
  const abs = (v: string) => r.add("Add", [r.add("Relu", [v]), r.add("Relu", [r.add("Sub", [int(0), v])])]);
  const absA = abs(a), absB = abs(b);
  const rem = longDivision(r, absA, absB, dtype);
  const out = node.outputs[0]!;
  const signed = (v: string, negative: string) => r.add("Mul", [v, r.add("Sub", [int(1), r.add("Mul", [negative, int(2)])])], {}, out);
  const negA = isNeg(a);
  if (node.attrs.fmod === 1) {
    signed(rem, negA);
    return;
  }
  // Operands of different signs and a non-zero remainder: |b| − remainder, then b's sign.
  const negB = isNeg(b);
  const differ = r.add("Sub", [r.add("Add", [negA, negB]), r.add("Mul", [r.add("Mul", [negA, negB]), int(2)])]);
  const flip = r.add("Mul", [differ, r.add("Clip", [rem], { min: 0, max: 1 })]);
  const adjusted = r.add("Add", [rem, r.add("Mul", [flip, r.add("Sub", [absB, r.add("Mul", [rem, int(2)])])])]);
  signed(adjusted, negB);
}

/** The reduced axes of a Reduce* node (attribute or constant input), undefined for the identity. */
function reducedAxes(node: FloatNode, axesInput: HostTensor | undefined, rank: number): number[] | undefined {
  const attr = node.attrs.axes;
  let axes = axesInput ? Array.from(axesInput.data) : Array.isArray(attr) ? attr.map(Number) : undefined;
  if (!axes || axes.length === 0) {
    if (node.attrs.noop_with_empty_axes === 1) return undefined;
    axes = Array.from({ length: rank }, (_, i) => i);
  }
  return [...new Set(axes.map((d) => normAxis(d, rank, node.name)))].sort((p, q) => p - q);
}

/**
 * ReduceProd: along each reduced axis, halves multiplied pairwise until one slice is left (an odd
 * length first gets a slab of ones), so n values take n − 1 multiplications in log₂ n rounds.
 */
export function composeReduceProd(r: Rewriter, node: FloatNode, xs: readonly number[], axesInput: HostTensor | undefined, outShape: readonly number[]): void {
  const x = node.inputs[0]!, out = node.outputs[0]!;
  const axes = reducedAxes(node, axesInput, xs.length);
  const ints = (v: number[]) => r.konst("i", hostTensor("int64", [v.length], v));
  const slice = (v: string, axis: number, from: number, to: number) => r.add("Slice", [v, ints([from]), ints([to]), ints([axis])]);
  let cur = x;
  const shape = [...xs];
  for (const axis of axes ?? []) {
    while (shape[axis]! > 1) {
      if (shape[axis]! % 2 === 1) {
        const slab = shape.map((d, i) => (i === axis ? 1 : d));
        cur = r.add("Concat", [cur, r.konst("ones", hostTensor("float32", slab, new Array<number>(sizeOf(slab)).fill(1)))], { axis });
        shape[axis]! += 1;
      }
      const h = shape[axis]! / 2;
      cur = r.add("Mul", [slice(cur, axis, 0, h), slice(cur, axis, h, 2 * h)]);
      shape[axis] = h;
    }
  }
  r.add("Reshape", [cur, r.konst("shape", hostTensor("int64", [outShape.length], [...outShape]))], {}, out);
}

/** ReverseSequence with constant sequence_lens: one exact gather of the flattened input. */
export function composeReverseSequence(r: Rewriter, node: FloatNode, xs: readonly number[], lens: HostTensor): void {
  const batchAxis = typeof node.attrs.batch_axis === "number" ? node.attrs.batch_axis : 1;
  const timeAxis = typeof node.attrs.time_axis === "number" ? node.attrs.time_axis : 0;
  const strides = xs.map((_, i) => sizeOf(xs.slice(i + 1)));
  const src = new Array<number>(sizeOf(xs));
  for (let k = 0; k < src.length; k++) {
    const coord = xs.map((d, i) => Math.floor(k / strides[i]!) % d);
    const b = coord[batchAxis]!, t = coord[timeAxis]!, len = lens.data[b]!;
    if (t < len) coord[timeAxis] = len - 1 - t;
    src[k] = coord.reduce((acc, c, i) => acc + c * strides[i]!, 0);
  }
  const flat = r.add("Reshape", [node.inputs[0]!, r.konst("shape", hostTensor("int64", [1], [src.length]))]);
  const g = r.gatherAxis(flat, src, 0);
  r.add("Reshape", [g, r.konst("shape", hostTensor("int64", [xs.length], [...xs]))], {}, node.outputs[0]!);
}

/** MeanVarianceNormalization: (x − mean) / √(mean((x − mean)²) + 1e-9) over `axes` (default 0, 2, 3). */
export function composeMeanVarianceNormalization(r: Rewriter, node: FloatNode, xs: readonly number[]): void {
  const axes = (Array.isArray(node.attrs.axes) ? node.attrs.axes.map(Number) : [0, 2, 3]).map((d) => normAxis(d, xs.length, node.name));
  const axesName = r.konst("axes", hostTensor("int64", [axes.length], axes));
  const x = node.inputs[0]!;
  const mean = r.add("ReduceMean", [x, axesName], { keepdims: 1 });
  const d = r.add("Sub", [x, mean]);
  const variance = r.add("ReduceMean", [r.add("Mul", [d, d]), axesName], { keepdims: 1 });
  const inv = r.add("Rsqrt", [r.add("Add", [variance, r.konst("epsilon", hostTensor("float32", [], [1e-9]))])]);
  r.add("Mul", [d, inv], {}, node.outputs[0]!);
}

/**
 * LRN: x / (bias + α/size · Σ x² over a window of `size` channels)^β. The window sum is a matmul
 * with a constant 0/1 band matrix along the channels (moved last), the power a lookup table.
 */
export function composeLrn(r: Rewriter, node: FloatNode, xs: readonly number[]): void {
  const num = (k: string, d: number) => (typeof node.attrs[k] === "number" ? (node.attrs[k] as number) : d);
  const size = num("size", 1), alpha = num("alpha", 1e-4), beta = num("beta", 0.75), bias = num("bias", 1);
  const C = xs[1]!, rank = xs.length;
  const lo = Math.floor((size - 1) / 2), hi = Math.ceil((size - 1) / 2);
  const band = hostTensor("float32", [C, C]);
  for (let j = 0; j < C; j++) for (let i = 0; i < C; i++) band.data[j * C + i] = j >= i - lo && j <= i + hi ? alpha / size : 0;
  const x = node.inputs[0]!;
  const perm = xs.map((_, i) => i);
  perm[1] = rank - 1;
  perm[rank - 1] = 1;
  const sq = r.add("Transpose", [r.add("Mul", [x, x])], { perm });
  const windowed = r.add("Transpose", [r.add("aivm.Linear", [sq, r.konst("band", band), ""])], { perm });
  const base = r.add("Add", [windowed, r.konst("bias", hostTensor("float32", [], [bias]))]);
  const scale = r.add("aivm.Pow", [base], { exponent: -beta });
  r.add("Mul", [x, scale], {}, node.outputs[0]!);
}

/** Float references (ONNX semantics) of the three ops above that float-exec has no other reference for. */
export function arithReference(node: FloatNode, x: HostTensor, second: HostTensor | undefined): HostTensor {
  const xs = x.shape;
  const strides = xs.map((_, i) => sizeOf(xs.slice(i + 1)));
  const coordOf = (k: number) => xs.map((d, i) => Math.floor(k / strides[i]!) % d);
  const at = (c: number[]) => c.reduce((acc, v, i) => acc + v * strides[i]!, 0);
  const out = hostTensor(x.dtype, [...xs]);
  if (node.op === "ReverseSequence") {
    const batchAxis = typeof node.attrs.batch_axis === "number" ? node.attrs.batch_axis : 1;
    const timeAxis = typeof node.attrs.time_axis === "number" ? node.attrs.time_axis : 0;
    for (let k = 0; k < x.data.length; k++) {
      const c = coordOf(k);
      const len = second!.data[c[batchAxis]!]!;
      if (c[timeAxis]! < len) c[timeAxis] = len - 1 - c[timeAxis]!;
      out.data[k] = x.data[at(c)]!;
    }
    return out;
  }
  if (node.op === "LRN") {
    const num = (k: string, d: number) => (typeof node.attrs[k] === "number" ? (node.attrs[k] as number) : d);
    const size = num("size", 1), alpha = num("alpha", 1e-4), beta = num("beta", 0.75), bias = num("bias", 1);
    const lo = Math.floor((size - 1) / 2), hi = Math.ceil((size - 1) / 2);
    for (let k = 0; k < x.data.length; k++) {
      const c = coordOf(k);
      let s = 0;
      for (let j = Math.max(0, c[1]! - lo); j <= Math.min(xs[1]! - 1, c[1]! + hi); j++) s += x.data[at(c.map((v, i) => (i === 1 ? j : v)))]! ** 2;
      out.data[k] = x.data[k]! / (bias + (alpha / size) * s) ** beta;
    }
    return out;
  }
  // MeanVarianceNormalization
  const axes = (Array.isArray(node.attrs.axes) ? node.attrs.axes.map(Number) : [0, 2, 3]).map((d) => normAxis(d, xs.length, node.name));
  const key = (k: number) => at(coordOf(k).map((v, i) => (axes.includes(i) ? 0 : v)));
  const n = sizeOf(axes.map((a) => xs[a]!));
  const sum = new Map<number, number>(), sq = new Map<number, number>();
  for (let k = 0; k < x.data.length; k++) sum.set(key(k), (sum.get(key(k)) ?? 0) + x.data[k]!);
  for (let k = 0; k < x.data.length; k++) sq.set(key(k), (sq.get(key(k)) ?? 0) + (x.data[k]! - sum.get(key(k))! / n) ** 2);
  for (let k = 0; k < x.data.length; k++) out.data[k] = (x.data[k]! - sum.get(key(k))! / n) / Math.sqrt(sq.get(key(k))! / n + 1e-9);
  return out;
}
