// Runs the WASM SIMD128 matmul kernels (matmul-wasm-module.ts): `matmul` (4×2 blocks) for M ≥ 4
// rows, `matvec` (1×4 blocks) for the M < 4 of decode steps. Used only when dtype bounds prove no
// int32 overflow. B's packed form is kept between calls when the same array comes back
// (packed-weight-cache.ts), and large calls are split across worker threads over one shared
// memory (matmul-threads.ts). Operands are packed in WASM too (matmul-pack-wasm.ts), staged above
// the call's outputs.
import { saturateInt32 } from "../requant.ts";
import type { MatmulKernelArgs } from "./matmul-reference.ts";
import { ROW_PACKERS, bStageBytes, matmulPackSharedModule, matmulPackers, rowPackerName, rowsStageBytes, type MatmulPackers } from "./matmul-pack-wasm.ts";
import { nativeKernelOn, type KernelFn } from "./matmul-chunks.mjs";
import {
  NATIVE_ADDON_PATH, NATIVE_KERNEL_NAMES, nativeCopy, nativeKernelFor, nativeMatmulChoice, nativeThreadedFor, startNativeThreads,
  type NativeCopy, type NativeKernelFn, type NativeThreadedFn,
} from "./matmul-native.ts";
import { MatmulPool, THREADED_MIN_MACS, matmulWorkerCount, type MatmulPoolTuning } from "./matmul-threads.ts";
import { KERNEL_BLOCKS, MATMUL_KERNEL, MATVEC_KERNEL, matmulWasmBytes } from "./matmul-wasm-module.ts";
import { WASM_PAGE, growMemoryTo } from "./wasm-asm.ts";
import { PackedWeightCache, packedWeightCacheLimits, type PackedWeightCacheStats } from "./packed-weight-cache.ts";

export { matmulWasmBytes } from "./matmul-wasm-module.ts";
export { packedWeightCacheLimits } from "./packed-weight-cache.ts";

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
  matmul: KernelFn;
  matvec: KernelFn;
}

/** Above this the kernel's linear memory would stay too large for the process: use the JS kernel. */
export const WASM_MAX_BYTES = 256 * 1024 * 1024;

let instance: WasmMatmul | null | undefined;
/**
 * `instance`'s kernels in KERNEL_BLOCKS order, then (from index NATIVE_KERNEL, in the same order)
 * the native kernels on its memory when they run here: each with the WASM kernel of its name's
 * contract and layout (matmul-native.ts), then (NATIVE_MATVEC8) the native 1×4 kernel on int8 Bᵀ
 * and (NATIVE_MATMUL_U8, where the ISA has it) the 4×2 kernel on bytes.
 */
let kernels: KernelFn[] = [];
/** The addon's functions behind `kernels`, by the same index (undefined for the WASM ones): they can also write to an array of the caller's. */
let nativeFns: (NativeKernelFn | undefined)[] = [];
/** The threaded forms of the native 4×2 kernels, by the same index (undefined for the others). */
let nativeThreadedFns: (NativeThreadedFn | undefined)[] = [];
/** The addon's helper threads (startNativeThreads), once started: how many run. */
let nativeHelpers: number | undefined;
/** Calls the addon's helper threads took part in. */
let nativeThreadedTasks = 0;
/** The native kernel's ISA, or undefined where none runs. */
let nativeIsa: string | undefined;
/** The addon's memmove, with the native kernel: stages operands and copies outputs (see copyIn). */
let copyNative: NativeCopy | undefined;
const NATIVE_KERNEL = KERNEL_BLOCKS.length;
const NATIVE_MATVEC8 = NATIVE_KERNEL + NATIVE_KERNEL_NAMES.indexOf("matvec8");
const NATIVE_MATMUL_U8 = NATIVE_KERNEL + NATIVE_KERNEL_NAMES.indexOf("matmulu8");
/** Whether the native ISA has `matmulu8` (AVX-512 VNNI's vpdpbusd; AVX2 has none). */
let nativeU8 = false;
/** Parts of calls run by `matmulu8`, and parts whose outputs the native kernel wrote in place (tests check that the paths really ran). */
let bytesCalls = 0;
let directCalls = 0;
/** Packed B operands living in `instance`'s memory; replaced whenever the instance is. */
let cache = new PackedWeightCache();
/** The worker pool sharing `instance`'s memory, when threads are on. */
let pool: MatmulPool | undefined;
/** What the pool needs to start: the shared memory and the module importing it. */
let poolSeed: { memory: WasmMemory; module: object; workers: number } | undefined;

