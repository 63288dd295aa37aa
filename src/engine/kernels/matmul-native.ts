// The optional native int8 matmul kernel (native/matmul.c, built by `npm install` into
// build/aivm-native.node): the WASM `matmul` kernel's contract and memory layout on 512-bit
// AVX-512 VNNI or 256-bit AVX2 vectors, where WASM SIMD has 128 bits. Integer arithmetic modulo
// 2^32 throughout, so it gives the WASM kernel's bits on every CPU (native/matmul.c says why;
// test/engine/native-matmul.test.ts checks every ISA this CPU runs).
//
// AIVM_MATMUL_KERNEL picks the kernel: unset, the best native ISA the CPU runs (else WASM);
// `wasm` the WASM kernel; `native-avx2` or `native-avx512vnni` one ISA (an error if the addon
// or the CPU lacks it); `js` the JavaScript kernels only (matmul-wasm.ts).
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** The exports this file expects: AIVM_NATIVE_ABI in native/matmul.c. */
const NATIVE_ABI = 9;

interface NativeAddon {
  readonly abi: number;
  /** ISAs this CPU runs, best first. */
  readonly isas: readonly string[];
  /** Undefined for a kernel the ISA lacks (`matmulu8` on AVX2). */
  kernel(isa: string, name: NativeKernelName): NativeKernelFn | undefined;
  /** Undefined for a kernel the ISA lacks or that has no packer (the 1×4 kernels). */
  threaded(isa: string, name: NativeKernelName): NativeThreadedFn | undefined;
  startThreads(helpers: number): number;
  copy: NativeCopy;
  setMallocThresholds(mmapThreshold: number, trimThreshold: number): boolean;
  requant: NativeRequant;
}

/**
 * out[outOffset + i] = clamp(((acc[i]·M_c + R_c) >> t_c) + zeroPoint, lo, hi), c = i mod channels, with
 * params = [M_0…, R_0…, t_0…] (native/matmul.c `requant`): the output stage's requantization.
 */
export type NativeRequant = (
  acc: Int32Array,
  out: Int8Array | Int16Array | Int32Array,
  outOffset: number,
  channels: number,
  params: BigInt64Array,
  zeroPoint: number,
  lo: number,
  hi: number,
) => void;

/**
 * memmove of `bytes` bytes between two typed arrays, byte offsets from each view's start (either
 * may be on a SharedArrayBuffer). A typed array's `set` copies to or from shared memory element by
 * element, two to four times slower; the bytes are the same.
 */
export type NativeCopy = (dst: ArrayBufferView, dstByteOffset: number, src: ArrayBufferView, srcByteOffset: number, bytes: number) => void;

/** The addon's path (a module worker threads load too). */
export const NATIVE_ADDON_PATH = fileURLToPath(new URL("../../../build/aivm-native.node", import.meta.url));

export interface NativeChoice {
  /** ISA of the native kernel, or undefined for the WASM kernel. */
  isa: string | undefined;
  /** Why no native kernel runs (the addon is missing, or AIVM_MATMUL_KERNEL says so). */
  reason?: string;
}

let addon: NativeAddon | null | undefined;
let loadError = "";

function loadAddon(): NativeAddon | null {
  if (addon !== undefined) return addon;
  if (!existsSync(NATIVE_ADDON_PATH)) {
    loadError = "build/aivm-native.node is not built (npm run build:native; it needs a C compiler)";
    return (addon = null);
  }
  try {
    const loaded = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as NativeAddon;
    if (loaded.abi !== NATIVE_ABI) throw new Error(`build/aivm-native.node was built from other sources (ABI ${String(loaded.abi)}, expected ${NATIVE_ABI}): run npm run build:native`);
    addon = loaded;
  } catch (e) {
    addon = null;
    loadError = (e as Error).message.split("\n")[0]!;
  }
  return addon;
}

/** Which native ISA the matmul kernel uses here, per AIVM_MATMUL_KERNEL and the addon. */
export function nativeMatmulChoice(): NativeChoice {
  const env = process.env.AIVM_MATMUL_KERNEL ?? "";
  if (env === "wasm" || env === "js") return { isa: undefined, reason: `AIVM_MATMUL_KERNEL=${env}` };
  const forced = env.startsWith("native-") ? env.slice("native-".length) : undefined;
  if (env !== "" && forced === undefined) {
    throw new RangeError(`AIVM_MATMUL_KERNEL must be one of wasm, js, native-avx512vnni, native-avx2 (or unset), got ${JSON.stringify(env)}`);
  }
  const a = loadAddon();
  if (a === null) {
    if (forced !== undefined) throw new Error(`AIVM_MATMUL_KERNEL=${env}: the native addon did not load (${loadError}); run npm run build:native`);
    return { isa: undefined, reason: loadError };
  }
  if (forced !== undefined && !a.isas.includes(forced)) {
    throw new Error(`AIVM_MATMUL_KERNEL=${env}: this CPU runs ${a.isas.length === 0 ? "no native ISA" : a.isas.join(", ")}`);
  }
  const isa = forced ?? a.isas[0];
  return isa === undefined ? { isa: undefined, reason: "the CPU has neither AVX-512 VNNI nor AVX2" } : { isa };
}

