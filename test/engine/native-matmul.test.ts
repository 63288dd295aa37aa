// The native matmul kernel (native/matmul.c) against the WASM `matmul` kernel it stands in for, on
// the same packed operands in one memory: every ISA this CPU runs, every remainder of its 2×2
// block tiles, int16 extremes whose pair sums wrap modulo 2^32 (both kernels must wrap alike), and
// output padding left untouched. Its argument checks refuse blocks outside the memory.
import { test } from "node:test";
import assert from "node:assert/strict";
import { nativeKernelOn } from "../../src/engine/kernels/matmul-chunks.mjs";
import { nativeCopy, nativeKernelFor, type NativeKernelFn } from "../../src/engine/kernels/matmul-native.ts";
import { matmulWasmBytes } from "../../src/engine/kernels/matmul-wasm.ts";
import { rng, int } from "../golden/linear/cases.ts";
import { nativeIsasForTests } from "./native-isas.ts";

interface Kernel {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  matmul: (...args: number[]) => void;
}
const WA = (globalThis as unknown as { WebAssembly: { Instance: new (m: object) => { exports: Kernel }; Module: new (b: Uint8Array) => object } }).WebAssembly;

const isas = nativeIsasForTests();

/** The addon's kernel `name` for `isa`, which must have it. */
function kernelOf(isa: string, name: Parameters<typeof nativeKernelFor>[1]): NativeKernelFn {
  const fn = nativeKernelFor(isa, name);
  assert.ok(fn !== undefined, `${isa} has no ${name}`);
  return fn;
}
const skip = isas.length === 0 ? "build/aivm-native.node is not built (npm run build:native)" : false;

/**
 * Fills A and Bᵀ (int16, [aPtr, bEnd)) with random values (int16 extremes when `extreme`), runs the
 * WASM kernel `name` and then each ISA's native one from a sentinel-filled output, and checks that
 * every ISA wrote the WASM kernel's bytes.
 */
function sameAsWasm(
  w: Kernel & { matvec: (...args: number[]) => void }, name: "matmul" | "matvec", r: () => number, extreme: boolean,
  args: { aPtr: number; bPtr: number; bEnd: number; outPtr: number; outBytes: number; mBlocks: number; nBlocks: number; kSteps: number; outRow: number },
  what: string,
): void {
  const { aPtr, bPtr, bEnd, outPtr, outBytes, mBlocks, nBlocks, kSteps, outRow } = args;
  const h = new Int16Array(w.memory.buffer);
  for (let i = aPtr / 2; i < bEnd / 2; i++) h[i] = extreme ? [-32768, 32767, -32768, int(r, -32768, 32767)][int(r, 0, 3)]! : int(r, -300, 300);
  const sentinel = () => new Int32Array(w.memory.buffer, outPtr, outBytes / 4).fill(0x5a5a5a5a);
  sentinel();
  w[name](aPtr, bPtr, outPtr, mBlocks, nBlocks, kSteps, outRow);
  const want = new Uint8Array(w.memory.buffer, outPtr, outBytes).slice();
  for (const isa of isas) {
    sentinel();
    nativeKernelOn(w.memory, kernelOf(isa, name))(aPtr, bPtr, outPtr, mBlocks, nBlocks, kSteps, outRow);
    assert.deepEqual(new Uint8Array(w.memory.buffer, outPtr, outBytes), want, `${isa} ${name}: ${mBlocks}×${nBlocks} blocks, ${kSteps} k-steps${what}${extreme ? ", extremes" : ""}`);
    // The same outputs written to an array of the caller's (its 9th argument), at a byte offset into it.
    const out = new Int32Array(outBytes / 4 + 4).fill(0x5a5a5a5a);
    kernelOf(isa, name)(new Int8Array(w.memory.buffer), aPtr, bPtr, 8, mBlocks, nBlocks, kSteps, outRow, out);
    assert.deepEqual(new Uint8Array(out.buffer, 8, outBytes), want, `${isa} ${name} into an output array${what}`);
    assert.deepEqual([out[0], out[1], out[out.length - 2], out[out.length - 1]], [0x5a5a5a5a, 0x5a5a5a5a, 0x5a5a5a5a, 0x5a5a5a5a], `${isa} ${name}: nothing written outside its blocks in the output array`);
  }
}

