// WASM SIMD128 row sums for freivaldsMatmul (freivalds.ts), assembled byte by byte like the matmul
// kernels (src/engine/kernels/matmul-wasm-module.ts). Each kernel takes the dot product of every
// row of X with one vector y in 64-bit integer lanes (i64x2.extmul_*_i32x4_s: exact, no floats),
// reduces it mod p with i64.rem_s and stores it as an i64: rows × steps·E elements, the last
// len mod E elements of a row left to the caller. B·r (below p) comes in 16-bit halves (high
// ≤ 2^16), so every product is below 2^47 (|ACC| ≤ 2^31 times r < 2^16) and a row shorter than
// 2^15, which the caller checks, sums below 2^63 (the high half's sum times 2^16 included).
import { FREIVALDS_PRIME } from "./freivalds.ts";
import { ADD, BLOCK, END, GE_U, I32, LOOP, MUL, V128, V128_ZERO, br, brIf, get, growMemoryTo, i32, name, section, set, simd, sleb, uleb, vec } from "../engine/kernels/wasm-asm.ts";

/** Kernels in export order: X's element type × y's, and elements per step. */
export const ROW_KERNELS = {
  /** int8 X (B) · int32 y (r). */
  i8xi32: { index: 0, elements: 8 },
  /** int8 X (A) · y (B·r) in 16-bit halves: per 4 values, 4 int32 high halves then 4 low halves. */
  i8xi64: { index: 1, elements: 8 },
  /** int16 X (A) · y (B·r) in 16-bit halves, as for i8xi64. */
  i16xi64: { index: 2, elements: 4 },
  /** int32 X (ACC) · int32 y (r). */
  i32xi32: { index: 3, elements: 4 },
} as const;

const LOAD = (ptr: number, offset: number) => [...get(ptr), ...simd(0x00), 0x00, ...uleb(offset)];
const LOAD8X8_S = (ptr: number) => [...get(ptr), ...simd(0x01), 0x00, 0x00];
const LOAD16X4_S = (ptr: number) => [...get(ptr), ...simd(0x03), 0x00, 0x00];
const I32X4_EXTEND_LOW_I16X8_S = simd(0xa7);
const I32X4_EXTEND_HIGH_I16X8_S = simd(0xa8);
const I64X2_ADD = simd(0xce);
const I64X2_EXTMUL_LOW_I32X4_S = simd(0xdc);
const I64X2_EXTMUL_HIGH_I32X4_S = simd(0xdd);
const lane64 = (l: number) => [...simd(0x1d), l];

// Parameters: 0 xPtr, 1 yPtr, 2 rows, 3 steps, 4 xRowBytes, 5 outPtr. Locals: 6 row, 7 px, 8 py,
// 9 end (i32); 10 acc0, 11 acc1, 12 x, 13 x32 (v128).
const [X_PTR, Y_PTR, ROWS, STEPS, X_ROW, OUT_PTR, ROW, PX, PY, END_PTR, ACC0, ACC1, X, X32] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
const addTo = (accLocal: number, product: number[]) => [...get(accLocal), ...product, ...I64X2_ADD, ...set(accLocal)];
/**
 * X32 (4 int32 of X) times 4 values of y stored as their high halves (i32x4 at `offset`) then low
 * halves (at offset + 16): four i32 → i64 extended multiplies instead of two emulated i64x2.mul.
 */
const halvesTimes = (offset: number) => [
  ...addTo(ACC0, [...get(X32), ...LOAD(PY, offset), ...I64X2_EXTMUL_LOW_I32X4_S]),
  ...addTo(ACC0, [...get(X32), ...LOAD(PY, offset), ...I64X2_EXTMUL_HIGH_I32X4_S]),
  ...addTo(ACC1, [...get(X32), ...LOAD(PY, offset + 16), ...I64X2_EXTMUL_LOW_I32X4_S]),
  ...addTo(ACC1, [...get(X32), ...LOAD(PY, offset + 16), ...I64X2_EXTMUL_HIGH_I32X4_S]),
];

