// The two kinds of work bench/core-ceiling.ts runs on every thread at once, each thread on its own
// private copy (plain JavaScript: its worker threads start without the TypeScript loader).
import { createRequire } from "node:module";

/** Slots of the control block the calling thread and the workers share (an Int32Array). */
export const CTL = Object.freeze({
  GO: 0, // bumped for every round
  WORK: 1, // the round's work: its index in the workers' list (0 the loop, 1 the kernel)
  DONE: 2, // rounds the workers finished (one each once ready)
  SINK: 3, // the works' results summed, so no round can be skipped
  HOT: 4, // 1: the workers poll for the next round instead of sleeping
  COUNT: 5,
});

/** `spin(iters)` of the register-only loop module: no memory at all. */
export function loopWork(module, iters) {
  const { spin } = new WebAssembly.Instance(module).exports;
  return () => spin(iters);
}

/**
 * The engine's 4×2 int8 matmul kernel over an n×n×n product on this thread's own operands: the
 * native kernel `native.name` (`matmulu8`, on bytes, or `matmul`; `native` also gives the addon's
 * path and ISA) or else the WASM `matmul` (`wasmModule`, the module with its own memory). The
 * operands' values do not matter to the time: any bytes.
 */
export function kernelWork({ n, native, wasmModule }) {
  const bytes = native?.name === "matmulu8";
  const kSteps = n / (bytes ? 16 : 8);
  const mBlocks = n / 4;
  const nBlocks = n / 2;
  const aBytes = mBlocks * kSteps * 64;
  const bBytes = nBlocks * (kSteps * 32 + (bytes ? 32 : 0));
  const size = aBytes + bBytes + n * n * 4;
  const args = [0, aBytes, aBytes + bBytes, mBlocks, nBlocks, kSteps, n * 4];
  let seed = 12345;
  const fill = (view) => {
    for (let i = 0; i < aBytes + bBytes; i++) view[i] = (seed = (Math.imul(seed, 1103515245) + 12345) | 0) >> 24;
  };
  if (native) {
    const view = new Int8Array(size);
    fill(view);
    const kernel = createRequire(import.meta.url)(native.path).kernel(native.isa, native.name);
    return () => kernel(view, ...args);
  }
  const exports = new WebAssembly.Instance(wasmModule).exports;
  exports.memory.grow(Math.ceil(size / 65536));
  fill(new Int8Array(exports.memory.buffer));
  return () => exports.matmul(...args);
}
