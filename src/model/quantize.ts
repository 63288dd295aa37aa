// Lowers the float graph onto the integer engine ops: per-channel int8 weights, int8/int16
// activations with one scale per tensor, int32 bias, integer requantization (M, t), lookup
// tables for non-linear unary functions. Floats are used here only to choose those integers.
import { InvalidArgumentError, UnsupportedOpError } from "../engine/errors.ts";
import { DTYPE_MAX, tensor, type DType, type Tensor } from "../engine/tensor.ts";
import { MAX_ATTR_INTS, type Program } from "../codec/program.ts";
import { ProgramBuilder, type ValueRef } from "./compile.ts";
import { TABLE_UNARY_OPS, UNARY_FUNCTIONS, poolGeometry, sizeOf, unaryFunction } from "./float-exec.ts";
import type { FloatGraph, FloatNode } from "./graph.ts";
import { nodeLabel } from "./graph.ts";
import type { HostDType, HostTensor, OnnxAttr } from "./onnx.ts";
import { buildLut, type LutFunction } from "./lut.ts";
import { fileWeights, fixedSpec, onnxIntegerRange, type FileWeights } from "./qdq.ts";

const LUT_NAMES: Record<string, LutFunction | undefined> = { Sigmoid: "sigmoid", Tanh: "tanh", Exp: "exp", Erf: "erf", Gelu: "gelu", Silu: "silu" };

/** real = (q − zeroPoint) · scale. `integer` marks index/mask tensors carried exactly (scale 1). */
export interface QuantSpec {
  dtype: DType;
  scale: number;
  zeroPoint: number;
  integer?: boolean;
  /** Taken from the model file (QDQ / QLinear*), not calibrated. */
  fixed?: boolean;
}

export interface ValueStats {
  shape: number[];
  dtype: HostDType;
  /** max |v| over the calibration set (0 for an all-zero tensor). */
  maxAbs: number;
  /** Smallest and largest value seen (DynamicQuantizeLinear made static takes its range from them). */
  min?: number;
  max?: number;
}

export interface QuantizeOptions {
  /** Tensors to carry as int16 rather than int8 (chosen by calibrate.ts where accuracy needs it). */
  wide?: ReadonlySet<string>;
}

export interface IoSpec {
  name: string;
  shape: number[];
  /** The ONNX element type at the model boundary. */
  hostDtype: HostDType;
  quant: QuantSpec;
  /**
   * The model's first op on this input is a QuantizeLinear (or a DynamicQuantizeLinear made static):
   * the host applies it (round half to even, per tensor or per channel) and the program receives
   * the ONNX integers (`quant` is then integer-coded).
   */
  onnxQuantize?: { scales: number[]; zeroPoints: number[]; axis: number; lo: number; hi: number };
}

export interface QuantizedModel {
  program: Program;
  inputs: IoSpec[];
  outputs: IoSpec[];
  /** For every float-graph tensor that has an integer counterpart: its program value id and quantization. */
  tensors: Map<string, { id: number; quant: QuantSpec }>;
  /** The float-graph node each program node was emitted for. */
  labels: string[];
}

const OUT_DTYPE_CODE: Record<DType, number> = { int8: 0, int16: 1, int32: 2 };
const AUTO_PAD_CODE: Record<string, number> = { NOTSET: 0, SAME_UPPER: 1, SAME_LOWER: 2, VALID: 3 };

/** Integer multiplier and shift with M/2^t ≈ r, M < 2^31, 0 ≤ t ≤ 62 (requant.ts semantics). */
export function requantParams(r: number): { multiplier: number; shift: number } {
  if (!(r > 0) || !Number.isFinite(r)) return { multiplier: 0, shift: 0 };
  let shift = Math.min(62, Math.max(0, Math.floor(Math.log2((2 ** 31 - 1) / r))));
  let multiplier = Math.round(r * 2 ** shift);
  while (multiplier > 0x7fffffff && shift > 0) {
    shift--;
    multiplier = Math.round(r * 2 ** shift);
  }
  return { multiplier: Math.min(multiplier, 0x7fffffff), shift };
}

function qmax(d: DType): number {
  return DTYPE_MAX[d];
}

function scaleFor(maxAbs: number, d: DType): number {
  return maxAbs > 0 && Number.isFinite(maxAbs) ? maxAbs / qmax(d) : 1 / qmax(d);
}

function quantizeValues(data: ArrayLike<number>, scale: number, d: DType): number[] {
  const hi = qmax(d), lo = -hi - 1;
  return Array.from(data, (v) => Math.min(hi, Math.max(lo, Math.round(v / scale))));
}

function num(v: OnnxAttr | undefined, fallback: number): number {
  return typeof v === "number" ? v : fallback;
}
function ints(v: OnnxAttr | undefined, fallback: number[]): number[] {
  return Array.isArray(v) ? v.map(Number) : typeof v === "number" ? [v] : fallback;
}

interface Lowered {
  ref: ValueRef;
  q: QuantSpec;
}

