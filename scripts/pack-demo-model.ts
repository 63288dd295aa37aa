// Packs the dev node's demo model: test/fixtures/models/fashion_mlp.onnx calibrated on Fashion-MNIST
// training images exactly as `aivm model pack --calibration <dataset dir>` does, plus a few test
// images with their labels. The outputs are committed, so `npm start` never needs the dataset.
//   npx tsx scripts/pack-demo-model.ts [--check]
// --check re-packs and exits 1 when the committed files differ (test/model/demo-package.test.ts).
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bytesToHex } from "viem";
import { encodeTensor } from "../src/codec/tensor.ts";
import { FASHION_MNIST_CLASSES, fashionMnistDir, loadFashionMnist } from "../src/model/fashion-mnist.ts";
import { onnxInputNames } from "../src/model/onnx-run.ts";
import { declaredShape, decodeModel, hostTensor } from "../src/model/onnx.ts";
import { encodeInputs, packModel, serializePackage, type ModelPackage } from "../src/model/package.ts";
import { loadCalibrationDir } from "../src/model/samples.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const DEMO_ONNX = path.join(repoRoot, "test/fixtures/models/fashion_mlp.onnx");
export const DEMO_PACKAGE = path.join(repoRoot, "test/fixtures/models/fashion_mlp.aivm.json");
export const DEMO_SAMPLES = path.join(repoRoot, "test/fixtures/models/demo-samples.json");
/** The CLI's default `--samples`. */
const CALIBRATION_SAMPLES = 200;

export interface DemoSample {
  /** Index in the Fashion-MNIST test split (t10k). */
  index: number;
  label: number;
  labelName: string;
  /** 28×28 u8 pixels, row-major. */
  pixels: number[];
  /** The model's quantized input (pixels / 255, int8 [1, 784]) in the tensor wire format. */
  input: `0x${string}`;
}

export interface DemoSamples {
  source: string;
  classes: readonly string[];
  samples: DemoSample[];
}

/** The package exactly as `aivm model pack fashion_mlp.onnx --calibration <dir>` builds it. */
export function packDemoModel(dir = fashionMnistDir()): ModelPackage {
  const bytes = readFileSync(DEMO_ONNX);
  const names = onnxInputNames(bytes);
  const first = decodeModel(bytes).graph?.input?.find((v) => v.name === names[0]);
  const shape = first ? declaredShape(first).shape.map((d) => (d < 0 ? 1 : d)) : [];
  const samples = loadCalibrationDir(dir, names.length, shape, CALIBRATION_SAMPLES);
  return packModel(bytes, samples, { name: "fashion_mlp", file: path.basename(DEMO_ONNX) });
}

/** The first test image of each class (ten images), with labels and quantized inputs for `pkg`. */
export function demoSamples(pkg: ModelPackage, dir = fashionMnistDir()): DemoSamples {
  const test = loadFashionMnist("test", dir);
  const firsts = FASHION_MNIST_CLASSES.map((_, c) => test.labels.indexOf(c));
  const samples = firsts.map((index): DemoSample => {
    const pixels = Array.from(test.images[index]!);
    const x = hostTensor("float32", pkg.inputs[0]!.shape, pixels.map((v) => v / 255));
    const label = test.labels[index]!;
    return { index, label, labelName: FASHION_MNIST_CLASSES[label]!, pixels, input: bytesToHex(encodeTensor(encodeInputs(pkg, [x])[0]!)) };
  });
  return { source: `Fashion-MNIST test split (t10k), the first image of each class: ${firsts.join(", ")}`, classes: FASHION_MNIST_CLASSES, samples };
}

/** Both fixture files' contents, as written to disk. */
export function demoFixtureTexts(dir = fashionMnistDir()): { pkg: string; samples: string } {
  const pkg = packDemoModel(dir);
  return { pkg: `${serializePackage(pkg)}\n`, samples: `${JSON.stringify(demoSamples(pkg, dir))}\n` };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const texts = demoFixtureTexts();
  if (process.argv.includes("--check")) {
    const same = readFileSync(DEMO_PACKAGE, "utf8") === texts.pkg && readFileSync(DEMO_SAMPLES, "utf8") === texts.samples;
    console.log(same ? "demo fixtures are up to date" : "demo fixtures differ from a fresh pack: run `npx tsx scripts/pack-demo-model.ts`");
    process.exit(same ? 0 : 1);
  }
  writeFileSync(DEMO_PACKAGE, texts.pkg);
  writeFileSync(DEMO_SAMPLES, texts.samples);
  console.log(`Wrote ${path.relative(repoRoot, DEMO_PACKAGE)} (${texts.pkg.length} bytes) and ${path.relative(repoRoot, DEMO_SAMPLES)} (${texts.samples.length} bytes)`);
}
