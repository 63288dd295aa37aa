// The real exported models beyond Fashion-MNIST (docs/models.md, "Real models beyond Fashion-MNIST"):
// a small ResNet on Fashion-MNIST, a 1-D conv keyword spotter on espeak-ng speech and an LSTM word
// classifier on WordNet, each exported by both torch exporters (scripts/train_*.py). Their committed
// fixtures (held-out examples, labels, calibration samples from the training distribution), and
// AIVM int8 against onnxruntime fp32 on them (test/model/real-models.test.ts,
// scripts/measure-real-models.ts).
import { readFileSync } from "node:fs";
import path from "node:path";
import { runProgram } from "../codec/program-run.ts";
import { decodeTensorFile, hostTensor, type HostTensor } from "./onnx.ts";
import { encodeInputs, inlineProgram, packModel, type ModelPackage } from "./package.ts";

export interface RealModel {
  /** File stem in test/fixtures/models (the TorchScript export; the dynamo export adds `.dynamo`). */
  name: string;
  /** The ONNX input's name and static shape (batch 1). */
  input: string;
  shape: number[];
  dtype: HostTensor["dtype"];
  /** Stored fixture value → model input value (uint8 pixel / 255, int16 PCM / 32768, token ids as is). */
  scale: number;
  /** Fixture files: held-out inputs [N, …], their labels [N], calibration inputs [M, …] from the training split. */
  test: string;
  labels: string;
  calibration: string;
  classes: readonly string[];
}

export const REAL_MODELS: readonly RealModel[] = [
  {
    name: "fashion_resnet", input: "input", shape: [1, 1, 28, 28], dtype: "float32", scale: 1 / 255,
    test: "fashion_test.pb", labels: "fashion_test_labels.pb", calibration: "fashion_calib.pb",
    classes: ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
  },
  {
    name: "keyword_cnn", input: "audio", shape: [1, 1, 8000], dtype: "float32", scale: 1 / 32768,
    test: "keyword_test.pb", labels: "keyword_test_labels.pb", calibration: "keyword_calib.pb",
    classes: ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"],
  },
  {
    name: "wordnet_pos_lstm", input: "chars", shape: [1, 16], dtype: "int64", scale: 1,
    test: "wordnet_test.pb", labels: "wordnet_test_labels.pb", calibration: "wordnet_calib.pb",
    classes: ["noun", "verb", "adj", "adv"],
  },
];

export type Exporter = "torchscript" | "dynamo";
export const EXPORTERS: readonly Exporter[] = ["torchscript", "dynamo"];

export function realModelFile(m: RealModel, exporter: Exporter): string {
  return `${m.name}${exporter === "dynamo" ? ".dynamo" : ""}.onnx`;
}

/** A batched fixture tensor [N, …] → N model inputs of the model's shape and dtype. */
function split(m: RealModel, t: HostTensor): HostTensor[] {
  const size = m.shape.reduce((a, b) => a * b, 1);
  const n = t.data.length / size;
  return Array.from({ length: n }, (_, i) => hostTensor(m.dtype, m.shape, t.data.subarray(i * size, (i + 1) * size).map((v) => v * m.scale)));
}

export interface RealFixture {
  inputs: HostTensor[];
  labels: number[];
  calibration: HostTensor[][];
}

export function loadRealFixture(dir: string, m: RealModel): RealFixture {
  const read = (f: string) => decodeTensorFile(readFileSync(path.join(dir, f)), f).tensor;
  return {
    inputs: split(m, read(m.test)),
    labels: Array.from(read(m.labels).data),
    calibration: split(m, read(m.calibration)).map((x) => [x]),
  };
}

/** The package `aivm model pack` builds (packModel), on the fixture's calibration samples. */
export function packRealModel(dir: string, m: RealModel, exporter: Exporter, fixture = loadRealFixture(dir, m)): ModelPackage {
  const file = realModelFile(m, exporter);
  const bytes = readFileSync(path.join(dir, file));
  const name = file.replace(/\.onnx$/, "").replace(/\./g, "_");
  return packModel(bytes, fixture.calibration, { name, file });
}

function argmax(data: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < data.length; i++) if (data[i]! > data[best]!) best = i;
  return best;
}

/** The classes the deployed integer program picks (the engine in process: what TCUSTOM runs). */
export function aivmClasses(pkg: ModelPackage, inputs: readonly HostTensor[]): number[] {
  const program = inlineProgram(pkg);
  return inputs.map((x) => argmax(runProgram(program, encodeInputs(pkg, [x]), new Map())[0]!.data));
}

/** The classes onnxruntime-node picks in fp32 on the same inputs. */
export async function fp32Classes(onnxBytes: Uint8Array, m: RealModel, inputs: readonly HostTensor[]): Promise<number[]> {
  const ort = await import("onnxruntime-node");
  const session = await ort.InferenceSession.create(onnxBytes, { intraOpNumThreads: 1 });
  const out: number[] = [];
  for (const x of inputs) {
    const data = m.dtype === "int64" ? BigInt64Array.from(x.data, (v) => BigInt(v)) : Float32Array.from(x.data);
    const res = await session.run({ [m.input]: new ort.Tensor(m.dtype, data, x.shape) });
    out.push(argmax(Object.values(res)[0]!.data as Float32Array));
  }
  await session.release();
  return out;
}

export interface RealAccuracy {
  model: string;
  exporter: Exporter;
  examples: number;
  fp32Correct: number;
  aivmCorrect: number;
  /** Examples where AIVM int8 and onnxruntime fp32 pick the same class. */
  agree: number;
  quoteGas: bigint;
  flops: bigint;
  int16Tensors: number;
}

export async function evaluateRealModel(dir: string, m: RealModel, exporter: Exporter): Promise<RealAccuracy & { pkg: ModelPackage; fixture: RealFixture }> {
  const fixture = loadRealFixture(dir, m);
  const pkg = packRealModel(dir, m, exporter, fixture);
  const a = aivmClasses(pkg, fixture.inputs);
  const f = await fp32Classes(readFileSync(path.join(dir, realModelFile(m, exporter))), m, fixture.inputs);
  let fp32Correct = 0, aivmCorrect = 0, agree = 0;
  fixture.labels.forEach((l, i) => {
    if (f[i] === l) fp32Correct++;
    if (a[i] === l) aivmCorrect++;
    if (a[i] === f[i]) agree++;
  });
  return {
    model: m.name, exporter, examples: fixture.labels.length, fp32Correct, aivmCorrect, agree,
    quoteGas: BigInt(pkg.quote.gas), flops: BigInt(pkg.quote.flops), int16Tensors: pkg.config.wide.length, pkg, fixture,
  };
}
