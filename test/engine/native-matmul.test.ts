// The native matmul kernel (native/matmul.c) against the WASM `matmul` kernel it stands in for, on
// the same packed operands in one memory: every ISA this CPU runs, every remainder of its 2×2
// block tiles, int16 extremes whose pair sums wrap modulo 2^32 (both kernels must wrap alike), and
// output padding left untouched. Its argument checks refuse blocks outside the memory.
import { test } from "node:test";
import assert from "node:assert/strict";
import { nativeKernelOn } from "../../src/engine/kernels/matmul-chunks.mjs";
import { nativeKernelFor } from "../../src/engine/kernels/matmul-native.ts";
import { matmulWasmBytes } from "../../src/engine/kernels/matmul-wasm.ts";
import { rng, int } from "../golden/linear/cases.ts";
import { nativeIsasForTests } from "./native-isas.ts";

interface Kernel {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  matmul: (...args: number[]) => void;
}
const WA = (globalThis as unknown as { WebAssembly: { Instance: new (m: object) => { exports: Kernel }; Module: new (b: Uint8Array) => object } }).WebAssembly;

const isas = nativeIsasForTests();
const skip = isas.length === 0 ? "build/aivm-native.node is not built (npm run build:native)" : false;

test("every native ISA writes the WASM kernel's bytes: random and extreme int16 operands, ragged tiles, padded output rows", { skip }, () => {
  const w = new WA.Instance(new WA.Module(matmulWasmBytes())).exports;
  w.memory.grow(64);
  const mem = () => new Int16Array(w.memory.buffer);
  const r = rng(77);
  for (let round = 0; round < 300; round++) {
    const mBlocks = int(r, 1, 6);
    const nBlocks = int(r, 1, 7);
    const kSteps = int(r, 1, 40);
    const padCols = int(r, 0, 3);
    const outRow = (nBlocks * 2 + padCols) * 4;
    const aPtr = 64 * int(r, 0, 4) + 4 * int(r, 0, 3);
    const aBytes = mBlocks * kSteps * 64;
    const bPtr = aPtr + aBytes + 4 * int(r, 0, 5);
    const bBytes = nBlocks * kSteps * 32;
    const outPtr = bPtr + bBytes + 4 * int(r, 0, 5);
    const outBytes = mBlocks * 4 * outRow;
    const extreme = round % 3 === 0;
    const value = () => (extreme ? [-32768, 32767, -32768, int(r, -32768, 32767)][int(r, 0, 3)]! : int(r, -300, 300));
    const h = mem();
    for (let i = aPtr / 2; i < (bPtr + bBytes) / 2; i++) h[i] = value();
    const sentinel = () => new Int32Array(w.memory.buffer, outPtr, outBytes / 4).fill(0x5a5a5a5a);
    sentinel();
    w.matmul(aPtr, bPtr, outPtr, mBlocks, nBlocks, kSteps, outRow);
    const want = new Uint8Array(w.memory.buffer, outPtr, outBytes).slice();
    for (const isa of isas) {
      sentinel();
      nativeKernelOn(w.memory, nativeKernelFor(isa))(aPtr, bPtr, outPtr, mBlocks, nBlocks, kSteps, outRow);
      assert.deepEqual(new Uint8Array(w.memory.buffer, outPtr, outBytes), want, `${isa}: ${mBlocks}×${nBlocks} blocks, ${kSteps} k-steps, ${padCols} padding columns${extreme ? ", extremes" : ""}`);
    }
  }
});

test("the native kernel refuses operands or outputs outside its memory, and arguments of the wrong type", { skip }, () => {
  const w = new WA.Instance(new WA.Module(matmulWasmBytes())).exports;
  const size = w.memory.buffer.byteLength;
  for (const isa of isas) {
    const raw = nativeKernelFor(isa);
    const view = new Int8Array(w.memory.buffer);
    const before = view.slice();
    assert.throws(() => raw(view, size - 64, 0, 0, 2, 1, 1, 8), /outside the kernel memory/, "A past the end");
    assert.throws(() => raw(view, 0, size - 16, 0, 1, 1, 1, 8), /outside the kernel memory/, "B past the end");
    assert.throws(() => raw(view, 0, 64, size - 8, 1, 1, 1, 8), /outside the kernel memory/, "output rows past the end");
    assert.throws(() => raw(view, 0, 64, 128, 1, 2, 1, 8), /outside the kernel memory/, "output row shorter than its blocks");
    assert.throws(() => raw(view, -1, 0, 0, 1, 1, 1, 8), /integers in \[0, 2\^31\)/, "negative pointer");
    assert.throws(() => raw(new Int16Array(16) as unknown as Int8Array, 0, 0, 0, 1, 1, 1, 8), /Int8Array/, "not an Int8Array");
    assert.throws(() => raw(view, 0, 0, 0), /8 arguments/, "too few arguments");
    assert.deepEqual(view, before, `${isa}: nothing written by a refused call`);
  }
  assert.throws(() => nativeKernelFor("avx9000"), /not an ISA this CPU runs/);
});
