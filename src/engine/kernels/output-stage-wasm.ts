// The output stage's requantization in WebAssembly, assembled byte by byte (wasm-asm.ts): per
// element y = clamp(((acc·M + 2^(t−1)) >> t) + z) in 64-bit integers, which hold acc·M (< 2^62)
// plus the rounding term (≤ 2^61) exactly, so no split is needed. It replaces output-stage.ts's
// double-precision element loop, not its definition: test/engine/output-stage.test.ts checks both
// against the BigInt definition. The module has its own memory; the caller's accumulators go
// through it in chunks of at most CHUNK_ELEMENTS, so it stays a few MiB whatever the tensor.
import { ADD, BLOCK, END, GE_U, I32, LOOP, br, brIf, get, growMemoryTo, i32, name, section, set, uleb, vec } from "./wasm-asm.ts";
import { wasmApi } from "./matmul-wasm.ts";

const I64 = 0x7e;
const I64_EXTEND_I32_S = [0xac];
const I64_MUL = [0x7e];
const I64_ADD = [0x7c];
const I64_SHR_S = [0x87];
const I64_LT_S = [0x53];
const I64_GT_S = [0x55];
const SELECT = [0x1b];
const I64_LOAD32_S = [0x34, 0x02, 0x00];
/** i64.store8 / store16 / store32 by output width in bytes. */
const I64_STORE: Readonly<Record<number, number[]>> = { 1: [0x3c, 0x00, 0x00], 2: [0x3d, 0x01, 0x00], 4: [0x3e, 0x02, 0x00] };

const I64_LOAD = (offset: number) => [0x29, 0x03, ...uleb(offset)];
const I32_EQ = [0x46];
const I32_MUL = [0x6c];
/** Bytes of one channel's parameters: M, 2^(t−1) (0 when t = 0) and t, each an int64. */
export const PARAM_BYTES = 24;

/** One element: *out = clamp(((*acc·M + round) >> t) + z), then both pointers step. */
function elementCode(width: 1 | 2 | 4, l: { a: number; o: number; m: number; rnd: number; t: number; v: number; z: number; lo: number; hi: number }): number[] {
  return [
    ...get(l.a), ...I64_LOAD32_S, ...get(l.m), ...I64_MUL, ...get(l.rnd), ...I64_ADD, ...get(l.t), ...I64_SHR_S, ...get(l.z), ...I64_ADD, ...set(l.v),
    ...get(l.lo), ...get(l.v), ...get(l.v), ...get(l.lo), ...I64_LT_S, ...SELECT, ...set(l.v),
    ...get(l.hi), ...get(l.v), ...get(l.v), ...get(l.hi), ...I64_GT_S, ...SELECT, ...set(l.v),
    ...get(l.o), ...get(l.v), ...I64_STORE[width]!,
    ...get(l.a), ...i32(4), ...ADD, ...set(l.a),
    ...get(l.o), ...i32(width), ...ADD, ...set(l.o),
  ];
}

/** The channel's (M, 2^(t−1), t) from its parameters at `pp`. */
function loadParams(pp: number, l: { m: number; rnd: number; t: number }): number[] {
  return [...get(pp), ...I64_LOAD(0), ...set(l.m), ...get(pp), ...I64_LOAD(8), ...set(l.rnd), ...get(pp), ...I64_LOAD(16), ...set(l.t)];
}

/** A function's start: zero point and clamp bounds widened to int64, the two pointers from their parameters. */
function prologue(p: { z: number; lo: number; hi: number; acc: number; out: number }, l: { z: number; lo: number; hi: number; a: number; o: number }): number[] {
  return [
    ...get(p.z), ...I64_EXTEND_I32_S, ...set(l.z),
    ...get(p.lo), ...I64_EXTEND_I32_S, ...set(l.lo),
    ...get(p.hi), ...I64_EXTEND_I32_S, ...set(l.hi),
    ...get(p.acc), ...set(l.a),
    ...get(p.out), ...set(l.o),
  ];
}

/** i32 counter from 0 while below `limit`, around `body`. */
function loopWhileBelow(counter: number, limit: number, body: number[]): number[] {
  return [
    ...i32(0), ...set(counter),
    ...BLOCK, ...LOOP,
    ...get(counter), ...get(limit), ...GE_U, ...brIf(1),
    ...body,
    ...get(counter), ...i32(1), ...ADD, ...set(counter),
    ...br(0), ...END, ...END,
  ];
}

