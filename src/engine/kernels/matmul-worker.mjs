// A matmul worker thread (started by matmul-threads.ts): instantiates the kernel on the shared
// memory, then runs chunks of each task the calling thread publishes, sleeping in between.
import { workerData } from "node:worker_threads";
import { SLOT, runClaimedChunks, pollSlot } from "./matmul-chunks.mjs";

const { memory, module, control, kernelNames } = workerData;
const ctl = new Int32Array(control);
const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
const kernels = kernelNames.map((name) => exports[name]);
let seen = Atomics.load(ctl, SLOT.SEQ);
Atomics.add(ctl, SLOT.READY, 1);
for (;;) {
  runClaimedChunks(ctl, kernels);
  if (pollSlot(ctl, SLOT.SEQ, (seq) => seq !== seen) === seen) Atomics.wait(ctl, SLOT.SEQ, seen);
  seen = Atomics.load(ctl, SLOT.SEQ);
}
