// A matmul worker thread (started by matmul-threads.ts): instantiates the kernel on the shared
// memory (and the row packers, which pack A per chunk), then runs chunks of each task the calling
// thread publishes, polling briefly and then sleeping in between.
import { createRequire } from "node:module";
import { workerData } from "node:worker_threads";
import { SLOT, nativeKernelOn, runClaimedChunks, pollSlot } from "./matmul-chunks.mjs";

const { memory, module, control, kernelNames, native, packModule, rowPackerNames } = workerData;
const ctl = new Int32Array(control);
const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
const kernels = kernelNames.map((name) => exports[name]);
const packers = new WebAssembly.Instance(packModule, { env: { memory } }).exports;
const rowPackers = rowPackerNames.map((name) => packers[name]);
// The native kernels after the WASM ones, in the same order, as the calling thread lists them (a
// load failure ends this worker, and the pool with it).
if (native) {
  const addon = createRequire(import.meta.url)(native.path);
  for (const name of native.names) kernels.push(nativeKernelOn(memory, addon.kernel(native.isa, name)));
}
let seen = Atomics.load(ctl, SLOT.SEQ);
Atomics.add(ctl, SLOT.READY, 1);
for (;;) {
  runClaimedChunks(ctl, kernels, rowPackers);
  if (pollSlot(ctl, SLOT.SEQ, (seq) => seq !== seen) === seen) Atomics.wait(ctl, SLOT.SEQ, seen);
  seen = Atomics.load(ctl, SLOT.SEQ);
}
