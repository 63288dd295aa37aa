// The matmul operand packers in WASM SIMD128, assembled byte by byte like the kernels
// (matmul-wasm-module.ts): A's rows, Bᵀ's rows (transB) and B [K,N] gathered down its columns, into
// the kernels' [rows/block][k/8][block][8] int16 layout, zero padded, bit for bit what the
// JavaScript packers write (test/engine/matmul-pack.test.ts holds them as the oracle). Packing in
// JavaScript cost 1–4 ns per element against the kernel's ~0.05 ns per weight: unpaid CPU for a B
// that is new at every call. The source is copied into the kernel's memory, a band of ~128 KiB at a
// time, with one native `.set` (a memcpy) to a staging area the caller reserves, then widened,
// transposed and scattered here. The module imports the kernel instance's memory (shared when the
// worker threads are on).
import { ADD, BLOCK, END, GE_U, I32, LOOP, LT_U, MUL, V128, V128_ZERO, br, brIf, get, i32, name, section, set, simd, uleb, vec } from "./wasm-asm.ts";
import type { IntArray } from "../tensor.ts";
import type { NativeCopy } from "./matmul-native.ts";

/** The slice of WebAssembly used here (tsconfig's lib has no WebAssembly types). */
interface PackMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}
interface PackWasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports?: object) => { exports: unknown };
}

type PackFn = (...args: number[]) => void;
const wasmApi = () => (globalThis as { WebAssembly?: PackWasmApi }).WebAssembly;

/** Column-block widths packB gathers B [K,N] for: the divisors of 16 (one 16-byte row of int8 B per tile). */
export const PACK_B_BLOCKS = [1, 2, 4, 8, 16] as const;

// Core opcodes beyond wasm-asm.ts's.
const SUB = [0x6b];
const DIV_U = [0x6e];
const REM_U = [0x70];
const AND = [0x71];
const SHR_S = [0x75];
const GT_U = [0x4b];
const IF = [0x04, 0x40];
const tee = (i: number) => [0x22, i];
const i32Load8S = (offset: number) => [0x2c, 0x00, ...uleb(offset)];
const i32Load8U = (offset: number) => [0x2d, 0x00, ...uleb(offset)];
const XOR = [0x73];
const i32Load16S = (offset: number) => [0x2e, 0x01, ...uleb(offset)];
const i32Load = (offset: number) => [0x28, 0x02, ...uleb(offset)];
const i32Store8 = (offset: number) => [0x3a, 0x00, ...uleb(offset)];
const i32Store16 = (offset: number) => [0x3b, 0x01, ...uleb(offset)];
// SIMD opcodes (final numbering); alignment hints are 0: rows start anywhere.
const v128Load = (offset: number) => [...simd(0x00), 0x00, ...uleb(offset)];
const load8x8S = (offset: number) => [...simd(0x01), 0x00, ...uleb(offset)];
const v128Store = (offset: number) => [...simd(0x0b), 0x00, ...uleb(offset)];
const shuffle = (lanes: number[]) => [...simd(0x0d), ...lanes];
const I8X16_SPLAT = simd(0x0f);
const I16X8_SPLAT = simd(0x10);
const V128_XOR = simd(0x51);
const I32X4_SPLAT = simd(0x11);
const V128_AND = simd(0x4e);
const I16X8_EXTEND_LOW_I8 = simd(0x87);
const I16X8_EXTEND_HIGH_I8 = simd(0x88);
const I16X8_SUB = simd(0x91);
const I16X8_ADD = simd(0x8e);
const I16X8_SHR_S = simd(0x8c);
const I16X8_LT_S = simd(0x2f);
const I32X4_EXTEND_LOW_I16 = simd(0xa7);
const I32X4_EXTEND_HIGH_I16 = simd(0xa8);
const I32X4_SHR_S = simd(0xac);
const I32X4_SUB = simd(0xb1);
const I32X4_ADD = simd(0xae);
const I8X16_NARROW_I16X8_S = simd(0x65);
const I32X4_EXTADD_PAIRWISE_I16X8_S = simd(0x7e);
const i32x4Lane = (lane: number) => [...simd(0x1b), lane];
const i32Store = (offset: number) => [0x36, 0x02, ...uleb(offset)];
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
/** The low 16 bits of each int32 lane of two vectors, as eight int16 lanes: Int16Array's wrap-around store, not a saturating narrow. */
const LOW_HALVES = shuffle([0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29]);
/** Interleave the low (or high) halves of two vectors in units of `w` bytes. */
const interleave = (w: number, high: boolean) =>
  shuffle(range(16 / (2 * w)).flatMap((u) => [...range(w).map((b) => (high ? 8 : 0) + u * w + b), ...range(w).map((b) => 16 + (high ? 8 : 0) + u * w + b)]));

/** Bytes per element of each source dtype, and its name in the exports. */
const SOURCES = [
  { tag: 8, bytes: 1 },
  { tag: 16, bytes: 2 },
  { tag: 32, bytes: 4 },
] as const;
type Source = (typeof SOURCES)[number];

interface Fn {
  params: number;
  i32Locals: number;
  v128Locals: number;
  code: number[];
}

const body = (f: Fn): number[] => {
  const fn = [...vec([[...uleb(f.i32Locals), I32], [...uleb(f.v128Locals), V128]]), ...f.code, ...END];
  return [...uleb(fn.length), ...fn];
};

