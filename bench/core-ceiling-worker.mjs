// A worker thread of bench/core-ceiling.ts: builds its own copy of each work, then runs the one the
// calling thread names each time it bumps the go counter, and counts itself done. Between rounds it
// polls while the calling thread says rounds are coming, so a round's time is the work's, not a
// wake-up's, and sleeps otherwise, so it takes no core from what is timed in between.
import { workerData } from "node:worker_threads";
import { CTL, kernelWork, loopWork } from "./core-ceiling-work.mjs";

const { loopModule, iters, kernel, control } = workerData;
const ctl = new Int32Array(control);
const works = [loopWork(loopModule, iters), ...(kernel ? [kernelWork(kernel)] : [])];
let seen = 0;
Atomics.add(ctl, CTL.DONE, 1);
Atomics.notify(ctl, CTL.DONE);
for (;;) {
  while (Atomics.load(ctl, CTL.GO) === seen && Atomics.load(ctl, CTL.HOT) === 1);
  Atomics.wait(ctl, CTL.GO, seen);
  seen = Atomics.load(ctl, CTL.GO);
  Atomics.add(ctl, CTL.SINK, works[Atomics.load(ctl, CTL.WORK)]() | 0);
  Atomics.add(ctl, CTL.DONE, 1);
}
