// The WASM matmul kernel split across worker threads gives exactly what one thread and the
// reference give: row and column splits, ragged last chunks, k not a multiple of 8, through the
// engine op too; and a worker that claims a chunk and never finishes makes the call give the pool
// up and still return the right result. node:test runs this file in its own process, so the
// thread settings below are this process's alone.
process.env.AIVM_MATMUL_THREADS = "2";
import { test } from "node:test";
import assert from "node:assert/strict";
import { matmulReference } from "../../src/engine/kernels/matmul-reference.ts";
import { matmulThreadedCalls, matmulThreading, matmulWasm, matmulWasmInto, matmulWasmLimits, matmulWorkersReady } from "../../src/engine/kernels/matmul-wasm.ts";
import { FLAGGED_BLOCKS, SLOT, pollSlot, runChunk, runClaimedChunks } from "../../src/engine/kernels/matmul-chunks.mjs";
import { getOp } from "../../src/engine/registry.ts";
import { tensor } from "../../src/engine/tensor.ts";
import { rng, int } from "../golden/linear/cases.ts";

function referenceOf(pa: Int32Array, bt: Int8Array, m: number, k: number, n: number, bias: Int32Array | null): Int32Array {
  const want = new Int32Array(m * n);
  matmulReference({ a: pa, aOffset: 0, aZero: 0, b: bt, bOffset: 0, transB: true, bias, m, k, n, out: want, outOffset: 0 });
  return want;
}

function operands(r: () => number, m: number, k: number, n: number) {
  const pa = Int32Array.from({ length: m * k }, () => int(r, -255, 255));
  const bt = Int8Array.from({ length: n * k }, () => int(r, -128, 127));
  const bias = r() < 0.5 ? Int32Array.from({ length: n }, () => int(r, -1e6, 1e6)) : null;
  return { pa, bt, bias };
}

test("threaded calls equal the single-threaded kernel and the reference, bit for bit", async () => {
  await matmulWorkersReady(2);
  const r = rng(4242);
  const before = matmulThreadedCalls();
  // Rows split (m ≥ n blocks, or 4 row blocks per thread: [64,256,64], [50,33,300]) and columns
  // split (a few rows, many columns); ragged block counts.
  const shapes: [number, number, number][] = [[257, 65, 9], [1, 300, 513], [3, 17, 1001], [97, 8, 97], [400, 129, 30], [5, 1, 64], [64, 256, 64], [50, 33, 300], [9, 40, 700]];
  for (let round = 0; round < 8; round++) {
    for (const [m, k, n] of shapes) {
      const { pa, bt, bias } = operands(r, m, k, n);
      const want = referenceOf(pa, bt, m, k, n, bias);
      // Outputs start filled with a sentinel: every element must be written, whichever thread ran
      // its rows (the calling thread copies its own chunks out as it goes, the workers' at the end).
      matmulThreading.minMacs = Number.MAX_SAFE_INTEGER;
      const single = new Int32Array(m * n + 2).fill(0x5a5a5a5a, 2);
      assert.ok(matmulWasmInto(pa, bt, m, k, n, bias, single, 2));
      matmulThreading.minMacs = 0;
      const threaded = new Int32Array(m * n + 2).fill(0x5a5a5a5a, 2);
      assert.ok(matmulWasmInto(pa, bt, m, k, n, bias, threaded, 2));
      assert.deepEqual(single.subarray(2), want, `single ${m}x${k}x${n}`);
      assert.deepEqual(threaded.subarray(2), want, `threaded ${m}x${k}x${n}`);
      assert.deepEqual([threaded[0], threaded[1]], [0, 0], "nothing written before the offset");
    }
  }
  assert.ok(matmulThreadedCalls() > before, "the workers took chunks");
});

test("packing straight from A and B: row parts under a memory budget, B transposed or not, zero points, offsets", async () => {
  await matmulWorkersReady(2);
  const r = rng(515);
  for (const budget of [Number.MAX_SAFE_INTEGER, 16 * 1024]) {
    matmulWasmLimits.maxBytes = budget;
    for (const minMacs of [Number.MAX_SAFE_INTEGER, 0]) {
      matmulThreading.minMacs = minMacs;
      for (let c = 0; c < 12; c++) {
        const [m, k, n] = [int(r, 1, 90), int(r, 1, 70), int(r, 1, 40)];
        const int16 = c % 3 === 0;
        const a = int16 ? Int16Array.from({ length: m * k + 4 }, () => int(r, -32768, 32767)) : Int8Array.from({ length: m * k + 4 }, () => int(r, -128, 127));
        const aZero = int16 ? 0 : int(r, -128, 127);
        const b = Int8Array.from({ length: k * n + 3 }, () => int(r, -128, 127));
        const args = { a, aOffset: int(r, 0, 4), aZero, b, bOffset: int(r, 0, 3), transB: r() < 0.5, bias: r() < 0.5 ? Int32Array.from({ length: n }, () => int(r, -1e6, 1e6)) : null, m, k, n, outOffset: 1 };
        const want = new Int32Array(m * n + 1);
        matmulReference({ ...args, out: want });
        const got = new Int32Array(m * n + 1);
        assert.ok(matmulWasm({ ...args, out: got }), `${m}x${k}x${n} within ${budget}`);
        assert.deepEqual(got, want, `${m}x${k}x${n} transB=${args.transB} aZero=${aZero} budget=${budget} minMacs=${minMacs}`);
      }
    }
  }
  // Not even one block of rows fits: nothing is written and the caller falls back.
  matmulWasmLimits.maxBytes = 1024;
  const out = new Int32Array(4 * 300);
  assert.equal(matmulWasm({ a: new Int8Array(4 * 300), aOffset: 0, aZero: 0, b: new Int8Array(300 * 300), bOffset: 0, transB: false, bias: null, m: 4, k: 300, n: 300, out, outOffset: 0 }), false);
  matmulWasmLimits.maxBytes = Number.MAX_SAFE_INTEGER;
});

