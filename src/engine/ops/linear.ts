// matmul and conv2d: int8/int16 × int8 with exact int32 accumulation, optional
// int32 bias, then the shared output stage (int32 as is, or requantized per tensor / per channel).
// Semantics, FLOPs and errors: docs/ops.md.
import { attrInt, attrInts, checkAttrNames } from "../attrs.ts";
import { broadcastIndex, broadcastShapes } from "../broadcast.ts";
import { DTypeMismatchError, InvalidArgumentError, ShapeMismatchError } from "../errors.ts";
import type { Attrs, OpDef, PreparedRun } from "../op.ts";
import { checkShape, DTYPE_MAX, DTYPE_MIN, numElements, unfilled, zeros, type DType, type Tensor, type TensorMeta } from "../tensor.ts";
import { conv2dIm2col, IM2COL_CHUNK_ELEMENTS } from "../kernels/conv2d-im2col.ts";
import type { Conv2dGeometry, Conv2dKernel } from "../kernels/conv2d-reference.ts";
import { matmulFast } from "../kernels/matmul-fast.ts";
import type { MatmulKernel } from "../kernels/matmul-reference.ts";
import { applyOutputStage, parseOutputStage, type OutputStage } from "../kernels/output-stage.ts";

const OUTPUT_ATTRS = ["outDtype", "multiplier", "shift", "zeroPoint"] as const;

function checkArity(op: string, inputs: readonly TensorMeta[], min: number, max: number): void {
  if (inputs.length < min || inputs.length > max) {
    throw new InvalidArgumentError(op, "inputs", `expected ${min === max ? min : `${min} or ${max}`} tensors, got ${inputs.length}`);
  }
}

/** Dtype check plus the shape limits, so a malformed declared shape never reaches the arithmetic. */
function checkDType(op: string, name: string, t: TensorMeta, allowed: readonly DType[]): void {
  if (!allowed.includes(t.dtype)) throw new DTypeMismatchError(op, name, allowed, t.dtype);
  checkShape(t.shape);
}

function checkZeroPoint(op: string, name: string, z: number, dtype: DType): void {
  if (z < DTYPE_MIN[dtype] || z > DTYPE_MAX[dtype]) {
    throw new InvalidArgumentError(op, `attribute "${name}"`, `must lie in the ${dtype} range of the input`);
  }
}

function checkBias(op: string, bias: TensorMeta | undefined, channels: number): void {
  if (!bias) return;
  checkDType(op, "bias", bias, ["int32"]);
  if (bias.shape.length !== 1 || bias.shape[0] !== channels) throw new ShapeMismatchError(op, "bias", [channels], bias.shape);
}

// ---------------------------------------------------------------- matmul

interface MatmulPlan {
  m: number;
  k: number;
  n: number;
  transB: boolean;
  aZero: number;
  batchShape: number[];
  batch: number;
  outShape: number[];
  stage: OutputStage;
}

const MATMUL = "matmul";
const MATMUL_ATTRS: readonly string[] = ["transB", "aZero", ...OUTPUT_ATTRS];

function planMatmul(inputs: readonly TensorMeta[], attrs: Attrs): MatmulPlan {
  checkArity(MATMUL, inputs, 2, 3);
  checkAttrNames(MATMUL, attrs, MATMUL_ATTRS);
  const [a, b, bias] = inputs as [TensorMeta, TensorMeta, TensorMeta | undefined];
  checkDType(MATMUL, "a", a, ["int8", "int16"]);
  checkDType(MATMUL, "b", b, ["int8"]);
  if (a.shape.length < 2) throw new ShapeMismatchError(MATMUL, "a", "rank ≥ 2 ([...,M,K])", a.shape);
  if (b.shape.length < 2) throw new ShapeMismatchError(MATMUL, "b", "rank ≥ 2 ([...,K,N])", b.shape);
  const transB = attrInt(MATMUL, attrs, "transB", 0);
  if (transB !== 0 && transB !== 1) throw new InvalidArgumentError(MATMUL, 'attribute "transB"', "must be 0 or 1");
  const aZero = attrInt(MATMUL, attrs, "aZero", 0);
  checkZeroPoint(MATMUL, "aZero", aZero, a.dtype);
  const m = a.shape[a.shape.length - 2]!;
  const k = a.shape[a.shape.length - 1]!;
  const kb = b.shape[b.shape.length - (transB ? 1 : 2)]!;
  const n = b.shape[b.shape.length - (transB ? 2 : 1)]!;
  if (kb !== k) {
    const want = transB ? `[...,N,${k}] (transB: K last)` : `[...,${k},N] (K = last dim of "a")`;
    throw new ShapeMismatchError(MATMUL, "b", want, b.shape, `inner dimensions differ: a has K=${k}, b has K=${kb}`);
  }
  const batchShape = broadcastShapes(MATMUL, ["a", "b"], a.shape.slice(0, -2), b.shape.slice(0, -2));
  checkBias(MATMUL, bias, n);
  const stage = parseOutputStage(MATMUL, attrs, n);
  const outShape = [...batchShape, m, n];
  checkShape(outShape);
  return { m, k, n, transB: transB === 1, aZero, batchShape, batch: numElements(batchShape), outShape, stage };
}

