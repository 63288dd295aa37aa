// max_pool, avg_pool and global_avg_pool over N-d spatial dimensions ([N, C, D1..Dk], NCHW for k = 2);
// k = 2 runs the row-wise kernels in kernels/pool2d.ts, every other k the axis-by-axis kernels in
// kernels/pool-nd.ts; the generic kernel here is their reference and runs what they cannot (BigInt
// sums, pass buffers past the default scratch bound).
// Attributes mirror ONNX MaxPool/AveragePool so imported models and conformance cases map 1:1;
// auto_pad is an integer code because attributes are integers.
import { attrInt, attrInts, checkAttrNames } from "../attrs.ts";
import { ElementLimitError, InvalidArgumentError, ShapeMismatchError } from "../errors.ts";
import { floorDiv, roundDivAway, roundDivAwayBig } from "../intmath.ts";
import { avgPoolNd, maxPoolNd, poolNdFits, type PoolNdGeometry } from "../kernels/pool-nd.ts";
import { avgPool2d, maxPool2d, type Pool2dGeometry } from "../kernels/pool2d.ts";
import type { Attrs, OpDef } from "../op.ts";
import { defaultScratchBytes } from "../scratch.ts";
import { allocate, checkShape, DTYPE_MIN, MAX_ELEMENTS, numElements, type DType, type IntArray, type Tensor, type TensorMeta } from "../tensor.ts";
import { expectDType, expectInputCount } from "./normalize.ts";

const INT_DTYPES: readonly DType[] = ["int8", "int16", "int32"];
const MAX_ABS: Readonly<Record<DType, number>> = { int8: 128, int16: 32768, int32: 2 ** 31 };

/** auto_pad codes: 0 NOTSET (explicit pads), 1 SAME_UPPER, 2 SAME_LOWER, 3 VALID. */
export const AUTO_PAD = { NOTSET: 0, SAME_UPPER: 1, SAME_LOWER: 2, VALID: 3 } as const;

interface PoolPlan {
  x: TensorMeta;
  outShape: number[];
  kernel: readonly number[];
  strides: readonly number[];
  dilations: readonly number[];
  padBegin: number[];
  padEnd: number[];
  countIncludePad: boolean;
  kernelSize: number;
}