test("every native ISA writes the WASM kernel's bytes: random and extreme int16 operands, ragged tiles and column panels, padded output rows", { skip }, () => {
  const w = new WA.Instance(new WA.Module(matmulWasmBytes())).exports as unknown as Kernel & { matvec: (...args: number[]) => void };
  w.memory.grow(96);
  const r = rng(77);
  for (let round = 0; round < 300; round++) {
    // Every tenth round a long k: packed Bᵀ spans several of the kernels' column panels (about
    // 256 KiB of Bᵀ each, native/matmul.c), with a ragged last panel.
    const panels = round % 10 === 9;
    const mBlocks = int(r, 1, 6);
    const nBlocks = panels ? int(r, 13, 41) : int(r, 1, 7);
    const kSteps = panels ? int(r, 600, 900) : int(r, 1, 40);
    const padCols = int(r, 0, 3);
    const outRow = (nBlocks * 2 + padCols) * 4;
    const aPtr = 64 * int(r, 0, 4) + 4 * int(r, 0, 3);
    const aBytes = mBlocks * kSteps * 64;
    const bPtr = aPtr + aBytes + 4 * int(r, 0, 5);
    const bBytes = nBlocks * kSteps * 32;
    const outPtr = bPtr + bBytes + 4 * int(r, 0, 5);
    const outBytes = mBlocks * 4 * outRow;
    sameAsWasm(w, "matmul", r, round % 3 === 0, { aPtr, bPtr, bEnd: bPtr + bBytes, outPtr, outBytes, mBlocks, nBlocks, kSteps, outRow }, `, ${padCols} padding columns`);
  }
});

/**
 * A matvec call's blocks and operands at odd offsets: up to 3 rows (the decode shapes), column
 * blocks past the 4- and 2-block tiles, long k every tenth round; Bᵀ's int16 packed bytes.
 */
function matvecShape(r: () => number, round: number) {
  const mBlocks = int(r, 1, 3);
  const nBlocks = int(r, 1, 11);
  const kSteps = round % 10 === 9 ? int(r, 300, 520) : int(r, 1, 40);
  const outRow = (nBlocks * 4 + int(r, 0, 3)) * 4;
  const aPtr = 64 * int(r, 0, 4) + 2 * int(r, 0, 7);
  const bPtr = aPtr + mBlocks * kSteps * 16 + 2 * int(r, 0, 9);
  return { mBlocks, nBlocks, kSteps, outRow, aPtr, bPtr, bBytes: nBlocks * kSteps * 64 };
}

test("every native ISA's matvec kernel writes the WASM matvec kernel's bytes: one-row blocks of four columns, odd k-steps, extremes", { skip }, () => {
  const w = new WA.Instance(new WA.Module(matmulWasmBytes())).exports as unknown as Kernel & { matvec: (...args: number[]) => void };
  w.memory.grow(96);
  const r = rng(78);
  for (let round = 0; round < 300; round++) {
    const { mBlocks, nBlocks, kSteps, outRow, aPtr, bPtr, bBytes } = matvecShape(r, round);
    const outPtr = Math.ceil((bPtr + bBytes) / 4) * 4 + 4 * int(r, 0, 5);
    const outBytes = (mBlocks - 1) * outRow + nBlocks * 16;
    sameAsWasm(w, "matvec", r, round % 3 === 0, { aPtr, bPtr, bEnd: bPtr + bBytes, outPtr, outBytes, mBlocks, nBlocks, kSteps, outRow }, "");
  }
  // Its bounds are its own blocks': 16 bytes of A and 64 of Bᵀ per k-step.
  const view = new Int8Array(w.memory.buffer);
  const size = view.length;
  for (const isa of isas) {
    const raw = kernelOf(isa, "matvec");
    assert.throws(() => raw(view, size - 16, 0, 0, 1, 1, 2, 16), /outside the kernel memory/, "A past the end");
    assert.throws(() => raw(view, 0, size - 64, 0, 1, 1, 2, 16), /outside the kernel memory/, "B past the end");
    assert.throws(() => raw(view, 0, 0, 0, 1, 2, 1, 16), /outside the kernel memory/, "output row shorter than its blocks");
  }
});

