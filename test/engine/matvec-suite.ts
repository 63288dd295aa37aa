// The decode-step matmul paths, run by matvec.test.ts (worker threads on, shared memory) and
// matvec-no-threads.test.ts (AIVM_MATMUL_THREADS=0, unshared memory that detaches on growth):
// the 1×4 matvec kernel, A split into bytes for wide int16 sums, and the packed-weight cache all
// equal the reference kernel bit for bit; the cache is hit by the same B array only, and results
// stay right after eviction, compaction and memory growth.
import { test } from "node:test";
import assert from "node:assert/strict";
import { matmulReference, type MatmulKernelArgs } from "../../src/engine/kernels/matmul-reference.ts";
import { fitsInt32Accumulation, matmulFast } from "../../src/engine/kernels/matmul-fast.ts";
import {
  clearPackedWeightCache, matmulBytesKernel, matmulThreadedCalls, matmulThreading, matmulWasm, matmulWasmPaths, matmulWorkersReady,
  packedWeightCacheLimits, packedWeightCacheStats, wasmMatmul,
} from "../../src/engine/kernels/matmul-wasm.ts";
import { SLOT } from "../../src/engine/kernels/matmul-chunks.mjs";
import { rng, int, type Rand } from "../golden/linear/cases.ts";

type Args = Omit<MatmulKernelArgs, "out">;

function fill(r: Rand, a: Int8Array | Int16Array, lo: number, hi: number): void {
  for (let i = 0; i < a.length; i++) a[i] = r() < 0.2 ? (r() < 0.5 ? lo : hi) : int(r, lo, hi);
}

function randomB(r: Rand, k: number, n: number, slack = 0): Int8Array {
  const b = new Int8Array(k * n + slack);
  fill(r, b, -128, 127);
  return b;
}

function randomA(r: Rand, dtype: "int8" | "int16", m: number, k: number, slack = 0): Int8Array | Int16Array {
  const a = dtype === "int8" ? new Int8Array(m * k + slack) : new Int16Array(m * k + slack);
  fill(r, a, dtype === "int8" ? -128 : -32768, dtype === "int8" ? 127 : 32767);
  return a;
}

function reference(x: Args): Int32Array {
  const out = new Int32Array(x.outOffset + x.m * x.n);
  matmulReference({ ...x, out });
  return out;
}

/** matmulWasm's result; fails the test when the WASM path declined the call. */
function wasm(x: Args, splitA = false): Int32Array {
  const out = new Int32Array(x.outOffset + x.m * x.n);
  assert.ok(matmulWasm({ ...x, out }, splitA), `WASM declined ${x.m}x${x.k}x${x.n}`);
  return out;
}

function randomCase(r: Rand, m: number, k: number, n: number, dtype: "int8" | "int16", aZero: number): Args {
  const aOffset = int(r, 0, 3);
  const bOffset = int(r, 0, 5);
  const bias = r() < 0.5 ? Int32Array.from({ length: n }, () => (r() < 0.2 ? (r() < 0.5 ? -2147483648 : 2147483647) : int(r, -1e6, 1e6))) : null;
  return { a: randomA(r, dtype, m, k, aOffset), aOffset, aZero, b: randomB(r, k, n, bOffset), bOffset, transB: r() < 0.5, bias, m, k, n, outOffset: int(r, 0, 2) };
}

/** Runs `body` with one setting of the kernel choice, the cache and the threading threshold. */
function withSettings<T>(s: { matvecRows?: number; cacheBytes?: number; minMacs?: number }, body: () => T): T {
  const saved = { rows: matmulWasmPaths.matvecMaxRows, bytes: packedWeightCacheLimits.capacityBytes, macs: matmulThreading.minMacs };
  matmulWasmPaths.matvecMaxRows = s.matvecRows ?? saved.rows;
  packedWeightCacheLimits.capacityBytes = s.cacheBytes ?? saved.bytes;
  matmulThreading.minMacs = s.minMacs ?? saved.macs;
  try {
    return body();
  } finally {
    matmulWasmPaths.matvecMaxRows = saved.rows;
    packedWeightCacheLimits.capacityBytes = saved.bytes;
    matmulThreading.minMacs = saved.macs;
  }
}

