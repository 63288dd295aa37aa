// bench:engine — int8 matmul throughput of the engine's `matmul` op (int32 output; the native
// kernel where it is built, else WASM SIMD; the WASM, JS-only and reference kernels for context) against onnxruntime-node's fp32
// MatMul on one thread, measured in the same run; matrix-vector shapes (M = 1, weights [N,K] used
// with transB, as in a decode step); and CPU time per token of one decode step of a 5.4M-parameter
// llama decoder. The matrix-vector and decode figures are taken twice in the same run: with the
// current paths, and with the ones they replaced (4×2 kernel, B packed at every call, wide int16
// sums in JS); and the matmul op with an int8 output stage on the addon, in WebAssembly and in the
// JavaScript loop. Prints JSON. Sections: `tsx bench/engine.ts [square] [layers] [matvec] [decode] [stage]`
// (all by default), each in its own process.
import { execFileSync } from "node:child_process";
import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-node";
import { OP_CODES, getOp } from "../src/engine/registry.ts";
import { tensor, type Tensor } from "../src/engine/tensor.ts";
import { runMatmul } from "../src/engine/ops/linear.ts";
import { matmulReference } from "../src/engine/kernels/matmul-reference.ts";
import { matmulFastJs } from "../src/engine/kernels/matmul-fast.ts";
import {
  clearPackedWeightCache, matmulBytesKernel, matmulKernelName, matmulThreading, matmulWasmBytes, matmulWasmPaths, matmulWorkersReady, packedWeightCacheLimits,
} from "../src/engine/kernels/matmul-wasm.ts";
import { matmulWorkerCount } from "../src/engine/kernels/matmul-threads.ts";
import { NATIVE_ADDON_PATH, nativeMatmulChoice } from "../src/engine/kernels/matmul-native.ts";
import { outputStagePaths } from "../src/engine/kernels/output-stage-wasm.ts";
import { compileLm, initialState, readLmConfig } from "../src/model/lm.ts";
import { FloatDecoder, emptyCalibration } from "../src/model/lm-float.ts";
import { runProgram } from "../src/codec/program-run.ts";
import { tinyWeights, tokenSequence } from "../test/model/lm-fixture.ts";
import { rerunWithAllocatorEnv, tuneNodeProcess } from "../src/cli/process-tuning.ts";
import { coreCeiling } from "./core-ceiling.ts";
import type { KernelSpec } from "./core-ceiling-work.mjs";

rerunWithAllocatorEnv();

const SECTIONS = ["square", "layers", "matvec", "decode", "stage"];
/** The JSON key each section's figures are under. */
const SECTION_KEYS: Record<string, string> = { square: "results", layers: "layers", matvec: "matvec", decode: "decode", stage: "stage" };
const asked = process.argv.slice(2).filter((a) => SECTIONS.includes(a));
const sections = asked.length === 0 ? SECTIONS : asked;
// Several sections run one after the other, each in its own process, and their JSON is merged. In
// one process a section ran on the heap the ones before it left, and V8 sizes its collections by
// that history: after the square section it marked the old generation every 60–90 ms during the
// layers' calls, on the second core the threads are timed on (their speedups fell to 1.55–1.69).
if (sections.length > 1) {
  const parts = sections.map((section) => {
    const out = execFileSync(process.execPath, [...process.execArgv, process.argv[1]!, section], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 256 << 20 });
    return JSON.parse(out) as Record<string, unknown>;
  });
  const merged: Record<string, unknown> = { ...parts[0]!, loadAverage1mBySection: Object.fromEntries(sections.map((section, i) => [section, parts[i]!.loadAverage1m])) };
  sections.forEach((section, i) => {
    merged[SECTION_KEYS[section]!] = parts[i]![SECTION_KEYS[section]!];
  });
  console.log(JSON.stringify(merged, null, 2));
  process.exit(0);
}
tuneNodeProcess();

const { onnx } = onnxProto;

// 1024: the threads' speedup at n ≥ 512 (the JS kernel, ~0.6 s a call there, is skipped).
const SIZES = [128, 256, 512, 1024];

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

