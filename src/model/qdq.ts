// Already-quantized models (QDQ format and the QLinear*/…Integer ops): the importer takes the
// file's scales and zero points as the quantization of the values they describe, instead of
// calibrating them. Offline: float scales become the engine's integer multipliers in quantize.ts.
//
// - QLinearMatMul, QLinearConv, MatMulInteger, ConvInteger are first rewritten as
//   DequantizeLinear → MatMul/Conv → QuantizeLinear (qdq-ops.ts).
// - A QuantizeLinear on a run-time value fixes that value's quantization (and the matching
//   DequantizeLinear's output): composeOps then removes the Q→DQ pair as fake quantization.
// - A DequantizeLinear of constant integers (weights, biases) folds to float, but its scales are
//   kept: quantize.ts recovers the file's integers from them instead of re-quantizing the weights.
import { MAX_ATTR_INTS } from "../codec/program.ts";
import { DTYPE_MAX, DTYPE_MIN, type DType } from "../engine/tensor.ts";
import { runFloatNode } from "./float-exec.ts";
import type { FixedQuant, FloatGraph, FloatNode } from "./graph.ts";
import { hostTensor, type HostTensor } from "./onnx.ts";
import type { OpProblem } from "./onnx-ops.ts";
import { FAKE_QUANT_OP, QUANTIZED_CONSTANT_INPUTS, QUANTIZED_ONNX_OPS, expandQuantizedOp } from "./qdq-ops.ts";

/** The engine form of a fixed per-tensor quantization: unsigned types shift onto the signed range. */
export function fixedSpec(fq: FixedQuant): { dtype: DType; scale: number; zeroPoint: number } {
  const z = fq.zeroPoint[0] ?? 0;
  const s = fq.scale[0]!;
  switch (fq.dtype) {
    case "uint8": return { dtype: "int8", scale: s, zeroPoint: z - 128 };
    case "uint16": return { dtype: "int16", scale: s, zeroPoint: z - 32768 };
    default: return { dtype: fq.dtype, scale: s, zeroPoint: z };
  }
}

/** The range of an ONNX quantized type, and the engine dtype that holds its integers exactly. */
export function onnxIntegerRange(dtype: string): { lo: number; hi: number; engine: DType } {
  switch (dtype) {
    case "uint8": return { lo: 0, hi: 255, engine: "int16" };
    case "int8": return { lo: -128, hi: 127, engine: "int8" };
    case "int16": return { lo: DTYPE_MIN.int16, hi: DTYPE_MAX.int16, engine: "int16" };
    default: return { lo: DTYPE_MIN.int32, hi: DTYPE_MAX.int32, engine: "int32" };
  }
}

let counter = 0;
function freshName(graph: FloatGraph, base: string): string {
  let n: string;
  do n = `${base}__qdq${counter++}`;
  while (graph.constants.has(n) || graph.nodes.some((x) => x.outputs.includes(n)));
  return n;
}

/**
 * Runs before constant folding: rewrites the quantized ops, then records every fixed quantization.
 * Returns the quantized ops whose weights, scales or zero points are computed at run time
 * (onnxruntime's quantize_dynamic: DynamicQuantizeLinear feeding MatMulInteger's zero point).
 */
export function takeQuantization(graph: FloatGraph): OpProblem[] {
  const fixed = (graph.fixedQuant ??= new Map<string, FixedQuant>());
  const problems: OpProblem[] = [];
  const computed = (v: string) => graph.inputs.some((i) => i.name === v) || graph.nodes.some((p) => p.op !== "Constant" && p.outputs.includes(v));
  for (const n of [...graph.nodes]) {
    if (!QUANTIZED_ONNX_OPS.includes(n.op)) continue;
    const late = (QUANTIZED_CONSTANT_INPUTS[n.op] ?? []).filter((i) => n.inputs[i] && computed(n.inputs[i]!));
    if (late.length) {
      problems.push({
        node: n.name, op: n.op, refused: false,
        reason: `input${late.length > 1 ? "s" : ""} ${late.join(", ")} must be constant (weights, scales and zero points); here ${late.length > 1 ? "they are" : "it is"} computed at run time (dynamic quantization).`,
        fix: "quantize statically (onnxruntime.quantization.quantize_static, QDQ format), or import the float model and let AIVM calibrate it.",
      });
      continue;
    }
    const rankOf = (v: string) => graph.constants.get(v)?.shape.length ?? graph.inputs.find((i) => i.name === v)?.shape.length ?? 2;
    const e = expandQuantizedOp(n, (b) => freshName(graph, `${n.name}_${b}`), rankOf);
    for (const [name, t] of e.constants) graph.constants.set(name, t);
    for (const v of e.exactIntegers) fixed.set(v, { dtype: "int32", scale: [1], zeroPoint: [0], axis: 0 });
    graph.nodes.splice(graph.nodes.indexOf(n), 1, ...e.nodes);
  }
  recogniseDynamicQuantize(graph);
  const conflicts = new Set<string>();
  const fix = (v: string, fq: FixedQuant) => {
    const had = fixed.get(v);
    if (had && !sameQuant(had, fq)) conflicts.add(v);
    else fixed.set(v, fq);
  };
  for (const n of graph.nodes) {
    if (n.op !== "QuantizeLinear" && n.op !== "DequantizeLinear") continue;
    const fq = paramsOf(graph, n.op, n.inputs, n.attrs.axis);
    if (!fq) continue;
    const x = n.inputs[0]!;
    if (n.op === "DequantizeLinear") {
      // Constant integers (weights, biases) per tensor or per axis; or the second half of a Q→DQ pair.
      const q = graph.nodes.find((p) => p.op === "QuantizeLinear" && p.outputs[0] === x);
      const qfq = q && paramsOf(graph, q.op, q.inputs, q.attrs.axis);
      if (graph.constants.has(x) || (qfq && sameQuant(qfq, fq) && fq.scale.length === 1)) fix(n.outputs[0]!, fq);
      continue;
    }
    // A run-time value rounded onto one grid: that is its quantization.
    if (!graph.constants.has(x) && fq.scale.length === 1) fix(x, fq);
  }
  for (const v of conflicts) fixed.delete(v);
  fuseFakeQuant(graph);
  return problems;
}

