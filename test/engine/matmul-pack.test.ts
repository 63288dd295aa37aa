// The WASM SIMD packers (matmul-pack-wasm.ts) write bit for bit what the JavaScript packers write,
// padding included, and nothing outside the packed region: every source dtype, zero points, k and
// row/column counts off the 8- and 16-multiples, offsets into the source, transB and not, split.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MatmulPackers, PACK_B_BLOCKS, bStageBytes, matmulPackers, packStaging, rowsStageBytes } from "../../src/engine/kernels/matmul-pack-wasm.ts";
import { wasmMatmul } from "../../src/engine/kernels/matmul-wasm.ts";
import type { IntArray } from "../../src/engine/tensor.ts";

// The oracle: the JavaScript packers as matmul-wasm.ts had them.
function packRowsJs(dst: Int16Array, src: IntArray, offset: number, first: number, rows: number, k: number, kSteps: number, block: number, zero: number): void {
  dst.fill(0);
  const step = block * 8;
  for (let row = 0; row < rows; row++) {
    const d = ((row / block) | 0) * kSteps * step + (row % block) * 8;
    const s = offset + (first + row) * k;
    for (let p = 0; p < k; p++) dst[d + (p >> 3) * step + (p & 7)] = src[s + p]! - zero;
  }
}

function packRowsSplitJs(dst: Int16Array, src: IntArray, offset: number, first: number, rows: number, k: number, kSteps: number, block: number, zero: number): void {
  dst.fill(0);
  const step = block * 8;
  for (let row = 0; row < rows; row++) {
    const hiRow = 2 * row;
    const hiBase = ((hiRow / block) | 0) * kSteps * step + (hiRow % block) * 8;
    const loBase = (((hiRow + 1) / block) | 0) * kSteps * step + ((hiRow + 1) % block) * 8;
    const s = offset + (first + row) * k;
    for (let p = 0; p < k; p++) {
      const c = src[s + p]! - zero;
      const at = (p >> 3) * step + (p & 7);
      dst[hiBase + at] = c >> 8;
      dst[loBase + at] = c & 255;
    }
  }
}

function packBJs(dst: Int16Array, b: Int8Array, bOffset: number, transB: boolean, k: number, n: number, kSteps: number, C: number): void {
  if (transB) return packRowsJs(dst, b, bOffset, 0, n, k, kSteps, C, 0);
  dst.fill(0);
  const step = C * 8;
  for (let j = 0; j < n; j++) {
    for (let p = 0; p < k; p++) dst[((j / C) | 0) * kSteps * step + (p >> 3) * step + (j % C) * 8 + (p & 7)] = b[bOffset + p * n + j]!;
  }
}

/** `matmulu8`'s A: [rows/block][k/16][block][16] uint8 v + 128, zero padded (as int16 pairs, for checkPacked). */
function packRowsBytesJs(src: Int8Array, offset: number, first: number, rows: number, k: number, kSteps: number, block: number): Int16Array {
  const out = new Uint8Array(ceilDiv(rows, block) * block * kSteps * 16);
  const step = block * 16;
  for (let row = 0; row < rows; row++) {
    const d = ((row / block) | 0) * kSteps * step + (row % block) * 16;
    for (let p = 0; p < k; p++) out[d + (p >> 4) * step + (p & 15)] = src[offset + (first + row) * k + p]! + 128;
  }
  return new Int16Array(out.buffer);
}

const ceilDiv = (a: number, b: number) => Math.ceil(a / b);

/** Values over the dtype's whole range, extremes included (the packers wrap as Int16Array does). */
function source(kind: 8 | 16 | 32, count: number, seed: number): IntArray {
  const out = kind === 8 ? new Int8Array(count) : kind === 16 ? new Int16Array(count) : new Int32Array(count);
  let x = seed * 2654435761 + 1;
  const extremes = kind === 8 ? [-128, 127] : kind === 16 ? [-32768, 32767] : [-(2 ** 31), 2 ** 31 - 1];
  for (let i = 0; i < count; i++) {
    x = (Math.imul(x, 1103515245) + 12345) | 0;
    out[i] = i % 13 === 0 ? extremes[(i / 13) & 1]! : x;
  }
  return out;
}