/**
 * Times several setups of one call in alternating batches (each setup's batch ≥ 20 ms, rounds until
 * ~`budgetMs`): every setup sees the same moments of a shared machine, so their ratios do not move
 * with its load the way figures taken one after the other do. Medians per run, one Timing per case.
 */
async function measureInterleaved(cases: { setup: () => void; run: () => unknown }[], budgetMs: number): Promise<Timing[]> {
  const reps: number[] = [];
  for (const c of cases) {
    c.setup();
    for (let i = 0; i < 3; i++) await c.run();
    const t0 = performance.now();
    await c.run();
    reps.push(Math.max(1, Math.ceil(20 / Math.max(0.01, performance.now() - t0))));
  }
  const walls: number[][] = cases.map(() => []);
  const cpus: number[][] = cases.map(() => []);
  const start = performance.now();
  while (walls[0]!.length < 5 || (performance.now() - start < budgetMs && walls[0]!.length < 40)) {
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i]!;
      c.setup();
      if (cases.length > 1) await c.run(); // the first call after a switch (a worker waking) is not timed
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      for (let r = 0; r < reps[i]!; r++) await c.run();
      const wall = performance.now() - w0;
      const cpu = process.cpuUsage(c0);
      walls[i]!.push(wall / reps[i]!);
      cpus[i]!.push((cpu.user + cpu.system) / 1000 / reps[i]!);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return cases.map((_, i) => ({ wallMs: median(walls[i]!), cpuMs: median(cpus[i]!) }));
}