function planPool(op: "max_pool" | "avg_pool", metas: readonly TensorMeta[], attrs: Attrs): PoolPlan {
  const names = ["kernel_shape", "strides", "pads", "dilations", "ceil_mode", "auto_pad"];
  if (op === "avg_pool") names.push("count_include_pad");
  checkAttrNames(op, attrs, names);
  expectInputCount(op, metas, 1, 1);
  const x = metas[0]!;
  expectDType(op, "x", x, INT_DTYPES);
  checkShape(x.shape);
  const k = x.shape.length - 2;
  if (k < 1) throw new ShapeMismatchError(op, "x", "[N, C, D1, ...] (rank ≥ 3)", x.shape);
  const kernel = attrInts(op, attrs, "kernel_shape");
  const strides = attrInts(op, attrs, "strides", new Array<number>(k).fill(1));
  const dilations = attrInts(op, attrs, "dilations", new Array<number>(k).fill(1));
  const pads = attrInts(op, attrs, "pads", new Array<number>(2 * k).fill(0));
  const lengths: [string, readonly number[], number][] = [["kernel_shape", kernel, k], ["strides", strides, k], ["dilations", dilations, k], ["pads", pads, 2 * k]];
  for (const [n, v, want] of lengths) {
    if (v.length !== want) throw new InvalidArgumentError(op, `attribute "${n}"`, `has ${v.length} entries, expected ${want} for ${k} spatial dimensions`);
  }
  const positive: [string, readonly number[]][] = [["kernel_shape", kernel], ["strides", strides], ["dilations", dilations]];
  for (const [n, v] of positive) {
    if (v.some((e) => e < 1 || e > 0x7fffffff)) throw new InvalidArgumentError(op, `attribute "${n}"`, "entries must be in [1, 2^31)");
  }
  if (pads.some((p) => p < 0 || p > 0x7fffffff)) throw new InvalidArgumentError(op, 'attribute "pads"', "entries must be in [0, 2^31)");
  const ceil = attrInt(op, attrs, "ceil_mode", 0);
  if (ceil !== 0 && ceil !== 1) throw new InvalidArgumentError(op, 'attribute "ceil_mode"', "must be 0 or 1");
  const autoPad = attrInt(op, attrs, "auto_pad", AUTO_PAD.NOTSET);
  if (autoPad < 0 || autoPad > 3) throw new InvalidArgumentError(op, 'attribute "auto_pad"', "must be 0 (NOTSET), 1 (SAME_UPPER), 2 (SAME_LOWER) or 3 (VALID)");
  if (autoPad !== AUTO_PAD.NOTSET && attrs["pads"] !== undefined) throw new InvalidArgumentError(op, 'attribute "pads"', "cannot be combined with auto_pad");
  const cip = attrInt(op, attrs, "count_include_pad", 0);
  if (cip !== 0 && cip !== 1) throw new InvalidArgumentError(op, 'attribute "count_include_pad"', "must be 0 or 1");

  const outShape = [x.shape[0]!, x.shape[1]!];
  const padBegin: number[] = [];
  const padEnd: number[] = [];
  let kernelSize = 1;
  for (let i = 0; i < k; i++) {
    const size = x.shape[i + 2]!;
    const eff = (kernel[i]! - 1) * dilations[i]! + 1;
    const s = strides[i]!;
    kernelSize *= kernel[i]!;
    let out: number;
    let pb = pads[i]!;
    let pe = pads[i + k]!;
    if (autoPad === AUTO_PAD.SAME_UPPER || autoPad === AUTO_PAD.SAME_LOWER) {
      out = floorDiv(size + s - 1, s);
      const total = Math.max(0, (out - 1) * s + eff - size);
      pb = autoPad === AUTO_PAD.SAME_UPPER ? Math.floor(total / 2) : total - Math.floor(total / 2);
      pe = total - pb;
    } else {
      if (autoPad === AUTO_PAD.VALID) pb = pe = 0;
      const span = size + pb + pe - eff;
      if (span < 0) {
        throw new ShapeMismatchError(op, "x", `spatial dimension ${i} of at least ${eff - pb - pe} (dilated kernel minus pads)`, x.shape);
      }
      if (ceil && autoPad === AUTO_PAD.NOTSET) {
        out = floorDiv(span + s - 1, s) + 1;
        // The last window must start inside the input or the leading pad (PyTorch/ONNX rule).
        if ((out - 1) * s >= size + pb) out -= 1;
      } else out = floorDiv(span, s) + 1;
    }
    padBegin.push(pb);
    padEnd.push(pe);
    outShape.push(out);
  }
  checkShape(outShape);
  // A window is bounded like a tensor, so per-window work and the per-dimension tap lists stay finite.
  if (kernelSize > MAX_ELEMENTS) throw new ElementLimitError([...kernel], MAX_ELEMENTS);
  return { x, outShape, kernel, strides, dilations, padBegin, padEnd, countIncludePad: cip === 1, kernelSize };
}

/**
 * Per spatial dimension and output index: the input offsets (position × stride) of the taps that
 * fall inside the input, and how many taps fall inside the padded extent [−padBegin, size + padEnd).
 * Memory is Σ_d out_d·kernel_d; windows are enumerated from these lists on the fly.
 */
function tapLists(p: PoolPlan): { valid: Int32Array[][]; padded: number[][] } {
  const k = p.kernel.length;
  const spatial = p.x.shape.slice(2);
  const strides = new Array<number>(k);
  let acc = 1;
  for (let i = k - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= spatial[i]!;
  }
  const valid: Int32Array[][] = [];
  const padded: number[][] = [];
  for (let i = 0; i < k; i++) {
    const v: Int32Array[] = [];
    const c: number[] = [];
    for (let o = 0; o < p.outShape[i + 2]!; o++) {
      const start = o * p.strides[i]! - p.padBegin[i]!;
      const pos: number[] = [];
      let inPad = 0;
      for (let j = 0; j < p.kernel[i]!; j++) {
        const q = start + j * p.dilations[i]!;
        if (q >= 0 && q < spatial[i]!) pos.push(q * strides[i]!);
        if (q < spatial[i]! + p.padEnd[i]!) inPad++;
      }
      v.push(Int32Array.from(pos));
      c.push(inPad);
    }
    valid.push(v);
    padded.push(c);
  }
  return { valid, padded };
}