/** `while (p < stop) { ...inner }`: the loop shape every packer uses. */
const whileLess = (p: number, stop: number, inner: number[]) => [...BLOCK, ...LOOP, ...get(p), ...get(stop), ...GE_U, ...brIf(1), ...inner, ...br(0), ...END, ...END];

/** d = base + (row / block)·blockBytes + (row % block)·16: where kernel row `row` starts. */
const rowStart = (base: number, row: number[], block: number, blockBytes: number) => [
  ...get(base), ...row, ...get(block), ...DIV_U, ...get(blockBytes), ...MUL, ...ADD,
  ...row, ...get(block), ...REM_U, ...i32(16), ...MUL, ...ADD,
];

/** Zero the kernel rows [from, to): the padding rows of the last block, which the JS packers leave from dst.fill(0). */
function zeroRows(kr: number, to: number, d: number, stop: number, base: number, block: number, blockBytes: number, step: number): number[] {
  return whileLess(kr, to, [
    ...rowStart(base, get(kr), block, blockBytes), ...set(d),
    ...get(d), ...get(blockBytes), ...ADD, ...set(stop),
    ...whileLess(d, stop, [...get(d), ...V128_ZERO, ...v128Store(0), ...get(d), ...get(step), ...ADD, ...set(d)]),
    ...get(kr), ...i32(1), ...ADD, ...set(kr),
  ]);
}

/**
 * `rows{8,16,32}(src, dst, rows, k, kSteps, block, zero)`: row-major [rows, k] values at src
 * (staged), minus zero, as [rows/block][k/8][block][8] int16 at dst, zero padded (packRows).
 */
function rowsFn(s: Source): Fn {
  const [SRC, DST, ROWS, K, K_STEPS, BLOCK_ROWS, ZERO] = range(7);
  const [ROW, S, D, STEP, STOP, PAIRS, Q, BLOCK_BYTES, PADDED] = range(9).map((i) => 7 + i);
  const ZV = 16;
  /** Eight centred values from s + offset as int16 lanes, on the stack. */
  const eight = (offset: number) =>
    s.tag === 8 ? [...get(S), ...load8x8S(offset), ...get(ZV), ...I16X8_SUB]
    : s.tag === 16 ? [...get(S), ...v128Load(offset), ...get(ZV), ...I16X8_SUB]
    : [...get(S), ...v128Load(offset), ...get(S), ...v128Load(offset + 16), ...LOW_HALVES, ...get(ZV), ...I16X8_SUB];
  const scalarLoad = s.tag === 8 ? i32Load8S(0) : s.tag === 16 ? i32Load16S(0) : i32Load(0);
  const code = [
    ...get(ZERO), ...I16X8_SPLAT, ...set(ZV),
    ...get(BLOCK_ROWS), ...i32(16), ...MUL, ...set(STEP),
    ...get(K_STEPS), ...get(STEP), ...MUL, ...set(BLOCK_BYTES),
    ...i32(0), ...set(ROW),
    ...whileLess(ROW, ROWS, [
      ...get(SRC), ...get(ROW), ...get(K), ...MUL, ...i32(s.bytes), ...MUL, ...ADD, ...set(S),
      ...rowStart(DST, get(ROW), BLOCK_ROWS, BLOCK_BYTES), ...set(D),
      // Sixteen values per turn while two whole k-steps remain, then one, then the tail.
      ...get(D), ...get(K), ...i32(4), ...SHR_S, ...get(STEP), ...MUL, ...i32(2), ...MUL, ...ADD, ...set(PAIRS),
      ...whileLess(D, PAIRS, [
        ...get(D), ...eight(0), ...v128Store(0),
        ...get(D), ...get(STEP), ...ADD, ...eight(8 * s.bytes), ...v128Store(0),
        ...get(S), ...i32(16 * s.bytes), ...ADD, ...set(S),
        ...get(D), ...get(STEP), ...i32(2), ...MUL, ...ADD, ...set(D),
      ]),
      ...get(K), ...i32(8), ...AND, ...IF,
      ...get(D), ...eight(0), ...v128Store(0),
      ...get(S), ...i32(8 * s.bytes), ...ADD, ...set(S),
      ...get(D), ...get(STEP), ...ADD, ...set(D),
      ...END,
      ...get(K), ...i32(7), ...AND, ...IF,
      ...get(D), ...V128_ZERO, ...v128Store(0),
      ...i32(0), ...set(Q),
      ...BLOCK, ...LOOP,
      ...get(D), ...get(Q), ...i32(2), ...MUL, ...ADD,
      ...get(S), ...get(Q), ...i32(s.bytes), ...MUL, ...ADD, ...scalarLoad, ...get(ZERO), ...SUB, ...i32Store16(0),
      ...get(Q), ...i32(1), ...ADD, ...tee(Q), ...get(K), ...i32(7), ...AND, ...LT_U, ...brIf(0),
      ...END, ...END,
      ...END,
      ...get(ROW), ...i32(1), ...ADD, ...set(ROW),
    ]),
    ...get(ROWS), ...get(BLOCK_ROWS), ...ADD, ...i32(1), ...SUB, ...get(BLOCK_ROWS), ...DIV_U, ...get(BLOCK_ROWS), ...MUL, ...set(PADDED),
    ...zeroRows(ROW, PADDED, D, STOP, DST, BLOCK_ROWS, BLOCK_BYTES, STEP),
  ];
  return { params: 7, i32Locals: 9, v128Locals: 1, code };
}

