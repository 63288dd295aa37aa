// One serial execution queue for the whole node: eth_call, gas estimation and mining all go
// through it, so a call never observes a half-built block and two blocks never interleave. Calls
// cannot run beside each other either: the AIVM runtime has one transaction context and the call
// VM one journal. What keeps the node responsive instead: a call holds the queue for at most its
// deadline and yields to the event loop while it runs (src/evm/call-deadline.ts), and the queue
// itself yields between tasks once back-to-back tasks have kept the event loop from turning for
// YIELD_AFTER_MS, so requests that need no queue (eth_blockNumber, blocks, receipts) are answered.

/** Longest stretch of back-to-back tasks before the queue lets the event loop turn. */
const YIELD_AFTER_MS = 5;

export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private depth = 0;
  /** Whether the event loop has not turned since `stretchStart` (a setImmediate clears it). */
  private inStretch = false;
  private stretchStart = 0;

  /** Runs `task` after every task queued before it; a failing task does not block later ones. */
  run<T>(task: () => Promise<T>): Promise<T> {
    this.depth++;
    const result = this.tail.then(() => this.turn()).then(task);
    this.tail = result.then(
      () => this.depth--,
      () => this.depth--,
    );
    return result;
  }

  /** Tasks queued or running. */
  get pending(): number {
    return this.depth;
  }

  /** Before a task: nothing, or one turn of the event loop when the tasks before it ran too long. */
  private turn(): Promise<void> | undefined {
    if (!this.inStretch) {
      this.startStretch();
      return undefined;
    }
    if (performance.now() - this.stretchStart < YIELD_AFTER_MS) return undefined;
    return new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.startStretch());
  }

  private startStretch(): void {
    this.inStretch = true;
    this.stretchStart = performance.now();
    setImmediate(() => (this.inStretch = false));
  }
}
