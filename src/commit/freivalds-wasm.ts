// WASM SIMD128 row sums for freivaldsMatmul (freivalds.ts), assembled byte by byte like the matmul
// kernels (src/engine/kernels/matmul-wasm-module.ts). Each kernel takes the dot product of every
// row of X with one vector y in 64-bit integer lanes (i64x2.extmul / i64x2.mul: exact, no
// floats), reduces it mod p with i64.rem_s and stores it as an i64: rows × steps·E elements, the
// last len mod E elements of a row left to the caller. Terms are below 2^48 (|A| ≤ 2^15 times
// B·r < p, or |ACC| ≤ 2^31 times r < 2^16), so a row shorter than 2^15, which the caller checks,
// sums below 2^63.
import { FREIVALDS_PRIME } from "./freivalds.ts";

/** Kernels in export order: X's element type × y's, and elements per step. */
export const ROW_KERNELS = {
  /** int8 X (B) · int32 y (r). */
  i8xi32: { index: 0, elements: 8 },
  /** int8 X (A) · int64 y (B·r). */
  i8xi64: { index: 1, elements: 8 },
  /** int16 X (A) · int64 y (B·r). */
  i16xi64: { index: 2, elements: 4 },
  /** int32 X (ACC) · int32 y (r). */
  i32xi32: { index: 3, elements: 4 },
} as const;

function uleb(v: number): number[] {
  const out: number[] = [];
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}
/** Signed LEB128 of a safe integer (i64.const of p needs more than 32 bits). */
function sleb(v: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = ((v % 128) + 128) % 128;
    v = Math.floor(v / 128);
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (s: string): number[] => [...uleb(s.length), ...[...s].map((c) => c.charCodeAt(0))];

const I32 = 0x7f;
const V128 = 0x7b;
const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
const i32 = (v: number) => [0x41, ...sleb(v)];
const simd = (op: number) => [0xfd, ...uleb(op)];
const ADD = [0x6a];
const MUL = [0x6c];
const GE_U = [0x4f];
const BLOCK = [0x02, 0x40];
const LOOP = [0x03, 0x40];
const END = [0x0b];
const br = (d: number) => [0x0c, d];
const brIf = (d: number) => [0x0d, d];
const V128_ZERO = [...simd(0x0c), ...new Array<number>(16).fill(0)];
const LOAD = (ptr: number, offset: number) => [...get(ptr), ...simd(0x00), 0x00, ...uleb(offset)];
const LOAD8X8_S = (ptr: number) => [...get(ptr), ...simd(0x01), 0x00, 0x00];
const LOAD16X4_S = (ptr: number) => [...get(ptr), ...simd(0x03), 0x00, 0x00];
const I32X4_EXTEND_LOW_I16X8_S = simd(0xa7);
const I32X4_EXTEND_HIGH_I16X8_S = simd(0xa8);
const I64X2_EXTEND_LOW_I32X4_S = simd(0xc7);
const I64X2_EXTEND_HIGH_I32X4_S = simd(0xc8);
const I64X2_ADD = simd(0xce);
const I64X2_MUL = simd(0xd5);
const I64X2_EXTMUL_LOW_I32X4_S = simd(0xdc);
const I64X2_EXTMUL_HIGH_I32X4_S = simd(0xdd);
const lane64 = (l: number) => [...simd(0x1d), l];

// Parameters: 0 xPtr, 1 yPtr, 2 rows, 3 steps, 4 xRowBytes, 5 outPtr. Locals: 6 row, 7 px, 8 py,
// 9 end (i32); 10 acc0, 11 acc1, 12 x (v128).
const [X_PTR, Y_PTR, ROWS, STEPS, X_ROW, OUT_PTR, ROW, PX, PY, END_PTR, ACC0, ACC1, X] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
const addTo = (accLocal: number, product: number[]) => [...get(accLocal), ...product, ...I64X2_ADD, ...set(accLocal)];

/** One step of each kernel, and its X and y strides in bytes. */
const STEPS_OF: { step: number[]; xBytes: number; yBytes: number }[] = [
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
    // 8 int8 → four i64x2, times 8 int64 of y.
    step: [
      ...LOAD8X8_S(PX), ...set(X),
      ...addTo(ACC0, [...get(X), ...I32X4_EXTEND_LOW_I16X8_S, ...I64X2_EXTEND_LOW_I32X4_S, ...LOAD(PY, 0), ...I64X2_MUL]),
      ...addTo(ACC1, [...get(X), ...I32X4_EXTEND_LOW_I16X8_S, ...I64X2_EXTEND_HIGH_I32X4_S, ...LOAD(PY, 16), ...I64X2_MUL]),
      ...addTo(ACC0, [...get(X), ...I32X4_EXTEND_HIGH_I16X8_S, ...I64X2_EXTEND_LOW_I32X4_S, ...LOAD(PY, 32), ...I64X2_MUL]),
      ...addTo(ACC1, [...get(X), ...I32X4_EXTEND_HIGH_I16X8_S, ...I64X2_EXTEND_HIGH_I32X4_S, ...LOAD(PY, 48), ...I64X2_MUL]),
    ],
    xBytes: 8,
    yBytes: 64,
  },
  {
    // 4 int16 → two i64x2, times 4 int64 of y.
    step: [
      ...LOAD16X4_S(PX), ...set(X),
      ...addTo(ACC0, [...get(X), ...I64X2_EXTEND_LOW_I32X4_S, ...LOAD(PY, 0), ...I64X2_MUL]),
      ...addTo(ACC1, [...get(X), ...I64X2_EXTEND_HIGH_I32X4_S, ...LOAD(PY, 16), ...I64X2_MUL]),
    ],
    xBytes: 8,
    yBytes: 32,
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

function kernelBody(k: { step: number[]; xBytes: number; yBytes: number }): number[] {
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
    // out[row] = (sum of the four lanes) rem p, an i64 in (−p, p).
    ...get(OUT_PTR), ...get(ROW), ...i32(8), ...MUL, ...ADD,
    ...get(ACC0), ...lane64(0), ...get(ACC0), ...lane64(1), 0x7c, ...get(ACC1), ...lane64(0), 0x7c, ...get(ACC1), ...lane64(1), 0x7c,
    0x42, ...sleb(FREIVALDS_PRIME), 0x81,
    0x37, 0x03, 0x00,
    ...get(ROW), ...i32(1), ...ADD, ...set(ROW),
    ...br(0), ...END, ...END,
    ...END,
  ];
  const fn = [...vec([[...uleb(4), I32], [...uleb(3), V128]]), ...code];
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
  const have = w.memory.buffer.byteLength;
  if (bytes > have) w.memory.grow(Math.ceil((bytes - have) / 65536));
  return w.memory.buffer;
}
