// Arrays of program values that died during a run, handed back to `allocate` for later outputs.
// Above 64 bytes V8 gives every typed array its own ArrayBuffer, allocated and later swept one by
// one: about 0.3–0.7 µs each for the few hundred small outputs of a decode step, a tenth of its time.
//
// Only codec/program-run.ts gives arrays here, and only ones it has proved dead: node outputs after
// their last use that no live value shares a buffer with, in runs without hooks (a hook may keep a
// tensor). An array that owns less than its whole buffer is never taken, nor one the packed-weight
// cache has seen as a matmul B: that cache keys packed weights by the array object, so an array
// whose contents change must never come back under the same identity. A taken array is zeroed
// again before `allocate` hands it out, so a reused output is exactly a new one.
import { dtypeOf, type DType, type IntArray } from "./tensor.ts";

/** Arrays at or below this many bytes live on V8's heap: allocating them costs nothing to save. */
const MIN_BYTES = 65;
/** Larger arrays are not kept (their own work dwarfs their allocation). */
const MAX_ARRAY_BYTES = 256 << 10;
/** Bytes kept in all, whatever the runs give back. */
export const RECYCLE_MAX_BYTES = 8 << 20;

const kept: Record<DType, Map<number, IntArray[]>> = { int8: new Map(), int16: new Map(), int32: new Map() };
/** Arrays the packed-weight cache has been offered as a matmul B (kernels/packed-weight-cache.ts). */
const weights = new WeakSet<Int8Array>();
let keptBytes = 0;

/**
 * Keeps a dead value's array for reuse, if it is one worth keeping and safe to reuse. The caller
 * guarantees that nothing reads or writes `data` any more.
 */
export function recycle(data: IntArray): void {
  const bytes = data.byteLength;
  if (bytes < MIN_BYTES || bytes > MAX_ARRAY_BYTES || keptBytes + bytes > RECYCLE_MAX_BYTES) return;
  const buffer = data.buffer;
  if (data.byteOffset !== 0 || buffer.byteLength !== bytes || !(buffer instanceof ArrayBuffer)) return;
  if (data instanceof Int8Array && weights.has(data)) return;
  const byLength = kept[dtypeOf(data)];
  const list = byLength.get(data.length);
  if (list === undefined) byLength.set(data.length, [data]);
  else list.push(data);
  keptBytes += bytes;
}

/** Marks `b` as never to be recycled: a cache keeps something keyed by this array object. */
export function neverRecycle(b: Int8Array): void {
  weights.add(b);
}

/** A kept array of `count` elements of `dtype`, no longer kept, or undefined. Its contents are stale. */
export function takeRecycled(dtype: DType, count: number): IntArray | undefined {
  if (keptBytes === 0) return undefined;
  const data = kept[dtype].get(count)?.pop();
  if (data !== undefined) keptBytes -= data.byteLength;
  return data;
}

/** Bytes kept now (tests). */
export function recycledBytes(): number {
  return keptBytes;
}

/** Drops every kept array (tests). */
export function clearRecycled(): void {
  for (const byLength of Object.values(kept)) byLength.clear();
  keptBytes = 0;
}
