// The native 4×2 kernels' whole-call form (native/matmul.c, `threaded`): the calling thread, and
// the addon's helper threads when asked, pack A from the caller's rows and write the outputs, plus
// the bias, into the caller's Int32Array. It must write Σ (a − zero)·b + bias for every output
// (rows not a multiple of 4 and an odd n included, through its scratch), pack A as the layout says,
// write nothing else, refuse arguments outside its arrays, and stay right when two threads call it
// at once (one of them then runs alone). node:test runs this file in its own process: the helpers
// started here are this process's alone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import { NATIVE_ADDON_PATH, nativeKernelFor, nativeThreadedFor, startNativeThreads, type NativeThreadedFn } from "../../src/engine/kernels/matmul-native.ts";
import { rng, int } from "../golden/linear/cases.ts";
import { nativeIsasForTests } from "./native-isas.ts";

const isas = nativeIsasForTests();
const skip = isas.length === 0 ? "build/aivm-native.node is not built (npm run build:native)" : false;
const SENTINEL = 0x5a5a5a5a;

type Source = Int8Array | Int16Array | Int32Array;

/**
 * A's rows as the 4×2 kernels read them, written here element by element: `bytes` (matmulu8)
 * [m/4][k/16][4][16] uint8 v + 128; else (matmul) [m/4][k/8][4][8] int16 v − zero, wrapped to 16
 * bits. Rows past m and the k tail are zero.
 */
function packA(src: Source, m: number, k: number, zero: number, bytes: boolean): Uint8Array {
  const perStep = bytes ? 16 : 8;
  const kSteps = Math.ceil(k / perStep);
  const packed = new Uint8Array(Math.ceil(m / 4) * kSteps * 64);
  const dv = new DataView(packed.buffer);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const at = (i >> 2) * kSteps * 64 + Math.floor(p / perStep) * 64 + (i & 3) * 16;
      if (bytes) packed[at + (p % 16)] = src[i * k + p]! + 128;
      else dv.setInt16(at + (p % 8) * 2, (src[i * k + p]! - zero) << 16 >> 16, true);
    }
  }
  return packed;
}

/** Bᵀ of the int8 values b ([k, n]) as the kernel reads it, with matmulu8's corrections for `zero` after each column block. */
function packB(b: Int8Array, k: number, n: number, zero: number, bytes: boolean): Uint8Array {
  const kSteps = Math.ceil(k / (bytes ? 16 : 8));
  const blockBytes = kSteps * 32 + (bytes ? 32 : 0);
  const packed = new Uint8Array(Math.ceil(n / 2) * blockBytes);
  const dv = new DataView(packed.buffer);
  for (let j = 0; j < n; j++) {
    let sum = 0;
    for (let p = 0; p < k; p++) {
      const v = b[p * n + j]!;
      sum += v;
      const at = (j >> 1) * blockBytes + (bytes ? (p >> 4) * 32 + (j & 1) * 16 + (p & 15) : (p >> 3) * 32 + (j & 1) * 16 + (p & 7) * 2);
      if (bytes) packed[at] = v & 255;
      else dv.setInt16(at, v, true);
    }
    if (bytes) dv.setInt32((j >> 1) * blockBytes + kSteps * 32 + (j & 1) * 4, Math.imul(-(128 + zero), sum), true);
  }
  return packed;
}

interface Case {
  name: "matmul" | "matmulu8";
  src: Source;
  srcOffset: number;
  m: number;
  k: number;
  n: number;
  zero: number;
  bias: Int32Array | null;
  /** Output row pitch beyond n, in int32. */
  padCols: number;
  outByte: number;
}

/**
 * Runs `c` through the whole-call form (A packed by it), with the helpers or alone, into a
 * sentinel-filled output array, and checks: A packed as the layout says, every output the sum
 * Σ (a − zero)·b (a − zero wrapped to int16 for `matmul`) plus the bias saturated to int32, and
 * nothing written outside the rows × n outputs. Returns the blocks the helpers ran.
 */