/**
 * `split{8,16,32}(src, dst, rows, k, kSteps, block, zero)`: like rows, but source row r becomes
 * kernel rows 2r (c >> 8) and 2r + 1 (c & 255) of c = value − zero, in int32 (packRowsSplit).
 * `narrow` (int8 and int16 sources, c within int32): the same in int16 lanes, with no widening,
 * from c >> 8 = (v >> 8) − (zero >> 8) − [v & 255 < zero & 255] and c & 255 = (v − zero) & 255.
 */
function splitFn(s: Source, narrow: boolean): Fn {
  const [SRC, DST, ROWS, K, K_STEPS, BLOCK_ROWS, ZERO] = range(7);
  const [ROW, S, DH, DL, STEP, STOP, Q, BLOCK_BYTES, PADDED, C] = range(10).map((i) => 7 + i);
  const [ZV, MASK, C0, C1, T] = range(5).map((i) => 17 + i);
  const [ZH, ZL, V] = [C0, C1, T];
  const hiLo = narrow
    ? [
        ...get(S), ...(s.tag === 8 ? load8x8S(0) : v128Load(0)), ...set(V),
        ...get(DH), ...get(V), ...i32(8), ...I16X8_SHR_S, ...get(ZH), ...I16X8_SUB,
        ...get(V), ...get(MASK), ...V128_AND, ...get(ZL), ...I16X8_LT_S, ...I16X8_ADD, ...v128Store(0),
        ...get(DL), ...get(V), ...get(ZV), ...I16X8_SUB, ...get(MASK), ...V128_AND, ...v128Store(0),
      ]
    : [
        ...centred(s),
        ...get(DH), ...get(C0), ...i32(8), ...I32X4_SHR_S, ...get(C1), ...i32(8), ...I32X4_SHR_S, ...LOW_HALVES, ...v128Store(0),
        ...get(DL), ...get(C0), ...get(MASK), ...V128_AND, ...get(C1), ...get(MASK), ...V128_AND, ...LOW_HALVES, ...v128Store(0),
      ];
  /** Centred int32 lanes of eight values from s into C0 (values 0–3) and C1 (values 4–7). */
  function centred(s: Source): number[] {
    return s.tag === 32
      ? [...get(S), ...v128Load(0), ...get(ZV), ...I32X4_SUB, ...set(C0), ...get(S), ...v128Load(16), ...get(ZV), ...I32X4_SUB, ...set(C1)]
      : [
          ...get(S), ...(s.tag === 8 ? load8x8S(0) : v128Load(0)), ...tee(T),
          ...I32X4_EXTEND_LOW_I16, ...get(ZV), ...I32X4_SUB, ...set(C0),
          ...get(T), ...I32X4_EXTEND_HIGH_I16, ...get(ZV), ...I32X4_SUB, ...set(C1),
        ];
  }
  const scalarLoad = s.tag === 8 ? i32Load8S(0) : s.tag === 16 ? i32Load16S(0) : i32Load(0);
  const code = [
    ...(narrow
      ? [
          ...get(ZERO), ...I16X8_SPLAT, ...set(ZV),
          ...get(ZERO), ...i32(8), ...SHR_S, ...I16X8_SPLAT, ...set(ZH),
          ...get(ZERO), ...i32(255), ...AND, ...I16X8_SPLAT, ...set(ZL),
          ...i32(255), ...I16X8_SPLAT, ...set(MASK),
        ]
      : [...get(ZERO), ...I32X4_SPLAT, ...set(ZV), ...i32(255), ...I32X4_SPLAT, ...set(MASK)]),
    ...get(BLOCK_ROWS), ...i32(16), ...MUL, ...set(STEP),
    ...get(K_STEPS), ...get(STEP), ...MUL, ...set(BLOCK_BYTES),
    ...i32(0), ...set(ROW),
    ...whileLess(ROW, ROWS, [
      ...get(SRC), ...get(ROW), ...get(K), ...MUL, ...i32(s.bytes), ...MUL, ...ADD, ...set(S),
      ...rowStart(DST, [...get(ROW), ...i32(2), ...MUL], BLOCK_ROWS, BLOCK_BYTES), ...set(DH),
      ...rowStart(DST, [...get(ROW), ...i32(2), ...MUL, ...i32(1), ...ADD], BLOCK_ROWS, BLOCK_BYTES), ...set(DL),
      ...get(DH), ...get(K), ...i32(3), ...SHR_S, ...get(STEP), ...MUL, ...ADD, ...set(STOP),
      ...whileLess(DH, STOP, [
        ...hiLo,
        ...get(S), ...i32(8 * s.bytes), ...ADD, ...set(S),
        ...get(DH), ...get(STEP), ...ADD, ...set(DH),
        ...get(DL), ...get(STEP), ...ADD, ...set(DL),
      ]),
      ...get(K), ...i32(7), ...AND, ...IF,
      ...get(DH), ...V128_ZERO, ...v128Store(0),
      ...get(DL), ...V128_ZERO, ...v128Store(0),
      ...i32(0), ...set(Q),
      ...BLOCK, ...LOOP,
      ...get(S), ...get(Q), ...i32(s.bytes), ...MUL, ...ADD, ...scalarLoad, ...get(ZERO), ...SUB, ...set(C),
      ...get(DH), ...get(Q), ...i32(2), ...MUL, ...ADD, ...get(C), ...i32(8), ...SHR_S, ...i32Store16(0),
      ...get(DL), ...get(Q), ...i32(2), ...MUL, ...ADD, ...get(C), ...i32(255), ...AND, ...i32Store16(0),
      ...get(Q), ...i32(1), ...ADD, ...tee(Q), ...get(K), ...i32(7), ...AND, ...LT_U, ...brIf(0),
      ...END, ...END,
      ...END,
      ...get(ROW), ...i32(1), ...ADD, ...set(ROW),
    ]),
    ...get(ROWS), ...i32(2), ...MUL, ...set(ROW),
    ...get(ROW), ...get(BLOCK_ROWS), ...ADD, ...i32(1), ...SUB, ...get(BLOCK_ROWS), ...DIV_U, ...get(BLOCK_ROWS), ...MUL, ...set(PADDED),
    ...zeroRows(ROW, PADDED, DH, STOP, DST, BLOCK_ROWS, BLOCK_BYTES, STEP),
  ];
  return { params: 7, i32Locals: 10, v128Locals: 5, code };
}