/**
 * Multiply-adds from which a call is split across the worker threads, and the pool's tuning (see
 * MatmulPoolTuning); tests lower the threshold and the stall time.
 */
export const matmulThreading: { minMacs: number } & MatmulPoolTuning = { minMacs: THREADED_MIN_MACS, stallMs: 30_000, spinUs: 200 };

/** Bytes one call may use in the kernel's memory (at most WASM_MAX_BYTES; tests lower it to force row parts). */
export const matmulWasmLimits = { maxBytes: WASM_MAX_BYTES };

/**
 * Which WASM paths run: calls with at most `matvecMaxRows` rows use the 1-row `matvec` kernel, and
 * with `splitA` wide int16 sums run with A split into bytes (matmul-fast.ts), and with `native` the
 * native kernel runs 4×2 blocks where it is built (matmul-native.ts), with `bytes` an int8 A
 * against a cached B runs the native `matmulu8` kernel where the CPU has it (cachedBytesB), and
 * with `directOut` the native kernel writes the calling thread's outputs straight into the call's
 * int32 output array where no row or column of it is padding and no bias is added (directOutput).
 * Benchmarks and tests turn them off (0, false) to time or check the kernels and paths they replace.
 */
export const matmulWasmPaths = { matvecMaxRows: 3, splitA: true, native: true, bytes: true, directOut: true };

/** Sets `instance` and its kernels. */
function useInstance(w: WasmMatmul): WasmMatmul {
  instance = w;
  kernels = KERNEL_BLOCKS.map((kb) => w[kb.name]);
  nativeFns = KERNEL_BLOCKS.map(() => undefined);
  nativeThreadedFns = KERNEL_BLOCKS.map(() => undefined);
  nativeU8 = false;
  if (nativeIsa !== undefined) {
    for (const name of NATIVE_KERNEL_NAMES) {
      const fn = nativeKernelFor(nativeIsa, name);
      if (name === "matmulu8") nativeU8 = fn !== undefined;
      kernels.push(fn === undefined ? missingKernel(name) : nativeKernelOn(w.memory, fn));
      nativeFns.push(fn);
      nativeThreadedFns.push(nativeThreadedFor(nativeIsa, name));
    }
  }
  return w;
}

/** A kernel the native ISA lacks: never chosen (nativeU8), it throws if it ever were. */
function missingKernel(name: string): KernelFn {
  return () => {
    throw new Error(`the native ${nativeIsa ?? ""} kernels have no ${name}`);
  };
}

/** matmulKernelName, and why no native kernel runs where none does (for the node's banner). */
export function matmulKernelSummary(): string {
  const name = matmulKernelName();
  if (name !== "wasm-simd128") return name;
  const why = nativeMatmulChoice().reason;
  return why === undefined ? name : `${name} (no native kernel: ${why})`;
}

/** The kernel that runs 4×2 blocks: `native-<isa>` (matmul-native.ts), `wasm-simd128`, or `js` (no WebAssembly). */
export function matmulKernelName(): string {
  if (wasmMatmul() === null) return "js";
  return nativeIsa === undefined || !matmulWasmPaths.native ? "wasm-simd128" : `native-${nativeIsa}`;
}

/**
 * The compiled kernels, or null where WebAssembly SIMD is unavailable or AIVM_MATMUL_KERNEL=js. With worker threads (see
 * matmulWorkerCount) they run on a shared memory that the workers instantiate the same module on.
 */