/**
 * The addon's kernels: those named as the WASM module's (KERNEL_BLOCKS), 4×2 blocks and 1×4 for
 * decode steps, and two only the addon has: `matvec8`, the 1×4 kernel on Bᵀ packed as int8 (the
 * int16 packed form narrowed, half the bytes to stream), and `matmulu8`, the 4×2 kernel on bytes
 * (uint8 A and int8 Bᵀ with per-column corrections, vpdpbusd; AVX-512 VNNI only).
 */
export type NativeKernelName = "matmul" | "matvec" | "matvec8" | "matmulu8";
/** The addon's kernels in the order the engine lists them after the WASM ones. */
export const NATIVE_KERNEL_NAMES: readonly NativeKernelName[] = ["matmul", "matvec", "matvec8", "matmulu8"];

/**
 * A native kernel: (view, aPtr, bPtr, outPtr, mBlocks, nBlocks, kSteps, outRowBytes[, out]) on the
 * kernel memory `view`; the outputs at byte outPtr of that memory, or with `out` of that Int32Array.
 */
export type NativeKernelFn = (view: Int8Array, aPtr: number, bPtr: number, outPtr: number, mBlocks: number, nBlocks: number, kSteps: number, outRowBytes: number, out?: Int32Array) => void;

/**
 * The native kernel `name` for `isa`, on the WASM kernel of the same name's layout and contract;
 * undefined when the ISA lacks it.
 */
export function nativeKernelFor(isa: string, name: NativeKernelName): NativeKernelFn | undefined {
  const a = loadAddon();
  if (a === null) throw new Error(`the native addon did not load (${loadError})`);
  return a.kernel(isa, name);
}

/**
 * A native 4×2 kernel's whole call, (view, aPtr, bPtr, scratchPtr, mBlocks, nBlocks, kSteps, out,
 * outByte, outRowBytes, n, src, srcOffset, rows, k, zero, bias, threads, spinUs): A packed from
 * `rows` × `k` values of `src` from element srcOffset (less `zero` for `matmul`; `matmulu8` takes
 * int8 and leaves the zero point to B's corrections) to aPtr of the kernel memory, by the thread
 * that claims each block of rows, and the rows × n outputs written into `out` from byte outByte,
 * outRowBytes apart, plus `bias` (or null) with int32 saturation: no staging before the call, no
 * copy after it. Blocks that would reach past the outputs (an odd n, rows not a multiple of 4) go
 * through mBlocks·32 + 4·outRowBytes bytes of scratch at scratchPtr. With `threads`, on the calling
 * thread and the addon's helper threads (startNativeThreads). Returns the blocks the helpers ran
 * (0 when the calling thread ran them all: alone, no helpers, or another call held them). Bounds
 * are checked as for the kernels (native/matmul.c).
 */
export type NativeThreadedFn = (
  view: Int8Array, aPtr: number, bPtr: number, scratchPtr: number, mBlocks: number, nBlocks: number, kSteps: number,
  out: Int32Array, outByte: number, outRowBytes: number, n: number,
  src: Int8Array | Int16Array | Int32Array, srcOffset: number, rows: number, k: number, zero: number,
  bias: Int32Array | null, threads: boolean, spinUs: number,
) => number;

/** The whole-call form of the native 4×2 kernel `name` for `isa` (NativeThreadedFn), or undefined where it has none (the 1×4 kernels, `matmulu8` on AVX2). */
export function nativeThreadedFor(isa: string, name: NativeKernelName): NativeThreadedFn | undefined {
  const a = loadAddon();
  if (a === null) throw new Error(`the native addon did not load (${loadError})`);
  return a.threaded(isa, name);
}

/**
 * Starts the addon's helper threads when none run yet (once they run, a later call starts none and
 * changes nothing) and returns how many run; 0 where the addon is not built.
 */
export function startNativeThreads(helpers: number): number {
  return loadAddon()?.startThreads(helpers) ?? 0;
}

/**
 * The addon's requantization (NativeRequant), or undefined where the addon is not built or
 * AIVM_MATMUL_KERNEL asks for the WASM or JavaScript kernels (then no native code runs at all).
 */
export function nativeRequant(): NativeRequant | undefined {
  const env = process.env.AIVM_MATMUL_KERNEL ?? "";
  return env === "wasm" || env === "js" ? undefined : loadAddon()?.requant;
}

/** The addon's copy (NativeCopy), or undefined where the addon is not built. */
export function nativeCopy(): NativeCopy | undefined {
  return loadAddon()?.copy;
}

/**
 * glibc's malloc thresholds set from inside the process through the addon (mallopt), what
 * GLIBC_TUNABLES sets at start (src/cli/process-tuning.ts). False where the addon is not built or
 * the C library is not glibc.
 */
export function setMallocThresholds(mmapThreshold: number, trimThreshold: number): boolean {
  const a = loadAddon();
  return a !== null && a.setMallocThresholds(mmapThreshold, trimThreshold);
}
