// `aivm model pack | deploy | quote | run`: build an AIVM model package from ONNX, deploy its shards
// and program with TSTORE and register it in ModelRegistry, quote the exact gas of one inference,
// and call it through the precompile path.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import type { Abi, Hex } from "viem";
import { decodeProgram } from "../codec/program.ts";
import { hexToBytes } from "viem";
import { MULTIPLIER_ONE } from "../gas/constants.ts";
import { connect, quoteOnChain } from "../model/chain.ts";
import { registerPackage, uploadPackage } from "../model/deploy.ts";
import { onnxInputNames } from "../model/onnx-run.ts";
import { declaredShape, decodeModel, encodeTensorFile } from "../model/onnx.ts";
import { decodeOutputs, encodeInputs, inlineProgram, packModel, parsePackage, quoteModel, serializePackage, type ModelPackage } from "../model/package.ts";
import { loadCalibrationDir, readTensorFile } from "../model/samples.ts";
import { openExecutor, progressReporter, reportError } from "./onnx.ts";

function print(json: boolean | undefined, data: unknown, human: () => void): void {
  if (json) console.log(JSON.stringify(data, (_, v) => (typeof v === "bigint" ? v.toString() : v), 2));
  else human();
}

/** The options of `aivm model pack`. */
export interface PackOptions {
  calibration: string;
  output: string;
  name?: string;
  samples: number;
  json?: boolean;
}

export async function packCli(modelPath: string, opts: PackOptions): Promise<ModelPackage> {
  const bytes = readFileSync(modelPath);
  const g = decodeModel(bytes).graph;
  const names = onnxInputNames(bytes);
  const first = g?.input?.find((v) => v.name === names[0]);
  const shape = first ? declaredShape(first).shape.map((d) => (d < 0 ? 1 : d)) : [];
  const samples = loadCalibrationDir(opts.calibration, names.length, shape, opts.samples);
  const progress = progressReporter(!opts.json);
  const pkg = packModel(bytes, samples, { name: opts.name ?? path.basename(modelPath, ".onnx"), file: path.basename(modelPath), onProgress: (s, d, t) => progress.update(s, d, t) });
  progress.stop();
  writeFileSync(opts.output, serializePackage(pkg));
  return pkg;
}

async function loadRegistryAbi(): Promise<Abi> {
  const { getContract } = await import("../chain/solc.ts");
  return getContract("ModelRegistry", undefined, ["ModelRegistry.sol"]).abi as Abi;
}

/** `aivm model pack` (the command: ./commands/model.ts). */
export async function modelPack(modelPath: string, opts: PackOptions): Promise<void> {
  try {
    const pkg = await packCli(modelPath, opts);
    print(opts.json, { file: opts.output, programId: pkg.programId, shards: pkg.shards.length, quote: pkg.quote, int16Tensors: pkg.config.wide, quantReport: pkg.quantReport }, () => {
      console.log(`Wrote ${opts.output}: ${pkg.shards.length} weight shards, program ${pkg.programId}`);
      console.log(`Exact gas per inference at multiplier 1.0: ${pkg.quote.gas} (${pkg.quote.flops} FLOPs)`);
      for (const l of pkg.quantReport) console.log(`  ${l.dtype.padEnd(5)} ${l.tensor}: max error ${(100 * l.relError).toFixed(2)} % of range`);
    });
  } catch (e) {
    reportError(e, opts.json);
  }
}

/** `aivm model deploy` (the command: ./commands/model.ts). */
export async function modelDeploy(file: string, opts: { rpc: string; registry: Hex; register: boolean; json?: boolean }): Promise<void> {
  try {
    const pkg = parsePackage(readFileSync(file, "utf8"));
    const conn = await connect(opts.rpc);
    const progress = progressReporter(!opts.json);
    const deployed = await uploadPackage(conn, pkg, (d, t) => progress.update("storing", d, t));
    progress.stop();
    if (opts.register) {
      const code = await conn.public.getCode({ address: opts.registry });
      if (!code || code === "0x") deployed.registry = { address: opts.registry, modelId: "", version: 0, active: false, note: "no ModelRegistry at this address; shards and program are stored" };
      else deployed.registry = await registerPackage(conn, opts.registry, await loadRegistryAbi(), pkg, deployed);
    }
    print(opts.json, deployed, () => {
      console.log(`Stored ${deployed.shards.length} shards and program ${deployed.programId}.`);
      const r = deployed.registry;
      if (r) console.log(r.modelId ? `ModelRegistry ${r.address}: model ${r.modelId} version ${r.version}${r.active ? " (active)" : ""}${r.note ? ` — ${r.note}` : ""}` : `ModelRegistry: ${r.note}`);
    });
  } catch (e) {
    reportError(e, opts.json);
  }
}