/**
 * `bytes8(src, dst, rows, k, kSteps, block, zero)`: row-major [rows, k] int8 at src (staged) as
 * [rows/block][k/16][block][16] uint8 u = v + 128 (the byte's top bit flipped) at dst, the k tail
 * and padding rows zero: `matmulu8`'s A (native/matmul.c). `zero` is not applied here: the kernel's
 * per-column corrections, packed with B, subtract (128 + zero)·Σ b.
 */
function bytesFn(): Fn {
  const [SRC, DST, ROWS, K, K_STEPS, BLOCK_ROWS] = range(6);
  const [ROW, S, D, STEP, STOP, Q, BLOCK_BYTES, PADDED] = range(8).map((i) => 7 + i);
  const FLIP = 15;
  const code = [
    ...i32(0x80), ...I8X16_SPLAT, ...set(FLIP),
    ...get(BLOCK_ROWS), ...i32(16), ...MUL, ...set(STEP),
    ...get(K_STEPS), ...get(STEP), ...MUL, ...set(BLOCK_BYTES),
    ...i32(0), ...set(ROW),
    ...whileLess(ROW, ROWS, [
      ...get(SRC), ...get(ROW), ...get(K), ...MUL, ...ADD, ...set(S),
      ...rowStart(DST, get(ROW), BLOCK_ROWS, BLOCK_BYTES), ...set(D),
      ...get(D), ...get(K), ...i32(4), ...SHR_S, ...get(STEP), ...MUL, ...ADD, ...set(STOP),
      ...whileLess(D, STOP, [
        ...get(D), ...get(S), ...v128Load(0), ...get(FLIP), ...V128_XOR, ...v128Store(0),
        ...get(S), ...i32(16), ...ADD, ...set(S),
        ...get(D), ...get(STEP), ...ADD, ...set(D),
      ]),
      ...get(K), ...i32(15), ...AND, ...IF,
      ...get(D), ...V128_ZERO, ...v128Store(0),
      ...i32(0), ...set(Q),
      ...BLOCK, ...LOOP,
      ...get(D), ...get(Q), ...ADD,
      ...get(S), ...get(Q), ...ADD, ...i32Load8U(0), ...i32(0x80), ...XOR, ...i32Store8(0),
      ...get(Q), ...i32(1), ...ADD, ...tee(Q), ...get(K), ...i32(15), ...AND, ...LT_U, ...brIf(0),
      ...END, ...END,
      ...END,
      ...get(ROW), ...i32(1), ...ADD, ...set(ROW),
    ]),
    ...get(ROWS), ...get(BLOCK_ROWS), ...ADD, ...i32(1), ...SUB, ...get(BLOCK_ROWS), ...DIV_U, ...get(BLOCK_ROWS), ...MUL, ...set(PADDED),
    ...zeroRows(ROW, PADDED, D, STOP, DST, BLOCK_ROWS, BLOCK_BYTES, STEP),
  ];
  return { params: 7, i32Locals: 8, v128Locals: 1, code };
}

/**
 * `narrowB(src, dst, nBlocks, kSteps, offset)`: Bᵀ packed for 4×2 blocks as int16
 * ([n/2][kSteps][2][8], packB with C = 2) rewritten as `matmulu8`'s ([n/2][kSteps/2][2][16] int8,
 * each column block followed by 32 bytes: its two columns' corrections −offset·Σ b, then zeros).
 * The values are weights, int8, so the narrowing is exact; an odd last k-step pairs with zeros.
 */
