// `aivm model pack | deploy | quote | run`: build an AIVM model package from ONNX, deploy its shards
// and program with TSTORE and register it in ModelRegistry, quote the exact gas of one inference,
// and call it through the precompile path.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import type { Abi, Hex } from "viem";
import { decodeProgram } from "../codec/program.ts";
import { hexToBytes } from "viem";
import { MULTIPLIER_ONE } from "../gas/constants.ts";
import { storedReadsGas } from "../gas/reads.ts";
import { connect, nodeGasLimits, nodeMultiplier, quoteOnChain, tcustomCalldata } from "../model/chain.ts";
import { zeros } from "../engine/tensor.ts";
import { registerPackage, uploadPackage } from "../model/deploy.ts";
import { assertWithinGasLimit, intrinsicGas, quoteImportedGraph, type GasLimit } from "../model/gas-limit.ts";
import { parseImagePreprocess } from "../model/inputs.ts";
import { onnxInputNames } from "../model/onnx-run.ts";
import { declaredShape, decodeModel, encodeTensorFile } from "../model/onnx.ts";
import { decodeOutputs, encodeInputs, inlineProgram, inputMetas, packageReads, packModel, parsePackage, quoteModel, serializePackage, type ModelPackage } from "../model/package.ts";
import { loadCalibrationDir } from "../model/samples.ts";
import { loadInputs, openExecutor, progressReporter, reportError, tgraphCallGas } from "./onnx.ts";

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
  /** JSON ImagePreprocess stored in the package (how `aivm model run` reads PNG/JPEG inputs). */
  imagePreprocess?: string;
  /** Node whose block gas limit the quote must fit (default: the dev node's default limit). */
  rpc?: string;
  /** Block gas limit to check against instead (0: no check). */
  gasLimit?: bigint;
  json?: boolean;
}

/** The block gas limit a package is checked against at pack time: --gas-limit, the --rpc node's, or the dev node's default. */
async function packGasLimit(opts: PackOptions): Promise<GasLimit> {
  if (opts.gasLimit !== undefined) return { gas: opts.gasLimit, kind: "block gas limit", node: "--gas-limit" };
  if (opts.rpc) return { gas: (await nodeGasLimits(await connect(opts.rpc))).blockGasLimit, kind: "block gas limit", node: opts.rpc };
  const { DEFAULT_BLOCK_GAS_LIMIT } = await import("../chain/node.ts");
  return { gas: DEFAULT_BLOCK_GAS_LIMIT, kind: "block gas limit", node: "the default dev node (aivm node; --gas-limit or --rpc for another)" };
}

/** A TCUSTOM transaction of the stored program: its AIVM quote plus the intrinsic gas of its calldata (all-zero inputs: a lower bound). */
function deployedCallGas(pkg: ModelPackage, multiplier: bigint): bigint {
  return quoteModel(pkg, multiplier).gas + intrinsicGas(tcustomCalldata(pkg.programId, inputMetas(pkg).map((m) => zeros(m.dtype, m.shape))));
}

