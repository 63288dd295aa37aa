// Loading model inputs for the CLI: ONNX TensorProto files (.pb), ONNX test-data folders
// (test_data_set_N/input_K.pb), or the Fashion-MNIST idx set (H8's loader, src/model/fashion-mnist.ts).
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { hasFashionMnist, loadFashionMnist } from "./fashion-mnist.ts";
import { OnnxFormatError, decodeTensorFile, hostTensor, type HostTensor } from "./onnx.ts";

export function readTensorFile(file: string): HostTensor {
  return decodeTensorFile(readFileSync(file), file).tensor;
}

/** Groups a flat list of per-input files into samples of `inputsPerSample` tensors. */
export function groupSamples(tensors: readonly HostTensor[], inputsPerSample: number): HostTensor[][] {
  if (inputsPerSample < 1 || tensors.length % inputsPerSample !== 0) {
    throw new OnnxFormatError("calibration", `${tensors.length} tensors do not split into samples of ${inputsPerSample} inputs`);
  }
  const out: HostTensor[][] = [];
  for (let i = 0; i < tensors.length; i += inputsPerSample) out.push(tensors.slice(i, i + inputsPerSample));
  return out;
}

/**
 * Calibration samples from a directory: the Fashion-MNIST idx set (first `limit` training images,
 * pixel/255, reshaped to `inputShape`), ONNX test_data_set_N folders, or loose .pb files.
 */
export function loadCalibrationDir(dir: string, inputsPerSample: number, inputShape: readonly number[], limit = 200): HostTensor[][] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new OnnxFormatError("calibration", `${dir} is not a directory`);
  if (hasFashionMnist("train", dir)) {
    const set = loadFashionMnist("train", dir);
    const n = Math.min(limit, set.images.length);
    const stride = Math.max(1, Math.floor(set.images.length / n));
    return Array.from({ length: n }, (_, i) => [hostTensor("float32", inputShape, Array.from(set.images[i * stride]!, (v) => v / 255))]);
  }
  const entries = readdirSync(dir).sort();
  const sets = entries.filter((e) => e.startsWith("test_data_set_"));
  if (sets.length) {
    return sets.slice(0, limit).map((s) => {
      const out: HostTensor[] = [];
      for (let k = 0; existsSync(path.join(dir, s, `input_${k}.pb`)); k++) out.push(readTensorFile(path.join(dir, s, `input_${k}.pb`)));
      return out;
    });
  }
  const files = entries.filter((e) => e.endsWith(".pb")).map((e) => path.join(dir, e));
  if (!files.length) throw new OnnxFormatError("calibration", `${dir} holds no .pb files, test_data_set_N folders or Fashion-MNIST idx files`);
  return groupSamples(files.map(readTensorFile), inputsPerSample).slice(0, limit);
}