function narrowFn(): Fn {
  const [SRC, DST, N_BLOCKS, K_STEPS, OFFSET] = range(5);
  const [JB, S, D, T, PAIRS, HALF] = range(6).map((i) => 5 + i);
  const [V0, V1, W0, W1, SUM0, SUM1] = range(6).map((i) => 11 + i);
  /** The int32 sum of the four lanes of a v128 local, on the stack. */
  const laneSum = (v: number) => [...get(v), ...i32x4Lane(0), ...get(v), ...i32x4Lane(1), ...ADD, ...get(v), ...i32x4Lane(2), ...ADD, ...get(v), ...i32x4Lane(3), ...ADD];
  const accumulate = (sum: number, v: number) => [...get(sum), ...get(v), ...I32X4_EXTADD_PAIRWISE_I16X8_S, ...I32X4_ADD, ...set(sum)];
  const code = [
    ...get(K_STEPS), ...i32(1), ...SHR_S, ...set(PAIRS),
    ...get(K_STEPS), ...i32(1), ...AND, ...set(HALF),
    ...i32(0), ...set(JB),
    ...whileLess(JB, N_BLOCKS, [
      ...get(SRC), ...get(JB), ...get(K_STEPS), ...MUL, ...i32(32), ...MUL, ...ADD, ...set(S),
      ...get(DST), ...get(JB), ...get(PAIRS), ...get(HALF), ...ADD, ...i32(32), ...MUL, ...i32(32), ...ADD, ...MUL, ...ADD, ...set(D),
      ...V128_ZERO, ...set(SUM0), ...V128_ZERO, ...set(SUM1),
      ...i32(0), ...set(T),
      ...whileLess(T, PAIRS, [
        ...get(S), ...v128Load(0), ...set(V0), ...get(S), ...v128Load(16), ...set(V1),
        ...get(S), ...v128Load(32), ...set(W0), ...get(S), ...v128Load(48), ...set(W1),
        ...get(D), ...get(V0), ...get(W0), ...I8X16_NARROW_I16X8_S, ...v128Store(0),
        ...get(D), ...get(V1), ...get(W1), ...I8X16_NARROW_I16X8_S, ...v128Store(16),
        ...accumulate(SUM0, V0), ...accumulate(SUM0, W0), ...accumulate(SUM1, V1), ...accumulate(SUM1, W1),
        ...get(S), ...i32(64), ...ADD, ...set(S),
        ...get(D), ...i32(32), ...ADD, ...set(D),
        ...get(T), ...i32(1), ...ADD, ...set(T),
      ]),
      ...get(HALF), ...IF,
      ...get(S), ...v128Load(0), ...set(V0), ...get(S), ...v128Load(16), ...set(V1),
      ...get(D), ...get(V0), ...V128_ZERO, ...I8X16_NARROW_I16X8_S, ...v128Store(0),
      ...get(D), ...get(V1), ...V128_ZERO, ...I8X16_NARROW_I16X8_S, ...v128Store(16),
      ...accumulate(SUM0, V0), ...accumulate(SUM1, V1),
      ...get(D), ...i32(32), ...ADD, ...set(D),
      ...END,
      // The trailer: two corrections, then zeros.
      ...get(D), ...V128_ZERO, ...v128Store(0), ...get(D), ...V128_ZERO, ...v128Store(16),
      ...get(D), ...i32(0), ...get(OFFSET), ...SUB, ...laneSum(SUM0), ...MUL, ...i32Store(0),
      ...get(D), ...i32(0), ...get(OFFSET), ...SUB, ...laneSum(SUM1), ...MUL, ...i32Store(4),
      ...get(JB), ...i32(1), ...ADD, ...set(JB),
    ]),
  ];
  return { params: 5, i32Locals: 6, v128Locals: 6, code };
}

/** Where one tile's code finds its operands: code pushing the source and row stride, and locals. */
interface TileAt {
  src: number[];
  stride: number[];
  dst: number;
  blockBytes: number;
  limit: number;
  /** A scratch i32 local and the first of 16 scratch v128 locals. */
  p: number;
  v0: number;
}

/**
 * One tile for blocks of C columns: eight int8 rows of sixteen columns (`stride` bytes apart)
 * transposed in three rounds of interleaves into sixteen columns of eight values, widened to
 * int16; column g goes to dst + (g / C)·blockBytes + (g % C)·16, only while g < limit when
 * `masked` (the last, partial group of columns). Emitted inline: a call per tile cost more.
 */
function tileCode(C: number, masked: boolean, at: TileAt): number[] {
  const r = range(8).map((i) => at.v0 + i);
  const t = range(8).map((i) => at.v0 + 8 + i);
  const code: number[] = [...at.src, ...set(at.p)];
  for (let i = 0; i < 8; i++) code.push(...get(at.p), ...v128Load(0), ...set(r[i]!), ...(i < 7 ? [...get(at.p), ...at.stride, ...ADD, ...set(at.p)] : []));
  // Round 1 (bytes): t[2i], t[2i+1] = columns 0–7 and 8–15 of rows 2i, 2i+1, interleaved.
  for (let i = 0; i < 4; i++) {
    code.push(...get(r[2 * i]!), ...get(r[2 * i + 1]!), ...interleave(1, false), ...set(t[2 * i]!));
    code.push(...get(r[2 * i]!), ...get(r[2 * i + 1]!), ...interleave(1, true), ...set(t[2 * i + 1]!));
  }
  // Round 2 (pairs): r[4h + c] = columns 4c..4c+3 of rows 4h..4h+3.
  for (let h = 0; h < 2; h++) {
    const [a, b] = [t[4 * h]!, t[4 * h + 2]!];
    const [a2, b2] = [t[4 * h + 1]!, t[4 * h + 3]!];
    code.push(...get(a), ...get(b), ...interleave(2, false), ...set(r[4 * h]!));
    code.push(...get(a), ...get(b), ...interleave(2, true), ...set(r[4 * h + 1]!));
    code.push(...get(a2), ...get(b2), ...interleave(2, false), ...set(r[4 * h + 2]!));
    code.push(...get(a2), ...get(b2), ...interleave(2, true), ...set(r[4 * h + 3]!));
  }
  // Round 3 (quads): t[2c], t[2c+1] = columns 4c, 4c+1 and 4c+2, 4c+3, eight rows each.
  for (let c = 0; c < 4; c++) {
    code.push(...get(r[c]!), ...get(r[4 + c]!), ...interleave(4, false), ...set(t[2 * c]!));
    code.push(...get(r[c]!), ...get(r[4 + c]!), ...interleave(4, true), ...set(t[2 * c + 1]!));
  }
  code.push(...get(at.dst), ...set(at.p));
  for (let g = 0; g < 16; g++) {
    if (g > 0 && g % C === 0) code.push(...get(at.p), ...get(at.blockBytes), ...ADD, ...set(at.p));
    const store = [...get(at.p), ...get(t[g >> 1]!), ...(g % 2 === 0 ? I16X8_EXTEND_LOW_I8 : I16X8_EXTEND_HIGH_I8), ...v128Store((g % C) * 16)];
    code.push(...(masked ? [...get(at.limit), ...i32(g), ...GT_U, ...IF, ...store, ...END] : store));
  }
  return code;
}