/**
 * Each Q→DQ pair on a value computed in the graph (same per-tensor parameters, the Q read only by
 * DQs) becomes one aivm.FakeQuant node. Pairs on graph inputs are left to composeOps, which removes
 * them: the host quantizes the input onto the same grid.
 */
function fuseFakeQuant(graph: FloatGraph): void {
  const fixed = graph.fixedQuant!;
  for (const q of [...graph.nodes]) {
    const qOut = q.outputs[0]!;
    if (q.op !== "QuantizeLinear" || !fixed.has(q.inputs[0]!) || graph.inputs.some((i) => i.name === q.inputs[0]) || graph.outputs.includes(qOut)) continue;
    const readers = graph.nodes.filter((n) => n.inputs.includes(qOut));
    if (!readers.length || !readers.every((n) => n.op === "DequantizeLinear" && n.inputs[0] === qOut && fixed.has(n.outputs[0]!))) continue;
    for (const dq of readers) Object.assign(dq, { op: FAKE_QUANT_OP, inputs: [...q.inputs], attrs: {} });
    graph.nodes = graph.nodes.filter((n) => n !== q);
  }
}

function sameQuant(p: FixedQuant, q: FixedQuant): boolean {
  return p.dtype === q.dtype && p.axis === q.axis && p.scale.join() === q.scale.join() && p.zeroPoint.join() === q.zeroPoint.join();
}

/** Constant scale and zero point of a Q/DQ node, or undefined when either is computed at run time. */
function paramsOf(graph: FloatGraph, op: string, inputs: readonly string[], axisAttr: unknown): FixedQuant | undefined {
  const scale = graph.constants.get(inputs[1]!);
  const zp = inputs[2] ? graph.constants.get(inputs[2]) : undefined;
  if (!scale || (inputs[2] && !zp) || !scale.data.every((s) => s > 0 && Number.isFinite(s))) return undefined;
  const x = graph.constants.get(inputs[0]!);
  const dtype = quantType(op === "DequantizeLinear" ? (x?.dtype ?? zp?.dtype) : zp?.dtype);
  if (!dtype) return undefined;
  const rank = x?.shape.length ?? graph.inputs.find((i) => i.name === inputs[0])?.shape.length ?? 0;
  const raw = typeof axisAttr === "number" ? axisAttr : 1;
  const axis = scale.data.length === 1 ? 0 : raw < 0 ? raw + rank : raw;
  return { dtype, scale: Array.from(scale.data), zeroPoint: zp ? Array.from(zp.data) : Array.from(scale.data, () => 0), axis };
}

function quantType(d: HostTensor["dtype"] | undefined): FixedQuant["dtype"] | undefined {
  if (d === undefined) return "uint8"; // ONNX: without a zero point, QuantizeLinear produces uint8
  return d === "int8" || d === "uint8" || d === "int32" ? d : undefined;
}

/** fuseLinear hook: a Gemm weight transposed to [K, N] and scaled by α keeps the file's scales. */
export function carryWeightQuant(graph: FloatGraph, from: string, to: string, transposed: boolean, alpha: number): void {
  const fq = graph.fixedQuant?.get(from);
  if (!fq || !(alpha > 0)) return;
  const axis = fq.scale.length === 1 ? 0 : transposed ? 1 - fq.axis : fq.axis;
  graph.fixedQuant!.set(to, { ...fq, scale: fq.scale.map((s) => s * alpha), axis });
}

export interface FileWeights {
  /**
   * int8 parts of the file's integers minus their zero point: one part, or for 9-bit values (8-bit
   * integers minus a zero point span [−255, 255]) [high, low] with v = 2·high + low, low ∈ {0, 1}.
   */
  parts: number[][];
  /** One scale per output channel, or one for the tensor. */
  scales: number[];
}