/**
 * Steps `idx` (one entry per list) to the next window tap, odometer style; false after the last.
 * The caller's `idx` is reused for every window, so enumerating allocates nothing.
 */
function nextTap(idx: number[], lists: readonly Int32Array[]): boolean {
  let d = lists.length - 1;
  while (d >= 0 && ++idx[d]! === lists[d]!.length) idx[d--] = 0;
  return d >= 0;
}

/** Max over the window's in-input taps (`lists`: per-dimension offsets); `lo` when there are none. `idx` is scratch of length k. */
function windowMax(data: IntArray, base: number, lists: readonly Int32Array[], lo: number, idx: number[]): number {
  const k = lists.length;
  let v = lo;
  if (k === 2) {
    const l0 = lists[0]!;
    const l1 = lists[1]!;
    for (let i = 0; i < l0.length; i++) {
      const row = base + l0[i]!;
      for (let j = 0; j < l1.length; j++) if (data[row + l1[j]!]! > v) v = data[row + l1[j]!]!;
    }
    return v;
  }
  for (const l of lists) if (l.length === 0) return v;
  idx.fill(0);
  // The innermost list is walked directly; the odometer moves the outer ones.
  const last = lists[k - 1]!;
  for (;;) {
    let off = base;
    for (let i = 0; i < k - 1; i++) off += lists[i]![idx[i]!]!;
    for (let j = 0; j < last.length; j++) if (data[off + last[j]!]! > v) v = data[off + last[j]!]!;
    idx[k - 1] = last.length - 1;
    if (!nextTap(idx, lists)) return v;
  }
}

/** Sum over the window's in-input taps as a double: exact when kernelSize · max|x| < 2^53 (sumIsExact). */
function windowSum(data: IntArray, base: number, lists: readonly Int32Array[], idx: number[]): number {
  const k = lists.length;
  let sum = 0;
  if (k === 2) {
    const l0 = lists[0]!;
    const l1 = lists[1]!;
    for (let i = 0; i < l0.length; i++) {
      const row = base + l0[i]!;
      for (let j = 0; j < l1.length; j++) sum += data[row + l1[j]!]!;
    }
    return sum;
  }
  for (const l of lists) if (l.length === 0) return 0;
  idx.fill(0);
  const last = lists[k - 1]!;
  for (;;) {
    let off = base;
    for (let i = 0; i < k - 1; i++) off += lists[i]![idx[i]!]!;
    for (let j = 0; j < last.length; j++) sum += data[off + last[j]!]!;
    idx[k - 1] = last.length - 1;
    if (!nextTap(idx, lists)) return sum;
  }
}

/** The same sum in BigInt, for windows whose double sum could pass 2^53. */
function windowSumBig(data: IntArray, base: number, lists: readonly Int32Array[], idx: number[]): bigint {
  const k = lists.length;
  let big = 0n;
  for (const l of lists) if (l.length === 0) return 0n;
  idx.fill(0);
  for (;;) {
    let off = base;
    for (let i = 0; i < k; i++) off += lists[i]![idx[i]!]!;
    big += BigInt(data[off]!);
    if (!nextTap(idx, lists)) return big;
  }
}

function poolOp(name: "max_pool" | "avg_pool"): OpDef {
  const attrs = ["kernel_shape", "strides", "pads", "dilations", "ceil_mode", "auto_pad"];
  if (name === "avg_pool") attrs.push("count_include_pad");
  return {
    name,
    inputs: ["x"],
    attrs,
    infer(inputs, a) {
      const p = planPool(name, inputs, a);
      return [{ dtype: p.x.dtype, shape: p.outShape }];
    },
    flops(inputs, a) {
      const p = planPool(name, inputs, a);
      const out = BigInt(numElements(p.outShape));
      return out * BigInt(p.kernelSize) + (name === "avg_pool" ? out : 0n);
    },
    run(inputs, a) {
      const p = planPool(name, inputs, a);
      const data = inputs[0]!.data;
      const y = p.kernel.length === 2 ? pool2d(name, p, data) : (poolByAxis(name, p, data) ?? poolNd(name, p, data));
      return [{ dtype: p.x.dtype, shape: p.outShape, data: y }];
    },
  };
}