/** Lowers a float graph with calibration statistics to an integer tensor program. */
export function quantizeGraph(graph: FloatGraph, stats: ReadonlyMap<string, ValueStats>, options: QuantizeOptions = {}): QuantizedModel {
  const b = new ProgramBuilder();
  const env = new Map<string, Lowered>();
  const wide = options.wide ?? new Set<string>();
  const stat = (name: string): ValueStats => {
    const s = stats.get(name);
    if (!s) throw new InvalidArgumentError("quantize", `tensor "${name}"`, "has no calibration statistics");
    return s;
  };
  const actDType = (name: string): DType => (wide.has(name) ? "int16" : "int8");
  const fixedOf = (name: string): QuantSpec | undefined => {
    const fq = graph.fixedQuant?.get(name);
    return fq && fq.scale.length === 1 ? { ...fixedSpec(fq), fixed: true } : undefined;
  };
  // A value whose quantization the model file fixes (QDQ) keeps it whatever calibration saw.
  const actSpec = (name: string, d: DType = actDType(name)): QuantSpec => fixedOf(name) ?? { dtype: d, scale: scaleFor(stat(name).maxAbs, d), zeroPoint: 0 };

  const boundary = new Set<string>();
  const inputs: IoSpec[] = graph.inputs.map((inp) => {
    const isFloat = inp.dtype === "float32" || inp.dtype === "float64";
    // Integer inputs are carried exactly: uint8 (quantized data) in int16.
    const intDType: DType = inp.dtype === "bool" || inp.dtype === "int8" ? "int8" : inp.dtype === "uint8" ? "int16" : "int32";
    const host = isFloat ? hostQuantization(graph, inp.name, inp.shape.length, stats) : undefined;
    if (host) {
      const quant: QuantSpec = { dtype: onnxIntegerRange(host.onnxType).engine, scale: 1, zeroPoint: 0, integer: true };
      boundary.add(inp.name);
      env.set(inp.name, { ref: b.input(quant.dtype, inp.shape), q: quant });
      return { name: inp.name, shape: inp.shape, hostDtype: inp.dtype, quant, onnxQuantize: host.params };
    }
    const quant: QuantSpec = isFloat ? actSpec(inp.name) : { dtype: intDType, scale: 1, zeroPoint: 0, integer: true };
    env.set(inp.name, { ref: b.input(quant.dtype, inp.shape), q: quant });
    return { name: inp.name, shape: inp.shape, hostDtype: inp.dtype, quant };
  });

  const constRef = (name: string, d?: DType): Lowered => {
    const c = graph.constants.get(name)!;
    if (c.dtype !== "float32" && c.dtype !== "float64") {
      const q: QuantSpec = { dtype: "int32", scale: 1, zeroPoint: 0, integer: true };
      return { ref: b.constant(tensor("int32", c.shape, Array.from(c.data))), q };
    }
    let maxAbs = 0;
    for (const v of c.data) maxAbs = Math.max(maxAbs, Math.abs(v));
    const dt = d ?? "int16";
    const q: QuantSpec = { dtype: dt, scale: scaleFor(maxAbs, dt), zeroPoint: 0 };
    return { ref: b.constant(tensor(dt, c.shape, quantizeValues(c.data, q.scale, dt))), q };
  };
  const get = (name: string, d?: DType): Lowered => {
    const v = env.get(name);
    if (v) return v;
    if (graph.constants.has(name)) {
      const c = constRef(name, d);
      env.set(name, c);
      return c;
    }
    throw new InvalidArgumentError("quantize", `tensor "${name}"`, "is used before it is defined");
  };

  /** Rescales a value to another quantization (identity when they already agree). */
  const requant = (v: Lowered, to: QuantSpec, label: string): Lowered => {
    if (v.q.dtype === to.dtype && v.q.scale === to.scale && v.q.zeroPoint === to.zeroPoint) return v;
    const { multiplier, shift } = requantParams(v.q.scale / to.scale);
    const ref = b.one("requantize", [v.ref], { outDtype: OUT_DTYPE_CODE[to.dtype], multiplier: [multiplier], shift: [shift], zeroPoint: to.zeroPoint, inZero: v.q.zeroPoint }, label);
    return { ref, q: to };
  };
  const reshape = (v: Lowered, shape: readonly number[], label: string): Lowered => {
    const m = b.meta(v.ref);
    if (m.shape.length === shape.length && m.shape.every((d, i) => d === shape[i])) return v;
    return { ref: b.one("reshape", [v.ref], { shape: [...shape] }, label), q: v.q };
  };

  for (const node of graph.nodes) {
    const label = nodeLabel(node);
    const out = node.outputs[0]!;
    const set = (v: Lowered, name = out) => env.set(name, v);
    lowerNode(node, { b, graph, label, out, set, get, stat, actSpec, actDType, requant, reshape, constRef, boundary });
  }

  const outputs: IoSpec[] = [];
  const outRefs: ValueRef[] = [];
  for (const name of graph.outputs) {
    let v = env.get(name);
    if (!v && graph.constants.has(name)) v = get(name);
    if (!v) throw new InvalidArgumentError("quantize", `output "${name}"`, "was not produced");
    outRefs.push(v.ref);
    const s = stat(name);
    outputs.push({ name, shape: s.shape, hostDtype: s.dtype, quant: v.q });
  }
  const built = b.build(outRefs);
  const tensors = new Map<string, { id: number; quant: QuantSpec }>();
  for (const [name, v] of env) tensors.set(name, { id: built.ids(v.ref), quant: v.q });
  return { program: built.program, inputs, outputs, tensors, labels: built.labels };
}

interface LowerContext {
  b: ProgramBuilder;
  graph: FloatGraph;
  label: string;
  out: string;
  set(v: Lowered, name?: string): void;
  get(name: string, d?: DType): Lowered;
  stat(name: string): ValueStats;
  actSpec(name: string, d?: DType): QuantSpec;
  actDType(name: string): DType;
  requant(v: Lowered, to: QuantSpec, label: string): Lowered;
  reshape(v: Lowered, shape: readonly number[], label: string): Lowered;
  constRef(name: string, d?: DType): Lowered;
  /** Graph inputs the host quantizes with the model's own QuantizeLinear (IoSpec.onnxQuantize). */
  boundary: ReadonlySet<string>;
}

/** Per-channel (or, above the program's attribute limit, per-tensor) symmetric int8 weights. */
function quantizeWeights(w: HostTensor, channelAxis: number): { data: number[]; scales: number[]; perChannel: boolean } {
  const C = w.shape[channelAxis]!;
  const inner = sizeOf(w.shape.slice(channelAxis + 1));
  const chanOf = (i: number) => Math.floor(i / inner) % C;
  const perChannel = C <= MAX_ATTR_INTS;
  const maxAbs = new Array<number>(perChannel ? C : 1).fill(0);
  w.data.forEach((v, i) => {
    const c = perChannel ? chanOf(i) : 0;
    maxAbs[c] = Math.max(maxAbs[c]!, Math.abs(v));
  });
  const scales = maxAbs.map((m) => scaleFor(m, "int8"));
  const data = Array.from(w.data, (v, i) => Math.min(127, Math.max(-127, Math.round(v / scales[perChannel ? chanOf(i) : 0]!))));
  return { data, scales, perChannel };
}

function outputStage(accScales: readonly number[], q: QuantSpec): Record<string, number | number[]> {
  const ps = accScales.map((s) => requantParams(s / q.scale));
  return { outDtype: OUT_DTYPE_CODE[q.dtype], multiplier: ps.map((p) => p.multiplier), shift: ps.map((p) => p.shift), zeroPoint: q.zeroPoint };
}