/** Accumulators up to which matmul reuses one scratch array (256 KiB) instead of allocating per call. */
const SHARED_ACC_MAX = 1 << 16;
let sharedAcc = new Int32Array(0);

/**
 * `size` int32 accumulators for one call's batch entry: the shared scratch when small enough (a decode
 * step's [1,768] allocated afresh cost about as much as requantizing it), else a new array. Only the
 * call holding it reads or writes it: the kernel fills it and the output stage reads it before the
 * call returns, and nothing in between runs another matmul on this thread.
 */
function accumulators(size: number): Int32Array {
  if (size > SHARED_ACC_MAX) return new Int32Array(size);
  if (sharedAcc.length < size) sharedAcc = new Int32Array(Math.min(SHARED_ACC_MAX, Math.max(size, 2 * sharedAcc.length)));
  return sharedAcc.length === size ? sharedAcc : sharedAcc.subarray(0, size);
}

/** Batch entries up to which a prepared matmul keeps its broadcast batch tables (8 bytes an entry; above, made per call). */
const KEPT_BATCH_TABLES = 64;

/**
 * Plans matmul once for these metas and returns the run with a chosen kernel (the op uses the fast
 * one; tests compare it with the reference).
 */
export function prepareMatmul(inputs: readonly TensorMeta[], attrs: Attrs, kernel: MatmulKernel): PreparedRun {
  const p = planMatmul(inputs, attrs);
  const [am, bm] = inputs as [TensorMeta, TensorMeta];
  const size = p.m * p.n;
  // One accumulator matrix, reused per batch entry: scratch stays M·N whatever the batch. With no
  // requantization the int32 output is the accumulator: the kernel writes it in place, no copy.
  const inPlace = p.stage.multiplier === null && p.stage.out === "int32";
  const batchTables = () => [broadcastIndex(am.shape.slice(0, -2), p.batchShape), broadcastIndex(bm.shape.slice(0, -2), p.batchShape)] as const;
  const kept = p.batch <= KEPT_BATCH_TABLES ? batchTables() : undefined;
  return ([a, b, bias]) => {
    // Every element is written below, by the kernel or the output stage (their tests check it).
    const y = unfilled(p.stage.out, p.outShape);
    const acc = inPlace ? null : accumulators(size);
    const [aIndex, bIndex] = kept ?? batchTables();
    for (let i = 0; i < p.batch; i++) {
      kernel({
        a: a!.data, aOffset: aIndex[i]! * p.m * p.k, aZero: p.aZero,
        b: b!.data as Int8Array, bOffset: bIndex[i]! * p.k * p.n, transB: p.transB,
        bias: bias ? (bias.data as Int32Array) : null,
        m: p.m, k: p.k, n: p.n, out: acc ?? (y.data as Int32Array), outOffset: acc ? 0 : i * size,
      });
      if (acc) applyOutputStage(acc, p.stage, p.n, 1, y.data.subarray(i * size, (i + 1) * size));
    }
    return [y];
  };
}

/** Runs matmul with a chosen kernel (the op uses the fast one; tests compare it with the reference). */
export function runMatmul(inputs: readonly Tensor[], attrs: Attrs, kernel: MatmulKernel): Tensor {
  return prepareMatmul(inputs, attrs, kernel)(inputs)[0]!;
}