test("every native ISA's matvec8 kernel, on the int16 packed Bᵀ narrowed to int8, writes the WASM matvec kernel's bytes", { skip }, () => {
  const w = new WA.Instance(new WA.Module(matmulWasmBytes())).exports as unknown as Kernel & { matvec: (...args: number[]) => void };
  w.memory.grow(96);
  const r = rng(79);
  for (let round = 0; round < 300; round++) {
    const { mBlocks, nBlocks, kSteps, outRow, aPtr, bPtr, bBytes } = matvecShape(r, round);
    const b8Ptr = bPtr + bBytes + int(r, 0, 9);
    const outPtr = Math.ceil((b8Ptr + bBytes / 2) / 4) * 4 + 4 * int(r, 0, 5);
    const outBytes = (mBlocks - 1) * outRow + nBlocks * 16;
    const extreme = round % 3 === 0;
    // A: int16 (extremes every third round); Bᵀ: int8 values, as weights are.
    const h = new Int16Array(w.memory.buffer);
    for (let i = aPtr / 2; i < bPtr / 2; i++) h[i] = extreme ? [-32768, 32767, int(r, -32768, 32767)][int(r, 0, 2)]! : int(r, -300, 300);
    for (let i = bPtr / 2; i < (bPtr + bBytes) / 2; i++) h[i] = extreme ? [-128, 127, int(r, -128, 127)][int(r, 0, 2)]! : int(r, -128, 127);
    new Int8Array(w.memory.buffer, b8Ptr, bBytes / 2).set(new Int16Array(w.memory.buffer, bPtr, bBytes / 2));
    const sentinel = () => new Int32Array(w.memory.buffer, outPtr, outBytes / 4).fill(0x5a5a5a5a);
    sentinel();
    w.matvec(aPtr, bPtr, outPtr, mBlocks, nBlocks, kSteps, outRow);
    const want = new Uint8Array(w.memory.buffer, outPtr, outBytes).slice();
    for (const isa of isas) {
      sentinel();
      nativeKernelOn(w.memory, kernelOf(isa, "matvec8"))(aPtr, b8Ptr, outPtr, mBlocks, nBlocks, kSteps, outRow);
      assert.deepEqual(new Uint8Array(w.memory.buffer, outPtr, outBytes), want, `${isa} matvec8: ${mBlocks}×${nBlocks} blocks, ${kSteps} k-steps${extreme ? ", extremes" : ""}`);
    }
  }
  // Its bounds are its own blocks': 16 bytes of A and 32 of int8 Bᵀ per k-step and column block.
  const view = new Int8Array(w.memory.buffer);
  const size = view.length;
  for (const isa of isas) {
    const raw = kernelOf(isa, "matvec8");
    raw(view, 0, size - 64, 0, 1, 1, 2, 16);
    assert.throws(() => raw(view, 0, size - 63, 0, 1, 1, 2, 16), /outside the kernel memory/, "B past the end");
    assert.throws(() => raw(view, size - 16, 0, 0, 1, 1, 2, 16), /outside the kernel memory/, "A past the end");
  }
});

