// bench:engine — int8 matmul throughput of the engine's `matmul` op (int32 output; WASM SIMD
// kernel, plus the JS-only and reference kernels for context) against onnxruntime-node's fp32
// MatMul on one thread, measured in the same run. Prints JSON.
import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-node";
import { getOp } from "../src/engine/registry.ts";
import { tensor, type Tensor } from "../src/engine/tensor.ts";
import { runMatmul } from "../src/engine/ops/linear.ts";
import { matmulReference } from "../src/engine/kernels/matmul-reference.ts";
import { matmulFastJs } from "../src/engine/kernels/matmul-fast.ts";

const { onnx } = onnxProto;
const SIZES = [128, 256, 512];

/** A one-node model Y = MatMul(A, B), A and B fp32 [n,n] graph inputs. */
function matmulModel(n: number): Uint8Array {
  const io = (name: string) => ({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimValue: n }, { dimValue: n }] } } },
  });
  return onnx.ModelProto.encode({
    irVersion: 7,
    opsetImport: [{ domain: "", version: 13 }],
    producerName: "aivm-bench",
    graph: { name: "matmul", node: [{ opType: "MatMul", input: ["A", "B"], output: ["Y"] }], input: [io("A"), io("B")], output: [io("Y")] },
  }).finish();
}

/** Median milliseconds of `run` over enough repetitions to pass ~`budgetMs`, after warm-up. */
async function medianMs(run: () => unknown, budgetMs: number): Promise<number> {
  for (let i = 0; i < 2; i++) await run();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 3 || (performance.now() - start < budgetMs && times.length < 50)) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

function int8Square(n: number, seed: number): Tensor {
  const data = new Int8Array(n * n);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) | 0;
    data[i] = s >> 24;
  }
  return tensor("int8", [n, n], data);
}

const gops = (n: number, ms: number): number => (2 * n ** 3) / (ms * 1e6);
const round = (x: number): number => Math.round(x * 1000) / 1000;

const results = [];
for (const n of SIZES) {
  const a = int8Square(n, 1);
  const b = int8Square(n, 2);
  const op = getOp("matmul");
  const aivmMs = await medianMs(() => op.run([a, b], {}), 1500);
  const jsMs = await medianMs(() => runMatmul([a, b], {}, matmulFastJs), 1000);
  const refMs = n <= 256 ? await medianMs(() => runMatmul([a, b], {}, matmulReference), 1000) : null;

  const session = await ort.InferenceSession.create(matmulModel(n), { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential" });
  const feeds = {
    A: new ort.Tensor("float32", Float32Array.from(a.data), [n, n]),
    B: new ort.Tensor("float32", Float32Array.from(b.data), [n, n]),
  };
  const ortMs = await medianMs(() => session.run(feeds), 1500);
  await session.release();

  results.push({
    n,
    aivmInt8: { ms: round(aivmMs), gops: round(gops(n, aivmMs)) },
    aivmInt8JsKernel: { ms: round(jsMs), gops: round(gops(n, jsMs)) },
    aivmInt8ReferenceKernel: refMs === null ? null : { ms: round(refMs), gops: round(gops(n, refMs)) },
    onnxruntimeFp32SingleThread: { ms: round(ortMs), gops: round(gops(n, ortMs)) },
    ratioAivmOverOnnxruntime: round(ortMs / aivmMs),
  });
}

console.log(JSON.stringify({
  bench: "engine.matmul",
  what: "square n×n×n matmul; int8×int8→int32 via the engine op (WASM SIMD dispatch) vs onnxruntime-node fp32 MatMul, 1 thread; GOP/s = 2n³/time; median; ratio = aivm GOP/s ÷ onnxruntime GOP/s",
  loadAverage1m: (await import("node:os")).loadavg()[0],
  node: process.version,
  results,
}, null, 2));