/**
 * The operand work gas prices beyond a matmul's FLOPs (docs/gas.md): per batch entry, 8 units per
 * element of A (M·K: copied into the kernel's memory and widened into its layout at every call, a
 * memory-bound pass that a tall-skinny product does little else than) and 1 per element of B (K·N:
 * packed too, but once only while a weight stays cached), B again for every entry even when
 * broadcast.
 */
export function matmulOperandUnits(inputs: readonly TensorMeta[], attrs: Attrs): bigint {
  const p = planMatmul(inputs, attrs);
  return BigInt(p.batch) * (8n * BigInt(p.m) * BigInt(p.k) + BigInt(p.k) * BigInt(p.n));
}

/** Elementwise extra work per output: +1 for the bias add, +1 for requantization. */
function epilogueFlops(outputs: number, hasBias: boolean, stage: OutputStage): bigint {
  return BigInt(outputs) * BigInt((hasBias ? 1 : 0) + (stage.multiplier ? 1 : 0));
}

const matmul: OpDef = {
  name: MATMUL,
  inputs: ["a", "b", "bias?"],
  attrs: MATMUL_ATTRS,
  infer(inputs, attrs) {
    const p = planMatmul(inputs, attrs);
    return [{ dtype: p.stage.out, shape: p.outShape }];
  },
  flops(inputs, attrs) {
    const p = planMatmul(inputs, attrs);
    const outputs = p.batch * p.m * p.n;
    return 2n * BigInt(outputs) * BigInt(p.k) + epilogueFlops(outputs, inputs.length === 3, p.stage);
  },
  // The int32 accumulator (one batch entry), both broadcast batch tables, and the portable kernel's
  // centred A and transposed B (the WASM kernel works in its own bounded memory, docs/spec.md).
  scratchBytes(inputs, attrs) {
    const p = planMatmul(inputs, attrs);
    return 4 * p.m * p.n + 8 * p.batch + 4 * p.m * p.k + p.k * p.n;
  },
  prepare(inputs, attrs) {
    return prepareMatmul(inputs, attrs, matmulFast);
  },
  run(inputs, attrs) {
    return prepareMatmul(inputs, attrs, matmulFast)(inputs);
  },
};

// ---------------------------------------------------------------- conv2d

const CONV = "conv2d";
const CONV_ATTRS: readonly string[] = ["strides", "pads", "dilations", "groups", "xZero", ...OUTPUT_ATTRS];
/** Bound on strides, dilations and pads: keeps every index computation far inside exact range. */
const MAX_CONV_ATTR = 65535;

interface ConvPlan {
  geometry: Conv2dGeometry;
  xZero: number;
  outShape: number[];
  stage: OutputStage;
}

function convPair(attrs: Attrs, name: string, fallback: readonly number[], min: number, length: number): readonly number[] {
  const v = attrInts(CONV, attrs, name, fallback);
  if (v.length !== length || v.some((e) => e < min || e > MAX_CONV_ATTR)) {
    throw new InvalidArgumentError(CONV, `attribute "${name}"`, `must hold ${length} integers in [${min}, ${MAX_CONV_ATTR}]`);
  }
  return v;
}