/**
 * `blocks(accPtr, outPtr, rows, channels, inner, paramsPtr, zeroPoint, lo, hi)` over int32
 * accumulators laid out [rows][channels][inner] (a conv's channels, or one channel of `inner`).
 */
function blocksBody(width: 1 | 2 | 4): number[] {
  const [ACC, OUT, ROWS, CHANNELS, INNER, PARAMS, Z, LO, HI] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [R, C, E, PP, A, O] = [9, 10, 11, 12, 13, 14];
  const [M, T, RND, V, Z64, LO64, HI64] = [15, 16, 17, 18, 19, 20, 21];
  const element = elementCode(width, { a: A, o: O, m: M, rnd: RND, t: T, v: V, z: Z64, lo: LO64, hi: HI64 });
  const channel = [
    ...loadParams(PP, { m: M, rnd: RND, t: T }),
    ...loopWhileBelow(E, INNER, element),
    ...get(PP), ...i32(PARAM_BYTES), ...ADD, ...set(PP),
  ];
  const code = [
    ...prologue({ z: Z, lo: LO, hi: HI, acc: ACC, out: OUT }, { z: Z64, lo: LO64, hi: HI64, a: A, o: O }),
    ...loopWhileBelow(R, ROWS, [...get(PARAMS), ...set(PP), ...loopWhileBelow(C, CHANNELS, channel)]),
    ...END,
  ];
  const fn = [...vec([[...uleb(6), I32], [...uleb(7), I64]]), ...code];
  return [...uleb(fn.length), ...fn];
}

/**
 * `rows(accPtr, outPtr, count, paramsPtr, channels, zeroPoint, lo, hi)`: `count` accumulators of
 * whole [rows][channels] rows (a matmul's layout), the channel's parameters read per element.
 */
function rowsBody(width: 1 | 2 | 4): number[] {
  const [ACC, OUT, COUNT, PARAMS, CHANNELS, Z, LO, HI] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [I, PP, END_PP, A, O] = [8, 9, 10, 11, 12];
  const [V, Z64, LO64, HI64, M, RND, T] = [13, 14, 15, 16, 17, 18, 19];
  const element = [
    ...loadParams(PP, { m: M, rnd: RND, t: T }),
    ...elementCode(width, { a: A, o: O, m: M, rnd: RND, t: T, v: V, z: Z64, lo: LO64, hi: HI64 }),
    ...get(PP), ...i32(PARAM_BYTES), ...ADD, ...set(PP),
    // Back to channel 0 at the end of a row: pp = pp == end ? params : pp.
    ...get(PARAMS), ...get(PP), ...get(PP), ...get(END_PP), ...I32_EQ, ...SELECT, ...set(PP),
  ];
  const code = [
    ...prologue({ z: Z, lo: LO, hi: HI, acc: ACC, out: OUT }, { z: Z64, lo: LO64, hi: HI64, a: A, o: O }),
    ...get(PARAMS), ...set(PP),
    ...get(PARAMS), ...get(CHANNELS), ...i32(PARAM_BYTES), ...I32_MUL, ...ADD, ...set(END_PP),
    ...loopWhileBelow(I, COUNT, element),
    ...END,
  ];
  const fn = [...vec([[...uleb(5), I32], [...uleb(7), I64]]), ...code];
  return [...uleb(fn.length), ...fn];
}

const WIDTHS = [1, 2, 4] as const;

/**
 * The module's bytes: one exported memory, `rows8/16/32` typed (i32 × 8) → () and `blocks8/16/32`
 * typed (i32 × 9) → ().
 */
export function outputStageWasmBytes(): Uint8Array {
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const types = section(1, vec([[0x60, ...uleb(8), ...new Array<number>(8).fill(I32), 0x00], [0x60, ...uleb(9), ...new Array<number>(9).fill(I32), 0x00]]));
  const functions = section(3, vec([...WIDTHS.map(() => [0x00]), ...WIDTHS.map(() => [0x01])]));
  const memory = section(5, vec([[0x00, 0x01]]));
  const exports = section(7, vec([
    [...name("memory"), 0x02, 0x00],
    ...WIDTHS.map((w, i) => [...name(`rows${8 * w}`), 0x00, ...uleb(i)]),
    ...WIDTHS.map((w, i) => [...name(`blocks${8 * w}`), 0x00, ...uleb(3 + i)]),
  ]));
  const code = section(10, vec([...WIDTHS.map((w) => rowsBody(w)), ...WIDTHS.map((w) => blocksBody(w))]));
  return new Uint8Array([...header, ...types, ...functions, ...memory, ...exports, ...code]);
}

