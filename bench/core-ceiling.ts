// What the cores of this machine give together when nothing is shared between threads: a work run
// on the calling thread alone, then on it and `threads − 1` worker threads at once, each thread on
// its own private copy. Two works:
// - `loop`: WASM SIMD dot products on registers alone (no memory, no cache);
// - `kernel`: the engine's int8 matmul kernel (native where built) over an n×n×n product.
// On a dedicated machine every thread takes the time one alone does; on a shared virtual machine a
// core slows while the others work, or on its own (its host's other load), and that bounds any
// threaded kernel. bench/engine.ts times these in alternation with the threaded matmul, so the
// speedups see the same minutes: the loop's says what the cores gave, the kernel's what they gave
// this kernel's memory traffic, and the engine's own is compared against both.
import { Worker } from "node:worker_threads";
import { BLOCK, END, I32, LOOP, V128, brIf, get, i32, name, section, set, simd, uleb, vec } from "../src/engine/kernels/wasm-asm.ts";
import { CTL, kernelWork, loopWork, type KernelSpec } from "./core-ceiling-work.mjs";

const I32X4_SPLAT = simd(0x11);
const I32X4_EXTRACT_LANE0 = [...simd(0x1b), 0];
const I32X4_ADD = simd(0xae);
const I32X4_DOT_I16X8_S = simd(0xba);
const I32_SUB = [0x6b];
const I32_EQZ = [0x45];
/** Independent accumulators: enough to keep the vector units busy, as the matmul kernels' tiles do. */
const CHAINS = 8;

/**
 * `spin(iters) → i32`: `iters` rounds of CHAINS dot products (i32x4.dot_i16x8_s) added into their
 * accumulators, the operand stepping each round so nothing can be hoisted; returns a lane of the sum.
 */
function loopModuleBytes(): Uint8Array<ArrayBuffer> {
  // Locals: 0 iters (param), 1 x, 2…2+CHAINS−1 the accumulators, then the step.
  const x = 1;
  const acc = (j: number) => 2 + j;
  const step = 2 + CHAINS;
  const round: number[] = [];
  for (let j = 0; j < CHAINS; j++) round.push(...get(acc(j)), ...get(x), ...get(acc((j + 1) % CHAINS)), ...I32X4_DOT_I16X8_S, ...I32X4_ADD, ...set(acc(j)));
  const body = [
    ...vec([[...uleb(CHAINS + 2), V128]]),
    ...get(0), ...I32X4_SPLAT, ...set(x),
    ...Array.from({ length: CHAINS }, (_, j) => [...get(x), ...set(acc(j))]).flat(),
    ...i32(3), ...I32X4_SPLAT, ...set(step),
    ...BLOCK, ...get(0), ...I32_EQZ, ...brIf(0),
    ...LOOP,
    ...round,
    ...get(x), ...get(step), ...I32X4_ADD, ...set(x),
    ...get(0), ...i32(1), ...I32_SUB, ...set(0),
    ...get(0), ...brIf(0),
    ...END, ...END,
    ...get(acc(0)), ...Array.from({ length: CHAINS - 1 }, (_, j) => [...get(acc(j + 1)), ...I32X4_ADD]).flat(), ...I32X4_EXTRACT_LANE0,
    ...END,
  ];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, 1, I32, 1, I32]])),
    ...section(3, vec([[0x00]])),
    ...section(7, vec([[...name("spin"), 0x00, 0x00]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}

/** The works, by their index in the workers' list. */
export type Work = "loop" | "kernel";
const WORKS: readonly Work[] = ["loop", "kernel"];

export interface CoreCeiling {
  /** Before timing `all`: the workers poll for the next round instead of sleeping. */
  hot(): void;
  /** Before timing anything else: the workers sleep between rounds, taking no core. */
  cold(): void;
  /** The work on the calling thread alone. */
  one(work: Work): void;
  /** The same work on every thread at once: the calling thread and the workers, each on its own copy. */
  all(work: Work): void;
  /** Ends the workers; returns the works' results summed (so that no round could be skipped). */
  close(): Promise<number>;
}

/** The register-only loop, run for 100 ms to be optimized and then sized to about `ms` on this thread. */
function sizedLoop(module: WebAssembly.Module, ms: number): number {
  const { spin } = new WebAssembly.Instance(module).exports as { spin: (iters: number) => number };
  // V8 compiles the loop again, optimized, in the background once it runs often: sizing it on the
  // first code would make it far shorter than `ms`.
  const warm = performance.now() + 100;
  while (performance.now() < warm) spin(1 << 12);
  let iters = 1 << 12;
  for (;;) {
    const t = performance.now();
    spin(iters);
    const took = performance.now() - t;
    if (took >= ms / 4) break;
    iters *= 2;
  }
  // Then the median of five runs at that size, scaled to `ms` (one run's time moves with the machine).
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    spin(iters);
    times.push(performance.now() - t);
  }
  const median = times.sort((x, y) => x - y)[2]!;
  return Math.max(1, Math.round((iters * ms) / median));
}

/** Starts `threads − 1` workers; the loop lasts about `loopMs` on one thread; the kernel work runs when `kernel` is given. */
export async function coreCeiling(threads: number, loopMs: number, kernel?: KernelSpec): Promise<CoreCeiling> {
  const loopModule = new WebAssembly.Module(loopModuleBytes());
  const iters = sizedLoop(loopModule, loopMs);
  const works = [loopWork(loopModule, iters), ...(kernel === undefined ? [] : [kernelWork(kernel)])];
  const ctl = new Int32Array(new SharedArrayBuffer(CTL.COUNT * 4));
  const workers = Array.from({ length: threads - 1 }, () => {
    const w = new Worker(new URL("./core-ceiling-worker.mjs", import.meta.url), { execArgv: [], workerData: { loopModule, iters, kernel, control: ctl.buffer } });
    w.unref();
    return w;
  });
  while (Atomics.load(ctl, CTL.DONE) < workers.length) await new Promise((r) => setTimeout(r, 5));
  const run = (work: Work): number => {
    const i = WORKS.indexOf(work);
    if (i >= works.length) throw new Error(`core ceiling: no ${work} work was set up`);
    return Number(works[i]!()) | 0;
  };
  let sink = 0;
  return {
    hot: () => Atomics.store(ctl, CTL.HOT, 1),
    cold: () => Atomics.store(ctl, CTL.HOT, 0),
    one: (work) => {
      sink = (sink + run(work)) | 0;
    },
    all: (work) => {
      const done = Atomics.load(ctl, CTL.DONE) + workers.length;
      Atomics.store(ctl, CTL.WORK, WORKS.indexOf(work));
      Atomics.add(ctl, CTL.GO, 1);
      Atomics.notify(ctl, CTL.GO);
      sink = (sink + run(work)) | 0;
      while (Atomics.load(ctl, CTL.DONE) < done);
    },
    close: async () => {
      Atomics.store(ctl, CTL.HOT, 0);
      await Promise.all(workers.map((w) => w.terminate()));
      return (sink + Atomics.load(ctl, CTL.SINK)) | 0;
    },
  };
}