function planConv(inputs: readonly TensorMeta[], attrs: Attrs): ConvPlan {
  checkArity(CONV, inputs, 2, 3);
  checkAttrNames(CONV, attrs, CONV_ATTRS);
  const [x, w, bias] = inputs as [TensorMeta, TensorMeta, TensorMeta | undefined];
  checkDType(CONV, "x", x, ["int8", "int16"]);
  checkDType(CONV, "weight", w, ["int8"]);
  if (x.shape.length !== 4) throw new ShapeMismatchError(CONV, "x", "[N,Cin,H,W]", x.shape);
  if (w.shape.length !== 4) throw new ShapeMismatchError(CONV, "weight", "[Cout,Cin/groups,kH,kW]", w.shape);
  const [batch, cin, h, wd] = x.shape as [number, number, number, number];
  const [cout, cinG, kh, kw] = w.shape as [number, number, number, number];
  const groups = attrInt(CONV, attrs, "groups", 1);
  if (groups < 1 || cin % groups !== 0 || cout % groups !== 0) {
    throw new InvalidArgumentError(CONV, 'attribute "groups"', `${groups} must be ≥ 1 and divide Cin=${cin} and Cout=${cout}`);
  }
  if (cinG !== cin / groups || kh < 1 || kw < 1) {
    throw new ShapeMismatchError(CONV, "weight", `[${cout},${cin / groups},kH≥1,kW≥1]`, w.shape, `Cin=${cin}, groups=${groups}`);
  }
  const [strideH, strideW] = convPair(attrs, "strides", [1, 1], 1, 2) as [number, number];
  const [dilationH, dilationW] = convPair(attrs, "dilations", [1, 1], 1, 2) as [number, number];
  const [padTop, padLeft, padBottom, padRight] = convPair(attrs, "pads", [0, 0, 0, 0], 0, 4) as [number, number, number, number];
  const xZero = attrInt(CONV, attrs, "xZero", 0);
  checkZeroPoint(CONV, "xZero", xZero, x.dtype);
  const spanH = dilationH * (kh - 1) + 1;
  const spanW = dilationW * (kw - 1) + 1;
  if (h + padTop + padBottom < spanH || wd + padLeft + padRight < spanW) {
    throw new ShapeMismatchError(CONV, "x", `padded H ≥ ${spanH} and W ≥ ${spanW} (dilated kernel)`, x.shape);
  }
  const hout = Math.floor((h + padTop + padBottom - spanH) / strideH) + 1;
  const wout = Math.floor((wd + padLeft + padRight - spanW) / strideW) + 1;
  checkBias(CONV, bias, cout);
  const stage = parseOutputStage(CONV, attrs, cout);
  const outShape = [batch, cout, hout, wout];
  checkShape(outShape);
  const geometry: Conv2dGeometry = {
    batch, cin, h, w: wd, cout, kh, kw, groups, strideH, strideW, padTop, padLeft, dilationH, dilationW, hout, wout,
  };
  return { geometry, xZero, outShape, stage };
}

/** Runs conv2d with a chosen kernel (the op uses im2col; tests compare it with the reference). */
export function runConv2d(inputs: readonly Tensor[], attrs: Attrs, kernel: Conv2dKernel): Tensor {
  const p = planConv(inputs, attrs);
  const [x, w, bias] = inputs as [Tensor, Tensor, Tensor | undefined];
  const acc = new Int32Array(numElements(p.outShape));
  kernel({ x: x.data, xZero: p.xZero, weight: w.data as Int8Array, bias: bias ? (bias.data as Int32Array) : null, g: p.geometry, out: acc });
  const y = zeros(p.stage.out, p.outShape);
  applyOutputStage(acc, p.stage, p.geometry.cout, p.geometry.hout * p.geometry.wout, y.data);
  return y;
}

const conv2d: OpDef = {
  name: CONV,
  inputs: ["x", "weight", "bias?"],
  attrs: CONV_ATTRS,
  infer(inputs, attrs) {
    const p = planConv(inputs, attrs);
    return [{ dtype: p.stage.out, shape: p.outShape }];
  },
  flops(inputs, attrs) {
    const p = planConv(inputs, attrs);
    const g = p.geometry;
    const outputs = numElements(p.outShape);
    const macsPerOutput = (g.cin / g.groups) * g.kh * g.kw;
    return 2n * BigInt(outputs) * BigInt(macsPerOutput) + epilogueFlops(outputs, inputs.length === 3, p.stage);
  },
  // The int32 accumulators, then per chunk of output positions the im2col rows (as the input's
  // dtype, at most 2 bytes), their int32 products and the portable kernel's centred copy of them.
  scratchBytes(inputs, attrs) {
    const g = planConv(inputs, attrs).geometry;
    const positions = g.hout * g.wout;
    const kc = (g.cin / g.groups) * g.kh * g.kw;
    const chunk = Math.max(1, Math.min(positions, Math.floor(IM2COL_CHUNK_ELEMENTS / Math.max(1, kc))));
    return 4 * g.batch * g.cout * positions + chunk * kc * (2 + 4) + 4 * chunk * (g.cout / g.groups);
  },
  run(inputs, attrs) {
    return [runConv2d(inputs, attrs, conv2dIm2col)];
  },
};

export const linearOps: readonly OpDef[] = [matmul, conv2d];