export function wasmMatmul(): WasmMatmul | null {
  if (instance !== undefined) return instance;
  // AIVM_MATMUL_KERNEL=js: the JS kernels only, so a devnet node checks them against the others' WASM (docs/network.md#devnet).
  if (!wasmApi || process.env.AIVM_MATMUL_KERNEL === "js") return (instance = null);
  // Throws on a bad AIVM_MATMUL_KERNEL, or one the addon or the CPU cannot honour: not a fallback.
  nativeIsa = nativeMatmulChoice().isa;
  if (nativeIsa !== undefined) copyNative = nativeCopy();
  try {
    const workers = matmulWorkerCount();
    if (workers > 0) {
      try {
        const memory = new wasmApi.Memory({ initial: 1, maximum: WASM_MAX_BYTES / WASM_PAGE, shared: true });
        const module = new wasmApi.Module(matmulWasmBytes(WASM_MAX_BYTES / WASM_PAGE));
        poolSeed = { memory, module, workers };
        return useInstance(new wasmApi.Instance(module, { env: { memory } }).exports as unknown as WasmMatmul);
      } catch {
        // No shared WebAssembly memory here: one thread.
        poolSeed = undefined;
      }
    }
    return useUnsharedInstance();
  } catch {
    return (instance = null);
  }
}

/**
 * The copy used between the kernel memory and JavaScript arrays: the addon's memmove while the
 * native kernel runs (a typed array's `set` copies shared memory element by element, 2–4× slower),
 * else undefined (`set`), so the WASM kernel's calls are what a node without the addon runs.
 */
function copyIn(): NativeCopy | undefined {
  return matmulWasmPaths.native ? copyNative : undefined;
}

/** The packers on the kernel memory, staging with copyIn(). */
function packersOn(w: WasmMatmul): MatmulPackers {
  const packers = matmulPackers(w.memory)!;
  packers.copy = copyIn();
  return packers;
}

/** A fresh instance on its own unshared memory, with an empty cache (nothing of the old memory is reused). */
function useUnsharedInstance(): WasmMatmul {
  cache = new PackedWeightCache();
  return useInstance(new wasmApi!.Instance(new wasmApi!.Module(matmulWasmBytes())).exports as unknown as WasmMatmul);
}