function check(isa: string, fn: NativeThreadedFn, r: () => number, c: Case, threads: boolean, spinUs: number): number {
  const bytes = c.name === "matmulu8";
  const kSteps = Math.ceil(c.k / (bytes ? 16 : 8));
  const mBlocks = Math.ceil(c.m / 4);
  const nBlocks = Math.ceil(c.n / 2);
  const memory = new Int8Array(new SharedArrayBuffer(8 << 20));
  const aPtr = 64 * int(r, 0, 3);
  const a = packA(c.src.subarray(c.srcOffset), c.m, c.k, c.zero, bytes);
  const b = Int8Array.from({ length: c.k * c.n }, () => int(r, -128, 127));
  const packedB = packB(b, c.k, c.n, c.zero, bytes);
  const bPtr = aPtr + a.length + 4 * int(r, 0, 3);
  new Uint8Array(memory.buffer).set(packedB, bPtr);
  const scratchPtr = bPtr + packedB.length + 4 * int(r, 0, 3);
  const outRow = (c.n + c.padCols) * 4;
  const outInts = (c.outByte + (c.m - 1) * outRow + c.n * 4) / 4 + 3;
  new Uint8Array(memory.buffer).fill(0xee, aPtr, aPtr + a.length);
  const got = new Int32Array(outInts).fill(SENTINEL);
  const helped = fn(memory, aPtr, bPtr, scratchPtr, mBlocks, nBlocks, kSteps, got, c.outByte, outRow, c.n, c.src, c.srcOffset, c.m, c.k, c.zero, c.bias, threads, spinUs);
  const what = `${isa} ${c.name} ${threads ? "threaded" : "alone"}: [${c.m},${c.k}]×[${c.k},${c.n}] (${c.src.constructor.name}, zero ${c.zero}${c.bias ? ", bias" : ""}, row pitch +${c.padCols}, out at byte ${c.outByte})`;
  assert.deepEqual(new Uint8Array(memory.buffer, aPtr, a.length), a, `${what}: A packed as the layout says`);
  const want = new Int32Array(outInts).fill(SENTINEL);
  for (let i = 0; i < c.m; i++) {
    for (let j = 0; j < c.n; j++) {
      let sum = 0;
      for (let p = 0; p < c.k; p++) {
        const centred = c.src[c.srcOffset + i * c.k + p]! - c.zero;
        sum += (bytes ? centred : (centred << 16) >> 16) * b[p * c.n + j]!;
      }
      const v = sum + (c.bias === null ? 0 : c.bias[j]!);
      want[c.outByte / 4 + (i * outRow) / 4 + j] = Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, v));
    }
  }
  for (let i = 0; i < outInts; i++) if (got[i] !== want[i]) assert.fail(`${what}: int32 ${i} is ${got[i]}, want ${want[i]}`);
  return helped;
}

test("the whole-call form writes Σ (a − zero)·b + bias and packs A as laid out, with the helpers and alone: row and column splits, rows not a multiple of 4, odd n, k tails, zero points, int8/int16/int32 rows", { skip }, () => {
  assert.equal(startNativeThreads(2), 2, "two helper threads run");
  const r = rng(4040);
  let helped = 0;
  for (const isa of isas) {
    for (const name of ["matmulu8", "matmul"] as const) {
      const fn = nativeThreadedFor(isa, name);
      if (name === "matmulu8" && nativeKernelFor(isa, name) === undefined) {
        assert.equal(fn, undefined, `${isa} has no matmulu8, so no whole-call form`);
        continue;
      }
      assert.ok(fn !== undefined, `${isa} ${name} has a whole-call form`);
      for (let round = 0; round < 48; round++) {
        // Many rows against few columns (a row split); a few rows against many columns, or many
        // rows against B more than twice A's size (column splits).
        const shape = round % 3;
        const m = shape === 0 ? int(r, 30, 200) : shape === 1 ? int(r, 1, 11) : int(r, 33, 80);
        const n = shape === 0 ? int(r, 1, 40) : shape === 1 ? int(r, 200, 420) : int(r, 200, 300);
        const k = int(r, 1, 150);
        const width = name === "matmulu8" ? 1 : [1, 2, 4][round % 3]!;
        const srcOffset = int(r, 0, 5);
        const value = () => (width === 1 ? int(r, -128, 127) : int(r, -30000, 30000));
        const src = width === 1 ? Int8Array.from({ length: srcOffset + m * k }, value) : width === 2 ? Int16Array.from({ length: srcOffset + m * k }, value) : Int32Array.from({ length: srcOffset + m * k }, value);
        const zero = width === 1 ? [-128, 127, 0, int(r, -128, 127)][round % 4]! : int(r, -100, 100);
        // Biases near the int32 limits every fourth round, so the saturation is reached.
        const bias = round % 2 === 0 ? null : Int32Array.from({ length: n + int(r, 0, 2) }, () => (round % 4 === 1 ? [2 ** 31 - 1, -(2 ** 31), int(r, -1e6, 1e6)][int(r, 0, 2)]! : int(r, -1e6, 1e6)));
        const c: Case = { name, src, srcOffset, m, k, n, zero, bias, padCols: int(r, 0, 2), outByte: 4 * int(r, 0, 3) };
        helped += check(isa, fn, r, c, round % 4 !== 3, round % 2 === 0 ? 200 : 0);
      }
    }
  }
  assert.ok(helped > 0, "the helper threads ran blocks");
});

