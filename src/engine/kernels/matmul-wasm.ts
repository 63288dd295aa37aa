// WASM SIMD128 matmul kernel, assembled here byte by byte (no external compiler): int16 rows of A
// and Bᵀ, 4×2 output blocks, i32x4.dot_i16x8_s over 8 k-values per step. Integer SIMD (not the
// relaxed set) is bit-exact on every engine. Used only when dtype bounds prove no int32 overflow.
// Large calls are split across worker threads over one shared memory (matmul-threads.ts).
import { saturateInt32 } from "../requant.ts";
import type { MatmulKernelArgs } from "./matmul-reference.ts";
import type { IntArray } from "../tensor.ts";
import { MatmulPool, THREADED_MIN_MACS, matmulWorkerCount, type MatmulPoolTuning } from "./matmul-threads.ts";

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

/**
 * The module's bytes: one memory (exported) and `matmul(aPtr, bPtr, outPtr, mBlocks, nBlocks, kSteps, outRowBytes)`.
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
  const functions = section(3, vec([[0x00]]));
  const exports = section(7, vec([[...name("memory"), 0x02, 0x00], [...name("matmul"), 0x00, 0x00]]));
  // Sections in the order the binary format requires: type, import, function, memory, export, code.
  return new Uint8Array(
    sharedMaxPages === undefined
      ? [...header, ...types, ...functions, ...memory, ...exports, ...section(10, vec([body()]))]
      : [...header, ...types, ...memory, ...functions, ...exports, ...section(10, vec([body()]))],
  );
}

/** The slice of the WebAssembly global used here (tsconfig's lib has no DOM/WebAssembly types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports?: object) => { exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}
export const wasmApi: WasmApi | undefined = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

interface WasmMatmul {
  memory: WasmMemory;
  matmul: (aPtr: number, bPtr: number, outPtr: number, mBlocks: number, nBlocks: number, kSteps: number, outRowBytes: number) => void;
}

/** Above this the kernel's linear memory would stay too large for the process: use the JS kernel. */
export const WASM_MAX_BYTES = 256 * 1024 * 1024;
const PAGE = 65536;

let instance: WasmMatmul | null | undefined;
/** The worker pool sharing `instance`'s memory, when threads are on. */
let pool: MatmulPool | undefined;
/** What the pool needs to start: the shared memory and the module importing it. */
let poolSeed: { memory: WasmMemory; module: object; workers: number } | undefined;

/**
 * Multiply-adds from which a call is split across the worker threads, and the pool's tuning (see
 * MatmulPoolTuning); tests lower the threshold and the stall time.
 */
export const matmulThreading: { minMacs: number } & MatmulPoolTuning = { minMacs: THREADED_MIN_MACS, stallMs: 30_000 };

/** Bytes one call may use in the kernel's memory (at most WASM_MAX_BYTES; tests lower it to force row parts). */
export const matmulWasmLimits = { maxBytes: WASM_MAX_BYTES };

/**
 * The compiled kernel, or null where WebAssembly SIMD is unavailable. With worker threads (see
 * matmulWorkerCount) it runs on a shared memory that the workers instantiate the same module on.
 */
export function wasmMatmul(): WasmMatmul | null {
  if (instance !== undefined) return instance;
  try {
    if (!wasmApi) throw new Error("no WebAssembly");
    const workers = matmulWorkerCount();
    if (workers > 0) {
      try {
        const memory = new wasmApi.Memory({ initial: 1, maximum: WASM_MAX_BYTES / PAGE, shared: true });
        const module = new wasmApi.Module(matmulWasmBytes(WASM_MAX_BYTES / PAGE));
        instance = new wasmApi.Instance(module, { env: { memory } }).exports as unknown as WasmMatmul;
        poolSeed = { memory, module, workers };
        return instance;
      } catch {
        // No shared WebAssembly memory here: one thread.
      }
    }
    instance = new wasmApi.Instance(new wasmApi.Module(matmulWasmBytes())).exports as unknown as WasmMatmul;
  } catch {
    instance = null;
  }
  return instance;
}

