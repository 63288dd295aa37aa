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
  COUNT: number;
}>;

export type KernelFn = (aPtr: number, bPtr: number, outPtr: number, mBlocks: number, nBlocks: number, kSteps: number, outRowBytes: number) => void;

export declare function runClaimedChunks(ctl: Int32Array, kernels: readonly KernelFn[]): number;

export declare function pollSlot(ctl: Int32Array, slot: number, stop: (value: number) => boolean): number;
