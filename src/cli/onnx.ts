// `aivm onnx run`: import an ONNX model, calibrate, quantize, execute through the TGRAPH precompile
// (an in-process dev node by default, or --rpc), and write dequantized output_K.pb files.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import cliProgress from "cli-progress";
import { AivmError } from "../engine/errors.ts";
import { chainExecutor, connect } from "../model/chain.ts";
import { engineExecutor, executePrepared, prepareOnnx, type ProgramExecutor } from "../model/onnx-run.ts";
import { encodeTensorFile, type HostTensor } from "../model/onnx.ts";
import { groupSamples, readTensorFile } from "../model/samples.ts";

export interface OnnxRunCliOptions {
  input: string[];
  calibrate?: string[];
  outputDir: string;
  rpc?: string;
  engine?: boolean;
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

/** In-process dev node unless --rpc (external node) or --engine (no chain) is given. */
export async function openExecutor(opts: { rpc?: string; engine?: boolean }): Promise<{ executor: ProgramExecutor; via: string; close(): Promise<void> }> {
  if (opts.engine) return { executor: engineExecutor, via: "engine (runProgram, no chain)", close: async () => {} };
  if (opts.rpc) return { executor: chainExecutor(await connect(opts.rpc)), via: `TGRAPH eth_call on ${opts.rpc}`, close: async () => {} };
  const { createAivmProvider } = await import("../rpc/provider.ts");
  const provider = await createAivmProvider();
  return { executor: chainExecutor(await connect(provider)), via: "TGRAPH eth_call on an in-process dev node", close: () => provider.close() };
}

export async function runOnnxCli(modelPath: string, opts: OnnxRunCliOptions): Promise<Record<string, unknown>> {
  const bytes = readFileSync(modelPath);
  const inputs: HostTensor[] = opts.input.map(readTensorFile);
  const calibration = opts.calibrate?.length ? groupSamples(opts.calibrate.map(readTensorFile), inputs.length) : [inputs];
  const progress = progressReporter(!opts.json);
  const prepared = prepareOnnx(bytes, inputs, { calibration, onProgress: (s, d, t) => progress.update(s, d, t) });
  progress.stop();
  const exec = await openExecutor(opts);
  let outputs: HostTensor[];
  try {
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
      for (const f of result.outputs as { file: string; name: string; shape: number[] }[]) console.log(`  wrote ${f.file}  (${f.name} float32 [${f.shape.join(",")}])`);
      for (const l of result.quantReport as { tensor: string; dtype: string; relError: number }[]) console.log(`  ${l.dtype.padEnd(5)} ${l.tensor}: max error ${(100 * l.relError).toFixed(2)} % of range`);
    }
  } catch (e) {
    reportError(e, opts.json);
  }
}

export function reportError(e: unknown, json?: boolean): void {
  const err = e as Error;
  if (json) console.log(JSON.stringify({ error: { name: err.name, code: (e as AivmError).code, message: (e as AivmError).shortMessage ?? err.message } }));
  // viem errors carry the whole calldata in `message`: print their short message and details only.
  else if (e instanceof AivmError) console.error(e.message);
  else {
    const v = e as { shortMessage?: string; details?: string };
    console.error(v.shortMessage ? `${v.shortMessage}${v.details ? `\nDetails: ${v.details}` : ""}` : err.stack ?? String(e));
  }
  process.exitCode = 1;
}
