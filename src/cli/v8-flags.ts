// V8 flags every AIVM node process runs with, set at start-up (docs/performance.md#v8-flags). They
// change how fast the process runs, never what it computes.
import { setFlagsFromString } from "node:v8";

/**
 * `--no-concurrent-array-buffer-sweeping`: free ArrayBuffers on the main thread after each scavenge
 * instead of handing them to a background job the next scavenge waits for. On a 2-core machine that
 * wait made every typed array above 64 bytes (V8 keeps smaller ones on the heap) cost ~2.6 µs to
 * allocate instead of ~0.27 µs, and a one-node program step ~4.7 µs instead of ~0.8 µs: the
 * per-node cost bench:gas prices (docs/gas.md#per-op-class-weights). Buffers of 256 KiB and more
 * free ~1.5–2× slower this way, which their own work (≥ 256 Ki elements) dwarfs.
 */
export const NODE_V8_FLAGS: readonly string[] = ["--no-concurrent-array-buffer-sweeping"];

/** Sets NODE_V8_FLAGS in this process: the `aivm` CLI does at start-up, the benchmarks before measuring. */
export function applyNodeV8Flags(): void {
  for (const flag of NODE_V8_FLAGS) setFlagsFromString(flag);
}