/** `aivm model quote` (the command: ./commands/model.ts). */
export async function modelQuote(file: string, opts: { rpc?: string; json?: boolean }): Promise<void> {
  try {
    const pkg = parsePackage(readFileSync(file, "utf8"));
    const at1 = quoteModel(pkg);
    const out: Record<string, unknown> = { gas: at1.gas, flops: at1.flops, programGas: at1.programGas, multiplier: MULTIPLIER_ONE };
    if (opts.rpc) {
      const conn = await connect(opts.rpc);
      const c = (await conn.public.request({ method: "aivm_congestion" } as never)) as { multiplier: Hex | null; nextMultiplier: Hex | null };
      const m = BigInt(c.nextMultiplier ?? c.multiplier ?? MULTIPLIER_ONE);
      const atM = quoteModel(pkg, m);
      out.atNode = { multiplier: m, gas: atM.gas };
      const zeros = encodeInputs(pkg, pkg.inputs.map((i) => ({ dtype: "float32" as const, shape: i.shape, data: new Float64Array(i.shape.reduce((a, b) => a * b, 1)) })));
      try {
        out.atNode = { multiplier: m, gas: atM.gas, precompileQuote: await quoteOnChain(conn, decodeProgram(hexToBytes(pkg.program)), zeros) };
      } catch (e) {
        out.atNode = { multiplier: m, gas: atM.gas, precompileQuote: null, note: `program not runnable on this node (deploy it first): ${(e as Error).message.split("\n")[0]}` };
      }
    }
    print(opts.json, out, () => {
      console.log(`Exact AIVM gas per inference: ${at1.gas} at multiplier 1.0 (${at1.flops} FLOPs; program overhead ${at1.programGas}).`);
      const n = out.atNode as { multiplier: bigint; gas: bigint; precompileQuote?: bigint | null } | undefined;
      if (n) console.log(`At the node's multiplier ${n.multiplier}/${MULTIPLIER_ONE}: ${n.gas}${n.precompileQuote ? ` (precompile QUOTE_ONLY: ${n.precompileQuote})` : ""}.`);
    });
  } catch (e) {
    reportError(e, opts.json);
  }
}

/** `aivm model run` (the command: ./commands/model.ts). */
export async function modelRun(file: string, opts: { input: string[]; rpc?: string; outputDir?: string; json?: boolean }): Promise<void> {
  try {
    const pkg = parsePackage(readFileSync(file, "utf8"));
    const ins = encodeInputs(pkg, opts.input.map(readTensorFile));
    const exec = await openExecutor(opts);
    let outs;
    try {
      // A remote node has the shards stored (aivm model deploy); a fresh in-process node gets them inline.
      const program = opts.rpc ? decodeProgram(hexToBytes(pkg.program)) : inlineProgram(pkg);
      outs = decodeOutputs(pkg, await exec.executor(program, ins));
    } finally {
      await exec.close();
    }
    if (opts.outputDir) {
      mkdirSync(opts.outputDir, { recursive: true });
      outs.forEach((t, k) => writeFileSync(path.join(opts.outputDir!, `output_${k}.pb`), encodeTensorFile(pkg.outputs[k]!.name, t)));
    }
    const result = outs.map((t, k) => {
      let best = 0;
      for (let i = 1; i < t.data.length; i++) if (t.data[i]! > t.data[best]!) best = i;
      return { name: pkg.outputs[k]!.name, shape: t.shape, values: Array.from(t.data), argmax: best };
    });
    print(opts.json, { executedVia: exec.via, outputs: result }, () => {
      console.log(`Ran ${pkg.name} via ${exec.via}.`);
      for (const r of result) console.log(`  ${r.name} [${r.shape.join(",")}]: argmax ${r.argmax}; ${r.values.map((v) => v.toFixed(4)).join(" ")}`);
    });
  } catch (e) {
    reportError(e, opts.json);
  }
}

