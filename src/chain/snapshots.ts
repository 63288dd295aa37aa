// evm_snapshot ids and the states they saved: ids count up from 1, and reverting to one consumes it
// and every later one (Hardhat's rule), so a test's nested snapshots unwind in order.
export class Snapshots<T> {
  private readonly saved = new Map<number, T>();
  private nextId = 1;

  /** Saves a state; returns its id. */
  take(state: T): number {
    const id = this.nextId++;
    this.saved.set(id, state);
    return id;
  }

  /** The state saved as `id`, removing it and every later snapshot; undefined if there is none. */
  consume(id: number): T | undefined {
    const state = this.saved.get(id);
    if (state === undefined) return undefined;
    for (const key of [...this.saved.keys()]) if (key >= id) this.saved.delete(key);
    return state;
  }

  clear(): void {
    this.saved.clear();
  }
}