function biasTensor(bias: HostTensor | undefined, accScales: readonly number[], n: number): Tensor | undefined {
  if (!bias) return undefined;
  const data = Array.from({ length: n }, (_, j) => {
    const v = Math.round(bias.data[bias.data.length === 1 ? 0 : j]! / accScales[accScales.length === 1 ? 0 : j]!);
    return Math.min(2147483647, Math.max(-2147483648, v));
  });
  return tensor("int32", [n], data);
}

/** DynamicQuantizeLinear's uint8 scale and zero point (ONNX formula) over the calibrated range. */
function staticDynamicQuantize(s: ValueStats): { scale: number; zeroPoint: number } {
  // In float32, as the ONNX definition and onnxruntime compute it.
  const f = Math.fround;
  const lo = f(Math.min(0, s.min ?? -s.maxAbs)), hi = f(Math.max(0, s.max ?? s.maxAbs));
  const scale = hi > lo ? f(f(hi - lo) / 255) : 1;
  return { scale, zeroPoint: Math.min(255, Math.max(0, roundHalfEven(f(-lo / scale)))) };
}

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** A float graph input whose only reader is a QuantizeLinear (constant parameters) or a DynamicQuantizeLinear. */
function hostQuantization(graph: FloatGraph, name: string, rank: number, stats: ReadonlyMap<string, ValueStats>): { onnxType: string; params: NonNullable<IoSpec["onnxQuantize"]> } | undefined {
  const readers = graph.nodes.filter((n) => n.inputs.includes(name));
  const n = readers[0];
  if (readers.length !== 1 || graph.outputs.includes(name) || !n || n.inputs[0] !== name) return undefined;
  if (n.op === "DynamicQuantizeLinear") {
    const s = stats.get(name);
    if (!s) return undefined;
    const d = staticDynamicQuantize(s);
    return { onnxType: "uint8", params: { scales: [d.scale], zeroPoints: [d.zeroPoint], axis: 0, lo: 0, hi: 255 } };
  }
  if (n.op !== "QuantizeLinear") return undefined;
  const sc = graph.constants.get(n.inputs[1]!), zp = n.inputs[2] ? graph.constants.get(n.inputs[2]) : undefined;
  if (!sc || (n.inputs[2] && !zp)) return undefined;
  const onnxType = zp?.dtype ?? "uint8";
  const { lo, hi } = onnxIntegerRange(onnxType);
  const raw = typeof n.attrs.axis === "number" ? n.attrs.axis : 1;
  const axis = sc.data.length === 1 ? 0 : raw < 0 ? raw + rank : raw;
  return { onnxType, params: { scales: Array.from(sc.data), zeroPoints: zp ? Array.from(zp.data) : Array.from(sc.data, () => 0), axis, lo, hi } };
}

/** The weight integers: the model file's own (QDQ) when they map onto the engine, else quantized here. */
function weightsOf(c: LowerContext, name: string, w: HostTensor, channelAxis: number): FileWeights {
  const file = fileWeights(c.graph, name, w, channelAxis);
  if (file) return file;
  const wq = quantizeWeights(w, channelAxis);
  return { parts: [wq.data], scales: wq.scales };
}

/**
 * matmul or conv2d with constant int8 weights given as one part, or as 2·high + low (8-bit integers
 * minus a zero point span 9 bits): exact int32 partial sums, the high one doubled exactly
 * (M/2^t = 2^30/2^29), added, then one requantization per output channel (`axis`), so the result
 * equals one pass with the whole weight.
 */
function weightedOp(
  c: LowerContext, op: "matmul" | "conv2d", x: ValueRef, shape: readonly number[], w: FileWeights, bias: Tensor | undefined,
  attrs: Record<string, number | number[]>, accScales: readonly number[], q: QuantSpec, axis: number,
): ValueRef {
  const { b, label } = c;
  const pass = (i: number, more: Record<string, number | number[]>) =>
    // The bias joins the last (undoubled) part.
    b.one(op, [x, b.constant(tensor("int8", [...shape], w.parts[i]!)), ...(i === w.parts.length - 1 && bias ? [b.constant(bias)] : [])], { ...attrs, ...more }, label);
  if (w.parts.length === 1) return pass(0, outputStage(accScales, q));
  const high = b.one("requantize", [pass(0, {})], { outDtype: OUT_DTYPE_CODE.int32, multiplier: [2 ** 30], shift: [29], zeroPoint: 0 }, label);
  const acc = b.one("add", [high, pass(1, {})], { outDtype: OUT_DTYPE_CODE.int32 }, label);
  return b.one("requantize", [acc], { ...outputStage(accScales, q), ...(accScales.length > 1 ? { axis } : {}) }, label);
}

/** A constant per-channel int32 tensor broadcast along `axis` of a value of rank `rank`. */
function channelConstant(values: readonly number[], axis: number, rank: number): Tensor {
  return tensor("int32", Array.from({ length: rank }, (_, d) => (d === axis ? values.length : 1)), [...values]);
}

/**
 * DequantizeLinear with a scale per channel on exact integers: subtract the zero points (exact),
 * then one requantization per channel into int32 at a common scale fine enough that each channel's
 * step is at least 256 units (or as fine as 255·max step keeps inside int32).
 */
function dequantizePerAxis(c: LowerContext, x: Lowered, scales: number[], zeros: number[] | undefined, axisAttr: number): Lowered {
  const { b, label } = c;
  const rank = b.meta(x.ref).shape.length;
  const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
  const centred = zeros && zeros.some((z) => z !== 0)
    ? b.one("sub", [x.ref, b.constant(channelConstant(zeros, axis, rank))], { outDtype: OUT_DTYPE_CODE.int32 }, label)
    : x.ref;
  const common = Math.max(Math.min(...scales) / 256, (255 * Math.max(...scales)) / 2 ** 30);
  const ps = scales.map((s) => requantParams(s / common));
  const ref = b.one("requantize", [centred], { outDtype: OUT_DTYPE_CODE.int32, multiplier: ps.map((p) => p.multiplier), shift: ps.map((p) => p.shift), zeroPoint: 0, axis }, label);
  return { ref, q: { dtype: "int32", scale: common, zeroPoint: 0 } };
}