/** Whether any window's sum is exact as a double: kernelSize · max|x| < 2^53; otherwise windows are summed in BigInt. */
function sumIsExact(p: PoolPlan): boolean {
  return p.kernelSize * MAX_ABS[p.x.dtype] < 2 ** 53;
}

/** The 2-D kernels (kernels/pool2d.ts) on the plan's geometry. */
function pool2d(name: "max_pool" | "avg_pool", p: PoolPlan, data: IntArray): IntArray {
  const [n, c, h, w] = p.x.shape as [number, number, number, number];
  const g: Pool2dGeometry = {
    planes: n * c, h, w, outH: p.outShape[2]!, outW: p.outShape[3]!,
    kernelH: p.kernel[0]!, kernelW: p.kernel[1]!, strideH: p.strides[0]!, strideW: p.strides[1]!,
    dilationH: p.dilations[0]!, dilationW: p.dilations[1]!,
    padTop: p.padBegin[0]!, padLeft: p.padBegin[1]!, padBottom: p.padEnd[0]!, padRight: p.padEnd[1]!,
  };
  const y = allocate(p.x.dtype, numElements(p.outShape));
  if (name === "max_pool") maxPool2d(data, y, g, DTYPE_MIN[p.x.dtype]);
  else avgPool2d(data, y, g, p.countIncludePad, sumIsExact(p));
  return y;
}

/**
 * The axis-by-axis kernels (kernels/pool-nd.ts) on the plan's geometry, or null when they do not
 * apply: avg_pool sums that need BigInt, or pass buffers that would outgrow the default scratch the
 * memory budget charges pooling (pool declares no scratchBytes; its other allocations are small).
 */
function poolByAxis(name: "max_pool" | "avg_pool", p: PoolPlan, data: IntArray): IntArray | null {
  if (name === "avg_pool" && !sumIsExact(p)) return null;
  const g: PoolNdGeometry = {
    planes: p.x.shape[0]! * p.x.shape[1]!, size: p.x.shape.slice(2), out: p.outShape.slice(2),
    kernel: p.kernel, strides: p.strides, dilations: p.dilations, padBegin: p.padBegin, padEnd: p.padEnd,
  };
  if (!poolNdFits(name, g, p.x.dtype, defaultScratchBytes([p.x], [{ dtype: p.x.dtype, shape: p.outShape }]))) return null;
  const y = allocate(p.x.dtype, numElements(p.outShape));
  if (name === "max_pool") maxPoolNd(data, y, g, p.x.dtype, DTYPE_MIN[p.x.dtype]);
  else avgPoolNd(data, y, g, p.countIncludePad);
  return y;
}

/**
 * The generic kernel for any number of spatial dimensions: output positions outermost, windows
 * enumerated from per-dimension tap lists: the reference the 2-D and axis-by-axis kernels must match.
 */