interface Arena {
  packers: MatmulPackers;
  memory: { buffer: ArrayBuffer | SharedArrayBuffer; grow(pages: number): number };
}

const GUARD = 64;

/** Runs `pack` into a poisoned arena and checks the packed bytes against `expected` and the guards around them. */
function checkPacked(arena: Arena, packedElements: number, stageBytes: number, pack: (dstPtr: number, stagePtr: number) => void, expected: Int16Array, what: string): void {
  const dstPtr = GUARD;
  const stagePtr = Math.ceil((dstPtr + packedElements * 2 + GUARD) / 16) * 16;
  const need = stagePtr + stageBytes + GUARD;
  const have = arena.memory.buffer.byteLength;
  if (need > have) arena.memory.grow(Math.ceil((need - have) / 65536));
  new Uint8Array(arena.memory.buffer).fill(0xa5, 0, need);
  pack(dstPtr, stagePtr);
  const bytes = new Uint8Array(arena.memory.buffer);
  const got = new Int16Array(arena.memory.buffer, dstPtr, packedElements);
  assert.deepEqual(got, expected, what);
  for (let i = 0; i < GUARD; i++) assert.equal(bytes[i], 0xa5, `${what}: wrote before the packed region`);
  for (let i = dstPtr + packedElements * 2; i < stagePtr; i++) assert.equal(bytes[i], 0xa5, `${what}: wrote after the packed region`);
  for (let i = stagePtr + stageBytes; i < need; i++) assert.equal(bytes[i], 0xa5, `${what}: staged more than the bytes reserved`);
}

function arenaOf(shared: boolean): Arena {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1024, shared });
  return { memory, packers: new MatmulPackers(memory) };
}

const KS = [1, 7, 8, 9, 15, 16, 17, 31, 33];
const KINDS = [8, 16, 32] as const;

/** Runs `body` with sources staged in bands of `bandBytes` (1: a band per block of rows or per k-step). */
function withBands(bandBytes: number, body: () => void): void {
  const saved = packStaging.bandBytes;
  packStaging.bandBytes = bandBytes;
  try {
    body();
  } finally {
    packStaging.bandBytes = saved;
  }
}