export async function packCli(modelPath: string, opts: PackOptions): Promise<ModelPackage> {
  const bytes = readFileSync(modelPath);
  const g = decodeModel(bytes).graph;
  const names = onnxInputNames(bytes);
  const first = g?.input?.find((v) => v.name === names[0]);
  const shape = first ? declaredShape(first).shape.map((d) => (d < 0 ? 1 : d)) : [];
  const imagePreprocess = opts.imagePreprocess === undefined ? undefined : parseImagePreprocess(opts.imagePreprocess);
  const limit = await packGasLimit(opts);
  const samples = loadCalibrationDir(opts.calibration, names.length, shape, opts.samples);
  const progress = progressReporter(!opts.json);
  const label = path.basename(modelPath);
  // Refused right after import: calibration would spend minutes on a model no block can hold.
  const afterImport = (graph: Parameters<typeof quoteImportedGraph>[0]) => {
    assertWithinGasLimit(label, quoteImportedGraph(graph).gas, "estimate after import, before calibration: the all-int8 program's quote at multiplier 1.0", limit);
  };
  let pkg: ModelPackage;
  try {
    pkg = packModel(bytes, samples, { name: opts.name ?? path.basename(modelPath, ".onnx"), file: path.basename(modelPath), imagePreprocess, afterImport, onProgress: (s, d, t) => progress.update(s, d, t) });
  } finally {
    progress.stop();
  }
  assertWithinGasLimit(label, BigInt(pkg.quote.gas), "exact quote of the package at multiplier 1.0", limit);
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
      if (pkg.config.frozenInputs?.length) console.log(`Frozen from the first calibration sample (the program needs them constant): ${pkg.config.frozenInputs.join(", ")}.`);
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
    // Before any store transaction: a model no block can run is not worth its shards.
    const limits = await nodeGasLimits(conn);
    assertWithinGasLimit(pkg.name, deployedCallGas(pkg, await nodeMultiplier(conn)), "exact quote of a TCUSTOM transaction of the stored program at the node's multiplier", { gas: limits.blockGasLimit, kind: "block gas limit", node: opts.rpc });
    const progress = progressReporter(!opts.json);
    const deployed = await uploadPackage(conn, pkg, (d, t) => progress.update("storing", d, t));
    progress.stop();
    if (opts.register) {
      const code = await conn.public.getCode({ address: opts.registry });
      if (!code || code === "0x") deployed.registry = { address: opts.registry, modelId: "", version: 0, active: false, defaultVersion: 0, alreadyRegistered: false, newModel: false, note: "no ModelRegistry at this address; shards and program are stored" };
      else deployed.registry = await registerPackage(conn, opts.registry, await loadRegistryAbi(), pkg, deployed);
    }
    const r = deployed.registry;
    const alreadyDeployed = deployed.stored.count === 0 && (!r || r.alreadyRegistered);
    print(opts.json, { ...deployed, alreadyDeployed }, () => {
      const { count, skipped } = deployed.stored;
      const state = r && r.modelId ? `${r.active ? " (active" : " (not active"}${r.defaultVersion !== r.version ? `; the model's default is version ${r.defaultVersion}` : ""})` : "";
      if (alreadyDeployed) console.log(`Already deployed${r?.modelId ? `: model id ${r.modelId} version ${r.version}${state}` : ""}. Every shard, manifest and the program ${deployed.programId} are stored; no transaction sent.`);
      else {
        console.log(`Stored ${count} of ${count + skipped} blobs (shards, manifests, program ${deployed.programId})${skipped ? `; ${skipped} already stored, skipped` : ""}. Gas: ${deployed.gasUsed}.`);
        if (r) console.log(r.modelId ? `ModelRegistry ${r.address}: model ${r.modelId}${r.newModel ? " (new)" : ""} version ${r.version}${r.alreadyRegistered ? " (already registered)" : ""}${state}${r.note ? ` — ${r.note}` : ""}` : `ModelRegistry: ${r.note}`);
      }
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
      const m = await nodeMultiplier(conn);
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
    const targets = pkg.inputs.map((i) => ({ name: i.name, shape: i.shape, dtype: i.hostDtype }));
    const ins = encodeInputs(pkg, loadInputs(opts.input, targets, pkg.imagePreprocess === undefined ? undefined : JSON.stringify(pkg.imagePreprocess)));
    const exec = await openExecutor(opts);
    let outs;
    try {
      // A remote node has the shards stored (aivm model deploy); a fresh in-process node gets them inline.
      const program = opts.rpc ? decodeProgram(hexToBytes(pkg.program)) : inlineProgram(pkg);
      const io = opts.rpc ? { readsGas: storedReadsGas(packageReads(pkg).slice(1)) } : {};
      assertWithinGasLimit(pkg.name, tgraphCallGas(program, inputMetas(pkg), exec.multiplier, io), "exact quote of the TGRAPH call plus its calldata gas", exec.limit);
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