/** Runs `run` in batches of ≥ 20 ms after warm-up, until ~`budgetMs`; medians per run of wall and CPU time. */
async function measure(run: () => unknown, budgetMs: number): Promise<Timing> {
  return (await measureInterleaved([{ setup: () => {}, run }], budgetMs))[0]!;
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

/** Threads for the multi-threaded figures: the calling thread plus the engine's other threads (as many as its matmul workers). */
const THREADS = matmulWorkerCount() + 1;
const DEFAULT_MIN_MACS = matmulThreading.minMacs;
if (THREADS > 1) await matmulWorkersReady(THREADS - 1);

const run = (section: string): boolean => sections.includes(section);

/**
 * The engine's 4×2 kernel for the ceiling's bare-kernel work: the one a square int8 call runs on
 * a cached B, native where it runs here (`matmulu8` where the ISA has it), else WASM.
 */
function kernelSpec(n: number): KernelSpec {
  const isa = nativeMatmulChoice().isa;
  const name = matmulBytesKernel() ? "matmulu8" : "matmul";
  return { n, native: isa === undefined ? null : { path: NATIVE_ADDON_PATH, isa, name }, wasmModule: new WebAssembly.Module(matmulWasmBytes() as Uint8Array<ArrayBuffer>) };
}

/**
 * threads.machineCeiling: each work's times and its speedup on THREADS threads, and the threaded
 * matmul's speedup as a share of each: the most a threaded kernel could reach in those minutes.
 */
function ceilingReport(speedup: number, ...t: (Timing | undefined)[]) {
  const [loopOne, loopAll, kernelOne, kernelAll] = t;
  if (loopOne === undefined || loopAll === undefined || kernelOne === undefined || kernelAll === undefined) return null;
  const work = (one: Timing, all: Timing) => ({ oneThreadMs: round(one.wallMs), allThreadsMs: round(all.wallMs), speedup: round((THREADS * one.wallMs) / all.wallMs) });
  const loop = work(loopOne, loopAll);
  const kernel = work(kernelOne, kernelAll);
  return { loop, kernel, speedupOverOneThreadOfLoop: round(speedup / loop.speedup), speedupOverOneThreadOfKernel: round(speedup / kernel.speedup) };
}

/** About how long `call` takes on the calling thread alone, after warm-up (the fastest of five). */
function oneThreadCallMs(call: () => unknown): number {
  matmulThreading.minMacs = Number.MAX_SAFE_INTEGER;
  let best = Infinity;
  for (let i = 0; i < 8; i++) {
    const t = performance.now();
    call();
    if (i >= 3) best = Math.min(best, performance.now() - t);
  }
  return best;
}

/**
 * Transformer layers' products with their bias: ViT-B/16's (197 tokens: rows not a multiple of 4),
 * BERT-base's at 128 tokens, and an odd column count.
 */
const LAYER_SHAPES: { layer: string; m: number; k: number; n: number }[] = [
  { layer: "vit-b16 qkv", m: 197, k: 768, n: 2304 },
  { layer: "vit-b16 mlp up", m: 197, k: 768, n: 3072 },
  { layer: "vit-b16 mlp down", m: 197, k: 3072, n: 768 },
  { layer: "bert-base attention out", m: 128, k: 768, n: 768 },
  { layer: "odd columns", m: 256, k: 1000, n: 999 },
];

/** Y = MatMul(A, W) + bias: A fp32 [m,k] input, W fp32 [k,n] and bias fp32 [n] constants (a layer's weights). */
function layerModel(m: number, k: number, n: number, w: Float32Array, bias: Float32Array): Uint8Array {
  const io = (name: string, rows: number, cols: number) => ({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimValue: rows }, { dimValue: cols }] } } },
  });
  const constant = (name: string, dims: number[], data: Float32Array) => ({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
  return onnx.ModelProto.encode({
    irVersion: 7,
    opsetImport: [{ domain: "", version: 13 }],
    producerName: "aivm-bench",
    graph: {
      name: "layer",
      node: [{ opType: "MatMul", input: ["A", "W"], output: ["P"] }, { opType: "Add", input: ["P", "bias"], output: ["Y"] }],
      initializer: [constant("W", [k, n], w), constant("bias", [n], bias)],
      input: [io("A", m, k)],
      output: [io("Y", m, n)],
    },
  }).finish();
}

const layers = [];
for (const { layer, m, k, n } of run("layers") ? LAYER_SHAPES : []) {
  const a = tensor("int8", [m, k], int8Array(m * k, 5));
  const w = int8Array(k * n, 6);
  const b = tensor("int8", [k, n], w);
  const bias = tensor("int32", [n], Int32Array.from({ length: n }, (_, j) => ((j * 7919) % 20001) - 10000));
  const op = getOp("matmul");
  const call = () => op.run([a, b, bias], {});
  const setup = (threads: boolean) => () => {
    matmulThreading.minMacs = threads ? DEFAULT_MIN_MACS : Number.MAX_SAFE_INTEGER;
  };
  const cases = [{ setup: setup(false), run: call }];
  if (THREADS > 1) cases.push({ setup: setup(true), run: call });
  const [one, threaded] = await measureInterleaved(cases, 1500 * cases.length);
  matmulThreading.minMacs = Number.MAX_SAFE_INTEGER;
  const onnxTimings: Timing[] = [];
  for (const threads of THREADS > 1 ? [1, THREADS] : [1]) {
    const session = await ort.InferenceSession.create(layerModel(m, k, n, Float32Array.from(w), Float32Array.from(bias.data)), { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: "sequential" });
    const feeds = { A: new ort.Tensor("float32", Float32Array.from(a.data), [m, k]) };
    onnxTimings.push(await measure(() => session.run(feeds), 1500));
    await session.release();
  }
  const [onnxOne, onnxThreads] = onnxTimings;
  const ms = (t: Timing) => ({ wallMs: round(t.wallMs), cpuMs: round(t.cpuMs) });
  layers.push({
    layer, m, k, n,
    aivmInt8OneThread: ms(one!),
    onnxruntimeFp32OneThread: ms(onnxOne!),
    ratioAivmOverOnnxruntimeCpu: round(onnxOne!.cpuMs / one!.cpuMs),
    threads: threaded === undefined ? null : {
      threads: THREADS,
      aivmInt8: ms(threaded),
      speedupOverOneThread: round(one!.wallMs / threaded.wallMs),
      onnxruntimeFp32: ms(onnxThreads!),
      onnxruntimeSpeedupOverOneThread: round(onnxOne!.wallMs / onnxThreads!.wallMs),
      ratioAivmOverOnnxruntimeWall: round(onnxThreads!.wallMs / threaded.wallMs),
    },
  });
}
matmulThreading.minMacs = DEFAULT_MIN_MACS;

const results = [];
for (const n of run("square") ? SIZES : []) {
  const a = int8Square(n, 1);
  const b = int8Square(n, 2);
  const op = getOp("matmul");
  // The engine's kernel (native where built) and the WASM kernel, each on one thread and (with
  // workers) on THREADS threads, and the native int16 kernel the byte kernel replaced on one
  // thread, timed in alternating batches.
  const setup = (threads: boolean, native: boolean, bytes = true) => () => {
    ceiling?.cold();
    matmulThreading.minMacs = threads ? DEFAULT_MIN_MACS : Number.MAX_SAFE_INTEGER;
    matmulWasmPaths.native = native;
    matmulWasmPaths.bytes = bytes;
  };
  const call = () => op.run([a, b], {});
  // From n = 512 (the must-show's sizes), what the cores give work that shares nothing, in the same
  // rounds (bench/core-ceiling.ts): the register-only loop, about as long as a one-thread call, and
  // the bare kernel on each thread's own n×n×n operands, each on one thread and on THREADS at once.
  const ceiling = THREADS > 1 && n >= 512 ? await coreCeiling(THREADS, oneThreadCallMs(call), kernelSpec(n)) : null;
  const cases: { setup: () => void; run: () => unknown }[] = [{ setup: setup(false, true), run: call }, { setup: setup(false, false), run: call }, { setup: setup(false, true, false), run: call }];
  if (THREADS > 1) cases.push({ setup: setup(true, true), run: call }, { setup: setup(true, false), run: call });
  if (ceiling !== null) {
    for (const work of ["loop", "kernel"] as const) cases.push({ setup: ceiling.cold, run: () => ceiling.one(work) }, { setup: ceiling.hot, run: () => ceiling.all(work) });
  }
  const [aivm, aivmWasm, aivmInt16, aivmThreads, wasmThreads, loopOne, loopAll, kernelOne, kernelAll] = await measureInterleaved(cases, 1500 * cases.length);
  await ceiling?.close();
  matmulWasmPaths.native = true;
  matmulWasmPaths.bytes = true;
  matmulThreading.minMacs = Number.MAX_SAFE_INTEGER;
  let threaded: { aivm: Timing; wasm: Timing; onnx: Timing } | null = null;
  if (THREADS > 1) {
    const session = await ort.InferenceSession.create(matmulModel(n), { intraOpNumThreads: THREADS, interOpNumThreads: 1, executionMode: "sequential" });
    const feeds = { A: new ort.Tensor("float32", Float32Array.from(a.data), [n, n]), B: new ort.Tensor("float32", Float32Array.from(b.data), [n, n]) };
    threaded = { aivm: aivmThreads!, wasm: wasmThreads!, onnx: await measure(() => session.run(feeds), 1500) };
    await session.release();
  }
  const js = n <= 512 ? await measure(() => runMatmul([a, b], {}, matmulFastJs), 1000) : null;
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
    aivmInt8WasmKernel: report(n, aivmWasm),
    // The same engine call with the byte kernel off: the native int16 kernel (the WASM one where no native kernel runs).
    aivmInt8Int16Kernel: report(n, aivmInt16!),
    bytesKernelSpeedupCpu: round(aivmInt16!.cpuMs / aivm.cpuMs),
    aivmInt8JsKernel: js === null ? null : report(n, js),
    aivmInt8ReferenceKernel: ref === null ? null : report(n, ref),
    onnxruntimeFp32SingleThread: report(n, onnx),
    ratioAivmOverOnnxruntimeCpu: round(onnx.cpuMs / aivm.cpuMs),
    ratioAivmOverOnnxruntimeWall: round(onnx.wallMs / aivm.wallMs),
    ratioWasmKernelOverOnnxruntimeCpu: round(onnx.cpuMs / aivmWasm.cpuMs),
    // Both on THREADS threads (the engine's worker pool, onnxruntime's intra-op threads): wall time.
    threads:
      threaded === null
        ? null
        : {
            threads: THREADS,
            aivmInt8: report(n, threaded.aivm),
            onnxruntimeFp32: report(n, threaded.onnx),
            speedupOverOneThread: round(aivm.wallMs / threaded.aivm.wallMs),
            // The same on the WASM kernel (equal to the above where no native kernel is built).
            wasmKernel: report(n, threaded.wasm),
            wasmKernelSpeedupOverOneThread: round(aivmWasm.wallMs / threaded.wasm.wallMs),
            ratioAivmOverOnnxruntimeWall: round(threaded.onnx.wallMs / threaded.aivm.wallMs),
            // What the cores gave work that shares nothing (bench/core-ceiling.ts), in the same rounds.
            machineCeiling: ceilingReport(aivm.wallMs / threaded.aivm.wallMs, loopOne, loopAll, kernelOne, kernelAll),
          },
  });
}