/** One step of each kernel, and its X and y strides in bytes. */
interface KernelSteps {
  step: number[];
  xBytes: number;
  yBytes: number;
  /** y holds 16-bit halves: the row sum is (acc0's lanes) · 2^16 + (acc1's lanes). */
  halves?: boolean;
}
const STEPS_OF: KernelSteps[] = [
  {
    // 8 int8 → two i32x4, each times 4 int32 of y into two i64x2 products.
    step: [
      ...LOAD8X8_S(PX), ...set(X),
      ...addTo(ACC0, [...get(X), ...I32X4_EXTEND_LOW_I16X8_S, ...LOAD(PY, 0), ...I64X2_EXTMUL_LOW_I32X4_S]),
      ...addTo(ACC1, [...get(X), ...I32X4_EXTEND_LOW_I16X8_S, ...LOAD(PY, 0), ...I64X2_EXTMUL_HIGH_I32X4_S]),
      ...addTo(ACC0, [...get(X), ...I32X4_EXTEND_HIGH_I16X8_S, ...LOAD(PY, 16), ...I64X2_EXTMUL_LOW_I32X4_S]),
      ...addTo(ACC1, [...get(X), ...I32X4_EXTEND_HIGH_I16X8_S, ...LOAD(PY, 16), ...I64X2_EXTMUL_HIGH_I32X4_S]),
    ],
    xBytes: 8,
    yBytes: 32,
  },
  {
    // 8 int8 → two i32x4, each times the 16-bit halves of 4 values of y (acc0: high, acc1: low).
    step: [
      ...LOAD8X8_S(PX), ...set(X),
      ...get(X), ...I32X4_EXTEND_LOW_I16X8_S, ...set(X32), ...halvesTimes(0),
      ...get(X), ...I32X4_EXTEND_HIGH_I16X8_S, ...set(X32), ...halvesTimes(32),
    ],
    xBytes: 8,
    yBytes: 64,
    halves: true,
  },
  {
    // 4 int16 → one i32x4, times the 16-bit halves of 4 values of y.
    step: [...LOAD16X4_S(PX), ...set(X32), ...halvesTimes(0)],
    xBytes: 8,
    yBytes: 32,
    halves: true,
  },
  {
    // 4 int32 times 4 int32 into two i64x2.
    step: [
      ...LOAD(PX, 0), ...set(X),
      ...addTo(ACC0, [...get(X), ...LOAD(PY, 0), ...I64X2_EXTMUL_LOW_I32X4_S]),
      ...addTo(ACC1, [...get(X), ...LOAD(PY, 0), ...I64X2_EXTMUL_HIGH_I32X4_S]),
    ],
    xBytes: 16,
    yBytes: 16,
  },
];

function kernelBody(k: KernelSteps): number[] {
  const code = [
    ...i32(0), ...set(ROW),
    ...BLOCK, ...LOOP, // rows
    ...get(ROW), ...get(ROWS), ...GE_U, ...brIf(1),
    ...get(X_PTR), ...get(ROW), ...get(X_ROW), ...MUL, ...ADD, ...set(PX),
    ...get(Y_PTR), ...set(PY),
    ...get(PX), ...get(STEPS), ...i32(k.xBytes), ...MUL, ...ADD, ...set(END_PTR),
    ...V128_ZERO, ...set(ACC0), ...V128_ZERO, ...set(ACC1),
    ...BLOCK, ...LOOP, // steps of one row
    ...get(PX), ...get(END_PTR), ...GE_U, ...brIf(1),
    ...k.step,
    ...get(PX), ...i32(k.xBytes), ...ADD, ...set(PX),
    ...get(PY), ...i32(k.yBytes), ...ADD, ...set(PY),
    ...br(0), ...END, ...END,
    // out[row] = (sum of the four lanes, or acc0's · 2^16 + acc1's) rem p, an i64 in (−p, p).
    ...get(OUT_PTR), ...get(ROW), ...i32(8), ...MUL, ...ADD,
    ...get(ACC0), ...lane64(0), ...get(ACC0), ...lane64(1), 0x7c,
    ...(k.halves ? [0x42, ...sleb(16), 0x86] : []),
    ...get(ACC1), ...lane64(0), 0x7c, ...get(ACC1), ...lane64(1), 0x7c,
    0x42, ...sleb(FREIVALDS_PRIME), 0x81,
    0x37, 0x03, 0x00,
    ...get(ROW), ...i32(1), ...ADD, ...set(ROW),
    ...br(0), ...END, ...END,
    ...END,
  ];
  const fn = [...vec([[...uleb(4), I32], [...uleb(4), V128]]), ...code];
  return [...uleb(fn.length), ...fn];
}

/** The module: one exported memory and the four kernels `(xPtr, yPtr, rows, steps, xRowBytes, outPtr)`. */
export function freivaldsWasmBytes(): Uint8Array {
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const types = section(1, vec([[0x60, ...uleb(6), I32, I32, I32, I32, I32, I32, 0x00]]));
  const functions = section(3, vec(STEPS_OF.map(() => [0x00])));
  const memory = section(5, vec([[0x00, 0x01]]));
  const kernelNames = Object.keys(ROW_KERNELS);
  const exports = section(7, vec([[...name("memory"), 0x02, 0x00], ...kernelNames.map((kn, i) => [...name(kn), 0x00, ...uleb(i)])]));
  const code = section(10, vec(STEPS_OF.map(kernelBody)));
  return new Uint8Array([...header, ...types, ...functions, ...memory, ...exports, ...code]);
}

/** The slice of the WebAssembly global used here (tsconfig's lib has no WebAssembly types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}
type RowKernel = (xPtr: number, yPtr: number, rows: number, steps: number, xRowBytes: number, outPtr: number) => void;
export interface FreivaldsWasm {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  i8xi32: RowKernel;
  i8xi64: RowKernel;
  i16xi64: RowKernel;
  i32xi32: RowKernel;
}

let instance: FreivaldsWasm | null | undefined;

/** The compiled kernels, or null where WebAssembly SIMD is unavailable (freivaldsMatmul then runs in JS). */
export function freivaldsWasm(): FreivaldsWasm | null {
  if (instance !== undefined) return instance;
  try {
    const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    instance = api ? (new api.Instance(new api.Module(freivaldsWasmBytes())).exports as FreivaldsWasm) : null;
  } catch {
    instance = null;
  }
  return instance;
}

/** Grows the memory to at least `bytes` and returns its buffer. */
export function freivaldsWasmMemory(w: FreivaldsWasm, bytes: number): ArrayBuffer {
  return growMemoryTo(w.memory, bytes);
}