/**
 * QuantizeLinear: the ONNX integers themselves (integer-coded, uint8 held in int16). Per tensor it is
 * one requantization to the file's scale and zero point, exact when the input already carries that
 * quantization (a graph input, or a value the file fixes); per axis, one requantization per channel
 * into int32, the zero points added, and the ONNX range clipped.
 */
function quantizeToOnnx(c: LowerContext, x: Lowered, scales: number[], zeros: number[] | undefined, onnxType: string, axisAttr: number): Lowered {
  const { b, label } = c;
  const { lo, hi, engine } = onnxIntegerRange(onnxType);
  const coded: QuantSpec = { dtype: engine, scale: 1, zeroPoint: 0, integer: true };
  const clipped = (ref: ValueRef, dtype: DType) => (DTYPE_MAX[dtype] > hi || -DTYPE_MAX[dtype] - 1 < lo ? b.one("clip", [ref], { min: lo, max: hi }, label) : ref);
  if (scales.length === 1) {
    const y = c.requant(x, { dtype: engine, scale: scales[0]!, zeroPoint: zeros?.[0] ?? 0 }, label);
    return { ref: clipped(y.ref, engine), q: coded };
  }
  const rank = b.meta(x.ref).shape.length;
  const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
  const ps = scales.map((s) => requantParams(x.q.scale / s));
  let ref = b.one("requantize", [x.ref], { outDtype: OUT_DTYPE_CODE.int32, multiplier: ps.map((p) => p.multiplier), shift: ps.map((p) => p.shift), zeroPoint: 0, inZero: x.q.zeroPoint, axis }, label);
  if (zeros && zeros.some((z) => z !== 0)) ref = b.one("add", [ref, b.constant(channelConstant(zeros, axis, rank))], { outDtype: OUT_DTYPE_CODE.int32 }, label);
  ref = b.one("clip", [ref], { min: lo, max: hi }, label);
  if (engine !== "int32") ref = c.requant({ ref, q: { dtype: "int32", scale: 1, zeroPoint: 0 } }, { dtype: engine, scale: 1, zeroPoint: 0 }, label).ref;
  return { ref, q: coded };
}

/** 256-entry table for f on an int8 input of scale sIn: entry i holds round(f((i − 128)·sIn)/sOut). */
export function buildTable(f: (x: number) => number, sIn: number, sOut: number, d: DType): number[] {
  const hi = qmax(d), lo = -hi - 1;
  return Array.from({ length: 256 }, (_, i) => {
    const y = f((i - 128) * sIn);
    const q = Number.isFinite(y) ? Math.round(y / sOut) : y > 0 ? hi : Number.isNaN(y) ? 0 : lo;
    return Math.min(hi, Math.max(lo, q));
  });
}

/**
 * A·B with B known only at run time. The engine's B operand is int8; when calibration widened B to
 * int16, B = 256·hi + lo with int8 hi and lo, and A·B = 256·(A·hi) + A·lo from two int8 passes.
 */
function runtimeMatmul(c: LowerContext, A: Lowered, B0: Lowered, bName: string, alpha: number, transB: number, q: QuantSpec, label: string): ValueRef {
  const { b } = c;
  const am = b.meta(A.ref).shape;
  const K = am[am.length - 1]!;
  const maxA = A.q.dtype === "int8" ? 128 : 32768;
  // Both partial products must stay exact in int32: |A|·128·K < 2^31.
  const split = c.actDType(bName) === "int16" && maxA * 128 * K < 2 ** 31;
  const tb: Record<string, number> = { ...(transB ? { transB } : {}), ...(A.q.zeroPoint ? { aZero: A.q.zeroPoint } : {}) };
  if (!split) {
    const B = c.requant(B0, { dtype: "int8", scale: scaleFor(c.stat(bName).maxAbs, "int8"), zeroPoint: 0 }, label);
    return b.one("matmul", [A.ref, B.ref], { ...tb, ...outputStage([alpha * A.q.scale * B.q.scale], q) }, label);
  }
  const B16 = c.requant(B0, { dtype: "int16", scale: scaleFor(c.stat(bName).maxAbs, "int16"), zeroPoint: 0 }, label);
  // hi = round(B/256) (M/2^t = 1/256); lo = B − 256·hi ∈ [−128, 127].
  const hi = b.one("requantize", [B16.ref], { outDtype: OUT_DTYPE_CODE.int8, multiplier: [1], shift: [8], zeroPoint: 0 }, label);
  const lo = b.one("sub", [B16.ref, hi], { bMultiplier: 256, bShift: 0, outDtype: OUT_DTYPE_CODE.int8 }, label);
  const accHi = b.one("matmul", [A.ref, hi], { ...tb, outDtype: OUT_DTYPE_CODE.int32 }, label);
  const accLo = b.one("matmul", [A.ref, lo], { ...tb, outDtype: OUT_DTYPE_CODE.int32 }, label);
  const unit = alpha * A.q.scale * B16.q.scale;
  // A common int32 domain 2^14 finer than the output keeps the sum's rounding far below one output step.
  const common = q.scale / 2 ** 14;
  const sa = requantParams((256 * unit) / common), sb = requantParams(unit / common), so = requantParams(common / q.scale);
  return b.one("add", [accHi, accLo], {
    aMultiplier: sa.multiplier, aShift: sa.shift, bMultiplier: sb.multiplier, bShift: sb.shift,
    outMultiplier: so.multiplier, outShift: so.shift, outDtype: OUT_DTYPE_CODE[q.dtype], zeroPoint: q.zeroPoint,
  }, label);
}

const INTEGER: QuantSpec = { dtype: "int32", scale: 1, zeroPoint: 0, integer: true };

/** Both operands and the ONNX result are integers (or bool): the op runs exactly in int32. */
function integerResult(c: LowerContext, x: Lowered, y: Lowered): boolean {
  const d = c.stat(c.out).dtype;
  return !!x.q.integer && !!y.q.integer && d !== "float32" && d !== "float64";
}

