// Packed forms of matmul B operands kept in the WASM kernel's linear memory between calls, so the
// weights of a stored program (the same Int8Array at every call and every decode step) are packed
// once rather than at every call. Engine tensors are immutable by contract (no op writes its
// inputs; test/engine/inputs-unchanged.test.ts), so an array's packed form stays valid as long as
// the array lives: entries are keyed by the array object (weakly) plus offset, shape and layout.
//
// The cache is a region [0, top) at the start of the kernel's memory; a call's scratch (A, output,
// an uncached B) lies above `top`. Entries are bump-allocated; when the region is full the least
// recently used entries are dropped and the rest moved down (compaction). Calls are synchronous and
// the worker threads only run inside a call, so no entry is ever moved or overwritten while a
// kernel reads it. Growing the memory keeps offsets, so entries survive growth.
//
// An array is admitted only the second time it is seen with the same key: a B that appears once
// (an inline input, a previous node's output) is packed in the call's scratch and never evicts or
// moves the weights that come back.

import { neverRecycle } from "../recycle.ts";

/** Tunable bounds (tests lower them to force eviction). */
export const packedWeightCacheLimits = {
  /** Bytes of packed weights kept at most. */
  capacityBytes: 64 * 1024 * 1024,
  /** B operands with fewer elements than this are packed per call: packing them costs little. */
  minElements: 4096,
};

interface Entry {
  ptr: number;
  bytes: number;
  /** The B array, held weakly: a collected array's entry just ages out of the LRU order. */
  owner: WeakRef<Int8Array>;
  key: string;
}

export interface PackedWeightCacheStats {
  hits: number;
  misses: number;
  evictions: number;
  entries: number;
  bytes: number;
}

/**
 * The keys each array has been offered under. Shared by every cache: one that replaces another
 * (fresh kernel memory) admits weights already seen at their next call.
 */
const sightings = new WeakMap<Int8Array, Set<string>>();

export class PackedWeightCache {
  private readonly byArray = new WeakMap<Int8Array, Map<string, Entry>>();
  /** Entries in least-recently-used-first order (a Set iterates in insertion order). */
  private readonly lru = new Set<Entry>();
  private liveBytes = 0;
  private end = 0;
  readonly stats = { hits: 0, misses: 0, evictions: 0 };

  /** End of the cached region: a call's scratch starts here (a multiple of 16). */
  get top(): number {
    return this.end;
  }

  /** The packed form's offset in memory, or undefined; a hit makes the entry most recently used. */
  lookup(b: Int8Array, key: string): number | undefined {
    const entry = this.byArray.get(b)?.get(key);
    if (entry === undefined) {
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    this.lru.delete(entry);
    this.lru.add(entry);
    return entry.ptr;
  }

  /**
   * Reserves `bytes` (a multiple of 16) for B's packed form and returns its offset, evicting and
   * compacting through `memory()` if needed; undefined when it exceeds the capacity, or the first
   * time (b, key) is offered (an evicted entry comes back at once). The caller grows the memory to
   * cover the new `top` and packs B there before the next lookup.
   */
  insert(b: Int8Array, key: string, bytes: number, memory: () => ArrayBuffer): number | undefined {
    const capacity = packedWeightCacheLimits.capacityBytes;
    if (bytes > capacity) return undefined;
    // First sighting: remember it and let the caller pack B per call.
    let seen = sightings.get(b);
    if (seen === undefined) {
      sightings.set(b, (seen = new Set()));
      // A packed form may come to be keyed by this array: it must never be reused for another value.
      neverRecycle(b);
    }
    if (!seen.has(key)) {
      seen.add(key);
      return undefined;
    }
    if (this.end + bytes > capacity) this.evictAndCompact(capacity - bytes, memory);
    const entry: Entry = { ptr: this.end, bytes, owner: new WeakRef(b), key };
    let forArray = this.byArray.get(b);
    if (forArray === undefined) this.byArray.set(b, (forArray = new Map()));
    forArray.set(key, entry);
    this.lru.add(entry);
    this.end += bytes;
    this.liveBytes += bytes;
    return entry.ptr;
  }

  /** Drops every entry (the memory they lived in is about to be reused or abandoned). */
  clear(): void {
    for (const entry of this.lru) this.forget(entry);
    this.lru.clear();
    this.liveBytes = 0;
    this.end = 0;
  }

  snapshot(): PackedWeightCacheStats {
    return { ...this.stats, entries: this.lru.size, bytes: this.liveBytes };
  }

  /** Drops least recently used entries until at most `keep` bytes (and ≤ 3/4 of capacity) remain, then packs the rest down from 0. */
  private evictAndCompact(keep: number, memory: () => ArrayBuffer): void {
    // Freeing a quarter at once keeps compactions rare when transient B arrays stream through.
    const target = Math.min(keep, Math.floor((packedWeightCacheLimits.capacityBytes * 3) / 4));
    for (const entry of this.lru) {
      if (this.liveBytes <= target) break;
      this.lru.delete(entry);
      this.forget(entry);
      this.liveBytes -= entry.bytes;
      this.stats.evictions++;
    }
    const survivors = [...this.lru].sort((x, y) => x.ptr - y.ptr);
    const bytes = new Uint8Array(memory());
    let to = 0;
    for (const entry of survivors) {
      // Sorted by offset and moved down: a move never overwrites an entry not yet moved.
      if (entry.ptr !== to) bytes.copyWithin(to, entry.ptr, entry.ptr + entry.bytes);
      entry.ptr = to;
      to += entry.bytes;
    }
    this.end = to;
  }

  private forget(entry: Entry): void {
    const b = entry.owner.deref();
    if (b === undefined) return;
    const forArray = this.byArray.get(b);
    forArray?.delete(entry.key);
    if (forArray?.size === 0) this.byArray.delete(b);
  }
}
