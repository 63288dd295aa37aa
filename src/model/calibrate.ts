// Calibration: run the float graph on sample inputs for per-tensor ranges, quantize, run the integer
// program on the same samples, and widen to int16 the tensors whose error needs it. The result
// carries a per-layer quantization report (integer error against float).
import { runProgram } from "../codec/program-run.ts";
import type { Tensor } from "../engine/tensor.ts";
import { tensor } from "../engine/tensor.ts";
import { runFloatGraph } from "./float-exec.ts";
import { valueShapes } from "./import.ts";
import type { FloatGraph } from "./graph.ts";
import { hostTensor, type HostTensor } from "./onnx.ts";
import { quantizeGraph, type IoSpec, type QuantSpec, type QuantizedModel, type ValueStats } from "./quantize.ts";

export interface LayerReport {
  /** Float-graph tensor name. */
  tensor: string;
  /** Node that produces it ("" for graph inputs). */
  node: string;
  dtype: string;
  scale: number;
  /** max |float| over the calibration set. */
  maxAbs: number;
  /** max |dequantized − float| over the calibration set. */
  maxError: number;
  /** maxError / maxAbs (0 when maxAbs is 0). */
  relError: number;
}

export interface CalibrationResult {
  model: QuantizedModel;
  stats: Map<string, ValueStats>;
  /** Tensors carried as int16. */
  wide: Set<string>;
  report: LayerReport[];
}

export interface CalibrateOptions {
  /** Relative error (vs max |float|) above which a tensor is widened to int16. Default 0.01. */
  widenAbove?: number;
  /** Widening rounds. Default 3; 0 keeps every activation int8. */
  rounds?: number;
  /** Force every activation to int16. */
  allWide?: boolean;
  onProgress?: (stage: string, done: number, total: number) => void;
}

/** Ranges (max |v|) and shapes of every float-graph value over the calibration inputs. */
export function collectStats(graph: FloatGraph, samples: readonly HostTensor[][]): Map<string, ValueStats> {
  return statsOf(samples.map((s) => runFloatGraph(graph, s)));
}