type RowsFn = (acc: number, out: number, count: number, params: number, channels: number, z: number, lo: number, hi: number) => void;
type BlocksFn = (acc: number, out: number, rows: number, channels: number, inner: number, params: number, z: number, lo: number, hi: number) => void;
interface StageExports {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  rows8: RowsFn;
  rows16: RowsFn;
  rows32: RowsFn;
  blocks8: BlocksFn;
  blocks16: BlocksFn;
  blocks32: BlocksFn;
}

/** The stage as output-stage.ts parses it: per-channel (or one) multiplier and shift. */
export interface StageParams {
  readonly multiplier: readonly number[];
  readonly shift: readonly number[];
}

/** Accumulators per call of the module. */
export const CHUNK_ELEMENTS = 1 << 18;
/**
 * Bytes at the start of the memory holding stages' parameters, each written once and kept while
 * it fits (a program's nodes keep their stages from call to call); when full, it starts over.
 */
const PARAM_ARENA_BYTES = 4 << 20;
/** Channels whose parameters the module takes (two such stages fit the arena); stages with more keep the JavaScript loop. */
export const MAX_WASM_CHANNELS = 1 << 16;
/** Elements below which the JavaScript loop is kept (the copies in and out cost more than they save). */
export const WASM_MIN_ELEMENTS = 32;
/** Which path the output stage takes (tests and benchmarks switch it; the bits are the same). */
export const outputStagePaths = { wasm: true, native: true };

const ACC_PTR = PARAM_ARENA_BYTES;
const OUT_PTR = ACC_PTR + 4 * CHUNK_ELEMENTS;
/** The whole memory: the arena, then one chunk's accumulators and its outputs. */
const MEMORY_BYTES = OUT_PTR + 4 * CHUNK_ELEMENTS;

type OutArray = Int8Array | Int16Array | Int32Array;

interface Job {
  acc: Int32Array;
  out: OutArray;
  width: 1 | 2 | 4;
  params: number;
  zeroPoint: number;
  lo: number;
  hi: number;
}

class StageWasm {
  private readonly int32: Int32Array;
  private readonly outViews: Record<1 | 2 | 4, OutArray>;
  private readonly rowsFns: Record<1 | 2 | 4, RowsFn>;
  private readonly blocksFns: Record<1 | 2 | 4, BlocksFn>;
  /** Where each stage's parameters are in the arena, and in which of its fillings. */
  private readonly placed = new WeakMap<StageParams, { ptr: number; filling: number }>();
  private filling = 0;
  private arenaUsed = 0;

  constructor(exports: StageExports) {
    const buffer = growMemoryTo(exports.memory, MEMORY_BYTES);
    this.int32 = new Int32Array(buffer);
    this.outViews = { 1: new Int8Array(buffer), 2: new Int16Array(buffer), 4: this.int32 };
    this.rowsFns = { 1: exports.rows8, 2: exports.rows16, 4: exports.rows32 };
    this.blocksFns = { 1: exports.blocks8, 2: exports.blocks16, 4: exports.blocks32 };
  }

  /** The arena offset of the stage's parameters (M, 2^(t−1) or 0, t as int64 per channel), written if not there. */
  private paramsOf(stage: StageParams): number {
    const seen = this.placed.get(stage);
    if (seen !== undefined && seen.filling === this.filling) return seen.ptr;
    const bytes = PARAM_BYTES * stage.multiplier.length;
    if (this.arenaUsed + bytes > PARAM_ARENA_BYTES) {
      this.filling++;
      this.arenaUsed = 0;
    }
    const ptr = this.arenaUsed;
    const p = this.int32;
    for (let c = 0, i = ptr / 4; c < stage.multiplier.length; c++, i += PARAM_BYTES / 4) {
      const t = stage.shift[c]!;
      p[i] = stage.multiplier[c]!; // < 2^31: the high word is 0
      p[i + 1] = 0;
      // 2^(t−1) for t ≥ 1 as a little-endian int64: below 2^32 in the low word (2^31 stores as its bit pattern).
      p[i + 2] = t === 0 || t > 32 ? 0 : 2 ** (t - 1);
      p[i + 3] = t > 32 ? 2 ** (t - 33) : 0;
      p[i + 4] = t;
      p[i + 5] = 0;
    }
    this.arenaUsed += bytes;
    this.placed.set(stage, { ptr, filling: this.filling });
    return ptr;
  }