function poolNd(name: "max_pool" | "avg_pool", p: PoolPlan, data: IntArray): IntArray {
  const y = allocate(p.x.dtype, numElements(p.outShape));
  const planes = p.x.shape[0]! * p.x.shape[1]!;
  const inPlane = numElements(p.x.shape.slice(2));
  const { valid, padded } = tapLists(p);
  const outSpatial = p.outShape.slice(2);
  const outPlane = numElements(outSpatial);
  const k = outSpatial.length;
  const exact = sumIsExact(p);
  const lo = DTYPE_MIN[p.x.dtype];
  const idx = new Array<number>(k).fill(0);
  const tap = new Array<number>(k).fill(0);
  const lists = new Array<Int32Array>(k);
  for (let t = 0; t < outPlane; t++) {
    let padCount = 1;
    for (let i = 0; i < k; i++) {
      lists[i] = valid[i]![idx[i]!]!;
      padCount *= padded[i]![idx[i]!]!;
    }
    for (let c = 0; c < planes; c++) {
      const ib = c * inPlane;
      let v: number;
      if (name === "max_pool") {
        // A window that lies wholly in the padding (possible with dilation) yields the dtype minimum.
        v = windowMax(data, ib, lists, lo, tap);
      } else {
        let count = 1;
        for (let i = 0; i < k; i++) count *= lists[i]!.length;
        const divisor = p.countIncludePad ? padCount : count;
        if (divisor === 0) v = 0;
        else if (exact) v = roundDivAway(windowSum(data, ib, lists, tap), divisor);
        else v = Number(roundDivAwayBig(windowSumBig(data, ib, lists, tap), BigInt(divisor)));
      }
      y[c * outPlane + t] = v;
    }
    for (let i = k - 1; i >= 0; i--) {
      if (++idx[i]! < outSpatial[i]!) break;
      idx[i] = 0;
    }
  }
  return y;
}

/** max_pool or avg_pool through the axis-by-axis kernels whatever the rank, or null where they do not apply (see poolByAxis). */
export function poolSeparable(name: "max_pool" | "avg_pool", inputs: readonly Tensor[], attrs: Attrs): Tensor | null {
  const p = planPool(name, inputs, attrs);
  const y = poolByAxis(name, p, inputs[0]!.data);
  return y && { dtype: p.x.dtype, shape: p.outShape, data: y };
}

/** max_pool or avg_pool through the generic N-D kernel whatever the rank: the reference the tests pin the 2-D and axis-by-axis kernels to. */
export function poolReference(name: "max_pool" | "avg_pool", inputs: readonly Tensor[], attrs: Attrs): Tensor {
  const p = planPool(name, inputs, attrs);
  return { dtype: p.x.dtype, shape: p.outShape, data: poolNd(name, p, inputs[0]!.data) };
}

function planGlobal(metas: readonly TensorMeta[], attrs: Attrs) {
  const op = "global_avg_pool";
  checkAttrNames(op, attrs, []);
  expectInputCount(op, metas, 1, 1);
  const x = metas[0]!;
  expectDType(op, "x", x, INT_DTYPES);
  checkShape(x.shape);
  if (x.shape.length < 3) throw new ShapeMismatchError(op, "x", "[N, C, D1, ...] (rank ≥ 3)", x.shape);
  const count = numElements(x.shape.slice(2));
  const outShape = [x.shape[0]!, x.shape[1]!, ...x.shape.slice(2).map(() => 1)];
  if (count === 0 && numElements(outShape) > 0) throw new ShapeMismatchError(op, "x", "non-empty spatial dimensions", x.shape);
  return { x, count, outShape };
}

const globalAvgPoolOp: OpDef = {
  name: "global_avg_pool",
  inputs: ["x"],
  attrs: [],
  infer(inputs, a) {
    const { x, outShape } = planGlobal(inputs, a);
    return [{ dtype: x.dtype, shape: outShape }];
  },
  flops(inputs, a) {
    const { x, outShape } = planGlobal(inputs, a);
    return BigInt(numElements(x.shape)) + BigInt(numElements(outShape));
  },
  run(inputs, a) {
    const { x, count, outShape } = planGlobal(inputs, a);
    const data = inputs[0]!.data;
    const planes = numElements(outShape);
    const y = allocate(x.dtype, planes);
    const exact = count * MAX_ABS[x.dtype] < 2 ** 53;
    for (let c = 0; c < planes; c++) {
      const b = c * count;
      if (exact) {
        let s = 0;
        for (let j = 0; j < count; j++) s += data[b + j]!;
        y[c] = roundDivAway(s, count);
      } else {
        let s = 0n;
        for (let j = 0; j < count; j++) s += BigInt(data[b + j]!);
        y[c] = Number(roundDivAwayBig(s, BigInt(count)));
      }
    }
    return [{ dtype: x.dtype, shape: outShape, data: y }];
  },
};

export const poolOps: readonly OpDef[] = [poolOp("max_pool"), poolOp("avg_pool"), globalAvgPoolOp];