function lowerNode(node: FloatNode, c: LowerContext): void {
  const { b, label, out } = c;
  const a = node.attrs;
  const outShape = () => c.stat(out).shape;
  const floatIn = (i: number) => c.get(node.inputs[i]!);
  switch (node.op) {
    case "aivm.Linear": {
      const x0 = floatIn(0);
      const W = c.graph.constants.get(node.inputs[1]!);
      const q = c.actSpec(out);
      const xm = b.meta(x0.ref);
      const x = xm.shape.length === 1 ? c.reshape(x0, [1, xm.shape[0]!], label) : x0;
      const xa = x.q.dtype === "int32" ? c.requant(x, c.actSpec(node.inputs[0]!, "int16"), label) : x;
      if (W && W.shape.length === 2) {
        const N = W.shape[1]!;
        const wq = weightsOf(c, node.inputs[1]!, W, 1);
        const accScales = wq.scales.map((s) => s * xa.q.scale);
        const bias = biasTensor(node.inputs[2] ? c.graph.constants.get(node.inputs[2]) : undefined, accScales, N);
        const y = weightedOp(c, "matmul", xa.ref, W.shape, wq, bias, xa.q.zeroPoint ? { aZero: xa.q.zeroPoint } : {}, accScales, q, -1);
        c.set(c.reshape({ ref: y, q }, outShape(), label));
        return;
      }
      // Both operands at run time.
      if (node.inputs[2]) throw new UnsupportedOpError("Gemm (C given at run time)", ["Gemm with a constant C"], `node "${node.name}"`);
      const y = runtimeMatmul(c, xa, c.get(node.inputs[1]!), node.inputs[1]!, num(a.alpha, 1), num(a.transB, 0), q, label);
      c.set(c.reshape({ ref: y, q }, outShape(), label));
      return;
    }
    case "MatMul": {
      const A0 = floatIn(0);
      const q = c.actSpec(out);
      const am = b.meta(A0.ref).shape;
      let A = am.length === 1 ? c.reshape(A0, [1, am[0]!], label) : A0;
      if (A.q.dtype === "int32") A = c.requant(A, c.actSpec(node.inputs[0]!, "int16"), label);
      const W = c.graph.constants.get(node.inputs[1]!);
      const file = W && W.shape.length >= 2 ? fileWeights(c.graph, node.inputs[1]!, W, W.shape.length - 1) : undefined;
      if (file) {
        // A batched constant B the file quantized (QLinearMatMul): its own integers, per column.
        const y = weightedOp(c, "matmul", A.ref, W!.shape, file, undefined, A.q.zeroPoint ? { aZero: A.q.zeroPoint } : {}, file.scales.map((s) => s * A.q.scale), q, -1);
        c.set(c.reshape({ ref: y, q }, outShape(), label));
        return;
      }
      const B0 = floatIn(1);
      const bm = b.meta(B0.ref).shape;
      const B = bm.length === 1 ? c.reshape(B0, [bm[0]!, 1], label) : B0;
      const y = runtimeMatmul(c, A, B, node.inputs[1]!, 1, 0, q, label);
      c.set(c.reshape({ ref: y, q }, outShape(), label));
      return;
    }
    case "Conv": {
      const x0 = floatIn(0);
      const x = x0.q.dtype === "int32" ? c.requant(x0, c.actSpec(node.inputs[0]!, "int16"), label) : x0;
      const W = c.graph.constants.get(node.inputs[1]!);
      if (!W || W.shape.length !== 4) throw new UnsupportedOpError("Conv (other than 2-D with constant weights)", ["Conv 2-D"], `node "${node.name}"`);
      const q = c.actSpec(out);
      const xm = b.meta(x.ref).shape;
      const g = poolGeometry(xm.slice(2), a, ints(a.kernel_shape, W.shape.slice(2)), label);
      const wq = weightsOf(c, node.inputs[1]!, W, 0);
      const accScales = wq.scales.map((s) => s * x.q.scale);
      const Co = W.shape[0]!;
      const bias = biasTensor(node.inputs[2] ? c.graph.constants.get(node.inputs[2]) : undefined, accScales, Co);
      const attrs: Record<string, number | number[]> = {
        strides: g.strides, pads: [g.pads[0]!, g.pads[1]!, g.pads[2]!, g.pads[3]!], dilations: g.dilations, groups: num(a.group, 1),
        // Padding reads as the zero point: real 0.
        ...(x.q.zeroPoint ? { xZero: x.q.zeroPoint } : {}),
      };
      c.set({ ref: weightedOp(c, "conv2d", x.ref, W.shape, wq, bias, attrs, accScales, q, 1), q });
      return;
    }
    case "Relu": {
      const x = floatIn(0);
      c.set({ ref: b.one("relu", [x.ref], x.q.zeroPoint ? { zeroPoint: x.q.zeroPoint } : {}, label), q: x.q });
      return;
    }
    case "Softmax": case "LogSoftmax": {
      const x = floatIn(0);
      const { multiplier, shift } = requantParams(x.q.scale);
      const isLog = node.op === "LogSoftmax";
      const dt: DType = isLog ? "int32" : "int16";
      const q: QuantSpec = isLog ? { dtype: "int32", scale: 2 ** -16, zeroPoint: 0 } : { dtype: "int16", scale: 2 ** -15, zeroPoint: 0 };
      const ref = b.one(isLog ? "log_softmax" : "softmax", [x.ref], { axis: num(a.axis, -1), multiplier, shift, outDtype: OUT_DTYPE_CODE[dt] }, label);
      c.set({ ref, q });
      return;
    }
    case "aivm.LayerNorm": {
      const x = floatIn(0);
      const xs = b.meta(x.ref).shape;
      const axis = num(a.axis, -1) < 0 ? num(a.axis, -1) + xs.length : num(a.axis, -1);
      const normShape = xs.slice(axis);
      const n = sizeOf(normShape);
      const expand = (t: HostTensor | undefined, fill: number) => {
        const base = t ? t.data : [fill];
        const k = base.length;
        return Array.from({ length: n }, (_, i) => base[k === 1 ? 0 : i % k]!);
      };
      const gammaF = expand(node.inputs[1] ? c.graph.constants.get(node.inputs[1]) : undefined, 1);
      const betaF = node.inputs[2] ? expand(c.graph.constants.get(node.inputs[2]), 0) : undefined;
      const gMax = gammaF.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const sg = scaleFor(gMax, "int8");
      const q = c.actSpec(out);
      const accScale = sg / 2 ** 12;
      const eps = Math.min(0x7fffffff, Math.round(num(a.epsilon, 1e-5) / (x.q.scale * x.q.scale)));
      const ins = [x.ref, b.constant(tensor("int8", normShape, quantizeValues(gammaF, sg, "int8")))];
      if (betaF) ins.push(b.constant(tensor("int32", normShape, betaF.map((v) => Math.min(2147483647, Math.max(-2147483648, Math.round(v / accScale)))))));
      const { multiplier, shift } = requantParams(accScale / q.scale);
      const ref = b.one("layer_norm", ins, { axis, epsilon: eps, multiplier, shift, zeroPoint: 0, outDtype: OUT_DTYPE_CODE[q.dtype] }, label);
      c.set({ ref, q });
      return;
    }
    case "MaxPool": case "AveragePool": {
      const x = floatIn(0);
      const attrs: Record<string, number | number[]> = { kernel_shape: ints(a.kernel_shape, []) };
      if (a.strides !== undefined) attrs.strides = ints(a.strides, []);
      if (a.dilations !== undefined) attrs.dilations = ints(a.dilations, []);
      if (a.pads !== undefined) attrs.pads = ints(a.pads, []);
      if (a.ceil_mode !== undefined) attrs.ceil_mode = num(a.ceil_mode, 0);
      if (typeof a.auto_pad === "string" && a.auto_pad !== "NOTSET") {
        attrs.auto_pad = AUTO_PAD_CODE[a.auto_pad] ?? 0;
        delete attrs.pads;
      }
      if (node.op === "AveragePool" && a.count_include_pad !== undefined) attrs.count_include_pad = num(a.count_include_pad, 0);
      c.set({ ref: b.one(node.op === "MaxPool" ? "max_pool" : "avg_pool", [x.ref], attrs, label), q: x.q });
      return;
    }
    case "GlobalAveragePool": {
      const x = floatIn(0);
      c.set({ ref: b.one("global_avg_pool", [x.ref], {}, label), q: x.q });
      return;
    }
    case "ReduceMean": case "ReduceMax": case "ReduceSum": {
      // Sums count the zero point once per element: reduce values centred on 0.
      const x0 = floatIn(0);
      const x = x0.q.zeroPoint && node.op !== "ReduceMax" ? c.requant(x0, { dtype: "int16", scale: x0.q.scale, zeroPoint: 0 }, label) : x0;
      const xs = b.meta(x.ref).shape;
      const axesT = node.inputs[1] ? c.graph.constants.get(node.inputs[1]) : undefined;
      let axes = axesT ? [...axesT.data] : ints(a.axes, []);
      if (axes.length === 0 && num(a.noop_with_empty_axes, 0) === 1) {
        c.set(x);
        return;
      }
      if (axes.length === 0) axes = xs.map((_, i) => i);
      const attrs = { axes, keepdims: num(a.keepdims, 1) };
      if (node.op === "ReduceSum") {
        // The sum leaves as int32 at the input's scale; the next consumer rescales it.
        const ref = b.one("reduce_sum", [x.ref], attrs, label);
        const y = { ref, q: { dtype: "int32" as DType, scale: x.q.scale, zeroPoint: 0, integer: x.q.integer } };
        c.set(x.q.integer ? y : c.requant(y, c.actSpec(out, "int16"), label));
        return;
      }
      if (node.op === "ReduceMean" && !x.q.integer) {
        // Sum in int32, then one requantization by scale/count to the mean's own (finer) range.
        const count = axes.reduce((p, d) => p * xs[d < 0 ? d + xs.length : d]!, 1);
        const sum = { ref: b.one("reduce_sum", [x.ref], attrs, label), q: { dtype: "int32" as DType, scale: x.q.scale / count, zeroPoint: 0 } };
        c.set(c.requant(sum, c.actSpec(out), label));
        return;
      }
      c.set({ ref: b.one(node.op === "ReduceMean" ? "reduce_mean" : "reduce_max", [x.ref], attrs, label), q: x.q });
      return;
    }
    case "ArgMax": {
      const x = floatIn(0);
      const ref = b.one("argmax", [x.ref], { axis: num(a.axis, 0), keepdims: num(a.keepdims, 1), select_last_index: num(a.select_last_index, 0) }, label);
      c.set({ ref, q: { dtype: "int32", scale: 1, zeroPoint: 0, integer: true } });
      return;
    }
    case "aivm.Cast":
      c.set(floatIn(0));
      return;
    case "TopK": {
      // Last axis (the importer moves any other there); ties keep the lower index, as ONNX.
      const x = floatIn(0);
      const k = c.graph.constants.get(node.inputs[1]!)!.data[0]!;
      const [values, indices] = b.node("top_k", [x.ref], { k, largest: num(a.largest, 1) }, label);
      if (node.outputs[0]) c.set({ ref: values!, q: x.q }, node.outputs[0]);
      if (node.outputs[1]) c.set({ ref: indices!, q: INTEGER }, node.outputs[1]);
      return;
    }
    case "DequantizeLinear": {
      const x = floatIn(0);
      const s = c.graph.constants.get(node.inputs[1]!), z = node.inputs[2] ? c.graph.constants.get(node.inputs[2]) : undefined;
      if (!x.q.integer || !s || (node.inputs[2] && !z)) throw new UnsupportedOpError("DequantizeLinear (run-time scale or on non-integer input)", SUPPORTED_LOWERINGS, `node "${node.name}"`);
      // Integers with one scale and zero point: the same integers, relabelled (exact).
      if (s.data.length === 1) c.set({ ref: x.ref, q: { dtype: x.q.dtype, scale: s.data[0]!, zeroPoint: z?.data[0] ?? 0 } });
      else c.set(dequantizePerAxis(c, x, Array.from(s.data), z ? Array.from(z.data) : undefined, num(a.axis, 1)));
      return;
    }
    case "aivm.FakeQuant": {
      // The value already sits on the file's grid (its quantization is fixed): identity, or one requantization onto it.
      c.set(c.requant(floatIn(0), c.actSpec(out), label));
      return;
    }
    case "QuantizeLinear": case "DynamicQuantizeLinear": {
      const x = floatIn(0);
      const dql = node.op === "DynamicQuantizeLinear" ? staticDynamicQuantize(c.stat(node.inputs[0]!)) : undefined;
      if (dql) {
        // Made static: the scale and zero point calibration saw, as constants of the program.
        if (node.outputs[1]) c.set({ ref: b.constant(tensor("int32", [], [2 ** 20])), q: { dtype: "int32", scale: dql.scale / 2 ** 20, zeroPoint: 0 } }, node.outputs[1]);
        if (node.outputs[2]) c.set({ ref: b.constant(tensor("int16", [], [dql.zeroPoint])), q: { dtype: "int16", scale: 1, zeroPoint: 0, integer: true } }, node.outputs[2]);
      }
      // The host already applied it to this graph input.
      if (c.boundary.has(node.inputs[0]!)) return c.set(x);
      if (dql) return c.set(quantizeToOnnx(c, x, [dql.scale], [dql.zeroPoint], "uint8", 0));
      const s = c.graph.constants.get(node.inputs[1]!)!, z = node.inputs[2] ? c.graph.constants.get(node.inputs[2]) : undefined;
      c.set(quantizeToOnnx(c, x, Array.from(s.data), z ? Array.from(z.data) : undefined, z?.dtype ?? "uint8", num(a.axis, 1)));
      return;
    }
    case "Reshape": case "Flatten": case "Squeeze": case "Unsqueeze": case "aivm.Copy": {
      c.set(c.reshape(floatIn(0), outShape(), label));
      return;
    }
    case "Add": case "Sub": {
      const x = floatIn(0), y = floatIn(1);
      if (integerResult(c, x, y)) {
        // Integers (indices, masks, bool logic) stay exact: a plain int32 add.
        c.set({ ref: b.one(node.op === "Add" ? "add" : "sub", [x.ref, y.ref], { outDtype: OUT_DTYPE_CODE.int32 }, label), q: INTEGER });
        return;
      }
      const q = c.actSpec(out);
      // TFLite-style: lift both inputs into a common int32 domain, add, requantize once.
      const lift = (d: DType) => (d === "int8" ? 20 : d === "int16" ? 15 : 0);
      const leftShift = Math.min(lift(x.q.dtype), lift(y.q.dtype));
      const common = (2 * Math.max(x.q.scale, y.q.scale)) / 2 ** leftShift;
      const sa = requantParams(x.q.scale / (common * 2 ** leftShift));
      const sb = requantParams(y.q.scale / (common * 2 ** leftShift));
      const so = requantParams(common / q.scale);
      const attrs = {
        leftShift, aMultiplier: sa.multiplier, aShift: sa.shift, bMultiplier: sb.multiplier, bShift: sb.shift,
        outMultiplier: so.multiplier, outShift: so.shift, outDtype: OUT_DTYPE_CODE[q.dtype], zeroPoint: q.zeroPoint,
        ...(x.q.zeroPoint ? { aZero: x.q.zeroPoint } : {}), ...(y.q.zeroPoint ? { bZero: y.q.zeroPoint } : {}),
      };
      c.set({ ref: b.one(node.op === "Add" ? "add" : "sub", [x.ref, y.ref], attrs, label), q });
      return;
    }
    case "Mul": {
      const x = floatIn(0), y = node.inputs[1] === node.inputs[0] ? floatIn(0) : floatIn(1);
      if (integerResult(c, x, y)) {
        c.set({ ref: b.one("mul", [x.ref, y.ref], { outDtype: OUT_DTYPE_CODE.int32 }, label), q: INTEGER });
        return;
      }
      const q = c.actSpec(out);
      const { multiplier, shift } = requantParams((x.q.scale * y.q.scale) / q.scale);
      const attrs = { multiplier, shift, outDtype: OUT_DTYPE_CODE[q.dtype], zeroPoint: q.zeroPoint, ...(x.q.zeroPoint ? { aZero: x.q.zeroPoint } : {}), ...(y.q.zeroPoint ? { bZero: y.q.zeroPoint } : {}) };
      c.set({ ref: b.one("mul", [x.ref, y.ref], attrs, label), q });
      return;
    }
    case "LeakyRelu": {
      const x = floatIn(0);
      const alpha = num(a.alpha, 0.01);
      // A negative slope is not monotone: the engine's leaky_relu takes α ≥ 0, so use a table.
      if (alpha < 0) return lowerTable(node, c);
      const { multiplier, shift } = requantParams(alpha);
      c.set({ ref: b.one("leaky_relu", [x.ref], { alphaMultiplier: multiplier, alphaShift: shift, ...(x.q.zeroPoint ? { zeroPoint: x.q.zeroPoint } : {}) }, label), q: x.q });
      return;
    }
    case "Clip": {
      const x = floatIn(0);
      const bound = (i: number, attr: string, fallback: number) => {
        const t = node.inputs[i] ? c.graph.constants.get(node.inputs[i]!) : undefined;
        return t ? t.data[0]! : num(a[attr], fallback);
      };
      const lo = bound(1, "min", -Infinity), hi = bound(2, "max", Infinity);
      const qlo = -qmax(x.q.dtype) - 1, qhi = qmax(x.q.dtype);
      const toQ = (v: number) => Math.min(qhi, Math.max(qlo, Math.round(v / x.q.scale) + x.q.zeroPoint));
      const min = toQ(lo);
      // ONNX: min > max yields max everywhere.
      const max = Math.max(min, toQ(hi));
      const attrs = lo > hi ? { min: toQ(hi), max: toQ(hi) } : { min, max };
      c.set({ ref: b.one("clip", [x.ref], attrs, label), q: x.q });
      return;
    }
    case "Sigmoid": case "Tanh": case "Exp": case "Erf": case "Sqrt": case "Reciprocal": case "Rsqrt": case "aivm.Gelu": {
      const x0 = floatIn(0);
      // Tables index int8 inputs: bring the input to int8 at its calibrated range first.
      const x = c.requant(x0, { dtype: "int8", scale: scaleFor(c.stat(node.inputs[0]!).maxAbs, "int8"), zeroPoint: 0 }, label);
      const fn = node.op === "aivm.Gelu" ? (a.approximate === "tanh" ? "GeluTanh" : "Gelu") : node.op;
      const q = tableOutSpec(node, UNARY_FUNCTIONS[fn]!, x.q.scale, c);
      const shared = LUT_NAMES[fn];
      // H1's offline LUT builder covers the common activations; the rest use the same formula here.
      const table = shared ? buildLut({ fn: shared, inScale: x.q.scale, outScale: q.scale, outDtype: "int16" }) : buildTable(UNARY_FUNCTIONS[fn]!, x.q.scale, q.scale, "int16");
      c.set({ ref: b.one("lut", [x.ref, b.constant(tensor("int16", [256], table))], {}, label), q });
      return;
    }
    case "Transpose": {
      const x = floatIn(0);
      const rank = b.meta(x.ref).shape.length;
      const perm = ints(a.perm, Array.from({ length: rank }, (_, i) => rank - 1 - i));
      c.set({ ref: b.one("transpose", [x.ref], { perm }, label), q: x.q });
      return;
    }
    case "Slice": {
      const x = floatIn(0);
      const list = (i: number) => (node.inputs[i] ? [...c.graph.constants.get(node.inputs[i]!)!.data] : undefined);
      const starts = list(1) ?? ints(a.starts, []);
      const ends = (list(2) ?? ints(a.ends, [])).map((e) => Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, e)));
      const attrs: Record<string, number[]> = { starts: starts.map((e) => Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, e))), ends };
      const axes = list(3) ?? (Array.isArray(a.axes) ? a.axes.map(Number) : undefined);
      if (axes) attrs.axes = axes;
      const steps = list(4);
      if (steps) attrs.steps = steps;
      c.set({ ref: b.one("slice", [x.ref], attrs, label), q: x.q });
      return;
    }
    case "Gather": {
      const x = floatIn(0);
      const idx = c.graph.constants.get(node.inputs[1]!);
      const ind = idx ? { ref: b.constant(tensor("int32", idx.shape, Array.from(idx.data))) } : floatIn(1);
      c.set({ ref: b.one("gather", [x.ref, ind.ref], { axis: num(a.axis, 0) }, label), q: x.q });
      return;
    }
    case "Concat": {
      const parts = node.inputs.map((_, i) => floatIn(i));
      const q = parts.every((p) => p.q.integer) ? parts[0]!.q : c.actSpec(out, parts.some((p) => p.q.dtype !== "int8") ? "int16" : c.actDType(out));
      const ins = parts.map((p) => c.requant(p, q, label).ref);
      c.set({ ref: b.one("concat", ins, { axis: num(a.axis, 0) }, label), q });
      return;
    }
    case "Where": {
      const cond0 = floatIn(0);
      const condConst = c.graph.constants.get(node.inputs[0]!);
      const cond = condConst
        ? { ref: b.constant(tensor("int8", condConst.shape, Array.from(condConst.data, (v) => (v ? 1 : 0)))), q: { dtype: "int8" as DType, scale: 1, zeroPoint: 0, integer: true } }
        : cond0.q.dtype === "int8" ? cond0 : c.requant(cond0, { dtype: "int8", scale: 1, zeroPoint: 0, integer: true }, label);
      const yConst = c.graph.constants.get(node.inputs[2]!);
      if (yConst && yConst.data.every((v) => v === -Infinity)) {
        // Masking with −∞ (attention): carry the scores in int32 and put masked positions at the
        // int32 minimum; the integer softmax gives them probability 0.
        const x = floatIn(1);
        const x32 = c.requant(x, { dtype: "int32", scale: x.q.scale, zeroPoint: 0 }, label);
        const low = b.constant(tensor("int32", yConst.shape, yConst.data.length === 1 ? [-2147483648] : Array.from(yConst.data, () => -2147483648)));
        c.set({ ref: b.one("where", [cond.ref, x32.ref, low], {}, label), q: x32.q });
        return;
      }
      const x = floatIn(1), y = floatIn(2);
      const q = x.q.integer && y.q.integer ? x.q : c.actSpec(out, x.q.dtype === "int8" && y.q.dtype === "int8" ? c.actDType(out) : "int16");
      const ref = b.one("where", [cond.ref, c.requant(x, q, label).ref, c.requant(y, q, label).ref], {}, label);
      c.set({ ref, q });
      return;
    }
    default:
      if ((TABLE_UNARY_OPS as readonly string[]).includes(node.op)) return lowerTable(node, c);
      throw new UnsupportedOpError(node.op, SUPPORTED_LOWERINGS, `node "${node.name}"`);
  }
}