test("the native kernel refuses operands or outputs outside its memory, and arguments of the wrong type", { skip }, () => {
  const w = new WA.Instance(new WA.Module(matmulWasmBytes())).exports;
  const size = w.memory.buffer.byteLength;
  for (const isa of isas) {
    const raw = kernelOf(isa, "matmul");
    const view = new Int8Array(w.memory.buffer);
    const before = view.slice();
    assert.throws(() => raw(view, size - 64, 0, 0, 2, 1, 1, 8), /outside the kernel memory/, "A past the end");
    assert.throws(() => raw(view, 0, size - 16, 0, 1, 1, 1, 8), /outside the kernel memory/, "B past the end");
    assert.throws(() => raw(view, 0, 64, size - 8, 1, 1, 1, 8), /outside the kernel memory/, "output rows past the end");
    assert.throws(() => raw(view, 0, 64, 128, 1, 2, 1, 8), /outside the kernel memory/, "output row shorter than its blocks");
    assert.throws(() => raw(view, -1, 0, 0, 1, 1, 1, 8), /integers in \[0, 2\^31\)/, "negative pointer");
    assert.throws(() => raw(new Int16Array(16) as unknown as Int8Array, 0, 0, 0, 1, 1, 1, 8), /Int8Array/, "not an Int8Array");
    assert.throws(() => (raw as (...a: unknown[]) => void)(view, 0, 0, 0), /8 or 9 arguments/, "too few arguments");
    // Outputs to an array of the caller's: it must be an Int32Array holding every output block.
    const out = new Int32Array(8).fill(7);
    assert.throws(() => raw(view, 0, 64, 8, 1, 1, 1, 8, out), /outside the kernel memory or the output array/, "output rows past the array's end");
    assert.throws(() => (raw as (...a: unknown[]) => void)(view, 0, 64, 0, 1, 1, 1, 8, new Int16Array(16)), /must be an Int32Array/, "outputs not int32");
    assert.deepEqual(out, new Int32Array(8).fill(7), `${isa}: nothing written to the output array by a refused call`);
    assert.deepEqual(view, before, `${isa}: nothing written by a refused call`);
  }
  assert.throws(() => nativeKernelFor("avx9000", "matmul"), /not an ISA this CPU runs/);
  assert.throws(() => nativeKernelFor(isas[0]!, "conv" as "matmul"), /not matmul, matvec, matvec8 or matmulu8/);
});

/**
 * `matmulu8`'s operands laid out as native/matmul.c says, from int8 A [m,k] and B [k,n]: A as
 * [m/4][k/16][4][16] uint8 a + 128, Bᵀ as [n/2][k/16][2][16] int8, each column block followed by
 * its columns' corrections −(128 + zero)·Σ b and 24 zero bytes. Written here element by element,
 * independently of the engine's packers.
 */
function bytesOperands(mem: ArrayBuffer, at: number, a: Int8Array, b: Int8Array, m: number, k: number, n: number, zero: number) {
  const kSteps = Math.ceil(k / 16);
  const mBlocks = Math.ceil(m / 4);
  const nBlocks = Math.ceil(n / 2);
  const aPtr = at;
  const bPtr = aPtr + mBlocks * kSteps * 64;
  const blockBytes = kSteps * 32 + 32;
  const end = bPtr + nBlocks * blockBytes;
  const u = new Uint8Array(mem);
  u.fill(0, aPtr, end);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) u[aPtr + (i >> 2) * kSteps * 64 + (p >> 4) * 64 + (i & 3) * 16 + (p & 15)] = a[i * k + p]! + 128;
  const dv = new DataView(mem);
  for (let j = 0; j < n; j++) {
    let sum = 0;
    for (let p = 0; p < k; p++) {
      u[bPtr + (j >> 1) * blockBytes + (p >> 4) * 32 + (j & 1) * 16 + (p & 15)] = b[p * n + j]! & 255;
      sum += b[p * n + j]!;
    }
    dv.setInt32(bPtr + (j >> 1) * blockBytes + kSteps * 32 + (j & 1) * 4, Math.imul(-(128 + zero), sum), true);
  }
  return { aPtr, bPtr, end, mBlocks, nBlocks, kSteps };
}

