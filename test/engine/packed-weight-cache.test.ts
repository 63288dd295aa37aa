// The packed-weight cache admits an array the second time it is seen under the same key: a B that is
// new at every call (an inline input, a previous node's output) is packed per call and never
// evicts or moves the weights that come back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { PackedWeightCache, packedWeightCacheLimits } from "../../src/engine/kernels/packed-weight-cache.ts";
import { matmulReference, type MatmulKernelArgs } from "../../src/engine/kernels/matmul-reference.ts";
import { clearPackedWeightCache, matmulWasm, packedWeightCacheStats } from "../../src/engine/kernels/matmul-wasm.ts";

const memory = () => new ArrayBuffer(1 << 20);

test("insert admits (b, key) at its second offer, not its first; another key of the same array is a first offer again", () => {
  const cache = new PackedWeightCache();
  const b = new Int8Array(64);
  assert.equal(cache.lookup(b, "k1"), undefined);
  assert.equal(cache.insert(b, "k1", 1024, memory), undefined, "first offer: not admitted");
  assert.equal(cache.snapshot().entries, 0);
  assert.equal(cache.lookup(b, "k1"), undefined);
  assert.equal(cache.insert(b, "k1", 1024, memory), 0, "second offer: admitted at the start of the region");
  assert.equal(cache.lookup(b, "k1"), 0);
  assert.equal(cache.insert(b, "k2", 1024, memory), undefined, "a new key is a first offer");
  assert.deepEqual(cache.snapshot(), { hits: 1, misses: 2, evictions: 0, entries: 1, bytes: 1024 });
});

test("an evicted array that comes back is admitted again at once, and sightings outlive the cache that saw them", () => {
  const saved = packedWeightCacheLimits.capacityBytes;
  packedWeightCacheLimits.capacityBytes = 2048;
  try {
    const cache = new PackedWeightCache();
    const [w, x, y] = [new Int8Array(1), new Int8Array(1), new Int8Array(1)];
    for (const b of [w, w, x, x, y, y]) cache.insert(b, "k", 1024, memory);
    assert.equal(cache.lookup(w, "k"), undefined, "w was the least recently used: evicted");
    assert.ok(cache.snapshot().evictions >= 1);
    assert.notEqual(cache.insert(w, "k", 1024, memory), undefined, "w was seen before: admitted at its next offer");
    const fresh = new PackedWeightCache();
    assert.notEqual(fresh.insert(x, "k", 1024, memory), undefined, "a new cache admits x, seen by the old one, at once");
  } finally {
    packedWeightCacheLimits.capacityBytes = saved;
  }
});

/** A GEMV [1,k]×[k,n] through the WASM kernel, checked against the reference kernel. */
function gemv(a: Int8Array, b: Int8Array, k: number, n: number): void {
  const x: MatmulKernelArgs = { a, aOffset: 0, aZero: 0, b, bOffset: 0, transB: false, bias: null, m: 1, k, n, out: new Int32Array(n), outOffset: 0 };
  assert.ok(matmulWasm(x));
  const want = new Int32Array(n);
  matmulReference({ ...x, out: want });
  assert.deepEqual(x.out, want);
}

test("a B new at every call never enters the cache: no eviction, and the weight already cached keeps hitting", () => {
  const saved = packedWeightCacheLimits.capacityBytes;
  const [k, n] = [256, 64];
  // Room for two packed B of this shape: without admission, every fresh B would evict.
  packedWeightCacheLimits.capacityBytes = 2 * k * n * 2;
  try {
    clearPackedWeightCache();
    const a = Int8Array.from({ length: k }, (_, i) => (i * 37) % 255 - 127);
    const weight = Int8Array.from({ length: k * n }, (_, i) => (i * 101) % 256 - 128);
    gemv(a, weight, k, n);
    gemv(a, weight, k, n);
    const s0 = packedWeightCacheStats();
    assert.deepEqual([s0.entries, s0.misses, s0.hits], [1, 2, 0], "the weight is cached at its second call");
    for (let call = 0; call < 20; call++) {
      const fresh = Int8Array.from({ length: k * n }, (_, i) => ((i + call) * 73) % 256 - 128);
      gemv(a, fresh, k, n);
      gemv(a, weight, k, n);
    }
    const s1 = packedWeightCacheStats();
    assert.deepEqual([s1.entries, s1.evictions - s0.evictions, s1.misses - s0.misses, s1.hits - s0.hits], [1, 0, 20, 20]);
  } finally {
    packedWeightCacheLimits.capacityBytes = saved;
    clearPackedWeightCache();
  }
});
