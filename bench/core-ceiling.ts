// What the cores of this machine give together when nothing is shared: a loop of WASM SIMD dot
// products on registers alone (no memory, no cache), on the calling thread, then on it and
// `threads − 1` worker threads at once. On a dedicated machine every thread takes the time one
// alone does; on a shared virtual machine a core slows while the others work (its host's other
// load, frequency), and that slowdown bounds any threaded kernel. bench/engine.ts times it in
// alternation with the threaded matmul, so the two speedups see the same minutes.
import { Worker } from "node:worker_threads";
import { BLOCK, END, I32, LOOP, V128, brIf, get, i32, name, section, set, simd, uleb, vec } from "../src/engine/kernels/wasm-asm.ts";

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
function spinModule(): Uint8Array<ArrayBuffer> {
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

export interface CoreCeiling {
  /** Before timing `all`: the workers poll for the next round instead of sleeping. */
  hot(): void;
  /** Before timing anything else: the workers sleep between rounds, taking no core. */
  cold(): void;
  /** The loop on the calling thread alone. */
  one(): void;
  /** The same loop on every thread at once: the calling thread and the workers. */
  all(): void;
  /** Ends the workers; returns the loops' results summed (so that no run could be skipped). */
  close(): Promise<number>;
}

/** Starts `threads − 1` workers and sizes the loop to about `ms` on one thread. */
export async function coreCeiling(ms: number, threads: number): Promise<CoreCeiling> {
  const module = new WebAssembly.Module(spinModule());
  const { spin } = new WebAssembly.Instance(module).exports as { spin: (iters: number) => number };
  // Control: 0 go counter, 1 iterations, 2 rounds the workers finished (one each when ready), 3
  // their results summed, 4 whether they poll between rounds.
  const ctl = new Int32Array(new SharedArrayBuffer(20));
  const workers = Array.from({ length: threads - 1 }, () => {
    const w = new Worker(new URL("./core-ceiling-worker.mjs", import.meta.url), { execArgv: [], workerData: { module, control: ctl.buffer } });
    w.unref();
    return w;
  });
  while (Atomics.load(ctl, 2) < workers.length) await new Promise((r) => setTimeout(r, 5));
  // Run it for 100 ms first: V8 compiles the loop again, optimized, in the background once it runs
  // often, and sizing it on the first code would make it far shorter than `ms`.
  const warm = performance.now() + 100;
  while (performance.now() < warm) spin(1 << 12);
  let iters = 1 << 12;
  for (;;) {
    const t = performance.now();
    spin(iters);
    const took = performance.now() - t;
    if (took >= ms / 4) {
      iters = Math.max(1, Math.round((iters * ms) / took));
      break;
    }
    iters *= 2;
  }
  let sink = 0;
  return {
    hot: () => Atomics.store(ctl, 4, 1),
    cold: () => Atomics.store(ctl, 4, 0),
    one: () => {
      sink = (sink + spin(iters)) | 0;
    },
    all: () => {
      const done = Atomics.load(ctl, 2) + workers.length;
      Atomics.store(ctl, 1, iters);
      Atomics.add(ctl, 0, 1);
      Atomics.notify(ctl, 0);
      sink = (sink + spin(iters)) | 0;
      while (Atomics.load(ctl, 2) < done);
    },
    close: async () => {
      Atomics.store(ctl, 4, 0);
      await Promise.all(workers.map((w) => w.terminate()));
      return (sink + Atomics.load(ctl, 3)) | 0;
    },
  };
}