/**
 * `cols(src, dst, k, n, kSteps, tmp)` for blocks of C columns: B [k, n] int8 (staged at src) as
 * [n/C][k/8][C][8] int16 at dst, zero padded (packB without transB). One group of 16 columns at a
 * time, down all of k, so each block of C columns is written in order; whole 8×16 tiles are read in
 * place, the tiles at the k and n edges are first copied into a zeroed 128-byte tile at tmp.
 */
function colsFn(C: number): Fn {
  const [SRC, DST, K, N, K_STEPS, TMP] = range(6);
  const [BLOCK_BYTES, ROW_STEP, G, GROUPS, ROWP, D, STOP, LIMIT, HAVE_ROWS, HAVE_COLS, I, J, P] = range(13).map((i) => 6 + i);
  const tile = (fromTmp: boolean) =>
    tileCode(C, fromTmp, { src: get(fromTmp ? TMP : ROWP), stride: fromTmp ? i32(16) : get(N), dst: D, blockBytes: BLOCK_BYTES, limit: LIMIT, p: P, v0: 19 });
  /** tmp ← rows [0, haveRows) × columns [0, haveCols) of the tile at rowp (stride n), zeros elsewhere. */
  const fillTmp = [
    ...range(8).flatMap((q) => [...get(TMP), ...V128_ZERO, ...v128Store(q * 16)]),
    ...i32(0), ...set(I),
    ...whileLess(I, HAVE_ROWS, [
      ...i32(0), ...set(J),
      ...whileLess(J, HAVE_COLS, [
        ...get(TMP), ...get(I), ...i32(16), ...MUL, ...ADD, ...get(J), ...ADD,
        ...get(ROWP), ...get(I), ...get(N), ...MUL, ...ADD, ...get(J), ...ADD, ...i32Load8S(0), ...i32Store8(0),
        ...get(J), ...i32(1), ...ADD, ...set(J),
      ]),
      ...get(I), ...i32(1), ...ADD, ...set(I),
    ]),
  ];
  const next = [...get(ROWP), ...get(ROW_STEP), ...ADD, ...set(ROWP), ...get(D), ...i32(C * 16), ...ADD, ...set(D)];
  /** The column group starting at rowp, written from d: whole k-steps, then the k tail. */
  const group = (whole: boolean) => [
    ...get(D), ...get(K), ...i32(3), ...SHR_S, ...i32(C * 16), ...MUL, ...ADD, ...set(STOP),
    ...i32(8), ...set(HAVE_ROWS),
    ...whileLess(D, STOP, [
      ...(whole
        ? tile(false)
        : [...fillTmp, ...tile(true)]),
      ...next,
    ]),
    ...get(K), ...i32(7), ...AND, ...IF,
    ...get(K), ...i32(7), ...AND, ...set(HAVE_ROWS),
    ...fillTmp, ...tile(true),
    ...END,
  ];
  const code = [
    ...get(K_STEPS), ...i32(C * 16), ...MUL, ...set(BLOCK_BYTES),
    ...get(N), ...i32(8), ...MUL, ...set(ROW_STEP),
    ...get(N), ...i32(4), ...SHR_S, ...set(GROUPS),
    ...i32(16), ...set(HAVE_COLS),
    ...i32(16), ...set(LIMIT),
    ...i32(0), ...set(G),
    ...whileLess(G, GROUPS, [
      ...get(SRC), ...get(G), ...i32(16), ...MUL, ...ADD, ...set(ROWP),
      ...get(DST), ...get(G), ...get(BLOCK_BYTES), ...i32(16 / C), ...MUL, ...MUL, ...ADD, ...set(D),
      ...group(true),
      ...get(G), ...i32(1), ...ADD, ...set(G),
    ]),
    ...get(N), ...i32(15), ...AND, ...IF,
    ...get(N), ...i32(15), ...AND, ...set(HAVE_COLS),
    // Columns up to the end of the last block of C are written (the zeros of the padding columns).
    ...get(HAVE_COLS), ...i32(C - 1), ...ADD, ...i32(C), ...DIV_U, ...i32(C), ...MUL, ...set(LIMIT),
    ...get(SRC), ...get(GROUPS), ...i32(16), ...MUL, ...ADD, ...set(ROWP),
    ...get(DST), ...get(GROUPS), ...get(BLOCK_BYTES), ...i32(16 / C), ...MUL, ...MUL, ...ADD, ...set(D),
    ...group(false),
    ...END,
  ];
  return { params: 6, i32Locals: 13, v128Locals: 16, code };
}

/** An export name and how to build its function (built only when the module's bytes are made). */
interface ModuleFn {
  name: string;
  build: () => Fn;
}

function moduleFunctions(): ModuleFn[] {
  const fns: ModuleFn[] = [];
  for (const s of SOURCES) fns.push({ name: `rows${s.tag}`, build: () => rowsFn(s) });
  for (const s of SOURCES) fns.push({ name: `split${s.tag}`, build: () => splitFn(s, false) });
  for (const s of SOURCES.filter((x) => x.tag !== 32)) fns.push({ name: `splitNarrow${s.tag}`, build: () => splitFn(s, true) });
  fns.push({ name: "bytes8", build: bytesFn });
  fns.push({ name: "narrowB", build: narrowFn });
  for (const C of PACK_B_BLOCKS) fns.push({ name: `cols${C}`, build: () => colsFn(C) });
  return fns;
}