test("the engine's matmul op gives the same tensor with and without threads", async () => {
  await matmulWorkersReady(2);
  const r = rng(99);
  const [m, k, n] = [130, 200, 70];
  const a = tensor("int8", [m, k], Int8Array.from({ length: m * k }, () => int(r, -128, 127)));
  const b = tensor("int8", [k, n], Int8Array.from({ length: k * n }, () => int(r, -128, 127)));
  const op = getOp("matmul");
  matmulThreading.minMacs = Number.MAX_SAFE_INTEGER;
  const single = op.run([a, b], {})[0]!;
  matmulThreading.minMacs = 0;
  const threaded = op.run([a, b], {})[0]!;
  assert.deepEqual(threaded.shape, single.shape);
  assert.deepEqual(threaded.data, single.data);
});

test("guided chunks tile the task exactly once, shrink to the minimum, and count every block done", () => {
  for (const [blocks, threads] of [[256, 2], [1, 2], [7, 3], [1000, 8], [33, 1]] as const) {
    const ctl = new Int32Array(SLOT.COUNT);
    const minChunk = Math.max(1, Math.ceil(blocks / (threads * 16)));
    Atomics.store(ctl, SLOT.SPLIT_ROWS, 0);
    Atomics.store(ctl, SLOT.M_BLOCKS, 5);
    Atomics.store(ctl, SLOT.N_BLOCKS, blocks);
    Atomics.store(ctl, SLOT.B_BLOCK, 1);
    Atomics.store(ctl, SLOT.MIN_CHUNK, minChunk);
    Atomics.store(ctl, SLOT.THREADS, threads);
    Atomics.store(ctl, SLOT.END, blocks);
    const chunks: [number, number][] = [];
    // A kernel that records which column blocks it was given (bPtr is the first, nBlocks the count).
    const record = (_a: number, bPtr: number, _o: number, _m: number, count: number) => {
      chunks.push([bPtr, count]);
    };
    const ran = runClaimedChunks(ctl, [record]);
    assert.equal(ran, blocks);
    assert.equal(Atomics.load(ctl, SLOT.DONE), blocks);
    let next = 0;
    for (const [first, count] of chunks) {
      assert.equal(first, next, `chunks are contiguous (${blocks} blocks, ${threads} threads)`);
      assert.ok(count >= Math.min(minChunk, blocks - first), "no chunk below the minimum except the last");
      next += count;
    }
    assert.equal(next, blocks);
    for (let i = 1; i < chunks.length; i++) assert.ok(chunks[i]![1] <= chunks[i - 1]![1], "chunks never grow");
    if (blocks >= threads * 16) assert.ok(chunks[0]![1] >= Math.floor(blocks / (2 * threads)), "the first chunk is a large share");
  }
});

test("a claim sized from an earlier task's counters runs exactly the blocks it moved NEXT past, cut at the current task's end", () => {
  // A thread read NEXT = 0 and END = 1000 of a task nobody had claimed from; that task ran to its
  // end without it, the next task (37 column blocks) reset NEXT to 0, and its compare-and-swap then
  // moved NEXT from 0 past the 250 blocks it had sized from END = 1000. It must run blocks 0…36 of
  // the current task and count 37 done: not the chunk the current task's own sizes would give.
  const ctl = new Int32Array(SLOT.COUNT);
  for (const [slot, value] of [[SLOT.SPLIT_ROWS, 0], [SLOT.M_BLOCKS, 2], [SLOT.N_BLOCKS, 37], [SLOT.B_BLOCK, 1], [SLOT.MIN_CHUNK, 1], [SLOT.THREADS, 2], [SLOT.NEXT, 250], [SLOT.END, 37]]) Atomics.store(ctl, slot!, value!);
  const ran: [number, number][] = [];
  const record = (_a: number, bPtr: number, _o: number, _m: number, count: number) => {
    ran.push([bPtr, count]);
  };
  assert.equal(runChunk(ctl, 0, 250, [record]), 37);
  assert.deepEqual(ran, [[0, 37]]);
  assert.equal(Atomics.load(ctl, SLOT.DONE), 37, "the task's blocks, each counted once");
  // Nothing is left for anyone else: NEXT is past END.
  assert.equal(runClaimedChunks(ctl, [record]), 0);
});