export function matvecSuite(threads: boolean): void {
  test("M = 1, 2, 3: the 1×4 matvec kernel, the 4×2 kernel and the reference agree (int8/int16 A, zero points, bias, transB 0/1, ragged K and N)", () => {
    assert.ok(wasmMatmul() !== null);
    const r = rng(3101);
    let direct = 0;
    let split = 0;
    for (let c = 0; c < 400; c++) {
      const m = 1 + (c % 3);
      const k = int(r, 1, 300);
      const n = int(r, 1, 90);
      const dtype = c % 4 === 0 ? "int16" : "int8";
      const aZero = r() < 0.5 ? 0 : dtype === "int8" ? int(r, -128, 127) : int(r, -32768, 32767);
      const x = randomCase(r, m, k, n, dtype, aZero);
      const want = reference(x);
      const byteSplit = !(fitsInt32Accumulation({ ...x, out: want }) && (dtype === "int8" || aZero === 0));
      if (byteSplit) split++;
      else direct++;
      for (const matvecRows of [3, 0]) {
        for (const cacheBytes of [64 << 20, 0]) {
          const got = withSettings({ matvecRows, cacheBytes }, () => wasm(x, byteSplit));
          assert.deepEqual(got, want, `case ${c} ${m}x${k}x${n} ${dtype} aZero=${aZero} transB=${x.transB} matvecRows=${matvecRows} cache=${cacheBytes}`);
        }
        const viaDispatch = new Int32Array(want.length);
        withSettings({ matvecRows }, () => matmulFast({ ...x, out: viaDispatch }));
        assert.deepEqual(viaDispatch, want, `matmulFast case ${c}`);
      }
    }
    assert.ok(direct > 150 && split > 30, `direct ${direct}, split ${split}`);
  });

  test("int16 A split into bytes: decode-sized K (768, 1100) and extreme values that saturate int32, M = 1..6", () => {
    const r = rng(3102);
    for (const k of [768, 1100, 4099]) {
      for (const m of [1, 2, 3, 5, 6]) {
        for (const extreme of [false, true]) {
          const n = int(r, 5, 40);
          const x = randomCase(r, m, k, n, "int16", extreme ? 32767 : int(r, -300, 300));
          // All A at −32768 against all B at −128: Σ = K·(−32768 − z)·(−128) ≫ 2^31, saturated.
          if (extreme) {
            x.a.fill(-32768);
            x.b.fill(-128);
          }
          const want = reference(x);
          if (extreme) assert.ok(want.subarray(x.outOffset).some((v) => v === 2147483647 || v === -2147483648), "the case reaches saturation");
          assert.equal(fitsInt32Accumulation({ ...x, out: want }), false);
          assert.deepEqual(wasm(x, true), want, `${m}x${k}x${n} extreme=${extreme}`);
          const viaDispatch = new Int32Array(want.length);
          matmulFast({ ...x, out: viaDispatch });
          assert.deepEqual(viaDispatch, want, `matmulFast ${m}x${k}x${n}`);
        }
      }
    }
  });

  test("the packed-weight cache is hit by the same B array, and not by another array of equal shape or another offset", () => {
    clearPackedWeightCache();
    const r = rng(3103);
    const [k, n] = [288, 96];
    const b = randomB(r, n, k, 10);
    const x: Args = { a: randomA(r, "int8", 1, k), aOffset: 0, aZero: 3, b, bOffset: 0, transB: true, bias: null, m: 1, k, n, outOffset: 0 };
    const s0 = packedWeightCacheStats();
    assert.deepEqual(wasm(x), reference(x));
    const s1 = packedWeightCacheStats();
    assert.deepEqual([s1.misses - s0.misses, s1.hits - s0.hits, s1.entries - s0.entries], [1, 0, 0], "first sighting: B is packed per call, not admitted");
    assert.deepEqual(wasm(x), reference(x));
    const s1b = packedWeightCacheStats();
    assert.deepEqual([s1b.misses - s1.misses, s1b.hits - s1.hits, s1b.entries - s1.entries], [1, 0, 1], "second sighting packs B into the cache");
    const x2 = { ...x, a: randomA(r, "int8", 1, k) };
    assert.deepEqual(wasm(x2), reference(x2));
    const s2 = packedWeightCacheStats();
    assert.deepEqual([s2.misses - s1b.misses, s2.hits - s1b.hits], [0, 1], "third call with the same B is a hit");
    // Equal shape, different array and values: a miss, and the result follows the new values.
    const other = { ...x2, b: randomB(r, n, k, 10) };
    const wantOther = reference(other);
    assert.notDeepEqual(wantOther, reference(x2));
    assert.deepEqual(wasm(other), wantOther);
    const s3 = packedWeightCacheStats();
    assert.deepEqual([s3.misses - s2.misses, s3.hits - s2.hits], [1, 0], "another array of the same shape is not served from the cache");
    // Same array at another offset, and the same array for the 4×2 layout: separate entries.
    const shifted = { ...x2, bOffset: 7 };
    assert.deepEqual(wasm(shifted), reference(shifted));
    const rows = { ...x2, a: randomA(r, "int8", 5, k), m: 5 };
    assert.deepEqual(wasm(rows), reference(rows));
    const s4 = packedWeightCacheStats();
    // The 4×2 call of an int8 A looks up B's byte form first where the byte kernel runs (then, at
    // this first sighting, the int16 form): one more miss.
    const bytesLookups = matmulBytesKernel() ? 1 : 0;
    assert.deepEqual([s4.misses - s3.misses, s4.hits - s3.hits], [2 + bytesLookups, 0], "offset and layout are part of the key");
    // Below the size threshold nothing is cached.
    const small = { ...x2, n: 8, b: randomB(r, 8, k) };
    assert.ok(small.k * small.n < packedWeightCacheLimits.minElements);
    assert.deepEqual(wasm(small), reference(small));
    const s5 = packedWeightCacheStats();
    assert.deepEqual([s5.misses, s5.hits, s5.entries], [s4.misses, s4.hits, s4.entries], "small B bypasses the cache");
  });

  test("after eviction and compaction every B still gives the reference result", () => {
    clearPackedWeightCache();
    const r = rng(3104);
    const [k, n] = [160, 96]; // 1×4 layout: 24 column blocks × 20 k-steps × 64 B = 30 KiB packed
    const xs = Array.from({ length: 12 }, (): Args => ({ a: randomA(r, "int8", 1, k), aOffset: 0, aZero: 0, b: randomB(r, n, k), bOffset: 0, transB: true, bias: null, m: 1, k, n, outOffset: 0 }));
    const wants = xs.map(reference);
    withSettings({ cacheBytes: 100 * 1024 }, () => {
      const e0 = packedWeightCacheStats().evictions;
      // A filler cached first (seen twice) and never used again: it is evicted first, so x0 is moved down.
      const filler = { ...xs[1]!, b: randomB(r, n, k) };
      assert.deepEqual(wasm(filler), reference(filler));
      assert.deepEqual(wasm(filler), reference(filler));
      // Round 0 only admits each B (its first sighting); rounds 1–3 cycle them through the cache.
      for (let round = 0; round < 4; round++) {
        for (let i = 0; i < xs.length; i++) {
          // x0 is touched between every other call, so it stays recently used and is moved down at each compaction.
          assert.deepEqual(wasm(xs[0]!), wants[0], `x0 round ${round}`);
          assert.deepEqual(wasm(xs[i]!), wants[i], `x${i} round ${round}`);
        }
      }
      const s = packedWeightCacheStats();
      assert.ok(s.evictions - e0 > 20, `evictions ${s.evictions - e0}`);
      assert.ok(s.bytes <= 100 * 1024, `cache holds ${s.bytes} bytes`);
    });
    const hits = packedWeightCacheStats().hits;
    assert.deepEqual(wasm(xs[0]!), wants[0]);
    assert.equal(packedWeightCacheStats().hits, hits + 1, "the recently used entry survived every compaction");
  });

  test("cached B stays right after the kernel memory grows", () => {
    clearPackedWeightCache();
    const r = rng(3105);
    const [k, n] = [288, 768];
    const x: Args = { a: randomA(r, "int16", 1, k), aOffset: 0, aZero: 0, b: randomB(r, n, k), bOffset: 0, transB: true, bias: Int32Array.from({ length: n }, (_, j) => j - 400), m: 1, k, n, outOffset: 0 };
    const want = reference(x);
    assert.deepEqual(wasm(x), want);
    assert.deepEqual(wasm(x), want); // the second sighting admits B
    const before = wasmMatmul()!.memory.buffer.byteLength;
    // A call whose scratch outgrows the memory: per row of A, 16 bytes packed and 64 int32 outputs
    // (written in the kernel memory: with outputs in place, the native kernel would not need them there).
    const m = Math.ceil(before / (16 + 64 * 4)) + 1024;
    const big: Args = { a: randomA(r, "int8", m, 8), aOffset: 0, aZero: 1, b: randomB(r, 8, 64), bOffset: 0, transB: false, bias: null, m, k: 8, n: 64, outOffset: 0 };
    matmulWasmPaths.directOut = false;
    try {
      assert.deepEqual(wasm(big), reference(big));
    } finally {
      matmulWasmPaths.directOut = true;
    }
    assert.ok(wasmMatmul()!.memory.buffer.byteLength > before, "the memory grew");
    const hits = packedWeightCacheStats().hits;
    assert.deepEqual(wasm(x), want);
    assert.equal(packedWeightCacheStats().hits, hits + 1, "served from the cache after growth");
  });

  if (!threads) return;

  test("threaded: matvec splits columns across the workers and equals the single-threaded result", async () => {
    await matmulWorkersReady(2);
    const r = rng(3106);
    const calls = matmulThreadedCalls();
    // Rounds until the workers have taken part (on a loaded machine the caller may run every chunk of a call itself).
    for (let round = 0; round < 50 && (round < 2 || matmulThreadedCalls() === calls); round++) {
      for (const [m, k, n] of [[1, 288, 768], [2, 768, 288], [3, 1030, 501], [1, 17, 4099]] as const) {
        const x = randomCase(r, m, k, n, m === 2 ? "int16" : "int8", 0);
        const want = reference(x);
        const split = !fitsInt32Accumulation({ ...x, out: want });
        assert.deepEqual(withSettings({ minMacs: Number.MAX_SAFE_INTEGER }, () => wasm(x, split)), want, `single ${m}x${k}x${n}`);
        assert.deepEqual(withSettings({ minMacs: 0 }, () => wasm(x, split)), want, `threaded ${m}x${k}x${n}`);
      }
    }
    assert.ok(matmulThreadedCalls() > calls, "the workers took chunks");
  });

  test("threaded: a pool given up with weights cached restarts on fresh memory with an empty cache, still right", async () => {
    await matmulWorkersReady(1);
    const r = rng(3107);
    // int16 A with K = 768: split into bytes, which the redone call must keep doing.
    const x = randomCase(r, 1, 768, 288, "int16", 0);
    x.a.fill(-32768);
    x.b.fill(-128); // every sum is 768·2^22 > 2^31: saturated, where a kernel without the split would wrap
    const want = reference(x);
    assert.equal(fitsInt32Accumulation({ ...x, out: want }), false);
    assert.deepEqual(wasm(x, true), want);
    const before = packedWeightCacheStats();
    assert.ok(before.entries > 0);
    matmulThreading.stallMs = 50;
    // Claim a chunk as a stuck worker would: it is never counted done.
    matmulThreading.onPublish = (ctl) => {
      const next = Atomics.load(ctl, SLOT.NEXT);
      Atomics.compareExchange(ctl, SLOT.NEXT, next, next + 1);
    };
    try {
      assert.deepEqual(withSettings({ minMacs: 0 }, () => wasm(x, true)), want);
    } finally {
      matmulThreading.onPublish = undefined;
    }
    const after = packedWeightCacheStats();
    assert.deepEqual([after.hits, after.misses, after.entries], [0, 1, 1], "the new memory's cache started empty and packed B once");
    assert.deepEqual(wasm(x, true), want);
    assert.equal(packedWeightCacheStats().hits, 1);
  });
}
