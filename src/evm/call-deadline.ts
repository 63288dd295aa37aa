// A wall-clock deadline for the runs of one EVM (the dev node's call VM: eth_call, eth_estimateGas,
// aivm_quote). The interpreter loop (run-loop.ts) polls it every POLL_STEPS steps and after
// every awaited step: that is the only place a run can be stopped, because most steps run
// synchronously and a timer never fires mid-run. A poll does two things:
// - past the deadline it halts the frame as an out-of-gas exceptional halt, so the EVM itself
//   unwinds every frame and reverts every checkpoint; the caller sees `expired` and reports a
//   timeout instead of the out-of-gas;
// - past the current time slice it yields to the event loop (setImmediate), so requests that do
//   not need the VM (eth_blockNumber, blocks, receipts) are answered while a long call runs.
// The watch hangs off the EVM object, so only an EVM that was armed pays for it: blocks are built on
// another EVM and can never be interrupted (a consensus result must not depend on a clock).
// Upstream's loop, which the fast loop hands EOF code, the profiler and code-chunk charging, is not
// polled; none of them is on for this chain (no EOF in its rules, no profiler, no Verkle).

/** Steps between two clock reads: ~0.1 ms of the cheapest opcodes, ~50 ns per poll. */
const POLL_STEPS = 1024;
/** Longest stretch of VM work between two turns of the event loop. */
export const YIELD_SLICE_MS = 10;

export interface CallWatch {
  /** Steps left before the next poll; the interpreter decrements it. */
  countdown: number;
  /** performance.now() past which the run halts (Infinity: no deadline). */
  readonly deadline: number;
  /** performance.now() past which the run yields to the event loop. */
  sliceEnd: number;
  /** Set by the first poll past the deadline; from then on every step halts its frame. */
  expired: boolean;
  /**
   * The opcode of the step running now, in whichever frame (-1 before the first): when a call
   * starts, its caller's CALL, STATICCALL, DELEGATECALL, CALLCODE, CREATE or CREATE2. Tracers read it
   * instead of listening to every step, which would take the interpreter off its fast path.
   */
  opcode: number;
}

/** What a poll tells the interpreter to do. */
export const CONTINUE = 0;
export const YIELD = 1;
export const HALT = 2;
export type WatchVerdict = typeof CONTINUE | typeof YIELD | typeof HALT;

const WATCH = Symbol.for("aivm.callWatch");

type Watched = { [WATCH]?: CallWatch };

/** Arms `evm` with a deadline `timeoutMs` from now (0: none; runs still yield to the event loop). */
export function armCallWatch(evm: object, timeoutMs: number): CallWatch {
  const now = performance.now();
  const watch: CallWatch = { countdown: POLL_STEPS, deadline: timeoutMs > 0 ? now + timeoutMs : Infinity, sliceEnd: now + YIELD_SLICE_MS, expired: false, opcode: -1 };
  (evm as Watched)[WATCH] = watch;
  return watch;
}

export function disarmCallWatch(evm: object): void {
  delete (evm as Watched)[WATCH];
}

/** The watch of the EVM an interpreter belongs to; read once per run. */
export function callWatchOf(evm: object): CallWatch | undefined {
  return (evm as Watched)[WATCH];
}

/**
 * Runs `run` with `evm` armed (deadline `timeoutMs` from now; 0: none) and disarms it after. Past
 * the deadline the run's outcome, result or error, is replaced by `expired()`: a halted inner frame
 * can still let its caller finish, so what it returned is not the run's.
 */
export async function withCallWatch<T>(evm: object, timeoutMs: number, run: (watch: CallWatch) => Promise<T>, expired: () => Error): Promise<T> {
  const watch = armCallWatch(evm, timeoutMs);
  try {
    const result = await run(watch);
    if (watch.expired) throw expired();
    return result;
  } catch (error) {
    if (watch.expired) throw expired();
    throw error;
  } finally {
    disarmCallWatch(evm);
  }
}

/** Called by the interpreter when `countdown` reaches 0. */
export function pollCallWatch(watch: CallWatch): WatchVerdict {
  if (watch.expired) {
    watch.countdown = 1;
    return HALT;
  }
  const now = performance.now();
  if (now >= watch.deadline) {
    watch.expired = true;
    watch.countdown = 1;
    return HALT;
  }
  watch.countdown = POLL_STEPS;
  if (now < watch.sliceEnd) return CONTINUE;
  watch.sliceEnd = now + YIELD_SLICE_MS;
  return YIELD;
}

/** One turn of the event loop: I/O callbacks (new requests) run before the VM continues. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
