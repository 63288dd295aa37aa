// The second thread of bench/core-ceiling.ts: runs the spin loop each time the calling thread bumps
// the go counter, then counts itself done. Between rounds it polls while the calling thread says
// rounds are coming (slot 4), so a round's time is the loop's, not a wake-up's, and sleeps
// otherwise, so it takes no core from what is timed in between.
import { workerData } from "node:worker_threads";

const { module, control } = workerData;
const ctl = new Int32Array(control);
const { spin } = new WebAssembly.Instance(module).exports;
let seen = 0;
Atomics.store(ctl, 2, 1);
Atomics.notify(ctl, 2);
for (;;) {
  while (Atomics.load(ctl, 0) === seen && Atomics.load(ctl, 4) === 1);
  Atomics.wait(ctl, 0, seen);
  seen = Atomics.load(ctl, 0);
  Atomics.add(ctl, 3, spin(Atomics.load(ctl, 1)));
  Atomics.add(ctl, 2, 1);
  Atomics.notify(ctl, 2);
}