/**
 * The file's weight integers (q − zero point) recovered from the folded float weight and its
 * scales, along the engine's output-channel axis; undefined when the file's quantization does not
 * map onto the engine's int8 weights with per-output-channel scales (the caller then quantizes).
 */
export function fileWeights(graph: FloatGraph, name: string, w: HostTensor, channelAxis: number): FileWeights | undefined {
  const fq = graph.fixedQuant?.get(name);
  if (!fq || fq.dtype === "int32") return undefined;
  const C = w.shape[channelAxis]!;
  const perChannel = fq.scale.length > 1;
  if (perChannel && (fq.axis !== channelAxis || fq.scale.length !== C || C > MAX_ATTR_INTS)) return undefined;
  let inner = 1;
  for (const d of w.shape.slice(channelAxis + 1)) inner *= d;
  const ints = Array.from(w.data, (v, i) => Math.round(v / fq.scale[perChannel ? Math.floor(i / inner) % C : 0]!));
  if (ints.every((v) => v >= -128 && v <= 127)) return { parts: [ints], scales: fq.scale };
  if (!ints.every((v) => v >= -256 && v <= 255)) return undefined;
  const half = ints.map((v) => Math.floor(v / 2));
  return { parts: [half, ints.map((v, i) => v - 2 * half[i]!)], scales: fq.scale };
}

/**
 * DynamicQuantizeLinear written out (its ONNX function body: ReduceMin/ReduceMax of x, scale and
 * zero point arithmetic, Cast, QuantizeLinear) becomes the op itself, which quantize.ts makes static.
 * Recognised by what it computes: the scale/zero-point subgraph reads x only through ReduceMin and
 * ReduceMax, and on three probe inputs (mixed signs, all positive, all negative) gives
 * DynamicQuantizeLinear's scale and zero point.
 */
function recogniseDynamicQuantize(graph: FloatGraph): void {
  for (const q of [...graph.nodes]) {
    if (q.op !== "QuantizeLinear" || !q.inputs[2]) continue;
    const [x, sName, zName] = q.inputs as [string, string, string];
    const shape = graph.inputs.find((i) => i.name === x)?.shape;
    if (!shape || graph.constants.has(sName)) continue;
    const sub = ancestors(graph, [sName, zName], x);
    if (!sub || !sub.some((n) => n.op === "ReduceMin") || !sub.some((n) => n.op === "ReduceMax")) continue;
    if (sub.some((n) => n.inputs.includes(x) && n.op !== "ReduceMin" && n.op !== "ReduceMax")) continue;
    const size = shape.reduce((a, b) => a * b, 1);
    const probes = [(i: number) => Math.sin(i * 1.7) * 3, (i: number) => 0.5 + (i % 7), (i: number) => -1 - (i % 5) * 0.3];
    const same = probes.every((f) => {
      const xt = hostTensor("float32", shape, Array.from({ length: size }, (_, i) => f(i)));
      const env = new Map<string, HostTensor>(graph.constants);
      env.set(x, xt);
      for (const n of sub) runFloatNode(n, env).forEach((t, j) => n.outputs[j] && env.set(n.outputs[j]!, t));
      const [, ds, dz] = runFloatNode({ op: "DynamicQuantizeLinear", name: q.name, inputs: [x], outputs: ["y", "s", "z"], attrs: {} }, env);
      const s = env.get(sName)?.data[0], z = env.get(zName)?.data[0];
      return s !== undefined && Math.abs(s - ds!.data[0]!) <= 1e-6 * ds!.data[0]! && z === dz!.data[0];
    });
    if (!same) continue;
    // The op takes the place of the subgraph's first node; what is left of the subgraph dies.
    const producers = new Set(graph.nodes.filter((n) => n.outputs.includes(sName) || n.outputs.includes(zName)));
    const at = graph.nodes.indexOf(sub[0]!);
    graph.nodes.splice(at, 0, { op: "DynamicQuantizeLinear", name: q.name, inputs: [x], outputs: [q.outputs[0]!, sName, zName], attrs: {} });
    graph.nodes = graph.nodes.filter((n) => n !== q && !producers.has(n));
  }
}

/** The nodes computing `targets` in graph order, when they read `x` and otherwise only constants; else undefined. */
function ancestors(graph: FloatGraph, targets: readonly string[], x: string): FloatNode[] | undefined {
  const need = new Set<string>();
  const todo = [...targets];
  while (todo.length) {
    const v = todo.pop()!;
    if (need.has(v) || v === x || graph.constants.has(v)) continue;
    const p = graph.nodes.find((n) => n.outputs.includes(v));
    if (!p) return undefined; // another run-time input
    need.add(v);
    todo.push(...p.inputs.filter(Boolean));
  }
  return graph.nodes.filter((n) => n.outputs.some((o) => need.has(o)));
}
