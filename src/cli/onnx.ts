// `aivm onnx run`: import an ONNX model, calibrate, quantize, execute through the TGRAPH precompile
// (an in-process dev node by default, or --rpc), and write dequantized output_K.pb files.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import cliProgress from "cli-progress";
import { AivmError } from "../engine/errors.ts";
import { MULTIPLIER_ONE } from "../gas/constants.ts";
import { quoteProgram, type ProgramCallIo } from "../gas/quote.ts";
import type { Program } from "../codec/program.ts";
import { zeros, type TensorMeta } from "../engine/tensor.ts";
import { chainExecutor, connect, nodeGasLimits, nodeMultiplier, tgraphCalldata, type ChainConnection } from "../model/chain.ts";
import { assertWithinGasLimit, intrinsicGas, quoteImportedGraph, type GasLimit } from "../model/gas-limit.ts";
import { loadInput, parseImagePreprocess, type InputTarget } from "../model/inputs.ts";
import { engineExecutor, executePrepared, onnxInputNames, prepareOnnx, type ProgramExecutor } from "../model/onnx-run.ts";
import { declaredShape, decodeModel, encodeTensorFile, type HostTensor } from "../model/onnx.ts";
import { groupSamples } from "../model/samples.ts";

export interface OnnxRunCliOptions {
  input: string[];
  calibrate?: string[];
  outputDir: string;
  rpc?: string;
  engine?: boolean;
  /** JSON ImagePreprocess (src/model/inputs.ts) for PNG/JPEG inputs. */
  imagePreprocess?: string;
  json?: boolean;
}