for (const [shared, bandBytes] of [[false, packStaging.bandBytes], [true, packStaging.bandBytes], [false, 1]] as const) {
  const setting = `${shared ? "shared" : "unshared"} memory, ${bandBytes === 1 ? "one band per block" : "default bands"}`;
  test(`packRows: every dtype, zero point, k, row count, block, offset and first row (${setting})`, () => withBands(bandBytes, () => {
    const arena = arenaOf(shared);
    for (const kind of KINDS) {
      for (const k of KS) {
        for (const block of [1, 2, 4]) {
          for (const rows of [1, 2, 3, 5, 8]) {
            const zero = [0, -7, 100, kind === 8 ? -128 : 40000][(k + rows + block) % 4]!;
            const offset = (k * 3 + rows) % 5;
            const first = rows % 3;
            const src = source(kind, offset + (first + rows) * k + 3, k * 31 + rows);
            const kSteps = ceilDiv(k, 8);
            const elements = ceilDiv(rows, block) * block * kSteps * 8;
            const expected = new Int16Array(elements);
            packRowsJs(expected, src, offset, first, rows, k, kSteps, block, zero);
            checkPacked(arena, elements, rowsStageBytes(rows, k, src, block), (d, s) => arena.packers.packRows(d, src, offset, first, rows, k, kSteps, block, zero, s), expected,
              `int${kind} k=${k} rows=${rows} block=${block} zero=${zero}`);
          }
        }
      }
    }
  }));

  test(`packRowsSplit: hi and lo byte rows for every dtype, zero point, k, row count and block (${setting})`, () => withBands(bandBytes, () => {
    const arena = arenaOf(shared);
    for (const kind of KINDS) {
      for (const k of KS) {
        for (const block of [1, 2, 4]) {
          for (const rows of [1, 2, 3, 5]) {
            const zero = [0, -300, 255, kind === 32 ? 2 ** 30 : -40000, 2 ** 31 - 1, -(2 ** 31) + 65536, 1][(k + rows + block) % 7]!;
            const offset = (k + rows * 7) % 4;
            const first = (rows + 1) % 2;
            const src = source(kind, offset + (first + rows) * k, k * 17 + rows + kind);
            const kSteps = ceilDiv(k, 8);
            const elements = ceilDiv(2 * rows, block) * block * kSteps * 8;
            const expected = new Int16Array(elements);
            packRowsSplitJs(expected, src, offset, first, rows, k, kSteps, block, zero);
            checkPacked(arena, elements, rowsStageBytes(rows, k, src, block), (d, s) => arena.packers.packRowsSplit(d, src, offset, first, rows, k, kSteps, block, zero, s), expected,
              `split int${kind} k=${k} rows=${rows} block=${block} zero=${zero}`);
          }
        }
      }
    }
  }));

  test(`packRowsBytes: int8 rows as matmulu8's uint8 bytes, k off the 16-multiples, any row count, block and first row (${setting})`, () => withBands(bandBytes, () => {
    const arena = arenaOf(shared);
    for (const k of [...KS, 47, 48, 49]) {
      for (const block of [1, 4]) {
        for (const rows of [1, 2, 3, 5, 8, 9]) {
          const offset = (k + rows) % 5;
          const first = rows % 3;
          const src = source(8, offset + (first + rows) * k + 3, k * 13 + rows) as Int8Array;
          const kSteps = ceilDiv(k, 16);
          const expected = packRowsBytesJs(src, offset, first, rows, k, kSteps, block);
          checkPacked(arena, expected.length, rowsStageBytes(rows, k, src, block), (d, s) => arena.packers.packRowsBytes(d, src, offset, first, rows, k, kSteps, block, s), expected,
            `bytes k=${k} rows=${rows} block=${block}`);
        }
      }
    }
  }));

  test(`packB: B [K,N] and Bᵀ [N,K] for every column block, k and n off the 8- and 16-multiples, with offsets (${setting})`, () => withBands(bandBytes, () => {
    const arena = arenaOf(shared);
    for (const C of PACK_B_BLOCKS) {
      for (const k of KS) {
        for (const n of [1, 2, 3, 15, 16, 17, 33, 48]) {
          for (const transB of [false, true]) {
            const bOffset = (k + n) % 3;
            const b = source(8, bOffset + k * n + 2, k * 7 + n * 3 + C) as Int8Array;
            const kSteps = ceilDiv(k, 8);
            const elements = ceilDiv(n, C) * C * kSteps * 8;
            const expected = new Int16Array(elements);
            packBJs(expected, b, bOffset, transB, k, n, kSteps, C);
            checkPacked(arena, elements, bStageBytes(k, n, transB, C), (d, s) => arena.packers.packB(d, b, bOffset, transB, k, n, kSteps, C, s), expected,
              `packB C=${C} k=${k} n=${n} transB=${transB}`);
          }
        }
      }
    }
  }));
}

test("packers at k = 4097 (one value past a whole 16-multiple) and a B of 4097×37", () => {
  const arena = arenaOf(false);
  const k = 4097;
  const kSteps = ceilDiv(k, 8);
  for (const kind of KINDS) {
    const src = source(kind, 3 + 5 * k, kind);
    for (const block of [1, 4]) {
      const elements = ceilDiv(5, block) * block * kSteps * 8;
      const expected = new Int16Array(elements);
      packRowsJs(expected, src, 3, 0, 5, k, kSteps, block, 3);
      checkPacked(arena, elements, rowsStageBytes(5, k, src, block), (d, s) => arena.packers.packRows(d, src, 3, 0, 5, k, kSteps, block, 3, s), expected, `rows int${kind} block=${block}`);
      const splitElements = ceilDiv(10, block) * block * kSteps * 8;
      const expectedSplit = new Int16Array(splitElements);
      packRowsSplitJs(expectedSplit, src, 3, 0, 5, k, kSteps, block, -9);
      checkPacked(arena, splitElements, rowsStageBytes(5, k, src, block), (d, s) => arena.packers.packRowsSplit(d, src, 3, 0, 5, k, kSteps, block, -9, s), expectedSplit, `split int${kind} block=${block}`);
    }
  }
  const n = 37;
  const b = source(8, 1 + k * n, 99) as Int8Array;
  for (const C of [2, 4]) {
    for (const transB of [false, true]) {
      const elements = ceilDiv(n, C) * C * kSteps * 8;
      const expected = new Int16Array(elements);
      packBJs(expected, b, 1, transB, k, n, kSteps, C);
      checkPacked(arena, elements, bStageBytes(k, n, transB, C), (d, s) => arena.packers.packB(d, b, 1, transB, k, n, kSteps, C, s), expected, `packB C=${C} transB=${transB}`);
    }
  }
});