test("every native ISA with matmulu8 (uint8 A × int8 Bᵀ, vpdpbusd) writes Σ (a − zero)·b: any zero point, extremes, ragged blocks, k tails, column panels", { skip }, () => {
  const withU8 = isas.filter((isa) => nativeKernelFor(isa, "matmulu8") !== undefined);
  // AVX2 has no vpdpbusd: the addon offers no matmulu8 there, and the engine never asks for one.
  if (isas.includes("avx2")) assert.equal(nativeKernelFor("avx2", "matmulu8"), undefined);
  const mem = new ArrayBuffer(8 << 20);
  const view = new Int8Array(mem);
  const out32 = new Int32Array(mem);
  const r = rng(80);
  for (let round = 0; round < 200; round++) {
    // Every tenth round a long k and many columns: Bᵀ spans several column panels.
    const panels = round % 10 === 9;
    const m = int(r, 1, 23);
    const k = panels ? int(r, 2000, 4100) : int(r, 1, 90);
    const n = panels ? int(r, 60, 140) : int(r, 1, 19);
    const extreme = round % 3 === 0;
    const zero = [-128, 127, 0, int(r, -128, 127)][round % 4]!;
    const pick = (lo: number, hi: number) => (extreme ? [lo, hi, int(r, lo, hi)][int(r, 0, 2)]! : int(r, lo, hi));
    const a = Int8Array.from({ length: m * k }, () => pick(-128, 127));
    const b = Int8Array.from({ length: k * n }, () => pick(-128, 127));
    const { aPtr, bPtr, end, mBlocks, nBlocks, kSteps } = bytesOperands(mem, 64 * int(r, 0, 3) + 4 * int(r, 0, 3), a, b, m, k, n, zero);
    const padCols = int(r, 0, 3);
    const outRow = (nBlocks * 2 + padCols) * 4;
    const outPtr = Math.ceil(end / 4) * 4 + 4 * int(r, 0, 5);
    for (const isa of withU8) {
      out32.fill(0x5a5a5a5a, outPtr / 4, outPtr / 4 + (mBlocks * 4 * outRow) / 4);
      kernelOf(isa, "matmulu8")(view, aPtr, bPtr, outPtr, mBlocks, nBlocks, kSteps, outRow);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let want = 0;
          for (let p = 0; p < k; p++) want += (a[i * k + p]! - zero) * b[p * n + j]!;
          const got = out32[(outPtr + i * outRow) / 4 + j]!;
          if (got !== want) assert.fail(`${isa} matmulu8 [${m},${k}]×[${k},${n}] zero ${zero}${extreme ? ", extremes" : ""}: out[${i},${j}] = ${got}, want ${want}`);
        }
        // The padding columns of each output row are not written.
        for (let j = nBlocks * 2; j < nBlocks * 2 + padCols; j++) assert.equal(out32[(outPtr + i * outRow) / 4 + j], 0x5a5a5a5a);
      }
    }
  }
  // Its bounds are its own blocks': 64 bytes of A per k-step and row block, 32 of Bᵀ per k-step
  // and column block, then the block's 32 bytes of corrections.
  const size = view.length;
  for (const isa of withU8) {
    const raw = kernelOf(isa, "matmulu8");
    raw(view, 0, size - 96, 0, 1, 1, 2, 8);
    assert.throws(() => raw(view, 0, size - 95, 0, 1, 1, 2, 8), /outside the kernel memory/, "corrections past the end");
    assert.throws(() => raw(view, size - 64, 0, 0, 1, 1, 2, 8), /outside the kernel memory/, "A past the end");
  }
});

test("the addon's copy moves bytes between typed arrays of any width, shared or not, and refuses ranges outside them", { skip }, () => {
  const copy = nativeCopy()!;
  const r = rng(313);
  const shared = new Int8Array(new SharedArrayBuffer(4096));
  for (let i = 0; i < shared.length; i++) shared[i] = int(r, -128, 127);
  // Into an int32 view that starts inside its buffer: byte offsets count from the view's start.
  const out = new Int32Array(new ArrayBuffer(1024 + 16), 16, 256).fill(-1);
  copy(out, 40, shared, 1000, 600);
  const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  assert.deepEqual(bytes.subarray(40, 640), new Uint8Array(shared.buffer, 1000, 600));
  assert.ok(bytes.subarray(0, 40).every((b) => b === 255) && bytes.subarray(640).every((b) => b === 255), "nothing outside the range");
  // Int16 source into the shared memory.
  const src = Int16Array.from({ length: 100 }, () => int(r, -32768, 32767));
  copy(shared, 2, src, 20, 160);
  assert.deepEqual(new Int16Array(shared.buffer, 2, 80), src.subarray(10, 90));
  const before = shared.slice();
  assert.throws(() => copy(shared, 4000, src, 0, 100), /range outside an array/, "past the destination's end");
  assert.throws(() => copy(shared, 0, src, 150, 100), /range outside an array/, "past the source's end");
  assert.throws(() => copy(shared, -1, src, 0, 1), /non-negative integers/, "negative offset");
  assert.throws(() => copy([] as unknown as Int8Array, 0, src, 0, 1), /typed arrays/, "not a typed array");
  assert.throws(() => (copy as unknown as (...a: unknown[]) => void)(shared, 0, src, 0), /5 arguments/, "too few arguments");
  assert.deepEqual(shared, before, "nothing written by a refused call");
});
