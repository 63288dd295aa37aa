// Fashion-MNIST evaluation of the AIVM integer models against onnxruntime-node fp32 on the same
// images (used by test/model/fashion-accuracy.test.ts and bench/model.ts).
import { readFileSync } from "node:fs";
import path from "node:path";
import { runProgram } from "../codec/program-run.ts";
import { calibrate, quantizeInput, quantizeLike, type CalibrationResult } from "./calibrate.ts";
import { loadFashionMnist, type FashionMnistSet } from "./fashion-mnist.ts";
import { importOnnx } from "./import.ts";
import { hostTensor, type HostTensor } from "./onnx.ts";
import type { QuantizedModel } from "./quantize.ts";

export type FashionModel = "mlp" | "cnn";

export function fashionModelPath(repoRoot: string, which: FashionModel): string {
  return path.join(repoRoot, "test/fixtures/models", `fashion_${which}.onnx`);
}

/** Input shape of one batch: [n,784] for the MLP, [n,1,28,28] for the CNN; pixels / 255 as in training. */
export function fashionBatch(which: FashionModel, set: FashionMnistSet, start: number, n: number): HostTensor {
  const shape = which === "mlp" ? [n, 784] : [n, 1, 28, 28];
  const data = new Float64Array(n * 784);
  for (let i = 0; i < n; i++) {
    const img = set.images[start + i]!;
    for (let p = 0; p < 784; p++) data[i * 784 + p] = img[p]! / 255;
  }
  return hostTensor("float32", shape, data);
}

export interface FashionCalibrated {
  bytes: Uint8Array;
  /** The batch-1 model: what is deployed and quoted. */
  calibration: CalibrationResult;
  /** The same calibration applied to a batch-`batch` import, for fast evaluation. */
  batched: QuantizedModel;
  batch: number;
}

/** Calibrates on `samples` training images (evenly spaced) and builds the batch-1 and batched programs. */
export function calibrateFashion(repoRoot: string, which: FashionModel, samples: number, batch: number, train = loadFashionMnist("train")): FashionCalibrated {
  const bytes = readFileSync(fashionModelPath(repoRoot, which));
  const one = importOnnx(bytes, { inputShapes: new Map([["input", which === "mlp" ? [1, 784] : [1, 1, 28, 28]]]) });
  const stride = Math.floor(train.images.length / samples);
  const calibration = calibrate(one, Array.from({ length: samples }, (_, i) => [fashionBatch(which, train, i * stride, 1)]));
  const many = importOnnx(bytes, { inputShapes: new Map([["input", which === "mlp" ? [batch, 784] : [batch, 1, 28, 28]]]) });
  return { bytes, calibration, batched: quantizeLike(many, calibration), batch };
}

function argmaxRows(data: ArrayLike<number>, rows: number, cols: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (data[r * cols + c]! > data[r * cols + best]!) best = c;
    out.push(best);
  }
  return out;
}

/** Top-1 classes of the integer model on images [start, start + n) (n a multiple of the batch). */
export function aivmClasses(which: FashionModel, model: FashionCalibrated, set: FashionMnistSet, start: number, n: number): number[] {
  const out: number[] = [];
  for (let s = start; s < start + n; s += model.batch) {
    const x = quantizeInput(fashionBatch(which, set, s, model.batch), model.batched.inputs[0]!);
    const y = runProgram(model.batched.program, [x], new Map())[0]!;
    out.push(...argmaxRows(y.data, model.batch, 10));
  }
  return out;
}

/** Top-1 classes of onnxruntime-node fp32 on the same images. */
export async function floatClasses(which: FashionModel, bytes: Uint8Array, set: FashionMnistSet, start: number, n: number, batch: number): Promise<number[]> {
  const ort = await import("onnxruntime-node");
  const session = await ort.InferenceSession.create(bytes);
  const out: number[] = [];
  for (let s = start; s < start + n; s += batch) {
    const x = fashionBatch(which, set, s, batch);
    const res = await session.run({ input: new ort.Tensor("float32", Float32Array.from(x.data), x.shape) });
    out.push(...argmaxRows(res.logits!.data as Float32Array, batch, 10));
  }
  return out;
}

export interface FashionAccuracy {
  model: FashionModel;
  images: number;
  aivmCorrect: number;
  floatCorrect: number;
  aivmAccuracy: number;
  floatAccuracy: number;
  /** Images where AIVM and fp32 pick the same class. */
  agreement: number;
}

export async function fashionAccuracy(which: FashionModel, model: FashionCalibrated, test = loadFashionMnist("test"), n = test.images.length): Promise<FashionAccuracy> {
  const a = aivmClasses(which, model, test, 0, n);
  const f = await floatClasses(which, model.bytes, test, 0, n, model.batch);
  let ac = 0, fc = 0, agree = 0;
  for (let i = 0; i < n; i++) {
    if (a[i] === test.labels[i]) ac++;
    if (f[i] === test.labels[i]) fc++;
    if (a[i] === f[i]) agree++;
  }
  return { model: which, images: n, aivmCorrect: ac, floatCorrect: fc, aivmAccuracy: (100 * ac) / n, floatAccuracy: (100 * fc) / n, agreement: agree / n };
}
