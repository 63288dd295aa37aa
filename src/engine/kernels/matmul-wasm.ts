// WASM SIMD128 matmul kernel, assembled here byte by byte (no external compiler): int16 rows of A
// and Bᵀ, 2×2 output blocks, i32x4.dot_i16x8_s over 8 k-values per step. Integer SIMD (not the
// relaxed set) is bit-exact on every engine. Used only when dtype bounds prove no int32 overflow.
import { saturateInt32 } from "../requant.ts";

/** Unsigned LEB128. */
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

/** Signed LEB128 for small i32 constants. */
function sleb(v: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
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

// Opcodes (WebAssembly core + SIMD proposal, final numbering).
const I32 = 0x7f;
const V128 = 0x7b;
const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
const i32 = (v: number) => [0x41, ...sleb(v)];
const ADD = [0x6a];
const MUL = [0x6c];
const SHL = [0x74];
const LT_U = [0x49];
const GE_U = [0x4f];
const BLOCK = [0x02, 0x40];
const LOOP = [0x03, 0x40];
const END = [0x0b];
const br = (d: number) => [0x0c, d];
const brIf = (d: number) => [0x0d, d];
const I32_STORE = [0x36, 0x02, 0x00];
const V128_LOAD = [0xfd, 0x00, 0x04, 0x00];
const V128_ZERO = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
const I32X4_ADD = [0xfd, ...uleb(0xae)];
const I32X4_DOT_I16X8_S = [0xfd, ...uleb(0xba)];
const lane = (l: number) => [0xfd, 0x1b, l];

// Parameters: 0 aPtr, 1 bPtr, 2 outPtr, 3 m (even), 4 n (even), 5 kPad (multiple of 8).
// Locals: 6 i, 7 j, 8 p, 9 rowBytes, 10 a0, 11 a1, 12 b0, 13 b1, 14 o; 15–18 acc00, acc01, acc10, acc11.
const [A_PTR, B_PTR, OUT_PTR, M, N, K] = [0, 1, 2, 3, 4, 5];
const [I, J, P, ROW, A0, A1, B0, B1, O] = [6, 7, 8, 9, 10, 11, 12, 13, 14];
const ACC = [15, 16, 17, 18];

function horizontalSum(acc: number): number[] {
  return [...get(acc), ...lane(0), ...get(acc), ...lane(1), ...ADD, ...get(acc), ...lane(2), ...ADD, ...get(acc), ...lane(3), ...ADD];
}

function body(): number[] {
  const dotInto = (acc: number, a: number, b: number) => [
    ...get(acc), ...get(a), ...get(P), ...ADD, ...V128_LOAD, ...get(b), ...get(P), ...ADD, ...V128_LOAD,
    ...I32X4_DOT_I16X8_S, ...I32X4_ADD, ...set(acc),
  ];
  const store = (offsetExpr: number[], acc: number) => [...get(O), ...offsetExpr, ...ADD, ...horizontalSum(acc), ...I32_STORE];
  const code = [
    ...get(K), ...i32(1), ...SHL, ...set(ROW),
    ...i32(0), ...set(I),
    ...LOOP, // rows, two at a time
    ...get(A_PTR), ...get(I), ...get(ROW), ...MUL, ...ADD, ...set(A0),
    ...get(A0), ...get(ROW), ...ADD, ...set(A1),
    ...i32(0), ...set(J),
    ...LOOP, // columns, two at a time
    ...get(B_PTR), ...get(J), ...get(ROW), ...MUL, ...ADD, ...set(B0),
    ...get(B0), ...get(ROW), ...ADD, ...set(B1),
    ...ACC.flatMap((a) => [...V128_ZERO, ...set(a)]),
    ...i32(0), ...set(P),
    ...BLOCK, ...LOOP, // k, 8 values (16 bytes) per step
    ...get(P), ...get(ROW), ...GE_U, ...brIf(1),
    ...dotInto(ACC[0]!, A0, B0), ...dotInto(ACC[1]!, A0, B1), ...dotInto(ACC[2]!, A1, B0), ...dotInto(ACC[3]!, A1, B1),
    ...get(P), ...i32(16), ...ADD, ...set(P),
    ...br(0), ...END, ...END,
    // o = outPtr + (i·n + j)·4
    ...get(OUT_PTR), ...get(I), ...get(N), ...MUL, ...get(J), ...ADD, ...i32(2), ...SHL, ...ADD, ...set(O),
    ...store(i32(0), ACC[0]!), ...store(i32(4), ACC[1]!),
    ...store([...get(N), ...i32(2), ...SHL], ACC[2]!), ...store([...get(N), ...i32(2), ...SHL, ...i32(4), ...ADD], ACC[3]!),
    ...get(J), ...i32(2), ...ADD, ...set(J),
    ...get(J), ...get(N), ...LT_U, ...brIf(0), ...END,
    ...get(I), ...i32(2), ...ADD, ...set(I),
    ...get(I), ...get(M), ...LT_U, ...brIf(0), ...END,
    ...END,
  ];
  const locals = vec([[...uleb(9), I32], [...uleb(4), V128]]);
  const fn = [...locals, ...code];
  return [...uleb(fn.length), ...fn];
}

/** The module's bytes: one memory (exported) and `matmul(aPtr, bPtr, outPtr, m, n, kPad)`. */
export function matmulWasmBytes(): Uint8Array {
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...uleb(6), I32, I32, I32, I32, I32, I32, 0x00]])),
    ...section(3, vec([[0x00]])),
    ...section(5, vec([[0x00, 0x01]])),
    ...section(7, vec([[...name("memory"), 0x02, 0x00], [...name("matmul"), 0x00, 0x00]])),
    ...section(10, vec([body()])),
  ]);
}

