// How every AIVM node process tunes its runtime (docs/performance.md#process-tuning): V8 flags
// and the C allocator's handling of large blocks. They change how fast the process runs, never
// what it computes.
import { spawnSync } from "node:child_process";
import { setFlagsFromString } from "node:v8";
import { setMallocThresholds } from "../engine/kernels/matmul-native.ts";

/**
 * `--no-concurrent-array-buffer-sweeping`: free ArrayBuffers on the main thread after each scavenge
 * instead of handing them to a background job the next scavenge waits for. On a 2-core machine that
 * wait made every typed array above 64 bytes (V8 keeps smaller ones on the heap) cost ~2.6 µs to
 * allocate instead of ~0.27 µs, and a one-node program step ~4.7 µs instead of ~0.8 µs: the
 * per-node cost bench:gas prices (docs/gas.md#per-op-class-weights). Buffers of 256 KiB and more
 * free ~1.5–2× slower this way, which their own work (≥ 256 Ki elements) dwarfs.
 */
export const NODE_V8_FLAGS: readonly string[] = ["--no-concurrent-array-buffer-sweeping"];

/**
 * Size of the block allocated and freed once at start-up (see keepLargeBlocksInHeap): under glibc's
 * 32 MiB ceiling for its dynamic mmap threshold, above any tensor a model call usually allocates.
 */
export const ALLOCATOR_WARM_UP_BYTES = 16 << 20;

/** Sets NODE_V8_FLAGS in this process. */
export function applyNodeV8Flags(): void {
  for (const flag of NODE_V8_FLAGS) setFlagsFromString(flag);
}

/**
 * glibc's malloc serves blocks of 128 KiB and more with their own mmap, so every large tensor came
 * in fresh pages from the kernel, one page fault per 4 KiB on its first write: a [512,512] int32
 * output cost ~1.7 ms of system time per call on this VM, more than the matmul that filled it. When
 * such a block is freed, glibc raises that threshold to the block's size (up to 32 MiB) and keeps
 * twice as much free memory before giving it back. Allocating and freeing one 16 MiB block at
 * start-up does that once, so later tensors reuse the heap's pages. Other allocators (musl, macOS)
 * just allocate and free 16 MiB.
 */
export function keepLargeBlocksInHeap(): void {
  // transfer(0) detaches the buffer and frees its memory now, not at the next garbage collection.
  const block = new ArrayBuffer(ALLOCATOR_WARM_UP_BYTES) as ArrayBuffer & { transfer(length: number): ArrayBuffer };
  new Uint8Array(block)[0] = 1;
  block.transfer(0);
}

/** glibc's malloc thresholds the node runs with: blocks up to 32 MiB from the heap, up to 256 MiB of free heap kept. */
export const MALLOC_MMAP_THRESHOLD = 32 << 20;
export const MALLOC_TRIM_THRESHOLD = 256 << 20;

/**
 * glibc's malloc tunables that keep large blocks in the heap for good: blocks up to 32 MiB from the
 * heap instead of their own mmap, and up to 256 MiB of free heap kept rather than returned to the
 * kernel (a loop keeping eight 1 MiB int32 arrays alive at a time: ~3 ms per array, half of it
 * page faults, with glibc's defaults; ~2.4 ms after keepLargeBlocksInHeap; 0.12 ms with these).
 * Set in the environment at start, or from inside the process by tuneNodeProcess through the
 * native addon. Ignored where the C library is not glibc.
 */
export const ALLOCATOR_ENV: Readonly<Record<string, string>> = {
  GLIBC_TUNABLES: `glibc.malloc.mmap_threshold=${MALLOC_MMAP_THRESHOLD}:glibc.malloc.trim_threshold=${MALLOC_TRIM_THRESHOLD}`,
};

/** `env` with ALLOCATOR_ENV added, unless it already sets glibc tunables of its own. */
export function withAllocatorEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return env["GLIBC_TUNABLES"] === undefined ? { ...env, ...ALLOCATOR_ENV } : env;
}

/**
 * For the benchmarks: on Linux, when this process was started without ALLOCATOR_ENV, runs the same
 * command again with it (same Node, flags and arguments, stdio inherited) and exits with its status.
 */
export function rerunWithAllocatorEnv(): void {
  if (process.platform !== "linux" || process.env["GLIBC_TUNABLES"] !== undefined) return;
  const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: "inherit", env: withAllocatorEnv(process.env) });
  process.exit(child.status ?? 1);
}

/**
 * The V8 flags, and glibc's malloc thresholds: from the environment when GLIBC_TUNABLES is set,
 * else through the native addon (mallopt, the same two values), else keepLargeBlocksInHeap. The
 * `aivm` CLI does this at start-up, the benchmarks before measuring. Returns how the allocator was
 * tuned.
 */
export function tuneNodeProcess(): "environment" | "mallopt" | "warm-up" {
  applyNodeV8Flags();
  if (process.env["GLIBC_TUNABLES"] !== undefined) return "environment";
  if (setMallocThresholds(MALLOC_MMAP_THRESHOLD, MALLOC_TRIM_THRESHOLD)) return "mallopt";
  keepLargeBlocksInHeap();
  return "warm-up";
}