test("in a row split, the calling thread is handed each of its chunks' row blocks, a worker flags each of its own with the task's number", () => {
  const rowSplit = (ctl: Int32Array, blocks: number) => {
    for (const [slot, value] of [[SLOT.SPLIT_ROWS, 1], [SLOT.M_BLOCKS, blocks], [SLOT.N_BLOCKS, 3], [SLOT.A_BLOCK, 1], [SLOT.ROWS, 4], [SLOT.MIN_CHUNK, 1], [SLOT.THREADS, 2], [SLOT.PACK_FN, -1], [SLOT.TASK, 7], [SLOT.FLAGS_ON, 1], [SLOT.END, blocks]]) Atomics.store(ctl, slot!, value!);
  };
  const noKernel = () => {};
  // As a worker: no callback, every block flagged.
  const worker = new Int32Array(SLOT.COUNT + FLAGGED_BLOCKS);
  rowSplit(worker, 37);
  assert.equal(runClaimedChunks(worker, [noKernel]), 37);
  assert.deepEqual([...worker.subarray(SLOT.COUNT, SLOT.COUNT + 38)], [...Array<number>(37).fill(7), 0], "blocks 0…36 flagged, nothing past them");
  // As the calling thread: each block handed over once, in order, and no flags written.
  const caller = new Int32Array(SLOT.COUNT + FLAGGED_BLOCKS);
  rowSplit(caller, 37);
  const handed: number[] = [];
  runClaimedChunks(caller, [noKernel], [], (first, count) => handed.push(...Array.from({ length: count }, (_, i) => first + i)));
  assert.deepEqual(handed, Array.from({ length: 37 }, (_, i) => i));
  assert.ok(caller.subarray(SLOT.COUNT).every((v) => v === 0), "the calling thread flags nothing");
});

test("a worker that claims a chunk and never finishes: the pool is given up, the call is redone alone", async () => {
  await matmulWorkersReady(1);
  const r = rng(7);
  const [m, k, n] = [200, 40, 50];
  const { pa, bt, bias } = operands(r, m, k, n);
  const want = referenceOf(pa, bt, m, k, n, bias);
  matmulThreading.minMacs = 0;
  matmulThreading.stallMs = 50;
  let injected = 0;
  // Claim a chunk as a stuck worker would: it is never counted done.
  matmulThreading.onPublish = (ctl) => {
    for (let next = Atomics.load(ctl, SLOT.NEXT); next < Atomics.load(ctl, SLOT.END); next = Atomics.load(ctl, SLOT.NEXT)) {
      if (Atomics.compareExchange(ctl, SLOT.NEXT, next, next + 1) === next) {
        injected++;
        return;
      }
    }
  };
  const out = new Int32Array(m * n);
  const t0 = performance.now();
  assert.ok(matmulWasmInto(pa, bt, m, k, n, bias, out, 0));
  assert.equal(injected, 1);
  assert.ok(performance.now() - t0 >= 50, "the call waited for the stall time");
  assert.deepEqual(out, want);
  // From now on every call runs on the calling thread, on fresh memory, and stays right.
  matmulThreading.onPublish = undefined;
  const calls = matmulThreadedCalls();
  const again = new Int32Array(m * n);
  assert.ok(matmulWasmInto(pa, bt, m, k, n, bias, again, 0));
  assert.deepEqual(again, want);
  assert.equal(matmulThreadedCalls(), calls);
  await assert.rejects(matmulWorkersReady(1, 100), /threads are off|not ready/);
});

test("pollSlot: returns at once when the stop condition holds or spinning is off, else after at most the spin time", () => {
  const ctl = new Int32Array(new SharedArrayBuffer(SLOT.COUNT * 4));
  ctl[SLOT.SEQ] = 5;
  ctl[SLOT.SPIN_US] = 0;
  assert.equal(pollSlot(ctl, SLOT.SEQ, (v) => v !== 5), 5, "spinning off: one read");
  ctl[SLOT.SPIN_US] = 20_000;
  const t0 = performance.now();
  assert.equal(pollSlot(ctl, SLOT.SEQ, (v) => v === 5), 5, "already there");
  assert.ok(performance.now() - t0 < 10, "no spin when the condition already holds");
  const t1 = performance.now();
  assert.equal(pollSlot(ctl, SLOT.SEQ, (v) => v !== 5), 5, "nothing changed: the value read last");
  const spent = performance.now() - t1;
  assert.ok(spent >= 19 && spent < 2_000, `spun ${spent} ms for a 20 ms budget`);
});