/** The worker pool, started on the first call large enough to use it. */
function matmulPool(): MatmulPool | undefined {
  if (pool === undefined && poolSeed !== undefined) {
    const kernelNames = KERNEL_BLOCKS.map((kb) => kb.name);
    const native = nativeIsa === undefined ? undefined : { path: NATIVE_ADDON_PATH, isa: nativeIsa, names: NATIVE_KERNEL_NAMES };
    pool = new MatmulPool({
      memory: poolSeed.memory, module: poolSeed.module, kernels, kernelNames, native, workers: poolSeed.workers, tuning: matmulThreading,
      rowPackers: matmulPackers(poolSeed.memory)!.rowPackers(), packModule: matmulPackSharedModule(), rowPackerNames: ROW_PACKERS,
    });
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

/** Whether an int8 A against a cached B runs the native byte kernel `matmulu8` now (the CPU has it, and the paths allow it). */
export function matmulBytesKernel(): boolean {
  return wasmMatmul() !== null && nativeU8 && matmulWasmPaths.native && matmulWasmPaths.bytes;
}

/** Parts of calls the native `matmulu8` kernel ran (an int8 A against a cached B). */
export function matmulBytesCalls(): number {
  return bytesCalls;
}

/** Parts of calls whose outputs the native kernel wrote straight into the output array (all, or the calling thread's chunks). */
export function matmulDirectCalls(): number {
  return directCalls;
}

/** Calls that other threads took part in: the worker threads, or the addon's helper threads (tests check that the threaded paths really ran). */
export function matmulThreadedCalls(): number {
  return (pool?.threadedTasks ?? 0) + nativeThreadedTasks;
}

/** Calls the addon's helper threads took part in (nativeThreaded). */
export function matmulNativeThreadedCalls(): number {
  return nativeThreadedTasks;
}

/**
 * The native 4×2 kernel `kernel`'s whole-call form (NativeThreadedFn), where it writes x's outputs
 * in place: outputs of at least DIRECT_MIN_BYTES, int32, A not split into bytes (a bias and
 * padding rows or columns it handles itself); else undefined.
 */
function nativeInPlace(x: MatmulKernelArgs, kernel: number, split: 1 | 2, outBytes: number): NativeThreadedFn | undefined {
  const fn = nativeThreadedFns[kernel];
  if (fn === undefined || !matmulWasmPaths.directOut || outBytes < DIRECT_MIN_BYTES || split !== 1 || !(x.out instanceof Int32Array)) return undefined;
  return fn;
}

/** Whether the addon's helper threads run (as many as matmulWorkerCount, started on first use). */
function nativeHelpersRun(): boolean {
  nativeHelpers ??= startNativeThreads(matmulWorkerCount());
  return nativeHelpers > 0;
}

/** Hits, misses and evictions of the packed-weight cache, and what it holds now. */
export function packedWeightCacheStats(): PackedWeightCacheStats {
  return cache.snapshot();
}

/** Drops every cached packed B (tests and benchmarks start from an empty cache). */
export function clearPackedWeightCache(): void {
  cache.clear();
}

/** How one call is laid out: the kernel, its blocks, and where packed B is. */
interface CallPlan {
  /** Kernel rows per row of A: 2 when A is split into high and low bytes (see matmulWasm). */
  split: 1 | 2;
  kernel: number;
  R: number;
  C: number;
  kSteps: number;
  nBlocks: number;
  bBytes: number;
  /** B's packed form in the cache, or undefined: packed per call at the start of the scratch. */
  cachedB: number | undefined;
  /** The cached form is int8 (the native `matvec8` kernel's), not int16. */
  int8B: boolean;
  /** The native `matmulu8` kernel on bytes: A packed by bytes8, kSteps of 16, B with its corrections (cachedBytesB). */
  bytes: boolean;
  /** Start of this call's scratch: above the cached region. */
  scratch: number;
}

/**
 * x.out[i,j] = sat32(bias[j] + Σ_p (A[i,p] − aZero)·B[p,j]), the reference kernel's contract, for
 * operands whose centred A values fit int16 and whose sums provably stay below 2^31 (the caller
 * checks both). A is packed straight from its array, in row parts that keep a call's scratch under
 * matmulWasmLimits.maxBytes; B is packed once per array while it stays in the cache, else per call.
 * Returns false (nothing written) when WASM is unavailable or even one block of rows does not fit.
 *
 * With `splitA` the int32 bound is only needed per byte: each centred value c (|c| ≤ 65535) enters
 * as two kernel rows, hi = c >> 8 and lo = c & 255 (c = 256·hi + lo), and the two sums are joined
 * exactly in doubles, 256·Σhi·B + Σlo·B. The caller then checks K·256·128 < 2^31 instead: how
 * int16 activations with K up to 65535 stay on the SIMD kernel.
 */
export function matmulWasm(x: MatmulKernelArgs, splitA = false): boolean {
  return runWasm(x, splitA ? 2 : 1, x.bIsScratch !== true);
}

function runWasm(x: MatmulKernelArgs, split: 1 | 2, useCache: boolean): boolean {
  const w = wasmMatmul();
  if (!w) return false;
  const { m, k, n } = x;
  const kernel = m * split <= matmulWasmPaths.matvecMaxRows ? MATVEC_KERNEL : MATMUL_KERNEL;
  const { rows: R, cols: C } = KERNEL_BLOCKS[kernel]!;
  const nBlocks = ceilDiv(n, C);
  // An int8 A against a cached B: the native kernel on bytes, twice the multiply-adds an instruction.
  const bytes = kernel === MATMUL_KERNEL && split === 1 && useCache && x.a instanceof Int8Array && matmulBytesKernel();
  const bytesB = bytes ? cachedBytesB(w, x) : undefined;
  const kSteps = ceilDiv(k, bytesB === undefined ? 8 : 16);
  const bBytes = nBlocks * (bytesB === undefined ? kSteps * C * 16 : bytesBlockBytes(kSteps));
  // Decode steps on the native kernel keep their weights packed as int8: half the bytes to stream.
  const int8B = kernel === MATVEC_KERNEL && nativeIsa !== undefined && matmulWasmPaths.native;
  const cachedB = bytesB ?? (useCache ? cachedPackedB(w, x, kernel, C, kSteps, bBytes, int8B) : undefined);
  const plan: CallPlan = { split, kernel, R, C, kSteps, nBlocks, bBytes, cachedB, int8B: int8B && cachedB !== undefined, bytes: bytesB !== undefined, scratch: cache.top };
  // Above the outputs, a band of A's rows and (uncached) of B is staged, copied as it is, to be packed.
  const bScratch = (cachedB === undefined ? bBytes + bStageBytes(k, n, x.transB, C) : 0) + rowsStageBytes(m, k, x.a, R);
  // Per block of R rows: its packed A and its int32 outputs.
  const perRowBlock = kSteps * R * 16 + R * nBlocks * C * 4;
  const budget = Math.min(matmulWasmLimits.maxBytes, WASM_MAX_BYTES - plan.scratch);
  const rowBlocks = Math.min(ceilDiv(m * split, R), Math.floor((budget - bScratch) / perRowBlock));
  const rowsPerPart = Math.floor((rowBlocks * R) / split);
  if (rowsPerPart < 1) {
    // The cached region may be what leaves too little room: give it back and try without it.
    if (cache.top > 0) {
      cache.clear();
      return runWasm(x, split, false);
    }
    return false;
  }
  for (let first = 0; first < m; first += rowsPerPart) {
    const rows = Math.min(rowsPerPart, m - first);
    // The pool was given up mid-call: start again, alone, on the fresh memory.
    if (matmulWasmPart(x, plan, first, rows, first > 0) === "retry") return runWasm(x, split, x.bIsScratch !== true);
  }
  return true;
}

/**
 * B's packed form in the cache (packing it there on a miss), or undefined when B is too small to
 * be worth keeping or larger than the cache. With `int8` the form is the int16 packed form narrowed
 * to int8 (B is int8, so exactly), for the native `matvec8` kernel.
 */
function cachedPackedB(w: WasmMatmul, x: MatmulKernelArgs, kernel: number, C: number, kSteps: number, bBytes: number, int8: boolean): number | undefined {
  const bytes = int8 ? bBytes / 2 : bBytes;
  if (x.k * x.n < packedWeightCacheLimits.minElements || bytes > packedWeightCacheLimits.capacityBytes) return undefined;
  // The layout (kernel, and int8 or int16) is part of the key: the same weights packed for 4×2 and 1×4 blocks differ.
  const key = `${kernel}${int8 ? "i8" : ""}:${x.bOffset}:${x.k}:${x.n}:${x.transB ? 1 : 0}`;
  const hit = cache.lookup(x.b, key);
  if (hit !== undefined) return hit;
  const ptr = cache.insert(x.b, key, bytes, () => w.memory.buffer);
  if (ptr === undefined) return undefined;
  if (!int8) {
    // Staged just above the new entry, where the call's scratch will start.
    ensureMemory(w, cache.top + bStageBytes(x.k, x.n, x.transB, C));
    packersOn(w).packB(ptr, x.b, x.bOffset, x.transB, x.k, x.n, kSteps, C, cache.top);
    return ptr;
  }
  const int16At = packedAboveCache(w, x, kSteps, C, bBytes);
  new Int8Array(w.memory.buffer, ptr, bytes).set(new Int16Array(w.memory.buffer, int16At, bytes));
  return ptr;
}

/**
 * B packed as int16 for blocks of C columns (int16Bytes of it) just above the cache, staged above
 * that, for a cached form narrowed from it into an entry below; returns where it starts.
 */
function packedAboveCache(w: WasmMatmul, x: MatmulKernelArgs, kSteps: number, C: number, int16Bytes: number): number {
  const at = cache.top;
  ensureMemory(w, at + int16Bytes + bStageBytes(x.k, x.n, x.transB, C));
  packersOn(w).packB(at, x.b, x.bOffset, x.transB, x.k, x.n, kSteps, C, at + int16Bytes);
  return at;
}

/** Bytes of one column block of `matmulu8`'s Bᵀ: its k-steps (2 columns × 16 int8 each), then 32 for the corrections. */
const bytesBlockBytes = (kSteps16: number): number => kSteps16 * 32 + 32;

/**
 * B as the native `matmulu8` kernel reads it, in the cache (packed there on a miss), or undefined
 * when it is not cached (the first sighting, or too large): [n/2][k/16][2][16] int8, zero padded,
 * each column block followed by its two columns' corrections −(128 + aZero)·Σ_p B[p,j] modulo 2^32
 * (native/matmul.c), so the key names aZero. Packed as int16 for 4×2 blocks just above the cache
 * (staged above that) by the WASM packer, then narrowed into the entry in WASM (narrowB): the cost
 * of an admission stays that of the int16 form's.
 */
function cachedBytesB(w: WasmMatmul, x: MatmulKernelArgs): number | undefined {
  const { k, n, b, bOffset, transB } = x;
  const kSteps8 = ceilDiv(k, 8);
  const nBlocks = ceilDiv(n, 2);
  const bytes = nBlocks * bytesBlockBytes(ceilDiv(k, 16));
  if (k * n < packedWeightCacheLimits.minElements || bytes > packedWeightCacheLimits.capacityBytes) return undefined;
  const key = `u8:${128 + x.aZero}:${bOffset}:${k}:${n}:${transB ? 1 : 0}`;
  const hit = cache.lookup(b, key);
  if (hit !== undefined) return hit;
  const ptr = cache.insert(b, key, bytes, () => w.memory.buffer);
  if (ptr === undefined) return undefined;
  const int16At = packedAboveCache(w, x, kSteps8, 2, nBlocks * kSteps8 * 32);
  packersOn(w).narrowB(int16At, ptr, nBlocks, kSteps8, 128 + x.aZero);
  return ptr;
}

function ensureMemory(w: WasmMatmul, bytes: number): void {
  // Growing keeps every offset, so cached entries stay where they are.
  growMemoryTo(w.memory, bytes);
}

/**
 * Rows [first, first + rows) of x. Scratch from plan.scratch: Bᵀ (unless cached, or `packedB`: an
 * earlier part packed it), then A, then the int32 outputs. "retry" when the worker pool was given
 * up during the part: the kernel then has fresh, unshared memory and the call must start over.
 */
function matmulWasmPart(x: MatmulKernelArgs, plan: CallPlan, first: number, rows: number, packedB: boolean): "done" | "retry" {
  const w = wasmMatmul()!;
  const { k, n } = x;
  const { R, C, kSteps, nBlocks, bBytes, split } = plan;
  const mBlocks = ceilDiv(rows * split, R);
  const nPad = nBlocks * C;
  const aBytes = mBlocks * kSteps * R * 16;
  const bPtr = plan.cachedB ?? plan.scratch;
  const aPtr = plan.cachedB === undefined ? plan.scratch + bBytes : plan.scratch;
  const outPtr = aPtr + aBytes;
  const outEnd = outPtr + mBlocks * R * nPad * 4;
  // Staging (B's, then A's rows, one after the other) starts at outEnd.
  const packB = plan.cachedB === undefined && !packedB;
  const large = rows * n * k >= matmulThreading.minMacs && mBlocks * nBlocks > 1;
  const kernel =
    nativeIsa === undefined || !matmulWasmPaths.native ? plan.kernel : plan.bytes ? NATIVE_MATMUL_U8 : plan.int8B ? NATIVE_MATVEC8 : NATIVE_KERNEL + plan.kernel;
  if (plan.bytes) bytesCalls++;
  const inPlace = nativeInPlace(x, kernel, split, rows * n * 4);
  if (inPlace !== undefined) {
    // The native 4×2 kernel packs A from its array and writes the outputs (and the bias) in place,
    // with the addon's threads when the call is large enough (NativeThreadedFn); B is staged and
    // scratch kept at outPtr.
    directCalls++;
    ensureMemory(w, outPtr + Math.max(mBlocks * 32 + 4 * n * 4, packB ? bStageBytes(k, n, x.transB, C) : 0));
    if (packB) packersOn(w).packB(bPtr, x.b, x.bOffset, x.transB, k, n, kSteps, C, outPtr);
    const helped = inPlace(
      new Int8Array(w.memory.buffer), aPtr, bPtr, outPtr, mBlocks, nBlocks, kSteps, x.out as Int32Array, (x.outOffset + first * n) * 4, n * 4, n,
      x.a, x.aOffset + first * k, rows, k, x.aZero, x.bias, large && nativeHelpersRun(), matmulThreading.spinUs,
    );
    if (helped > 0) nativeThreadedTasks++;
    return "done";
  }
  const direct = directOutput(x, kernel, split, (rows * split) % R === 0 && nBlocks * C === n, outPtr, (x.outOffset + first * n) * 4, rows * n * 4);
  const threads = large ? matmulPool() : undefined;
  // With workers, A's rows are staged whole and each thread packs the rows of the chunks it
  // claims (MatmulTask.packA), when the whole part fits the budget; else packed here, by bands.
  const eb = x.a.BYTES_PER_ELEMENT;
  const wholeStage = Math.ceil((rows * k * eb) / 16) * 16;
  const budget = Math.min(matmulWasmLimits.maxBytes, WASM_MAX_BYTES - plan.scratch);
  const packInChunks = threads !== undefined && threads.ready > 0 && outEnd - plan.scratch + wholeStage <= budget;
  const stageBytes = Math.max(packInChunks ? wholeStage : rowsStageBytes(rows, k, x.a, R), packB ? bStageBytes(k, n, x.transB, C) : 0);
  ensureMemory(w, outEnd + stageBytes);
  const packers = packersOn(w);
  // Padding columns and k-values of B must read as 0 so they add nothing.
  if (packB) packers.packB(bPtr, x.b, x.bOffset, x.transB, k, n, kSteps, C, outEnd);
  if (packInChunks) packers.stageRows(x.a, x.aOffset, first, rows, k, outEnd);
  else if (plan.bytes) packers.packRowsBytes(aPtr, x.a as Int8Array, x.aOffset, first, rows, k, kSteps, R, outEnd);
  else if (split === 2) packers.packRowsSplit(aPtr, x.a, x.aOffset, first, rows, k, kSteps, R, x.aZero, outEnd);
  else packers.packRows(aPtr, x.a, x.aOffset, first, rows, k, kSteps, R, x.aZero, outEnd);
  const packA = packInChunks ? { fn: ROW_PACKERS.indexOf(rowPackerName(x.a, split, x.aZero, plan.bytes)), stagePtr: outEnd, rows, k, zero: x.aZero, split, elemBytes: eb } : undefined;
  const bBlockBytes = plan.bytes ? bytesBlockBytes(kSteps) : kSteps * C * (plan.int8B ? 8 : 16);
  const task = { kernel, rows: R, cols: C, aPtr, bPtr, outPtr, mBlocks, nBlocks, kSteps, outRowBytes: nPad * 4, bBlockBytes, packA };
  // In a row split, the pool hands the finished row blocks over while it runs (MatmulPool.run):
  // the calling thread writes their rows out between its own chunks, the rest once all are done.
  let handedOver = 0;
  const onRows = (firstBlock: number, blocks: number) => {
    handedOver += blocks;
    emitRows(x, plan, w.memory.buffer, outPtr, first, ((firstBlock * R) / split) | 0, Math.min(rows, ((firstBlock + blocks) * R) / split));
  };
  if (threads === undefined || !threads.run(task, onRows)) {
    if (threads !== undefined && !threads.usable) {
      // Leave the pool's memory (and the packed weights in it) to it: a stuck worker may still write there.
      useUnsharedInstance();
      pool = undefined;
      return "retry";
    }
    // No worker was ready after all: pack the staged rows here.
    if (packA !== undefined) packers.rowPackers()[packA.fn]!(outEnd, aPtr, rows, k, kSteps, R, x.aZero);
    (direct ?? kernels[kernel]!)(aPtr, bPtr, outPtr, mBlocks, nBlocks, kSteps, task.outRowBytes);
    if (direct !== undefined) {
      // Written in place: nothing to copy out.
      directCalls++;
      return "done";
    }
  }
  // A column split (or one thread): every row at once.
  if (handedOver === 0) emitRows(x, plan, w.memory.buffer, outPtr, first, 0, rows);
  return "done";
}

/**
 * The native kernel `kernel` writing to x.out itself, as a KernelFn whose output pointer is one into
 * the kernel memory's output block at outPtr, moved to byte outByte of x.out; or undefined where it
 * cannot or it would not pay: a WASM kernel, A split into byte rows, a bias to add, rows or columns
 * of padding (`unpadded` false: the kernel writes whole blocks), an output that is not int32, or
 * fewer than DIRECT_MIN_BYTES of it.
 */
function directOutput(x: MatmulKernelArgs, kernel: number, split: 1 | 2, unpadded: boolean, outPtr: number, outByte: number, outBytes: number): KernelFn | undefined {
  const fn = nativeFns[kernel];
  if (fn === undefined || !matmulWasmPaths.directOut || outBytes < DIRECT_MIN_BYTES || split !== 1 || x.bias !== null || !unpadded || !(x.out instanceof Int32Array)) return undefined;
  const out = x.out;
  const memory = instance!.memory;
  return (aPtr, bPtr, ptr, mBlocks, nBlocks, kSteps, outRow) => fn(new Int8Array(memory.buffer), aPtr, bPtr, ptr - outPtr + outByte, mBlocks, nBlocks, kSteps, outRow, out);
}

/**
 * Output bytes from which a call's native kernel writes in place (the 4×2 kernels' whole-call form,
 * the 1×4 kernels' direct output): below, the outputs go through the kernel memory as before. The
 * figure was measured for the 1×4 kernels' direct output, whose per-call closure and memory view
 * did not pay below it (a decode step's [1,768] output is 3 KiB; its loop measured the same either
 * way, docs/performance.md); the whole-call form was not timed below it.
 */
const DIRECT_MIN_BYTES = 64 * 1024;

/**
 * Writes rows [i0, i1) of a part (its first row is `first`) from the int32 block outputs at outPtr
 * to x.out: joined from their two byte rows when A was split, with the bias, saturated.
 */
function emitRows(x: MatmulKernelArgs, plan: CallPlan, buf: ArrayBuffer, outPtr: number, first: number, i0: number, i1: number): void {
  const { n } = x;
  const { split, nBlocks, C } = plan;
  const nPad = nBlocks * C;
  const acc = new Int32Array(buf, outPtr);
  const bias = x.bias;
  if (split === 2) {
    for (let i = i0; i < i1; i++) {
      const hi = 2 * i * nPad;
      const lo = hi + nPad;
      const dst = x.outOffset + (first + i) * n;
      // |256·Σhi| + |Σlo| + |bias| < 2^53: the double sums are exact.
      for (let j = 0; j < n; j++) x.out[dst + j] = saturateInt32(acc[hi + j]! * 256 + acc[lo + j]! + (bias ? bias[j]! : 0));
    }
    return;
  }
  if (!bias && nPad === n) {
    // Unpadded rows are contiguous: one copy.
    const copy = copyIn();
    if (copy !== undefined) copy(x.out, (x.outOffset + (first + i0) * n) * 4, acc, i0 * n * 4, (i1 - i0) * n * 4);
    else x.out.set(acc.subarray(i0 * n, i1 * n), x.outOffset + (first + i0) * n);
    return;
  }
  for (let i = i0; i < i1; i++) {
    const src = i * nPad;
    const dst = x.outOffset + (first + i) * n;
    if (bias) for (let j = 0; j < n; j++) x.out[dst + j] = saturateInt32(acc[src + j]! + bias[j]!);
    else x.out.set(acc.subarray(src, src + n), dst);
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