test("the whole-call form refuses arguments outside its arrays or overlapping in the kernel memory, and writes nothing then", { skip }, () => {
  const isa = isas[0]!;
  const fn = nativeThreadedFor(isa, "matmul")!;
  const memory = new Int8Array(1 << 16);
  const out = new Int32Array(64).fill(SENTINEL);
  const src = new Int8Array(8 * 16);
  // [8,16]×[16,4]: 2 row blocks, 2 column blocks, 2 k-steps; B at 4096, scratch at 8192.
  const ok: Parameters<NativeThreadedFn> = [memory, 0, 4096, 8192, 2, 2, 2, out, 0, 16, 4, src, 0, 8, 16, 0, null, true, 0];
  fn(...ok);
  out.fill(SENTINEL);
  memory.fill(3);
  const refused = (what: string, change: (args: unknown[]) => void, message: RegExp) => {
    const args: unknown[] = [...ok];
    change(args);
    assert.throws(() => (fn as (...a: unknown[]) => number)(...args), message, what);
  };
  refused("A's source shorter than rows × k", (a) => (a[11] = new Int8Array(8 * 16 - 1)), /A's rows lie outside its array/);
  refused("the source offset past its end", (a) => (a[12] = 1), /A's rows lie outside its array/);
  refused("rows that fill fewer blocks", (a) => (a[13] = 4), /do not match the blocks/);
  refused("rows beyond the blocks", (a) => (a[13] = 9), /do not match the blocks/);
  refused("k beyond the k-steps", (a) => (a[14] = 17), /do not match the blocks/);
  refused("k short of the k-steps", (a) => (a[14] = 8), /do not match the blocks/);
  refused("n beyond the column blocks", (a) => (a[10] = 5), /do not match the blocks/);
  refused("n short of the column blocks", (a) => (a[10] = 2), /do not match the blocks/);
  refused("outputs past the array's end", (a) => (a[8] = 4 * 40), /outside the output array/);
  refused("a row pitch shorter than n", (a) => (a[9] = 12), /outside the output array/);
  refused("B past the memory's end", (a) => (a[2] = (1 << 16) - 16), /outside the kernel memory/);
  refused("the scratch past the memory's end", (a) => (a[3] = (1 << 16) - 64), /outside the kernel memory/);
  refused("the scratch over B", (a) => (a[3] = 4100), /overlap/);
  refused("B over A", (a) => (a[2] = 64), /overlap/);
  refused("a bias shorter than n", (a) => (a[16] = new Int32Array(3)), /bias is shorter than n/);
  refused("a bias not int32", (a) => (a[16] = new Int16Array(4)), /Int32Array or null/);
  refused("threads not a boolean", (a) => (a[17] = 1), /must be a boolean/);
  refused("a negative pointer", (a) => (a[1] = -64), /integers in \[0, 2\^31\)/);
  refused("a spin time over a second", (a) => (a[18] = 2_000_000), /spinUs must be at most 1000000/);
  refused("outputs not int32", (a) => (a[7] = new Int16Array(128)), /must be an Int32Array/);
  refused("A not an integer array", (a) => (a[11] = new Float64Array(128)), /Int8Array, Int16Array or Int32Array/);
  refused("too few arguments", (a) => a.pop(), /19 arguments/);
  const u8 = nativeThreadedFor(isa, "matmulu8");
  if (u8 !== undefined) assert.throws(() => u8(memory, 0, 4096, 8192, 2, 2, 1, out, 0, 16, 4, new Int16Array(8 * 16), 0, 8, 16, 0, null, true, 0), /matmulu8 packs an Int8Array/);
  assert.ok(memory.every((v) => v === 3), "nothing written to the memory by a refused call");
  assert.ok(out.every((v) => v === SENTINEL), "nothing written to the outputs by a refused call");
  assert.equal(nativeThreadedFor(isa, "matvec"), undefined, "the 1×4 kernels have no whole-call form");
  assert.throws(() => nativeThreadedFor("avx9000", "matmul"), /threaded\(isa, name\): not an ISA this CPU runs/);
  assert.throws(() => nativeThreadedFor(isa, "conv" as "matmul"), /threaded\(isa, name\): the name is not matmul/);
});

test("two threads calling at once both get their own outputs: the one that finds the helpers taken runs alone", { skip }, async () => {
  startNativeThreads(2);
  const isa = isas[0]!;
  const [m, k, n] = [256, 96, 64];
  // A worker thread runs the same call in a loop on its own memory while this thread does too,
  // both for the same 400 ms once the worker is ready.
  const source = `
    const { parentPort, workerData } = require("node:worker_threads");
    const addon = require(workerData.path);
    const fn = addon.threaded(workerData.isa, "matmul");
    const { m, k, n } = workerData;
    const memory = new Int8Array(new SharedArrayBuffer(1 << 20));
    new Int16Array(memory.buffer, 1 << 18, (n / 2) * (k / 8) * 16).fill(1);
    const src = new Int8Array(m * k).fill(2);
    parentPort.postMessage("ready");
    let bad = 0, calls = 0;
    for (const end = performance.now() + 400; performance.now() < end; calls++) {
      const out = new Int32Array(m * n);
      fn(memory, 0, 1 << 18, 1 << 19, m / 4, n / 2, k / 8, out, 0, n * 4, n, src, 0, m, k, 0, null, true, 200);
      if (!out.every((v) => v === 2 * k)) bad++;
    }
    parentPort.postMessage({ bad, calls });
  `;
  const worker = new Worker(source, { eval: true, workerData: { path: NATIVE_ADDON_PATH, isa, m, k, n } });
  const messages: unknown[] = [];
  const next = () => new Promise<unknown>((resolve, reject) => {
    if (messages.length > 0) return resolve(messages.shift());
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  assert.equal(await next(), "ready");
  const done = next();
  const threaded = nativeThreadedFor(isa, "matmul")!;
  const memory = new Int8Array(new SharedArrayBuffer(1 << 20));
  new Int16Array(memory.buffer, 1 << 18, (n / 2) * (k / 8) * 16).fill(-1);
  const src = new Int8Array(m * k).fill(3);
  let bad = 0;
  let calls = 0;
  for (const end = performance.now() + 400; performance.now() < end; calls++) {
    const out = new Int32Array(m * n);
    threaded(memory, 0, 1 << 18, 1 << 19, m / 4, n / 2, k / 8, out, 0, n * 4, n, src, 0, m, k, 0, null, true, 200);
    if (!out.every((v) => v === -3 * k)) bad++;
  }
  const theirs = (await done) as { bad: number; calls: number };
  assert.ok(calls > 20 && theirs.calls > 20, `both threads called often (${calls} and ${theirs.calls} calls)`);
  assert.equal(bad, 0, "this thread's outputs");
  assert.equal(theirs.bad, 0, "the worker thread's outputs");
  await worker.terminate();
});