function statsOf(runs: readonly Map<string, HostTensor>[]): Map<string, ValueStats> {
  const stats = new Map<string, ValueStats>();
  runs.forEach((env) => {
    for (const [name, t] of env) {
      let m = 0, lo = Infinity, hi = -Infinity;
      for (const v of t.data) {
        if (!Number.isFinite(v)) continue;
        m = Math.max(m, Math.abs(v));
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      const s = stats.get(name);
      if (s) {
        s.maxAbs = Math.max(s.maxAbs, m);
        s.min = Math.min(s.min!, lo);
        s.max = Math.max(s.max!, hi);
      } else stats.set(name, { shape: [...t.shape], dtype: t.dtype, maxAbs: m, min: lo, max: hi });
    }
  });
  return stats;
}

/** Float (or integer) host tensor → the program's integer input. */
export function quantizeInput(t: HostTensor, spec: IoSpec): Tensor {
  const q = spec.quant;
  const h = spec.onnxQuantize;
  if (h) {
    const C = h.scales.length;
    const inner = spec.shape.slice(h.axis + 1).reduce((a, b) => a * b, 1);
    const at = (k: number[], i: number) => k[C === 1 ? 0 : Math.floor(i / inner) % C]!;
    // The model's own QuantizeLinear on this input, in float32 as ONNX runtimes compute it.
    const f = Math.fround;
    return tensor(q.dtype, spec.shape, Array.from(t.data, (v, i) => Math.min(h.hi, Math.max(h.lo, roundHalfEven(f(f(v) / f(at(h.scales, i)))) + at(h.zeroPoints, i)))));
  }
  const lo = q.dtype === "int8" ? -128 : q.dtype === "int16" ? -32768 : -2147483648;
  const hi = -lo - 1;
  // A scale taken from the model file rounds as its QuantizeLinear does (float32, half to even).
  const toGrid = q.fixed ? (v: number) => roundHalfEven(Math.fround(Math.fround(v) / Math.fround(q.scale))) : (v: number) => Math.round(v / q.scale);
  const data = Array.from(t.data, (v) => Math.min(hi, Math.max(lo, q.integer ? Math.trunc(v) : toGrid(v) + q.zeroPoint)));
  return tensor(q.dtype, spec.shape, data);
}

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Program output → host tensor in the ONNX element type (float32 dequantized, integers as is). */
export function dequantize(t: Tensor, quant: QuantSpec, hostDtype: HostTensor["dtype"]): HostTensor {
  const isFloat = hostDtype === "float32" || hostDtype === "float64";
  const out = hostTensor(isFloat ? "float32" : hostDtype, t.shape);
  for (let i = 0; i < out.data.length; i++) {
    const v = t.data[i]!;
    // The int32 minimum stands for −∞ (masked attention scores).
    out.data[i] = !isFloat ? v : quant.dtype === "int32" && v === -2147483648 ? -Infinity : (v - quant.zeroPoint) * quant.scale;
  }
  return out;
}

/** Runs the integer program in process (engine only, no chain) and captures every value by id. */
export function runQuantized(model: QuantizedModel, inputs: readonly HostTensor[], capture?: Map<number, Tensor>): HostTensor[] {
  const ins = model.inputs.map((spec, i) => quantizeInput(inputs[i]!, spec));
  if (capture) ins.forEach((t, i) => capture.set(i, t));
  const hooks = capture ? { afterNode: (e: { node: { outputIds: number[] }; outputs: readonly Tensor[] }) => e.node.outputIds.forEach((id, j) => capture.set(id, e.outputs[j]!)) } : {};
  const outs = runProgram(model.program, ins, new Map(), { hooks });
  return outs.map((t, i) => dequantize(t, model.outputs[i]!.quant, model.outputs[i]!.hostDtype));
}

/** Per-tensor error of the integer program against the float graph over the samples. */
export function quantizationReport(
  graph: FloatGraph,
  model: QuantizedModel,
  stats: Map<string, ValueStats>,
  samples: readonly HostTensor[][],
  floatRuns: readonly Map<string, HostTensor>[] = samples.map((s) => runFloatGraph(graph, s)),
): LayerReport[] {
  const producers = new Map<string, string>();
  for (const n of graph.nodes) for (const o of n.outputs) producers.set(o, n.name);
  const errors = new Map<string, number>();
  for (let k = 0; k < samples.length; k++) {
    const inputs = samples[k]!;
    const env = floatRuns[k]!;
    const capture = new Map<number, Tensor>();
    runQuantized(model, inputs, capture);
    for (const [name, { id, quant }] of model.tensors) {
      const ref = env.get(name);
      const got = capture.get(id);
      if (!ref || !got || graph.constants.has(name)) continue;
      let e = 0;
      for (let i = 0; i < ref.data.length; i++) {
        const r = ref.data[i]!;
        if (!Number.isFinite(r)) continue;
        const v = quant.integer ? got.data[i]! : (got.data[i]! - quant.zeroPoint) * quant.scale;
        e = Math.max(e, Math.abs(v - r));
      }
      errors.set(name, Math.max(errors.get(name) ?? 0, e));
    }
  }
  const report: LayerReport[] = [];
  for (const [name, { quant }] of model.tensors) {
    if (!errors.has(name)) continue;
    const maxAbs = stats.get(name)?.maxAbs ?? 0;
    const maxError = errors.get(name)!;
    report.push({ tensor: name, node: producers.get(name) ?? "", dtype: quant.dtype, scale: quant.scale, maxAbs, maxError, relError: maxAbs > 0 ? maxError / maxAbs : 0 });
  }
  return report;
}

/** Full calibration: ranges, quantization, and int16 widening where the error needs it. */
export function calibrate(graph: FloatGraph, samples: readonly HostTensor[][], options: CalibrateOptions = {}): CalibrationResult {
  const progress = options.onProgress;
  const floatRuns = samples.map((s, i) => {
    progress?.("float reference", i + 1, samples.length);
    return runFloatGraph(graph, s);
  });
  const stats = statsOf(floatRuns);
  const activations = new Set<string>([...graph.inputs.map((i) => i.name), ...graph.nodes.flatMap((n) => n.outputs)]);
  const wide = new Set<string>(options.allWide ? activations : []);
  const threshold = options.widenAbove ?? 0.01;
  const rounds = options.allWide ? 0 : (options.rounds ?? 3);
  let model = quantizeGraph(graph, stats, { wide });
  let report = quantizationReport(graph, model, stats, samples, floatRuns);
  for (let r = 0; r < rounds; r++) {
    progress?.("widening", r + 1, rounds);
    // Tensors whose quantization the model file fixes are never widened.
    const add = report.filter((l) => l.relError > threshold && l.dtype === "int8" && activations.has(l.tensor) && !wide.has(l.tensor) && !graph.fixedQuant?.has(l.tensor));
    if (add.length === 0) break;
    // Widen the earliest offenders first: later errors often only inherit theirs.
    const order = [...activations];
    add.sort((p, q) => order.indexOf(p.tensor) - order.indexOf(q.tensor));
    const producerOf = new Map(graph.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
    for (const l of add.slice(0, Math.max(1, Math.ceil(add.length / 2)))) {
      wide.add(l.tensor);
      // The error of an output is often set by the resolution of what feeds it (pools and
      // movements keep their input's scale; small dot products inherit their operands' error).
      for (const i of producerOf.get(l.tensor)?.inputs ?? []) if (activations.has(i)) wide.add(i);
    }
    model = quantizeGraph(graph, stats, { wide });
    report = quantizationReport(graph, model, stats, samples, floatRuns);
  }
  return { model, stats, wide, report };
}

/**
 * Quantizes another instance of the same model (e.g. the graph imported with a larger batch) with
 * an existing calibration: same scales, same int16 choices, so each batch row computes exactly
 * what the calibrated program computes.
 */
export function quantizeLike(graph: FloatGraph, calibration: CalibrationResult): QuantizedModel {
  const shapes = valueShapes(graph);
  const stats = new Map<string, ValueStats>();
  for (const [name, s] of calibration.stats) stats.set(name, { ...s, shape: shapes.get(name) ?? s.shape });
  return quantizeGraph(graph, stats, { wide: calibration.wide });
}