/**
 * The packer module's bytes. It defines no memory: it imports `env.memory`, shared (of at most
 * 65536 pages, any shared memory fits) when `shared`, else unshared, the kernel instance's own.
 */
export function matmulPackWasmBytes(shared: boolean): Uint8Array {
  const fns = moduleFunctions().map((f) => ({ name: f.name, fn: f.build() }));
  const arities = [...new Set(fns.map((f) => f.fn.params))];
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const types = section(1, vec(arities.map((p) => [0x60, ...uleb(p), ...new Array<number>(p).fill(I32), 0x00])));
  const limits = shared ? [0x03, ...uleb(0), ...uleb(65536)] : [0x00, ...uleb(0)];
  const imports = section(2, vec([[...name("env"), ...name("memory"), 0x02, ...limits]]));
  const functions = section(3, vec(fns.map((f) => uleb(arities.indexOf(f.fn.params)))));
  const exports = section(7, vec(fns.map((f, i) => [...name(f.name), 0x00, ...uleb(i)])));
  const code = section(10, vec(fns.map((f) => body(f.fn))));
  return new Uint8Array([...header, ...types, ...imports, ...functions, ...exports, ...code]);
}

const align16 = (bytes: number) => Math.ceil(bytes / 16) * 16;

/**
 * The exports that pack rows, in a fixed order (the worker threads index them the same way): each
 * `(stagePtr, dstPtr, rows, k, kSteps, block, zero)` packs staged rows at stagePtr.
 */
export const ROW_PACKERS: readonly string[] = moduleFunctions().map((f) => f.name).filter((n) => n.startsWith("rows") || n.startsWith("split") || n.startsWith("bytes"));

/**
 * The export that packs rows of `src` minus `zero`, split into bytes when `split` is 2; with
 * `bytes`, int8 rows as the `matmulu8` kernel's uint8 (bytes8, `zero` left to the kernel).
 */
export function rowPackerName(src: IntArray, split: 1 | 2, zero: number, bytes = false): string {
  if (bytes) {
    if (!(src instanceof Int8Array) || split !== 1) throw new RangeError("bytes8 packs int8 rows, unsplit");
    return "bytes8";
  }
  const bits = src.BYTES_PER_ELEMENT * 8;
  if (split === 1) return `rows${bits}`;
  // |v − zero| < 2^31 for every int8/int16 v: the int16-lane form gives the same bits.
  const narrow = !(src instanceof Int32Array) && Math.abs(zero) <= 2 ** 31 - 2 ** 16;
  return `${narrow ? "splitNarrow" : "split"}${bits}`;
}

const compiledShared: { module?: object } = {};

/** The packer module compiled for a shared memory (what the worker threads instantiate). */
export function matmulPackSharedModule(): object {
  return (compiledShared.module ??= new (wasmApi()!.Module)(matmulPackWasmBytes(true)));
}

/**
 * Sources are staged and packed in bands of about `bandBytes`, so the staged copy is still in
 * cache when it is packed and the staging area stays small (tests lower it to cross many bands).
 */
export const packStaging = { bandBytes: 128 * 1024 };

/** Rows per band: a multiple of `block`, so a band starts at a block boundary of the layout (of kernel rows 2r too, for split). */
function bandRows(k: number, bytesPerElement: number, block: number): number {
  return Math.max(1, Math.floor(packStaging.bandBytes / (k * bytesPerElement * block))) * block;
}

/** k-steps per band of B [k, n]. */
function bandSteps(n: number): number {
  return Math.max(1, Math.floor(packStaging.bandBytes / (8 * n)));
}

/** Staging bytes packRows and packRowsSplit need for `rows` rows of `src` packed for `block`-row blocks. */
export function rowsStageBytes(rows: number, k: number, src: IntArray, block: number): number {
  return align16(Math.min(rows, bandRows(k, src.BYTES_PER_ELEMENT, block)) * k * src.BYTES_PER_ELEMENT);
}

/** Staging bytes packB needs: a band of B, plus a 128-byte edge tile when not transB. */
export function bStageBytes(k: number, n: number, transB: boolean, C: number): number {
  return transB ? rowsStageBytes(n, k, new Int8Array(0), C) : align16(Math.min(k, 8 * bandSteps(n)) * n) + 128;
}

/**
 * Packers on one kernel memory. Every method copies its source, a band at a time, to `stagePtr`
 * (16-aligned, with rowsStageBytes / bStageBytes bytes reserved by the caller, the memory already
 * grown to cover it and the packed destination) and packs to `dstPtr`; none grows the memory, so
 * the caller's views of it stay valid.
 */
export class MatmulPackers {
  private readonly fns: Record<string, PackFn>;
  /** Stages sources with the native addon's copy when set (the native kernel's calls), else with a typed array's `set`. */
  copy: NativeCopy | undefined;

  /** Throws where WebAssembly is unavailable (matmulPackers returns null instead). */
  constructor(private readonly memory: PackMemory) {
    const api = wasmApi();
    if (api === undefined) throw new Error("no WebAssembly");
    const shared = typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
    const module = shared ? matmulPackSharedModule() : new api.Module(matmulPackWasmBytes(false));
    this.fns = new api.Instance(module, { env: { memory } }).exports as Record<string, PackFn>;
  }