/** The slice of the WebAssembly global used here (tsconfig's lib has no DOM/WebAssembly types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}
export const wasmApi: WasmApi | undefined = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

interface WasmMatmul {
  memory: WasmMemory;
  matmul: (aPtr: number, bPtr: number, outPtr: number, m: number, n: number, kPad: number) => void;
}

let instance: WasmMatmul | null | undefined;

/** The compiled kernel, or null where WebAssembly SIMD is unavailable. */
export function wasmMatmul(): WasmMatmul | null {
  if (instance !== undefined) return instance;
  try {
    if (!wasmApi) throw new Error("no WebAssembly");
    const inst = new wasmApi.Instance(new wasmApi.Module(matmulWasmBytes()));
    instance = inst.exports as unknown as WasmMatmul;
  } catch {
    instance = null;
  }
  return instance;
}

/** Above this the kernel's linear memory would stay too large for the process: use the JS kernel. */
export const WASM_MAX_BYTES = 256 * 1024 * 1024;
const PAGE = 65536;

/**
 * out[i,j] = sat32(bias[j] + Σ_p A[i,p]·Bᵀ[j,p]) with A (centred) and Bᵀ holding int16-representable
 * values; the caller guarantees |Σ| < 2^31. Returns false (nothing written) when WASM is
 * unavailable or the operands exceed WASM_MAX_BYTES.
 */
export function matmulWasmInto(
  pa: Int32Array, bt: Int8Array, m: number, k: number, n: number,
  bias: Int32Array | null, out: Int32Array, outOffset: number,
): boolean {
  const w = wasmMatmul();
  if (!w) return false;
  const mPad = m + (m & 1);
  const nPad = n + (n & 1);
  const kPad = (k + 7) & ~7;
  const aBytes = mPad * kPad * 2;
  const bBytes = nPad * kPad * 2;
  const total = aBytes + bBytes + mPad * nPad * 4;
  if (total > WASM_MAX_BYTES) return false;
  const have = w.memory.buffer.byteLength;
  if (total > have) w.memory.grow(Math.ceil((total - have) / PAGE));
  const buf = w.memory.buffer;
  const a16 = new Int16Array(buf, 0, mPad * kPad);
  const b16 = new Int16Array(buf, aBytes, nPad * kPad);
  // Padding rows and k-columns must read as 0 so they add nothing.
  a16.fill(0);
  b16.fill(0);
  for (let i = 0; i < m; i++) a16.set(pa.subarray(i * k, i * k + k), i * kPad);
  for (let j = 0; j < n; j++) b16.set(bt.subarray(j * k, j * k + k), j * kPad);
  w.matmul(0, aBytes, aBytes + bBytes, mPad, nPad, kPad);
  const acc = new Int32Array(buf, aBytes + bBytes, mPad * nPad);
  for (let i = 0; i < m; i++) {
    const src = i * nPad;
    const dst = outOffset + i * n;
    if (bias) for (let j = 0; j < n; j++) out[dst + j] = saturateInt32(acc[src + j]! + bias[j]!);
    else out.set(acc.subarray(src, src + n), dst);
  }
  return true;
}