/** The worker pool, started on the first call large enough to use it. */
function matmulPool(): MatmulPool | undefined {
  if (pool === undefined && poolSeed !== undefined) {
    pool = new MatmulPool({ memory: poolSeed.memory, module: poolSeed.module, kernel: instance!.matmul, rows: R, cols: C, workers: poolSeed.workers, tuning: matmulThreading });
    poolSeed = undefined;
  }
  return pool;
}

/** Resolves once the worker pool has `count` workers ready (starting it if needed), or rejects after `timeoutMs`. */
export async function matmulWorkersReady(count = 1, timeoutMs = 10_000): Promise<void> {
  wasmMatmul();
  const p = matmulPool();
  if (p === undefined) throw new Error("matmul worker threads are off (AIVM_MATMUL_THREADS=0, or no shared WebAssembly memory)");
  const start = performance.now();
  while (p.ready < count) {
    if (!p.usable || performance.now() - start > timeoutMs) throw new Error(`matmul workers not ready: ${p.ready} of ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Calls the worker threads ran (tests check that the threaded path really ran). */
export function matmulThreadedCalls(): number {
  return pool?.threadedTasks ?? 0;
}

/**
 * x.out[i,j] = sat32(bias[j] + Σ_p (A[i,p] − aZero)·B[p,j]), the reference kernel's contract, for
 * operands whose centred A values fit int16 and whose sums provably stay below 2^31 (the caller
 * checks both). A and B are packed straight from their arrays into the kernel's memory, A in row
 * chunks that keep it under matmulWasmLimits.maxBytes. Returns false (nothing written) when WASM is unavailable
 * or even one block of rows does not fit.
 */
export function matmulWasm(x: MatmulKernelArgs): boolean {
  const w = wasmMatmul();
  if (!w) return false;
  const { m, k, n } = x;
  const kSteps = ceilDiv(k, 8);
  const nBlocks = ceilDiv(n, C);
  const bBytes = nBlocks * kSteps * C * 16;
  // Per block of R rows: its packed A and its int32 outputs.
  const perRowBlock = kSteps * R * 16 + R * nBlocks * C * 4;
  const budget = Math.min(matmulWasmLimits.maxBytes, WASM_MAX_BYTES);
  const rowBlocks = Math.min(ceilDiv(m, R), Math.floor((budget - bBytes) / perRowBlock));
  if (rowBlocks < 1) return false;
  const rowsPerPart = rowBlocks * R;
  for (let first = 0; first < m; first += rowsPerPart) {
    const rows = Math.min(rowsPerPart, m - first);
    // The pool was given up mid-call: start again, alone, on the fresh memory.
    if (matmulWasmPart(x, first, rows, kSteps, nBlocks, bBytes, first > 0) === "retry") return matmulWasm(x);
  }
  return true;
}

/**
 * Rows [first, first + rows) of x; Bᵀ is packed at the start of memory unless `packedB` (an earlier
 * part did). "retry" when the worker pool was given up during the part: the kernel then has fresh,
 * unshared memory and the call must start over.
 */
function matmulWasmPart(x: MatmulKernelArgs, first: number, rows: number, kSteps: number, nBlocks: number, bBytes: number, packedB: boolean): "done" | "retry" {
  const w = wasmMatmul()!;
  const { k, n } = x;
  const mBlocks = ceilDiv(rows, R);
  const nPad = nBlocks * C;
  const aBytes = mBlocks * kSteps * R * 16;
  const total = bBytes + aBytes + mBlocks * R * nPad * 4;
  const have = w.memory.buffer.byteLength;
  if (total > have) w.memory.grow(ceilDiv(total - have, PAGE));
  const buf = w.memory.buffer;
  // Padding rows, columns and k-values must read as 0 so they add nothing.
  if (!packedB) packB(new Int16Array(buf, 0, bBytes / 2), x, kSteps);
  packA(new Int16Array(buf, bBytes, aBytes / 2), x, first, rows, kSteps);
  const task = { aPtr: bBytes, bPtr: 0, outPtr: bBytes + aBytes, mBlocks, nBlocks, kSteps, outRowBytes: nPad * 4 };
  const threads = rows * n * k >= matmulThreading.minMacs && mBlocks * nBlocks > 1 ? matmulPool() : undefined;
  if (threads === undefined || !threads.run(task)) {
    if (threads !== undefined && !threads.usable) {
      // Leave the pool's memory to it: a stuck worker may still write there.
      instance = new wasmApi!.Instance(new wasmApi!.Module(matmulWasmBytes())).exports as unknown as WasmMatmul;
      pool = undefined;
      return "retry";
    }
    w.matmul(task.aPtr, task.bPtr, task.outPtr, mBlocks, nBlocks, kSteps, task.outRowBytes);
  }
  const acc = new Int32Array(buf, task.outPtr, mBlocks * R * nPad);
  const bias = x.bias;
  if (!bias && nPad === n) {
    // Unpadded rows are contiguous: one copy.
    x.out.set(acc.subarray(0, rows * n), x.outOffset + first * n);
    return "done";
  }
  for (let i = 0; i < rows; i++) {
    const src = i * nPad;
    const dst = x.outOffset + (first + i) * n;
    if (bias) for (let j = 0; j < n; j++) x.out[dst + j] = saturateInt32(acc[src + j]! + bias[j]!);
    else x.out.set(acc.subarray(src, src + n), dst);
  }
  return "done";
}

/**
 * Rows of a row-major [·, k] array, from row `first` at `offset`, minus `zero`, as
 * [rows/block][k/8][block][8] int16, zero padded: A (block R) and a transposed B (block C).
 */
function packRows(dst: Int16Array, src: IntArray, offset: number, first: number, rows: number, k: number, kSteps: number, block: number, zero: number): void {
  dst.fill(0);
  const step = block * 8;
  for (let row = 0; row < rows; row++) {
    const base = ((row / block) | 0) * kSteps * step + (row % block) * 8;
    const s = offset + (first + row) * k;
    for (let p = 0; p < k; p++) dst[base + (p >> 3) * step + (p & 7)] = src[s + p]! - zero;
  }
}

/** Rows [first, first + rows) of A, centred. */
function packA(dst: Int16Array, x: MatmulKernelArgs, first: number, rows: number, kSteps: number): void {
  packRows(dst, x.a, x.aOffset, first, rows, x.k, kSteps, R, x.aZero);
}

/** Bᵀ as [n/C][k/8][C][8] int16, zero padded, from B [K,N] or (transB) [N,K]. */
function packB(dst: Int16Array, x: MatmulKernelArgs, kSteps: number): void {
  if (x.transB) return packRows(dst, x.b, x.bOffset, 0, x.n, x.k, kSteps, C, 0);
  dst.fill(0);
  const { b, k, n } = x;
  const step = C * 8;
  // Column pairs outer, k inner: the packed block is written in order, B read down its columns.
  const nBlocks = ceilDiv(n, C);
  let d = 0;
  for (let jb = 0; jb < nBlocks; jb++) {
    const j0 = jb * C;
    const pair = j0 + 1 < n;
    for (let ks = 0; ks < kSteps; ks++, d += step) {
      const pEnd = Math.min(8, k - ks * 8);
      let s = x.bOffset + ks * 8 * n + j0;
      for (let q = 0; q < pEnd; q++, s += n) {
        dst[d + q] = b[s]!;
        if (pair) dst[d + 8 + q] = b[s + 1]!;
      }
    }
  }
}

function ceilDiv(a: number, b: number): number {
  return ((a + b - 1) / b) | 0;
}

/**
 * The kernel on operands already centred and transposed: out[i,j] = sat32(bias[j] + Σ_p A[i,p]·Bᵀ[j,p])
 * with A and Bᵀ holding int16-representable values and |Σ| < 2^31. Returns false as matmulWasm does.
 */
export function matmulWasmInto(
  pa: Int32Array, bt: Int8Array, m: number, k: number, n: number,
  bias: Int32Array | null, out: Int32Array, outOffset: number,
): boolean {
  return matmulWasm({ a: pa, aOffset: 0, aZero: 0, b: bt, bOffset: 0, transB: true, bias, m, k, n, out, outOffset });
}
