// WASM SIMD128 matmul kernel, assembled here byte by byte (no external compiler): int16 rows of A
// and Bᵀ, 4×2 output blocks, i32x4.dot_i16x8_s over 8 k-values per step. Integer SIMD (not the
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
const LT_U = [0x49];
const GE_U = [0x4f];
const BLOCK = [0x02, 0x40];
const LOOP = [0x03, 0x40];
const END = [0x0b];
const br = (d: number) => [0x0c, d];
const brIf = (d: number) => [0x0d, d];
const V128_ZERO = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
const I32X4_ADD = [0xfd, ...uleb(0xae)];
const I32X4_DOT_I16X8_S = [0xfd, ...uleb(0xba)];
const lane = (l: number) => [0xfd, 0x1b, l];

// Operands are packed block-interleaved so the inner loop walks two pointers with constant load
// offsets: A as [m/R][k/8][R][8] int16, Bᵀ as [n/C][k/8][C][8] int16 (zero padded).
// Parameters: 0 aPtr, 1 bPtr, 2 outPtr, 3 mBlocks, 4 nBlocks, 5 kSteps (k/8), 6 outRowBytes.
const R = 4;
const C = 2;
const [A_PTR, B_PTR, OUT_PTR, M_BLOCKS, N_BLOCKS, K_STEPS, OUT_ROW] = [0, 1, 2, 3, 4, 5, 6];
// i32 locals: 7 ib, 8 jb, 9 pa, 10 pb, 11 end, 12 o, 13 aBlockBytes, 14 bBlockBytes.
const [IB, JB, PA, PB, END_PTR, O, A_BLOCK, B_BLOCK] = [7, 8, 9, 10, 11, 12, 13, 14];
const I32_LOCALS = 8;
// v128 locals: accumulators (R·C), then the R rows of A and the C columns of B for one k-step.
const ACC0 = 15;
const VA0 = ACC0 + R * C;
const VB0 = VA0 + R;
const V128_LOCALS = R * C + R + C;
const acc = (r: number, c: number) => ACC0 + r * C + c;
const load = (ptr: number, offset: number) => [...get(ptr), 0xfd, 0x00, 0x04, ...uleb(offset)];
const storeAt = (offset: number) => [0x36, 0x02, ...uleb(offset)];

function horizontalSum(a: number): number[] {
  return [...get(a), ...lane(0), ...get(a), ...lane(1), ...ADD, ...get(a), ...lane(2), ...ADD, ...get(a), ...lane(3), ...ADD];
}

function body(): number[] {
  const step: number[] = [];
  for (let r = 0; r < R; r++) step.push(...load(PA, r * 16), ...set(VA0 + r));
  for (let c = 0; c < C; c++) step.push(...load(PB, c * 16), ...set(VB0 + c));
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < C; c++) step.push(...get(acc(r, c)), ...get(VA0 + r), ...get(VB0 + c), ...I32X4_DOT_I16X8_S, ...I32X4_ADD, ...set(acc(r, c)));
  }
  const stores: number[] = [];
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < C; c++) stores.push(...get(O), ...horizontalSum(acc(r, c)), ...storeAt(c * 4));
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
    // o = outPtr + ib·R·outRowBytes + jb·C·4
    ...get(OUT_PTR), ...get(IB), ...i32(R), ...MUL, ...get(OUT_ROW), ...MUL, ...ADD, ...get(JB), ...i32(C * 4), ...MUL, ...ADD, ...set(O),
    ...stores,
    ...get(JB), ...i32(1), ...ADD, ...set(JB),
    ...get(JB), ...get(N_BLOCKS), ...LT_U, ...brIf(0), ...END,
    ...get(IB), ...i32(1), ...ADD, ...set(IB),
    ...get(IB), ...get(M_BLOCKS), ...LT_U, ...brIf(0), ...END,
    ...END,
  ];
  const locals = vec([[...uleb(I32_LOCALS), I32], [...uleb(V128_LOCALS), V128]]);
  const fn = [...locals, ...code];
  return [...uleb(fn.length), ...fn];
}

/** The module's bytes: one memory (exported) and `matmul(aPtr, bPtr, outPtr, mBlocks, nBlocks, kSteps, outRowBytes)`. */
export function matmulWasmBytes(): Uint8Array {
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...uleb(7), I32, I32, I32, I32, I32, I32, I32, 0x00]])),
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
  matmul: (aPtr: number, bPtr: number, outPtr: number, mBlocks: number, nBlocks: number, kSteps: number, outRowBytes: number) => void;
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
  const mBlocks = Math.ceil(m / R);
  const nBlocks = Math.ceil(n / C);
  const kSteps = Math.ceil(k / 8);
  const nPad = nBlocks * C;
  const aBytes = mBlocks * kSteps * R * 16;
  const bBytes = nBlocks * kSteps * C * 16;
  const total = aBytes + bBytes + mBlocks * R * nPad * 4;
  if (total > WASM_MAX_BYTES) return false;
  const have = w.memory.buffer.byteLength;
  if (total > have) w.memory.grow(Math.ceil((total - have) / PAGE));
  const buf = w.memory.buffer;
  // Padding rows, columns and k-values must read as 0 so they add nothing.
  packInterleaved(new Int16Array(buf, 0, aBytes / 2), pa, m, k, R);
  packInterleaved(new Int16Array(buf, aBytes, bBytes / 2), bt, n, k, C);
  w.matmul(0, aBytes, aBytes + bBytes, mBlocks, nBlocks, kSteps, nPad * 4);
  const acc = new Int32Array(buf, aBytes + bBytes, mBlocks * R * nPad);
  for (let i = 0; i < m; i++) {
    const src = i * nPad;
    const dst = outOffset + i * n;
    if (bias) for (let j = 0; j < n; j++) out[dst + j] = saturateInt32(acc[src + j]! + bias[j]!);
    else out.set(acc.subarray(src, src + n), dst);
  }
  return true;
}

/** rows×k row-major → [rows/B][k/8][B][8], zero padded. */
function packInterleaved(dst: Int16Array, src: Int32Array | Int8Array, rows: number, k: number, block: number): void {
  dst.fill(0);
  const kSteps = Math.ceil(k / 8);
  for (let row = 0; row < rows; row++) {
    const base = Math.floor(row / block) * kSteps * block * 8 + (row % block) * 8;
    const s = row * k;
    for (let p = 0; p < k; p++) dst[base + (p >> 3) * block * 8 + (p & 7)] = src[s + p]!;
  }
}