/** `matmulu8`'s Bᵀ from B [k,n]: [n/2][k/16][2][16] int8, each column block then −offset·Σ b of its two columns and zeros. */
function narrowBJs(b: Int8Array, k: number, n: number, offset: number): Uint8Array {
  const kSteps = ceilDiv(k, 16);
  const blockBytes = kSteps * 32 + 32;
  const out = new Uint8Array(ceilDiv(n, 2) * blockBytes);
  const dv = new DataView(out.buffer);
  for (let j = 0; j < n; j++) {
    let sum = 0;
    for (let p = 0; p < k; p++) {
      out[(j >> 1) * blockBytes + (p >> 4) * 32 + (j & 1) * 16 + (p & 15)] = b[p * n + j]! & 255;
      sum += b[p * n + j]!;
    }
    dv.setInt32((j >> 1) * blockBytes + kSteps * 32 + (j & 1) * 4, Math.imul(-offset, sum), true);
  }
  return out;
}

test("narrowB: B packed as int16 for 4×2 blocks, rewritten as matmulu8's int8 k-steps of 16 with each column block's corrections; odd k-step counts, odd n", () => {
  const arena = arenaOf(false);
  for (const k of [...KS, 47, 300]) {
    for (const n of [1, 2, 3, 17, 48]) {
      const offset = [0, 1, 128, 255][(k + n) % 4]!;
      const b = source(8, k * n, k * 5 + n) as Int8Array;
      const kSteps = ceilDiv(k, 8);
      const nBlocks = ceilDiv(n, 2);
      const int16Bytes = nBlocks * kSteps * 32;
      const want = narrowBJs(b, k, n, offset);
      const dst = GUARD;
      const src = Math.ceil((dst + want.length + GUARD) / 16) * 16;
      const stage = src + int16Bytes;
      const need = stage + bStageBytes(k, n, false, 2) + GUARD;
      const have = arena.memory.buffer.byteLength;
      if (need > have) arena.memory.grow(Math.ceil((need - have) / 65536));
      new Uint8Array(arena.memory.buffer).fill(0xa5, 0, need);
      arena.packers.packB(src, b, 0, false, k, n, kSteps, 2, stage);
      arena.packers.narrowB(src, dst, nBlocks, kSteps, offset);
      const bytes = new Uint8Array(arena.memory.buffer);
      assert.deepEqual(bytes.slice(dst, dst + want.length), want, `narrowB k=${k} n=${n} offset=${offset}`);
      for (let i = 0; i < dst; i++) assert.equal(bytes[i], 0xa5, "wrote before the entry");
      for (let i = dst + want.length; i < src; i++) assert.equal(bytes[i], 0xa5, "wrote after the entry");
    }
  }
});

test("the packers instantiate on the matmul kernel's own memory, once per memory", () => {
  const w = wasmMatmul();
  assert.ok(w, "the WASM kernel is available here");
  const packers = matmulPackers(w.memory);
  assert.ok(packers);
  assert.equal(matmulPackers(w.memory), packers);
});

test("packB refuses a column block that does not divide 16", () => {
  const arena = arenaOf(false);
  assert.throws(() => arena.packers.packB(0, new Int8Array(64), 0, false, 8, 8, 1, 3, 512), /column blocks of 3/);
});
