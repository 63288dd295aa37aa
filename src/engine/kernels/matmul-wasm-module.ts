// The WASM SIMD128 matmul kernels, assembled here byte by byte (no external compiler): int16 rows of
// A and Bᵀ, R×C output blocks, i32x4.dot_i16x8_s over 8 k-values per step. One generator makes both
// exported kernels: `matmul` (4×2 blocks, for M ≥ 4) and `matvec` (1×4 blocks, for the M < 4 of a
// decode step, where 4-row blocks would spend 3/4 of their work on padding rows); the operands are
// packed into their int16 layout by matmul-pack-wasm.ts. Integer SIMD (not the relaxed set) is
// bit-exact on every engine. Why not relaxed SIMD nor larger blocks: docs/performance.md#the-int8-matmul-kernel.
import { ADD, BLOCK, END, GE_U, I32, LOOP, MUL, V128, V128_ZERO, blockLoopsTail, br, brIf, get, i32, name, section, set, uleb, vec } from "./wasm-asm.ts";

/** Output block of each exported kernel, in export order (the worker threads index kernels the same way). */
export const KERNEL_BLOCKS = [
  { name: "matmul", rows: 4, cols: 2 },
  { name: "matvec", rows: 1, cols: 4 },
] as const;
export const MATMUL_KERNEL = 0;
export const MATVEC_KERNEL = 1;

const I32X4_ADD = [0xfd, ...uleb(0xae)];
const I32X4_DOT_I16X8_S = [0xfd, ...uleb(0xba)];
const lane = (l: number) => [0xfd, 0x1b, l];
/** i8x16.shuffle picking 32-bit lanes (0–3 of the first operand, 4–7 of the second). */
const shuffle32 = (lanes: number[]) => [0xfd, 0x0d, ...lanes.flatMap((l) => [l * 4, l * 4 + 1, l * 4 + 2, l * 4 + 3])];

// Operands are packed block-interleaved so the inner loop walks two pointers with constant load
// offsets: A as [m/R][k/8][R][8] int16, Bᵀ as [n/C][k/8][C][8] int16 (zero padded).
// Parameters: 0 aPtr, 1 bPtr, 2 outPtr, 3 mBlocks, 4 nBlocks, 5 kSteps (k/8), 6 outRowBytes.
const [A_PTR, B_PTR, OUT_PTR, M_BLOCKS, N_BLOCKS, K_STEPS, OUT_ROW] = [0, 1, 2, 3, 4, 5, 6];
// i32 locals: 7 ib, 8 jb, 9 pa, 10 pb, 11 end, 12 o, 13 aBlockBytes, 14 bBlockBytes.
const [IB, JB, PA, PB, END_PTR, O, A_BLOCK, B_BLOCK] = [7, 8, 9, 10, 11, 12, 13, 14];
const I32_LOCALS = 8;
const ACC0 = 15;
const load = (ptr: number, offset: number) => [...get(ptr), 0xfd, 0x00, 0x04, ...uleb(offset)];
/** v128.load8x8_s: eight int8 widened to int16 lanes (align 2^0: rows of A start anywhere). */
const storeAt = (offset: number) => [0x36, 0x02, ...uleb(offset)];
const v128StoreAt = (offset: number) => [0xfd, 0x0b, 0x04, ...uleb(offset)];

function horizontalSum(a: number): number[] {
  return [...get(a), ...lane(0), ...get(a), ...lane(1), ...ADD, ...get(a), ...lane(2), ...ADD, ...get(a), ...lane(3), ...ADD];
}

/**
 * The four lane sums of accumulators a0..a3 as one vector [Σa0, Σa1, Σa2, Σa3], left on the stack:
 * two rounds of lane shuffles and adds instead of sixteen lane extractions.
 */
function transposedSum4(a: readonly number[]): number[] {
  // [a0₀+a0₂, a1₀+a1₂, a0₁+a0₃, a1₁+a1₃] for the pair (x, y).
  const pairSum = (x: number, y: number) => [
    ...get(x), ...get(y), ...shuffle32([0, 4, 1, 5]),
    ...get(x), ...get(y), ...shuffle32([2, 6, 3, 7]), ...I32X4_ADD,
  ];
  return [
    ...pairSum(a[0]!, a[1]!), ...set(a[0]!),
    ...pairSum(a[2]!, a[3]!), ...set(a[2]!),
    ...get(a[0]!), ...get(a[2]!), ...shuffle32([0, 1, 4, 5]),
    ...get(a[0]!), ...get(a[2]!), ...shuffle32([2, 3, 6, 7]), ...I32X4_ADD,
  ];
}