/** The decode-time paths (1×4 matvec kernel, packed-weight cache, int16 split into bytes), or the ones they replaced. */
function usePaths(current: boolean): void {
  matmulWasmPaths.matvecMaxRows = current ? 3 : 0;
  matmulWasmPaths.splitA = current;
  matmulWasmPaths.native = current;
  packedWeightCacheLimits.capacityBytes = current ? 64 * 1024 * 1024 : 0;
  clearPackedWeightCache();
}

/** A one-node model Y = MatMul(A, W): A fp32 [1,k] input, W fp32 [k,n] a constant (weights, as in a decode step). */
function matvecModel(k: number, n: number, w: Float32Array): Uint8Array {
  const io = (name: string, cols: number) => ({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimValue: 1 }, { dimValue: cols }] } } },
  });
  const weights = { name: "W", dims: [k, n], dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(w.buffer, w.byteOffset, w.byteLength) };
  return onnx.ModelProto.encode({
    irVersion: 7,
    opsetImport: [{ domain: "", version: 13 }],
    producerName: "aivm-bench",
    graph: { name: "matvec", node: [{ opType: "MatMul", input: ["A", "W"], output: ["Y"] }], initializer: [weights], input: [io("A", k)], output: [io("Y", n)] },
  }).finish();
}

function int8Array(length: number, seed: number): Int8Array {
  return int8Square(Math.ceil(Math.sqrt(length)), seed).data.subarray(0, length) as Int8Array;
}