/** A progress reporter on stderr (silent in --json mode or when stderr is not a terminal). */
export function progressReporter(enabled: boolean): { update(stage: string, done: number, total: number): void; stop(): void } {
  if (!enabled || !process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar({ format: "{stage} [{bar}] {value}/{total}", stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
  let current = "";
  return {
    update(stage, done, total) {
      if (stage !== current) {
        if (current) bar.stop();
        current = stage;
        bar.start(total, 0, { stage: stage.padEnd(16) });
      }
      bar.update(done, { stage: stage.padEnd(16) });
    },
    stop() {
      if (current) bar.stop();
    },
  };
}

/** An executor and the gas limit its runs meet, with the congestion multiplier they are priced at. */
export interface OpenedExecutor {
  executor: ProgramExecutor;
  via: string;
  /** The eth_call limit of the node (--engine: the dev node's default block gas limit). */
  limit: GasLimit;
  multiplier: bigint;
  close(): Promise<void>;
}

async function chainLimits(conn: ChainConnection, node: string): Promise<{ limit: GasLimit; multiplier: bigint }> {
  const limits = await nodeGasLimits(conn);
  return { limit: { gas: limits.callGasLimit, kind: limits.callLimitKind, node }, multiplier: await nodeMultiplier(conn) };
}

/** In-process dev node unless --rpc (external node) or --engine (no chain) is given. */
export async function openExecutor(opts: { rpc?: string; engine?: boolean }): Promise<OpenedExecutor> {
  if (opts.engine) {
    const { DEFAULT_BLOCK_GAS_LIMIT } = await import("../chain/node.ts");
    const limit: GasLimit = { gas: DEFAULT_BLOCK_GAS_LIMIT, kind: "block gas limit", node: "the default dev node (--engine runs are held to its limit)" };
    return { executor: engineExecutor, via: "engine (runProgram, no chain)", limit, multiplier: MULTIPLIER_ONE, close: async () => {} };
  }
  if (opts.rpc) {
    const conn = await connect(opts.rpc);
    return { executor: chainExecutor(conn), via: `TGRAPH eth_call on ${opts.rpc}`, ...(await chainLimits(conn, opts.rpc)), close: async () => {} };
  }
  const { createAivmProvider } = await import("../rpc/provider.ts");
  const provider = await createAivmProvider();
  try {
    const conn = await connect(provider);
    return { executor: chainExecutor(conn), via: "TGRAPH eth_call on an in-process dev node", ...(await chainLimits(conn, "the in-process dev node")), close: () => provider.close() };
  } catch (e) {
    await provider.close();
    throw e;
  }
}

/** The model's ONNX inputs as load targets: name, declared shape (symbolic dimensions as 1) and element type. */
export function onnxInputTargets(bytes: Uint8Array): InputTarget[] {
  const names = onnxInputNames(bytes);
  const decl = new Map((decodeModel(bytes).graph?.input ?? []).map((v) => [v.name ?? "", declaredShape(v)]));
  return names.map((name) => {
    const d = decl.get(name);
    return { name, shape: (d?.shape ?? []).map((x) => (x < 0 ? 1 : x)), dtype: d?.dtype ?? "float32" };
  });
}

/** Reads input files in model-input order, repeating for calibration groups (file K feeds input K mod n; any extension loadInput knows). */
export function loadInputs(files: readonly string[], targets: readonly InputTarget[], imagePreprocess?: string): HostTensor[] {
  const pre = imagePreprocess === undefined ? undefined : parseImagePreprocess(imagePreprocess);
  return files.map((f, k) => loadInput(f, targets[k % Math.max(1, targets.length)], pre));
}

/**
 * Gas of a TGRAPH eth_call of `program` on inputs of these shapes: the precompile's quote plus the
 * call's intrinsic gas, whose calldata carries the program (with any inline weights) and the inputs.
 */
export function tgraphCallGas(program: Program, inputs: readonly TensorMeta[], multiplier: bigint, io: ProgramCallIo = {}): bigint {
  return quoteProgram(program, inputs, multiplier, undefined, io).gas + intrinsicGas(tgraphCalldata(program, inputs.map((m) => zeros(m.dtype, m.shape))));
}

export async function runOnnxCli(modelPath: string, opts: OnnxRunCliOptions): Promise<Record<string, unknown>> {
  const bytes = readFileSync(modelPath);
  const targets = onnxInputTargets(bytes);
  const inputs: HostTensor[] = loadInputs(opts.input, targets, opts.imagePreprocess);
  const calibration = opts.calibrate?.length ? groupSamples(loadInputs(opts.calibrate, targets, opts.imagePreprocess), inputs.length) : [inputs];
  // The node first: its limit is checked as soon as the graph is imported, before calibration.
  const exec = await openExecutor(opts);
  let outputs: HostTensor[];
  let prepared;
  try {
    const label = path.basename(modelPath);
    const progress = progressReporter(!opts.json);
    const afterImport = (graph: Parameters<typeof quoteImportedGraph>[0]) => {
      const q = quoteImportedGraph(graph, exec.multiplier);
      const gas = q.gas + intrinsicGas(tgraphCalldata(q.program, q.inputs.map((m) => zeros(m.dtype, m.shape))));
      assertWithinGasLimit(label, gas, "estimate after import, before calibration: the all-int8 program's quote plus the call's calldata gas", exec.limit);
    };
    try {
      prepared = prepareOnnx(bytes, inputs, { calibration, afterImport, onProgress: (s, d, t) => progress.update(s, d, t) });
    } finally {
      progress.stop();
    }
    const m = prepared.calibration.model;
    const exact = tgraphCallGas(m.program, m.inputs.map((i) => ({ dtype: i.quant.dtype, shape: i.shape })), exec.multiplier);
    assertWithinGasLimit(label, exact, "exact quote of the calibrated program plus the call's calldata gas", exec.limit);
    outputs = await executePrepared(prepared, inputs, exec.executor);
  } finally {
    await exec.close();
  }
  mkdirSync(opts.outputDir, { recursive: true });
  const model = prepared.calibration.model;
  const files = outputs.map((t, k) => {
    const file = path.join(opts.outputDir, `output_${k}.pb`);
    writeFileSync(file, encodeTensorFile(model.outputs[k]!.name, t));
    return { file, name: model.outputs[k]!.name, dtype: t.dtype, shape: t.shape };
  });
  return {
    model: modelPath,
    executedVia: exec.via,
    nodes: model.program.nodes.length,
    frozenInputs: [...prepared.frozen],
    int16Tensors: [...prepared.calibration.wide],
    outputs: files,
    quantReport: prepared.calibration.report,
  };
}

/** `aivm onnx run <model.onnx>` (the command: ./commands/onnx.ts). */
export async function onnxRun(modelPath: string, opts: OnnxRunCliOptions): Promise<void> {
  try {
    const result = await runOnnxCli(modelPath, opts);
    if (opts.json) console.log(JSON.stringify(result, null, 2));
    else {
      console.log(`Ran ${modelPath} via ${String(result.executedVia)} (${String(result.nodes)} program nodes).`);
      const frozen = result.frozenInputs as string[];
      if (frozen.length) console.log(`  frozen from the given input (the program needs them constant): ${frozen.join(", ")}`);
      for (const f of result.outputs as { file: string; name: string; shape: number[] }[]) console.log(`  wrote ${f.file}  (${f.name} float32 [${f.shape.join(",")}])`);
      for (const l of result.quantReport as { tensor: string; dtype: string; relError: number }[]) console.log(`  ${l.dtype.padEnd(5)} ${l.tensor}: max error ${(100 * l.relError).toFixed(2)} % of range`);
    }
  } catch (e) {
    reportError(e, opts.json);
  }
}

export function reportError(e: unknown, json?: boolean): void {
  const err = e as Error;
  if (json) {
    const a = e as Partial<AivmError> & { data?: unknown };
    const v = e as { shortMessage?: string; details?: string };
    const error: Record<string, unknown> = { name: err.name, code: a.code, message: a.shortMessage ?? v.shortMessage ?? err.message };
    if (e instanceof AivmError) {
      if (a.metaMessages?.length) error.metaMessages = a.metaMessages;
      if (a.details) error.details = a.details;
      if (a.docsPath) error.docs = `docs/${a.docsPath}`;
      if (a.data !== undefined) error.data = a.data;
    } else if (v.details) error.details = v.details;
    console.log(JSON.stringify({ error }));
  }
  // viem errors carry the whole calldata in `message`: print their short message and details only.
  else if (e instanceof AivmError) console.error(e.message);
  else {
    const v = e as { shortMessage?: string; details?: string };
    console.error(v.shortMessage ? `${v.shortMessage}${v.details ? `\nDetails: ${v.details}` : ""}` : err.stack ?? String(e));
  }
  process.exitCode = 1;
}
