export declare const SLOT: Readonly<{
  SEQ: number;
  NEXT: number;
  END: number;
  DONE: number;
  READY: number;
  A_PTR: number;
  B_PTR: number;
  OUT_PTR: number;
  M_BLOCKS: number;
  N_BLOCKS: number;
  K_STEPS: number;
  OUT_ROW: number;
  SPLIT_ROWS: number;
  MIN_CHUNK: number;
  A_BLOCK: number;
  B_BLOCK: number;
  KERNEL: number;
  ROWS: number;
  COLS: number;
  THREADS: number;
  SPIN_US: number;
  PACK_FN: number;
  PACK_STAGE: number;
  PACK_ROWS: number;
  PACK_K: number;
  PACK_ZERO: number;
  PACK_SPLIT: number;
  PACK_ELEM_BYTES: number;
  TASK: number;
  FLAGS_ON: number;
  COUNT: number;
}>;

export type KernelFn = (aPtr: number, bPtr: number, outPtr: number, mBlocks: number, nBlocks: number, kSteps: number, outRowBytes: number) => void;

export type PackFn = (stagePtr: number, dstPtr: number, rows: number, k: number, kSteps: number, block: number, zero: number) => void;

export declare const FLAGGED_BLOCKS: number;

export declare function runClaimedChunks(ctl: Int32Array, kernels: readonly KernelFn[], rowPackers?: readonly PackFn[], onRows?: (first: number, count: number) => void): number;

export declare function runChunk(ctl: Int32Array, first: number, size: number, kernels: readonly KernelFn[], rowPackers?: readonly PackFn[], onRows?: (first: number, count: number) => void): number;

export declare function pollSlot(ctl: Int32Array, slot: number, stop: (value: number) => boolean): number;

export declare function nativeKernelOn(memory: { readonly buffer: ArrayBuffer | SharedArrayBuffer }, fn: (view: Int8Array, aPtr: number, bPtr: number, outPtr: number, mBlocks: number, nBlocks: number, kSteps: number, outRowBytes: number) => void): KernelFn;
