// Universal Sentence Encoder lite imported from its TF.js graph: the float reference executor agrees
// with the package's TF.js runtime, the integer program's int8 embeddings stay within cosine 0.99 of
// the float runtime's on real sentences, and every token-slot bucket gives the same bytes.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { InvalidArgumentError } from "../../src/engine/errors.ts";
import { decodeProgram } from "../../src/codec/program.ts";
import { inferProgram } from "../../src/codec/program-infer.ts";
import { quoteProgram } from "../../src/gas/quote.ts";
import { OP_CODES } from "../../src/engine/registry.ts";
import { MULTIPLIER_ONE } from "../../src/gas/constants.ts";
import { readTfjsModel, parseTfjsModel, TfjsFormatError } from "../../src/model/tfjs.ts";
import { runTfjsGraph } from "../../src/model/tfjs-exec.ts";
import { encoderFeeds, extractTransformerEncoder } from "../../src/model/tfjs-transformer.ts";
import { CALIBRATION_SENTENCES } from "../../src/model/tfjs-calibration-sentences.ts";
import { cosine, floatEmbed, loadSentenceEncoder, modelDirectory, type SentenceEncoder } from "../../src/model/sentence-encoder.ts";

const FIXTURE = JSON.parse(readFileSync(new URL("../fixtures/wordnet-noun-glosses.json", import.meta.url), "utf8")) as { sentences: string[] };
const SLICE = FIXTURE.sentences.slice(0, 20);

let encoder: SentenceEncoder;
before(async () => {
  // A quarter of the calibration set keeps the test fast; bench:embed measures the default (all of it).
  encoder = await loadSentenceEncoder({ calibration: CALIBRATION_SENTENCES.filter((_, i) => i % 4 === 0) });
});

test("float reference executor reproduces the TF.js runtime's embeddings (cosine > 0.99999)", async () => {
  const graph = readTfjsModel(join(modelDirectory(), "model.json"));
  const texts = SLICE.slice(0, 3);
  const reference = await floatEmbed(texts);
  texts.forEach((text, i) => {
    const ids = Array.from(encoder.tokenize(text));
    const mine = runTfjsGraph(graph, encoderFeeds(ids), graph.outputs).get(graph.outputs[0]!)!;
    assert.deepEqual(mine.shape, [1, 512]);
    assert.ok(cosine(mine.data, reference[i]!) > 0.99999, `sentence ${i}`);
  });
});

test("int8 embeddings: cosine to the float runtime ≥ 0.99 on each of 20 WordNet glosses", async () => {
  const reference = await floatEmbed(SLICE);
  const worst = SLICE.map((text, i) => {
    const y = encoder.embedInts(text);
    assert.equal(y.length, 512);
    return cosine(y, reference[i]!);
  });
  for (const [i, c] of worst.entries()) assert.ok(c >= 0.99, `sentence ${i}: cosine ${c.toFixed(4)} < 0.99`);
});

test("integer dot product times outputScale² approximates the float cosine of two sentences", async () => {
  const [a, b] = [SLICE[0]!, SLICE[1]!];
  const [fa, fb] = await floatEmbed([a, b]);
  const ya = encoder.embedInts(a), yb = encoder.embedInts(b);
  let dot = 0;
  for (let i = 0; i < 512; i++) dot += ya[i]! * yb[i]!;
  assert.ok(Math.abs(dot * encoder.outputScale ** 2 - cosine(fa!, fb!)) < 0.02);
});

test("every token-slot bucket gives the same bytes: padding is masked exactly", () => {
  const text = SLICE[3]!;
  const pieces = encoder.tokenize(text).length;
  assert.ok(pieces <= 32);
  const small = encoder.embedInts(text, 32);
  assert.deepEqual(encoder.embedInts(text, 128), small);
  assert.deepEqual(encoder.embedInts(text), small);
  assert.equal(encoder.programFor(pieces).slots, pieces <= 16 ? 16 : 32);
});

test("the program decodes, infers with the engine registry, and quotes from its declared shapes", () => {
  const program = decodeProgram(encoder.program);
  const info = inferProgram(program);
  assert.deepEqual(info.values[program.outputs[0]!], { dtype: "int8", shape: [1, 512] });
  const inputs = program.values.filter((v) => v.kind === "input");
  assert.deepEqual(inputs.map((v) => v.kind === "input" && [v.dtype, v.shape]), [["int32", [128]], ["int32", [128, 1]]]);
  const quote = quoteProgram(program, undefined, MULTIPLIER_ONE);
  // Dominated by the 128×512×1536 feed-forward matmuls: more than 2·10^8 FLOPs.
  assert.ok(quote.flops > 200_000_000n);
  assert.ok(quote.gas > quote.programGas);
});

test("attention reads int16 Q, K and V (int8 ones were the largest retrieval error) and no table lookup is left", () => {
  const program = decodeProgram(encoder.program);
  const info = inferProgram(program);
  const attention = program.nodes.filter((n) => n.op === OP_CODES.attention);
  assert.equal(attention.length, 2);
  for (const n of attention) assert.deepEqual(n.inputs.slice(0, 3).map((id) => info.values[id]!.dtype), ["int16", "int16", "int16"]);
  assert.equal(program.nodes.filter((n) => n.op === OP_CODES.lut).length, 0);
});

test("bad input: empty text, a text longer than the slots asked for, and a non-encoder graph get typed errors", () => {
  assert.throws(() => encoder.embedInts(""), InvalidArgumentError);
  assert.throws(() => encoder.embedInts(SLICE.join(" "), 16), /pieces do not fit 16 slots/);
  const tiny = parseTfjsModel({ modelTopology: { node: [{ name: "x", op: "Placeholder" }] }, weightsManifest: [] }, []);
  assert.throws(() => extractTransformerEncoder(tiny), (e: unknown) => e instanceof TfjsFormatError && /not a KonaTransformer sentence encoder; missing \d+ piece/.test((e as Error).message));
});

test("tokenize cuts a text to the program's slots", () => {
  const long = SLICE.join(" ");
  assert.ok(encoder.tokenize(long).length === 128);
  const [ids, weights] = encoder.programInputs(SLICE[0]!);
  const n = encoder.tokenize(SLICE[0]!).length;
  assert.equal(ids.length, 128);
  assert.equal(weights[n - 1], Math.round(65536 / n));
  assert.equal(weights[n], 0);
});
