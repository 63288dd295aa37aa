// `aivm onnx run` as a library: import an ONNX model, calibrate on the given samples, quantize,
// execute the integer program, and return dequantized outputs in the ONNX element types.
import { calibrate, quantizeInput, dequantize, type CalibrateOptions, type CalibrationResult } from "./calibrate.ts";
import { importOnnx, staticInputNames } from "./import.ts";
import { OnnxFormatError, declaredShape, decodeModel, type HostTensor } from "./onnx.ts";
import { ShapeMismatchError } from "../engine/errors.ts";
import type { FloatGraph } from "./graph.ts";
import type { Tensor } from "../engine/tensor.ts";
import { runProgram } from "../codec/program-run.ts";
import type { Program } from "../codec/program.ts";
import type { QuantizedModel } from "./quantize.ts";

/** Runs a program and returns its raw integer outputs: the engine in process, or a chain (eth_call to TGRAPH). */
export type ProgramExecutor = (program: Program, inputs: readonly Tensor[]) => Promise<Tensor[]>;

export const engineExecutor: ProgramExecutor = async (program, inputs) => runProgram(program, inputs, new Map());

export interface OnnxRunOptions extends CalibrateOptions {
  /** Calibration samples, each one value per model input (ONNX order). Default: the run inputs themselves. */
  calibration?: HostTensor[][];
  executor?: ProgramExecutor;
  /** Called with the imported graph before calibration (the gas-limit check: src/model/gas-limit.ts). */
  afterImport?: (graph: FloatGraph) => void;
}

export interface PreparedModel {
  graph: FloatGraph;
  calibration: CalibrationResult;
  /** ONNX input names in file order, and which of them were frozen into the model as constants. */
  onnxInputs: string[];
  frozen: Set<string>;
}

/** ONNX graph inputs (initializers excluded) in file order. */
export function onnxInputNames(bytes: Uint8Array): string[] {
  const g = decodeModel(bytes).graph;
  const inits = new Set((g?.initializer ?? []).map((t) => t.name ?? ""));
  return (g?.input ?? []).map((v) => v.name ?? "").filter((n) => !inits.has(n));
}

/**
 * Each given input against the model's declared shape (symbolic dimensions take any size), before any
 * import work: a wrong shape is a ShapeMismatchError naming the input, never a failure deep inside.
 */
export function checkInputShapes(bytes: Uint8Array, names: readonly string[], inputs: readonly HostTensor[]): void {
  // Inputs declared without a shape (rank unknown) accept any shape.
  const declared = new Map((decodeModel(bytes).graph?.input ?? []).filter((v) => v.type?.tensorType?.shape).map((v) => [v.name ?? "", declaredShape(v).shape]));
  names.forEach((name, i) => {
    const want = declared.get(name);
    const got = inputs[i]!.shape;
    if (!want) return;
    const ok = want.length === got.length && want.every((d, k) => d < 0 || d === got[k]);
    if (!ok) throw new ShapeMismatchError("onnx run", name, `[${want.map((d) => (d < 0 ? "?" : d)).join(",")}]`, got);
  });
}

/** Imports and calibrates. `inputs` are the first sample; inputs that must be static are frozen from it. */
export function prepareOnnx(bytes: Uint8Array, inputs: readonly HostTensor[], options: OnnxRunOptions = {}): PreparedModel {
  const names = onnxInputNames(bytes);
  if (inputs.length !== names.length) {
    throw new OnnxFormatError("run", `the model has ${names.length} inputs (${names.join(", ")}), ${inputs.length} were given`);
  }
  checkInputShapes(bytes, names, inputs);
  const frozen = new Set(staticInputNames(bytes));
  const freeze = new Map<string, HostTensor>();
  names.forEach((n, i) => frozen.has(n) && freeze.set(n, inputs[i]!));
  const graph = importOnnx(bytes, { freeze, inputShapes: new Map(names.map((n, i) => [n, inputs[i]!.shape])) });
  options.afterImport?.(graph);
  const pick = (sample: readonly HostTensor[]) => graph.inputs.map((inp) => sample[names.indexOf(inp.name)]!);
  const samples = (options.calibration ?? [inputs as HostTensor[]]).map(pick);
  const calibration = calibrate(graph, samples, options);
  return { graph, calibration, onnxInputs: names, frozen };
}

/** Executes a prepared model on one sample (ONNX input order). */
export async function executePrepared(prepared: PreparedModel, inputs: readonly HostTensor[], executor: ProgramExecutor = engineExecutor): Promise<HostTensor[]> {
  const model: QuantizedModel = prepared.calibration.model;
  const ins = model.inputs.map((spec) => quantizeInput(inputs[prepared.onnxInputs.indexOf(spec.name)]!, spec));
  const outs = await executor(model.program, ins);
  return outs.map((t, i) => dequantize(t, model.outputs[i]!.quant, model.outputs[i]!.hostDtype));
}

export async function runOnnx(bytes: Uint8Array, inputs: readonly HostTensor[], options: OnnxRunOptions = {}): Promise<{ outputs: HostTensor[]; prepared: PreparedModel }> {
  const prepared = prepareOnnx(bytes, inputs, options);
  const outputs = await executePrepared(prepared, inputs, options.executor);
  return { outputs, prepared };
}