/** The kernel function over R×C output blocks: `(aPtr, bPtr, outPtr, mBlocks, nBlocks, kSteps, outRowBytes)`. */
function kernelBody(R: number, C: number): number[] {
  // v128 locals: accumulators (R·C), then the R rows of A and the C columns of B for one k-step.
  const VA0 = ACC0 + R * C;
  const VB0 = VA0 + R;
  const v128Locals = R * C + R + C;
  const acc = (r: number, c: number) => ACC0 + r * C + c;
  const step: number[] = [];
  for (let r = 0; r < R; r++) step.push(...load(PA, r * 16), ...set(VA0 + r));
  for (let c = 0; c < C; c++) step.push(...load(PB, c * 16), ...set(VB0 + c));
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < C; c++) step.push(...get(acc(r, c)), ...get(VA0 + r), ...get(VB0 + c), ...I32X4_DOT_I16X8_S, ...I32X4_ADD, ...set(acc(r, c)));
  }
  const stores: number[] = [];
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < C; c += 4) {
      if (c + 4 <= C) stores.push(...get(O), ...transposedSum4([0, 1, 2, 3].map((q) => acc(r, c + q))), ...v128StoreAt(c * 4));
      else for (let q = c; q < C; q++) stores.push(...get(O), ...horizontalSum(acc(r, q)), ...storeAt(q * 4));
    }
    stores.push(...get(O), ...get(OUT_ROW), ...ADD, ...set(O));
  }
  const code = [
    ...get(K_STEPS), ...i32(R * 16), ...MUL, ...set(A_BLOCK),
    ...get(K_STEPS), ...i32(C * 16), ...MUL, ...set(B_BLOCK),
    ...i32(0), ...set(IB),
    ...LOOP, // blocks of R rows
    ...i32(0), ...set(JB),
    ...LOOP, // blocks of C columns
    ...get(A_PTR), ...get(IB), ...get(A_BLOCK), ...MUL, ...ADD, ...set(PA),
    ...get(B_PTR), ...get(JB), ...get(B_BLOCK), ...MUL, ...ADD, ...set(PB),
    ...get(PA), ...get(A_BLOCK), ...ADD, ...set(END_PTR),
    ...Array.from({ length: R * C }, (_, x) => [...V128_ZERO, ...set(ACC0 + x)]).flat(),
    ...BLOCK, ...LOOP, // one k-step: 8 values of every row and column
    ...get(PA), ...get(END_PTR), ...GE_U, ...brIf(1),
    ...step,
    ...get(PA), ...i32(R * 16), ...ADD, ...set(PA),
    ...get(PB), ...i32(C * 16), ...ADD, ...set(PB),
    ...br(0), ...END, ...END,
    ...blockLoopsTail({ outPtr: OUT_PTR, outRow: OUT_ROW, mBlocks: M_BLOCKS, nBlocks: N_BLOCKS, ib: IB, jb: JB, o: O }, R, C, stores),
    ...END,
  ];
  const locals = vec([[...uleb(I32_LOCALS), I32], [...uleb(v128Locals), V128]]);
  const fn = [...locals, ...code];
  return [...uleb(fn.length), ...fn];
}

/**
 * The module's bytes: one memory (exported) and one function per KERNEL_BLOCKS entry, all typed
 * `(aPtr, bPtr, outPtr, mBlocks, nBlocks, kSteps, outRowBytes)`.
 * With `sharedMaxPages` the memory is not defined but imported as `env.memory`, shared, of at most
 * that many pages: the form the worker threads and the calling thread instantiate on one memory.
 */
export function matmulWasmBytes(sharedMaxPages?: number): Uint8Array {
  const memory =
    sharedMaxPages === undefined
      ? section(5, vec([[0x00, 0x01]]))
      : section(2, vec([[...name("env"), ...name("memory"), 0x02, 0x03, ...uleb(1), ...uleb(sharedMaxPages)]]));
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const types = section(1, vec([[0x60, ...uleb(7), I32, I32, I32, I32, I32, I32, I32, 0x00]]));
  const functions = section(3, vec(KERNEL_BLOCKS.map(() => [0x00])));
  const exports = section(7, vec([[...name("memory"), 0x02, 0x00], ...KERNEL_BLOCKS.map((kb, i) => [...name(kb.name), 0x00, ...uleb(i)])]));
  const code = section(10, vec(KERNEL_BLOCKS.map((kb) => kernelBody(kb.rows, kb.cols))));
  // Sections in the order the binary format requires: type, import, function, memory, export, code.
  return new Uint8Array(
    sharedMaxPages === undefined
      ? [...header, ...types, ...functions, ...memory, ...exports, ...code]
      : [...header, ...types, ...memory, ...functions, ...exports, ...code],
  );
}