  /** packRows: rows [first, first + rows) of a row-major [·, k] array at offset, minus zero, as [rows/block][k/8][block][8] int16. */
  packRows(dstPtr: number, src: IntArray, offset: number, first: number, rows: number, k: number, kSteps: number, block: number, zero: number, stagePtr: number): void {
    this.byBands(rowPackerName(src, 1, zero), 1, dstPtr, src, offset, first, rows, k, kSteps, block, zero, stagePtr);
  }

  /** packRowsBytes: rows of int8 as [rows/block][k/16][block][16] uint8 v + 128 (`matmulu8`'s A; k-steps of 16). */
  packRowsBytes(dstPtr: number, src: Int8Array, offset: number, first: number, rows: number, k: number, kSteps: number, block: number, stagePtr: number): void {
    this.byBands("bytes8", 1, dstPtr, src, offset, first, rows, k, kSteps, block, 0, stagePtr);
  }

  /**
   * `matmulu8`'s Bᵀ at dstPtr from Bᵀ packed as int16 for 4×2 blocks at srcPtr (packB, C = 2,
   * kSteps of 8): int8 k-steps of 16, each column block followed by its corrections −offset·Σ b.
   */
  narrowB(srcPtr: number, dstPtr: number, nBlocks: number, kSteps: number, offset: number): void {
    this.fns["narrowB"]!(srcPtr, dstPtr, nBlocks, kSteps, offset);
  }

  /** packRowsSplit: like packRows, source row r becoming kernel rows 2r (c >> 8) and 2r + 1 (c & 255) of c = value − zero. */
  packRowsSplit(dstPtr: number, src: IntArray, offset: number, first: number, rows: number, k: number, kSteps: number, block: number, zero: number, stagePtr: number): void {
    this.byBands(rowPackerName(src, 2, zero), 2, dstPtr, src, offset, first, rows, k, kSteps, block, zero, stagePtr);
  }

  /** The row packers in ROW_PACKERS order. */
  rowPackers(): PackFn[] {
    return ROW_PACKERS.map((n) => this.fns[n]!);
  }

  /** Rows [first, first + rows) of a row-major [·, k] array, copied as they are to stagePtr in one native copy. */
  stageRows(src: IntArray, offset: number, first: number, rows: number, k: number, stagePtr: number): void {
    this.stage(src, offset + first * k, rows * k, stagePtr);
  }

  /** packB: Bᵀ as [n/C][k/8][C][8] int16 from B [k, n] or (transB) [n, k] int8 at bOffset; C one of PACK_B_BLOCKS. */
  packB(dstPtr: number, b: Int8Array, bOffset: number, transB: boolean, k: number, n: number, kSteps: number, C: number, stagePtr: number): void {
    if (transB) return this.packRows(dstPtr, b, bOffset, 0, n, k, kSteps, C, 0, stagePtr);
    const cols = this.fns[`cols${C}`];
    if (cols === undefined) throw new RangeError(`packB: column blocks of ${C} are not one of ${PACK_B_BLOCKS.join(", ")}`);
    const steps = bandSteps(n);
    const tmp = stagePtr + align16(Math.min(k, 8 * steps) * n);
    // A band of k-steps [ks, ks + steps) lands at its offset inside every column block.
    for (let ks = 0; ks < kSteps; ks += steps) {
      const kBand = Math.min(k - ks * 8, steps * 8);
      this.stage(b, bOffset + ks * 8 * n, kBand * n, stagePtr);
      cols(stagePtr, dstPtr + ks * C * 16, kBand, n, kSteps, tmp);
    }
  }

  /** Rows in bands of whole blocks: band rows [r, r + count) start at kernel row r·split of the layout. */
  private byBands(fn: string, split: number, dstPtr: number, src: IntArray, offset: number, first: number, rows: number, k: number, kSteps: number, block: number, zero: number, stagePtr: number): void {
    const pack = this.fns[fn]!;
    const band = bandRows(k, src.BYTES_PER_ELEMENT, block);
    const blockBytes = kSteps * block * 16;
    for (let r = 0; r < rows; r += band) {
      const count = Math.min(band, rows - r);
      this.stage(src, offset + (first + r) * k, count * k, stagePtr);
      pack(stagePtr, dstPtr + ((r * split) / block) * blockBytes, count, k, kSteps, block, zero);
    }
  }

  /** One copy of src[from, from + count) to stagePtr. */
  private stage(src: IntArray, from: number, count: number, stagePtr: number): void {
    const width = src.BYTES_PER_ELEMENT;
    if (this.copy !== undefined) return this.copy(new Int8Array(this.memory.buffer, stagePtr, count * width), 0, src, from * width, count * width);
    const buffer = this.memory.buffer;
    if (src instanceof Int8Array) new Int8Array(buffer, stagePtr, count).set(src.subarray(from, from + count));
    else if (src instanceof Int16Array) new Int16Array(buffer, stagePtr, count).set(src.subarray(from, from + count));
    else new Int32Array(buffer, stagePtr, count).set(src.subarray(from, from + count));
  }
}

const packersByMemory = new WeakMap<object, MatmulPackers>();

/** The packers instantiated on `memory` (once per memory object), or null where WebAssembly is unavailable. */
export function matmulPackers(memory: PackMemory): MatmulPackers | null {
  if (wasmApi() === undefined) return null;
  let p = packersByMemory.get(memory);
  if (p === undefined) packersByMemory.set(memory, (p = new MatmulPackers(memory)));
  return p;
}