/** Any other element-wise function of one input: requantize to int8, then a 256-entry int16 table. */
function lowerTable(node: FloatNode, c: LowerContext): void {
  const f = unaryFunction(node)!;
  const x0 = c.get(node.inputs[0]!);
  const x = c.requant(x0, { dtype: "int8", scale: scaleFor(c.stat(node.inputs[0]!).maxAbs, "int8"), zeroPoint: 0 }, c.label);
  const q = tableOutSpec(node, f, x.q.scale, c);
  c.set({ ref: c.b.one("lut", [x.ref, c.b.constant(tensor("int16", [256], buildTable(f, x.q.scale, q.scale, "int16")))], {}, c.label), q });
}

/** Functions with a known bounded range: their output scale need not come from calibration alone. */
const BOUNDED_TABLES = new Set(["Sigmoid", "Tanh", "Erf", "HardSigmoid", "Softsign"]);

/**
 * A table's int16 output scale: the calibrated range, widened for a bounded function to cover f over
 * the whole int8 input grid, so an input calibration never reached (a positive detection when the
 * samples held none) is not clamped to what calibration saw.
 */
function tableOutSpec(node: FloatNode, f: (x: number) => number, inScale: number, c: LowerContext): QuantSpec {
  const q = c.actSpec(c.out, "int16");
  if (!BOUNDED_TABLES.has(node.op) || q.fixed) return q;
  let m = 0;
  for (let i = 0; i < 256; i++) m = Math.max(m, Math.abs(f((i - 128) * inScale)));
  return m > q.scale * qmax("int16") ? { ...q, scale: scaleFor(m, "int16") } : q;
}

/** Float-graph ops quantize.ts lowers (after the importer's rewrites). */
export const SUPPORTED_LOWERINGS = [
  "aivm.Linear", "MatMul", "Conv", "Relu", "Softmax", "LogSoftmax", "aivm.LayerNorm", "MaxPool", "AveragePool", "GlobalAveragePool",
  "ReduceMean", "ReduceMax", "ReduceSum", "ArgMax", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Add", "Sub", "Mul",
  "LeakyRelu", "Clip", "Sigmoid", "Tanh", "Exp", "Erf", "Sqrt", "Reciprocal", "Rsqrt", "aivm.Gelu", "Transpose", "Slice",
  "Gather", "Concat", "Where", "aivm.Cast", "DequantizeLinear", "QuantizeLinear", "DynamicQuantizeLinear", "aivm.FakeQuant", "TopK",
];

export { UNARY_FUNCTIONS };