const MATVEC_SHAPES: [number, number][] = [[288, 288], [288, 768], [768, 288], [1024, 1024], [4096, 4096]];
const matvec = [];
for (const [k, n] of run("matvec") ? MATVEC_SHAPES : []) {
  matmulThreading.minMacs = Number.MAX_SAFE_INTEGER; // one thread
  const a = tensor("int8", [1, k], int8Array(k, 3));
  const w = int8Array(n * k, 4);
  const b = tensor("int8", [n, k], w);
  const op = getOp("matmul");
  usePaths(false);
  const before = await measure(() => op.run([a, b], { transB: 1 }), 1000);
  usePaths(true);
  const after = await measure(() => op.run([a, b], { transB: 1 }), 1000);
  // onnxruntime takes W as [k,n]: the transpose of the engine's [n,k].
  const wt = new Float32Array(k * n);
  for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) wt[p * n + j] = w[j * k + p]!;
  const session = await ort.InferenceSession.create(matvecModel(k, n, wt), { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential" });
  const feeds = { A: new ort.Tensor("float32", Float32Array.from(a.data), [1, k]) };
  const onnxTiming = await measure(() => session.run(feeds), 1000);
  await session.release();
  const us = (t: Timing) => ({ wallUs: round(t.wallMs * 1000), cpuUs: round(t.cpuMs * 1000) });
  matvec.push({
    m: 1, k, n,
    aivmInt8Before: us(before),
    aivmInt8: us(after),
    onnxruntimeFp32SingleThread: us(onnxTiming),
    speedupCpu: round(before.cpuMs / after.cpuMs),
    ratioAivmOverOnnxruntimeCpu: round(onnxTiming.cpuMs / after.cpuMs),
  });
}
matmulThreading.minMacs = DEFAULT_MIN_MACS;

/** CPU ms per token of the decode step, and of its matmul nodes alone, over `tokens` steps after 3 of warm-up. */
function decodeCpu(tokens: number) {
  const cfg = readLmConfig();
  const weights = tinyWeights(7, cfg);
  const cal = emptyCalibration(cfg.n_layers);
  for (let s = 0; s < 2; s++) {
    const d = new FloatDecoder(cfg, weights, cal);
    for (const t of tokenSequence(s, 16)) d.step(t);
  }
  const lm = compileLm(cfg, weights, cal);
  const step = lm.build({ token: "state", emit: "token" });
  const matmuls = step.nodes.filter((node) => node.op === OP_CODES.matmul).length;
  return (current: boolean) => {
    usePaths(current);
    let state = initialState(lm, tensor("int32", [8], [1, 2, 3, 4, 5, 6, 7, 8]));
    for (let i = 0; i < 3; i++) state = runProgram(step, state, new Map()).slice(0, step.stateCount);
    let matmulCpu = 0;
    let t0 = process.cpuUsage();
    const hooks = {
      beforeNode: () => { t0 = process.cpuUsage(); },
      afterNode: (e: { node: { op: { name: string } } }) => {
        if (e.node.op.name !== "matmul") return;
        const c = process.cpuUsage(t0);
        matmulCpu += c.user + c.system;
      },
    };
    const c0 = process.cpuUsage();
    for (let i = 0; i < tokens; i++) state = runProgram(step, state, new Map()).slice(0, step.stateCount);
    const c = process.cpuUsage(c0);
    // A second pass timing each matmul node (apart: the per-node clock reads cost CPU themselves).
    const hooked = Math.ceil(tokens / 2);
    for (let i = 0; i < hooked; i++) state = runProgram(step, state, new Map(), { hooks }).slice(0, step.stateCount);
    return { cpuMsPerToken: round((c.user + c.system) / 1000 / tokens), matmulCpuMsPerToken: round(matmulCpu / 1000 / hooked), matmulNodes: matmuls, nodes: step.nodes.length };
  };
}

let decode = null;
if (run("decode")) {
  const measureDecode = decodeCpu(40);
  // Each mode twice, alternating, keeping the second: both are measured with the JIT warm.
  measureDecode(false);
  measureDecode(true);
  const before = measureDecode(false);
  const after = measureDecode(true);
  decode = { before, after, speedupCpu: round(before.cpuMsPerToken / after.cpuMsPerToken) };
}
usePaths(true);

// The matmul op with an int8 per-channel output stage, the stage on the addon (`requant`, where
// built), in WebAssembly (output-stage-wasm.ts) or in the JavaScript loop, alternating; one thread.
const STAGE_SHAPES: [number, number, number][] = [[512, 512, 512], [64, 288, 768], [1, 288, 768]];
const stage = [];
for (const [m, k, n] of run("stage") ? STAGE_SHAPES : []) {
  const a = tensor("int8", [m, k], int8Square(Math.max(m, k), 5).data.subarray(0, m * k));
  const b = tensor("int8", [n, k], int8Square(Math.max(n, k), 6).data.subarray(0, n * k));
  const attrs = { transB: 1, outDtype: 0, multiplier: Array.from({ length: n }, (_, i) => 1_500_000_000 + i), shift: Array.from({ length: n }, () => 40), zeroPoint: 0 };
  const op = getOp("matmul");
  matmulThreading.minMacs = Number.MAX_SAFE_INTEGER;
  const call = () => op.run([a, b], attrs);
  const path = (native: boolean, wasm: boolean) => () => {
    outputStagePaths.native = native;
    outputStagePaths.wasm = wasm;
  };
  const [addon, wasm, js] = await measureInterleaved([{ setup: path(true, true), run: call }, { setup: path(false, true), run: call }, { setup: path(false, false), run: call }], 3000);
  path(true, true)();
  stage.push({ shape: [m, k, n], addonStageUs: round(addon!.cpuMs * 1000), wasmStageUs: round(wasm!.cpuMs * 1000), jsStageUs: round(js!.cpuMs * 1000), addonOverWasmCpu: round(wasm!.cpuMs / addon!.cpuMs), wasmOverJsCpu: round(js!.cpuMs / wasm!.cpuMs) });
}

console.log(JSON.stringify({
  bench: "engine.matmul",
  what: "square n×n×n matmul; int8×int8→int32 via the engine op (aivmInt8: the kernel named by \`kernel\`, native where built, which for an int8 A against a cached B, every call after the first here, is the native byte kernel `matmulu8` where the CPU has AVX-512 VNNI; aivmInt8Int16Kernel: the same with the byte kernel off, bytesKernelSpeedupCpu its ratio; aivmInt8WasmKernel: the WASM SIMD128 kernel) vs onnxruntime-node fp32 MatMul, 1 thread, and (threads) both on the calling thread plus the engine's other threads (aivmInt8: the native addon's helper threads, which pack A and write the outputs in place; wasmKernel: the matmul worker threads); the engine's settings (kernel × one thread or threads) are timed in alternating batches, so their ratios (speedupOverOneThread) see the same load; GOP/s = 2n³/time per run (median of batches), from wall time and from process CPU time; ratio = aivm GOP/s ÷ onnxruntime GOP/s (CPU-time ratio is the robust one on a shared machine); threads.machineCeiling (n ≥ 512), timed in the same alternating batches (bench/core-ceiling.ts): a register-only WASM SIMD loop about as long as a one-thread call, and the bare 4×2 kernel the engine runs on each thread's own n×n×n operands, each on the calling thread alone and on all threads at once: their speedups are what these cores gave work that shares nothing in those minutes, and speedupOverOneThreadOfLoop / OfKernel the share of each the threaded matmul got",
  loadAverage1m: (await import("node:os")).loadavg()[0],
  node: process.version,
  // Which kernel the engine op ran: the WASM SIMD128 one (AIVM_MATMUL_KERNEL unset) or the JS one.
  kernel: matmulKernelName(),
  threads: THREADS,
  results,
  layers: {
    what: "transformer layers' products with their bias: int8 A [m,k] × int8 weights [k,n] + int32 bias, int32 out, via the engine op (the weights cached after the first call, as a stored model's are), on one thread and on the calling thread plus the engine's other threads, timed in alternating batches (speedupOverOneThread); onnxruntime-node fp32 MatMul + Add with W and the bias as constants, on 1 and on the same number of threads; ms per call (median of batches)",
    results: layers,
  },
  matvec: {
    what: "M = 1, int8 A [1,K] × int8 weights [N,K] (transB), int32 out, one thread; before = the WASM 4×2 kernel with B packed at every call, aivmInt8 = 1×4 matvec kernel with B packed once (cache); onnxruntime MatMul with W a constant initializer; µs per call (median of batches)",
    results: matvec,
  },
  decode: {
    what: "one decode step (token in, token out) of a random llama decoder of the real size (d_model 288, 6 layers, 6/2 heads, ffn 768, vocab 257), runProgram, process CPU ms per token over 40 tokens after 3 of warm-up, each mode run twice alternating and the second run kept (matmul share: its nodes' CPU time over 20 more); before = the paths this replaced (WASM 4×2 kernel, no weight cache, wide int16 sums in the exact-double JS loop)",
    ...decode,
  },
  stage: {
    what: "the matmul op, int8 A [M,K] × int8 weights [N,K] (transB), int8 output with a per-channel output stage, one thread: the stage on the native addon (addonStageUs, what runs where the addon is built; the WebAssembly figure where it is not), in WebAssembly (wasmStageUs) or in the JavaScript loop (jsStageUs), alternating batches; process CPU µs per call, the whole op",
    results: stage,
  },
}, null, 2));
