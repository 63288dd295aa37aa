// The language-model package: the compiled step programs with their weights split out as
// content-addressed shards (shared by every program), the empty KV cache, the tokenizer and the
// exact gas of a token. What `aivm generate` runs in process and what the demo deploys.
import { bytesToHex, hexToBytes, keccak256, type Hex } from "viem";
import { decodeProgram, encodeProgram, type Program } from "../codec/program.ts";
import { encodeTensor } from "../codec/tensor.ts";
import { commitTensor } from "../commit/tensor-commit.ts";
import { zeros, type TensorMeta } from "../engine/tensor.ts";
import { MULTIPLIER_ONE } from "../gas/constants.ts";
import { quoteStream } from "../gas/quote.ts";
import { compileLm, loadLmFiles, LM_DIR, type CompiledLm, type LmConfig, type LmQuantOptions } from "./lm.ts";
import { shardProgram, type ShardManifestEntry, type WeightShard } from "./package.ts";

export const LM_PACKAGE_FORMAT = "aivm-lm/1";

export type LmProgramName = "prefill" | "step" | "score";

export interface LmPackage {
  format: typeof LM_PACKAGE_FORMAT;
  name: string;
  config: LmConfig;
  /** Real value of one int16 logit unit of the `score` program. */
  logitScale: number;
  /** The state every step program threads (token, position, seed, sampler, K/V per layer). */
  state: TensorMeta[];
  /** Each program with its weights as handles, and its id (keccak256 of the bytes). */
  programs: Record<LmProgramName, { program: Hex; id: Hex }>;
  /** Weight shards, each stored once whatever the number of programs using it. */
  shards: WeightShard[];
  manifests: ShardManifestEntry[];
  /** The all-zero K/V cache tensor (every layer starts from it) and its content id. */
  emptyCache: { tensor: Hex; id: Hex };
  /** Gas and FLOPs one more generation step adds to a stream at multiplier 1.0 (stored reads are per call). */
  stepQuote: { gas: string; flops: string };
}

/** Compiles the model in `dir` (models/lm by default) into a package. */
export function packLm(dir: string = LM_DIR, options: LmQuantOptions = {}): { pkg: LmPackage; lm: CompiledLm } {
  const files = loadLmFiles(dir);
  const lm = compileLm(files.config, files.weights, files.calibration, options);
  return { pkg: packCompiledLm(lm, "lm"), lm };
}

export function packCompiledLm(lm: CompiledLm, name: string): LmPackage {
  const shards = new Map<string, WeightShard>();
  const manifests = new Map<string, ShardManifestEntry>();
  const programs = {} as LmPackage["programs"];
  const built: Record<LmProgramName, Program> = {
    prefill: lm.build({ token: "input", emit: "token" }),
    step: lm.build({ token: "state", emit: "token" }),
    score: lm.build({ token: "input", emit: "logits" }),
  };
  for (const key of Object.keys(built) as LmProgramName[]) {
    const sharded = shardProgram(built[key]);
    for (const s of sharded.shards) shards.set(s.id, { ...s, value: -1 });
    for (const m of sharded.manifests) manifests.set(m.id, { ...m, value: -1 });
    const bytes = encodeProgram(sharded.program);
    programs[key] = { program: bytesToHex(bytes), id: keccak256(bytes) };
  }
  const cacheMeta = lm.stateMetas[4]!;
  const cache = zeros(cacheMeta.dtype, cacheMeta.shape);
  const step = decodeProgram(hexToBytes(programs.step.program));
  // Per token: what one more step adds to a stream (the call's program, reads and inputs excluded).
  const q1 = quoteStream(step, lm.stateMetas, 1, MULTIPLIER_ONE);
  const q2 = quoteStream(step, lm.stateMetas, 2, MULTIPLIER_ONE);
  const q = { gas: q2.gas - q1.gas, flops: q2.flops - q1.flops };
  return {
    format: LM_PACKAGE_FORMAT,
    name,
    config: lm.config,
    logitScale: lm.logitScale,
    state: lm.stateMetas,
    programs,
    shards: [...shards.values()],
    manifests: [...manifests.values()],
    emptyCache: { tensor: bytesToHex(encodeTensor(cache)), id: bytesToHex(commitTensor(cache)) },
    stepQuote: { gas: q.gas.toString(), flops: q.flops.toString() },
  };
}
