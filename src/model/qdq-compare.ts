// Agreement of AIVM with onnxruntime on a model that onnxruntime's quantize_static already quantized
// (QDQ): both run the same int8 file on the same Fashion-MNIST images, and the output integers
// (the logits' QuantizeLinear grid) are compared. Offline: used by test/model/qdq.test.ts and
// scripts/qdq-agreement.ts.
import { readFileSync } from "node:fs";
import { calibrate, quantizeInput, type CalibrationResult } from "./calibrate.ts";
import { fashionBatch, type FashionModel } from "./evaluate.ts";
import type { FashionMnistSet } from "./fashion-mnist.ts";
import { importOnnx } from "./import.ts";
import { runProgram } from "../codec/program-run.ts";

export interface QdqAgreement {
  images: number;
  /** Images whose top-1 class is the same in both. */
  argmaxAgree: number;
  /** Output integers (10 per image) equal in both, and those 1 step apart. */
  identical: number;
  offByOne: number;
  elements: number;
  /** Largest |AIVM − onnxruntime| over all output integers. */
  maxDiff: number;
  /** Top-1 classes equal to the label. */
  aivmCorrect: number;
  onnxruntimeCorrect: number;
}

export interface QdqImport {
  calibration: CalibrationResult;
  which: FashionModel;
}

/** Imports a QDQ Fashion-MNIST file (batch 1) and calibrates what the file leaves open on `calibration` images. */
export function importQdqFashion(file: string, which: FashionModel, train: FashionMnistSet, samples = 4): QdqImport {
  const graph = importOnnx(readFileSync(file));
  const calibration = calibrate(graph, Array.from({ length: samples }, (_, i) => [fashionBatch(which, train, i, 1)]));
  return { calibration, which };
}

/** Runs images [start, start + n) through AIVM and onnxruntime-node on the same QDQ file and counts agreement. */
export async function compareWithOnnxruntime(file: string, model: QdqImport, set: FashionMnistSet, start: number, n: number): Promise<QdqAgreement> {
  const ort = await import("onnxruntime-node");
  const session = await ort.InferenceSession.create(readFileSync(file));
  const { model: q } = model.calibration;
  const out = q.outputs[0]!.quant;
  const r: QdqAgreement = { images: n, argmaxAgree: 0, identical: 0, offByOne: 0, elements: 0, maxDiff: 0, aivmCorrect: 0, onnxruntimeCorrect: 0 };
  for (let i = start; i < start + n; i++) {
    const x = fashionBatch(model.which, set, i, 1);
    const mine = runProgram(q.program, [quantizeInput(x, q.inputs[0]!)], new Map())[0]!;
    const res = await session.run({ [q.inputs[0]!.name]: new ort.Tensor("float32", Float32Array.from(x.data), x.shape) });
    const logits = res[q.outputs[0]!.name]!.data as Float32Array;
    // onnxruntime's float logits are (q − z)·s of its int8 output: recover q on the same grid.
    const theirs = Array.from(logits, (v) => Math.round(v / out.scale) + out.zeroPoint);
    for (let k = 0; k < theirs.length; k++) {
      const d = Math.abs(mine.data[k]! - theirs[k]!);
      r.elements++;
      if (d === 0) r.identical++;
      if (d === 1) r.offByOne++;
      r.maxDiff = Math.max(r.maxDiff, d);
    }
    const [a, o] = [argmax(Array.from(mine.data)), argmax(theirs)];
    if (a === o) r.argmaxAgree++;
    if (a === set.labels[i]) r.aivmCorrect++;
    if (o === set.labels[i]) r.onnxruntimeCorrect++;
  }
  return r;
}

function argmax(v: readonly number[]): number {
  let best = 0;
  for (let k = 1; k < v.length; k++) if (v[k]! > v[best]!) best = k;
  return best;
}