  /**
   * Writes out[i] = requantized acc[i] for every accumulator, channel floor(i / inner) mod channels
   * (every element per tensor when the stage has one multiplier).
   */
  run(acc: Int32Array, stage: StageParams, zeroPoint: number, lo: number, hi: number, channels: number, inner: number, out: OutArray): void {
    const job: Job = { acc, out, width: out.BYTES_PER_ELEMENT as 1 | 2 | 4, params: this.paramsOf(stage), zeroPoint, lo, hi };
    const n = acc.length;
    if (stage.multiplier.length === 1) {
      // One channel: any chunk boundary will do.
      for (let first = 0; first < n; first += CHUNK_ELEMENTS) this.blocks(job, first, Math.min(CHUNK_ELEMENTS, n - first), 1, 1, 0);
      return;
    }
    const rowLength = channels * inner;
    if (rowLength === 0) return;
    const rows = n / rowLength;
    if (inner === 1) {
      // A matmul's [rows][channels]: chunks of whole rows (channels ≤ MAX_WASM_CHANNELS < CHUNK_ELEMENTS).
      const perChunk = Math.floor(CHUNK_ELEMENTS / channels) * channels;
      for (let first = 0; first < n; first += perChunk) {
        const count = Math.min(perChunk, n - first);
        this.int32.set(acc.subarray(first, first + count), ACC_PTR / 4);
        this.rowsFns[job.width](ACC_PTR, OUT_PTR, count, job.params, channels, zeroPoint, lo, hi);
        this.copyOut(job, first, count);
      }
      return;
    }
    // [rows][channels][inner]: chunks of whole rows, else of whole channel blocks of a row, else of one block's elements.
    if (rowLength <= CHUNK_ELEMENTS) {
      const perChunk = Math.floor(CHUNK_ELEMENTS / rowLength);
      for (let r = 0; r < rows; r += perChunk) {
        const count = Math.min(perChunk, rows - r);
        this.blocks(job, r * rowLength, count * rowLength, count, channels, inner);
      }
      return;
    }
    for (let r = 0; r < rows; r++) {
      if (inner <= CHUNK_ELEMENTS) {
        const perChunk = Math.floor(CHUNK_ELEMENTS / inner);
        for (let c = 0; c < channels; c += perChunk) {
          const count = Math.min(perChunk, channels - c);
          this.blocks(job, r * rowLength + c * inner, count * inner, 1, count, inner, c);
        }
        continue;
      }
      for (let c = 0; c < channels; c++) {
        for (let e = 0; e < inner; e += CHUNK_ELEMENTS) {
          this.blocks(job, r * rowLength + c * inner + e, Math.min(CHUNK_ELEMENTS, inner - e), 1, 1, 0, c);
        }
      }
    }
  }

  /**
   * Requantizes acc[first, first + count) as `rows` × `channels` blocks of `inner` elements (0:
   * count / (rows · channels)) from channel `channel` on.
   */
  private blocks(j: Job, first: number, count: number, rows: number, channels: number, inner: number, channel = 0): void {
    this.int32.set(j.acc.subarray(first, first + count), ACC_PTR / 4);
    const blockInner = inner === 0 ? count / (rows * channels) : inner;
    this.blocksFns[j.width](ACC_PTR, OUT_PTR, rows, channels, blockInner, j.params + PARAM_BYTES * channel, j.zeroPoint, j.lo, j.hi);
    this.copyOut(j, first, count);
  }

  private copyOut(j: Job, first: number, count: number): void {
    const start = OUT_PTR / j.width;
    j.out.set(this.outViews[j.width].subarray(start, start + count), first);
  }
}

let instance: StageWasm | null | undefined;

/** The module, or null where WebAssembly is unavailable (or outputStagePaths.wasm is off). */
export function outputStageWasm(): StageWasm | null {
  if (!outputStagePaths.wasm) return null;
  if (instance !== undefined) return instance;
  try {
    if (wasmApi === undefined) return (instance = null);
    instance = new StageWasm(new wasmApi.Instance(new wasmApi.Module(outputStageWasmBytes())).exports as StageExports);
  } catch {
    instance = null;
  }
  return instance;
}
