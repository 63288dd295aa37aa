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
import { matmulThreading, matmulWorkersReady } from "../src/engine/kernels/matmul-wasm.ts";
import { matmulWorkerCount } from "../src/engine/kernels/matmul-threads.ts";

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

interface Timing {
  /** Median wall-clock ms per run. */
  wallMs: number;
  /** Median process CPU ms per run (user + system): robust when other processes share the cores. */
  cpuMs: number;
}

/** Runs `run` in batches of ≥ 20 ms after warm-up, until ~`budgetMs`; medians per run of wall and CPU time. */
async function measure(run: () => unknown, budgetMs: number): Promise<Timing> {
  for (let i = 0; i < 3; i++) await run();
  const t0 = performance.now();
  await run();
  const reps = Math.max(1, Math.ceil(20 / Math.max(0.01, performance.now() - t0)));
  const walls: number[] = [];
  const cpus: number[] = [];
  const start = performance.now();
  while (walls.length < 5 || (performance.now() - start < budgetMs && walls.length < 40)) {
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    for (let r = 0; r < reps; r++) await run();
    const wall = performance.now() - w0;
    const c = process.cpuUsage(c0);
    walls.push(wall / reps);
    cpus.push((c.user + c.system) / 1000 / reps);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { wallMs: median(walls), cpuMs: median(cpus) };
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
const report = (n: number, t: Timing) => ({
  wallMs: round(t.wallMs), cpuMs: round(t.cpuMs), gopsWall: round(gops(n, t.wallMs)), gopsCpu: round(gops(n, t.cpuMs)),
});

/** Threads for the multi-threaded figures: the calling thread plus the engine's matmul workers. */
const THREADS = matmulWorkerCount() + 1;
const DEFAULT_MIN_MACS = matmulThreading.minMacs;
if (THREADS > 1) await matmulWorkersReady(THREADS - 1);

const results = [];
for (const n of SIZES) {
  const a = int8Square(n, 1);
  const b = int8Square(n, 2);
  const op = getOp("matmul");
  matmulThreading.minMacs = Number.MAX_SAFE_INTEGER; // one thread
  const aivm = await measure(() => op.run([a, b], {}), 1500);
  let threaded: { aivm: Timing; onnx: Timing } | null = null;
  if (THREADS > 1) {
    matmulThreading.minMacs = DEFAULT_MIN_MACS;
    const aivmThreads = await measure(() => op.run([a, b], {}), 1500);
    const session = await ort.InferenceSession.create(matmulModel(n), { intraOpNumThreads: THREADS, interOpNumThreads: 1, executionMode: "sequential" });
    const feeds = { A: new ort.Tensor("float32", Float32Array.from(a.data), [n, n]), B: new ort.Tensor("float32", Float32Array.from(b.data), [n, n]) };
    threaded = { aivm: aivmThreads, onnx: await measure(() => session.run(feeds), 1500) };
    await session.release();
    matmulThreading.minMacs = Number.MAX_SAFE_INTEGER;
  }
  const js = await measure(() => runMatmul([a, b], {}, matmulFastJs), 1000);
  const ref = n <= 256 ? await measure(() => runMatmul([a, b], {}, matmulReference), 1000) : null;

  const session = await ort.InferenceSession.create(matmulModel(n), { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential" });
  const feeds = {
    A: new ort.Tensor("float32", Float32Array.from(a.data), [n, n]),
    B: new ort.Tensor("float32", Float32Array.from(b.data), [n, n]),
  };
  const onnx = await measure(() => session.run(feeds), 1500);
  await session.release();

  results.push({
    n,
    aivmInt8: report(n, aivm),
    aivmInt8JsKernel: report(n, js),
    aivmInt8ReferenceKernel: ref === null ? null : report(n, ref),
    onnxruntimeFp32SingleThread: report(n, onnx),
    ratioAivmOverOnnxruntimeCpu: round(onnx.cpuMs / aivm.cpuMs),
    ratioAivmOverOnnxruntimeWall: round(onnx.wallMs / aivm.wallMs),
    // Both on THREADS threads (the engine's worker pool, onnxruntime's intra-op threads): wall time.
    threads:
      threaded === null
        ? null
        : {
            threads: THREADS,
            aivmInt8: report(n, threaded.aivm),
            onnxruntimeFp32: report(n, threaded.onnx),
            speedupOverOneThread: round(aivm.wallMs / threaded.aivm.wallMs),
            ratioAivmOverOnnxruntimeWall: round(threaded.onnx.wallMs / threaded.aivm.wallMs),
          },
  });
}

console.log(JSON.stringify({
  bench: "engine.matmul",
  what: "square n×n×n matmul; int8×int8→int32 via the engine op (WASM SIMD dispatch) vs onnxruntime-node fp32 MatMul, 1 thread, and (threads) both on the calling thread plus the engine's matmul workers; GOP/s = 2n³/time per run (median of batches), from wall time and from process CPU time; ratio = aivm GOP/s ÷ onnxruntime GOP/s (CPU-time ratio is the robust one on a shared machine)",
  loadAverage1m: (await import("node:os")).loadavg()[0],
  node: process.version,
  results,
}, null, 2));
