// One serial execution queue for the whole node: eth_call, gas estimation and mining all go
// through it, so a call never observes a half-built block and two blocks never interleave.

export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private depth = 0;

  /** Runs `task` after every task queued before it; a failing task does not block later ones. */
  run<T>(task: () => Promise<T>): Promise<T> {
    this.depth++;
    const result = this.tail.then(task);
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
}
