// AIVM against onnxruntime-node on the onnxruntime quantize_static fixtures (scripts/quantize_static.py),
// on all 10,000 Fashion-MNIST test images: output-integer agreement, top-1 agreement, and each
// one's accuracy on the labels. Prints JSON. Usage:
//   PATH=node_modules/.bin:$PATH node --import tsx scripts/qdq-agreement.ts [images]
import path from "node:path";
import { loadFashionMnist } from "../src/model/fashion-mnist.ts";
import { compareWithOnnxruntime, importQdqFashion } from "../src/model/qdq-compare.ts";

const FILES = [
  ["fashion_cnn_qdq.onnx", "cnn"],
  ["fashion_cnn_qdq_per_channel.onnx", "cnn"],
  ["fashion_mlp_qdq.onnx", "mlp"],
] as const;

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 10000);
  const train = loadFashionMnist("train"), test = loadFashionMnist("test");
  const results = [];
  for (const [file, which] of FILES) {
    const full = path.resolve(import.meta.dirname, "../test/fixtures", file);
    const t0 = performance.now();
    const model = importQdqFashion(full, which, train);
    const r = await compareWithOnnxruntime(full, model, test, 0, n);
    results.push({ file, ...r, identicalPct: (100 * r.identical) / r.elements, argmaxPct: (100 * r.argmaxAgree) / r.images, seconds: (performance.now() - t0) / 1000 });
  }
  console.log(JSON.stringify({ images: n, results }, null, 1));
}

void main();
