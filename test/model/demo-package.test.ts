// The dev node's demo model is a committed package (test/fixtures/models/fashion_mlp.aivm.json) so
// `npm start` needs no dataset. This pins it to a fresh pack from the real Fashion-MNIST files, so
// the fixture cannot drift from the toolchain, and checks what the demo relies on without them.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { hexToBytes } from "viem";
import { runProgram } from "../../src/codec/program-run.ts";
import { decodeTensor } from "../../src/codec/tensor.ts";
import { hasFashionMnist } from "../../src/model/fashion-mnist.ts";
import { inlineProgram, parsePackage, quoteModel } from "../../src/model/package.ts";
import { DEMO_PACKAGE, DEMO_SAMPLES, demoFixtureTexts, type DemoSamples } from "../../scripts/pack-demo-model.ts";

const haveDataset = hasFashionMnist("train") && hasFashionMnist("test");
const skip = haveDataset ? false : "Fashion-MNIST (apt-get install dataset-fashion-mnist) is not installed: cannot re-pack the demo fixtures";

test("re-packing fashion_mlp.onnx with the CLI's calibration reproduces the committed package and samples byte for byte", { skip }, () => {
  const fresh = demoFixtureTexts();
  assert.ok(readFileSync(DEMO_PACKAGE, "utf8") === fresh.pkg, "fashion_mlp.aivm.json is stale: run `npx tsx scripts/pack-demo-model.ts` and commit it");
  assert.ok(readFileSync(DEMO_SAMPLES, "utf8") === fresh.samples, "demo-samples.json is stale: run `npx tsx scripts/pack-demo-model.ts` and commit it");
});

test("the committed package parses (content ids check out) and its quote is the program's exact gas", () => {
  const pkg = parsePackage(readFileSync(DEMO_PACKAGE, "utf8"));
  assert.equal(pkg.name, "fashion_mlp");
  assert.deepEqual(pkg.inputs[0]!.shape, [1, 784]);
  assert.equal(pkg.quote.gas, quoteModel(pkg).gas.toString());
});

test("the committed samples cover all ten classes and the package classifies most of them correctly", () => {
  const pkg = parsePackage(readFileSync(DEMO_PACKAGE, "utf8"));
  const { samples } = JSON.parse(readFileSync(DEMO_SAMPLES, "utf8")) as DemoSamples;
  assert.deepEqual(samples.map((s) => s.label).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  let correct = 0;
  for (const s of samples) {
    assert.equal(s.pixels.length, 784);
    const logits = runProgram(inlineProgram(pkg), [decodeTensor(hexToBytes(s.input))], new Map())[0]!;
    let best = 0;
    for (let k = 1; k < logits.data.length; k++) if (logits.data[k]! > logits.data[best]!) best = k;
    if (best === s.label) correct++;
  }
  // The model is ~86 % accurate on the test split; ten images leave room for a miss or two.
  assert.ok(correct >= 7, `${correct}/10 samples classified correctly`);
});
