// Memory.extend without upstream's two buffers per growth: it allocated a zeroed 8 KiB container
// and then concatenated it onto the old store (a third buffer), so a message's first MSTORE cost
// 16 KiB of short-lived allocation. Here memory grows in one allocation to the larger of the needed
// size and double the current one (at least 1 KiB, at most 1 MiB more). What a program sees is
// unchanged: reads past the touched words still return zeros, gas and MSIZE come from
// memoryWordCount, which this does not touch. run-interpreter.ts starts each message's memory empty.
// How it differs from upstream's Memory.extend: src/evm/upstream/memory-extend.diff.
import { importEvmModule } from "./interpreter-internals.ts";

interface MemoryLike {
  _store: Uint8Array;
  extend(offset: number, size: number): void;
}

/** Smallest buffer a message's memory gets on first use. */
const MEMORY_MIN_BYTES = 1024;
/** Beyond this size memory grows by at most this much at a time instead of doubling. */
const MEMORY_MAX_STEP = 1 << 20;

/** Replaces Memory.extend. Called once, by installEvmOverrides. */
export async function installMemoryGrowth(): Promise<void> {
  const { Memory } = await importEvmModule<{ Memory: { prototype: MemoryLike } }>("memory.js");
  const proto = Memory.prototype;
  if (typeof proto.extend !== "function") throw new Error("@ethereumjs/evm: Memory.extend not found (version changed?)");
  proto.extend = function (this: MemoryLike, offset: number, size: number): void {
    if (size === 0) return;
    const end = offset + size;
    const store = this._store;
    if (end <= store.length) return;
    const needed = end + ((32 - (end % 32)) % 32);
    const grown = Math.min(store.length * 2, store.length + MEMORY_MAX_STEP);
    const next = new Uint8Array(Math.max(needed, grown, MEMORY_MIN_BYTES));
    next.set(store);
    this._store = next;
  };
}
