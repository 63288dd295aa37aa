export const CTL: Readonly<{ GO: number; WORK: number; DONE: number; SINK: number; HOT: number; COUNT: number }>;
export interface KernelSpec {
  n: number;
  native: { path: string; isa: string; name: "matmul" | "matmulu8" } | null;
  wasmModule: WebAssembly.Module;
}
export function loopWork(module: WebAssembly.Module, iters: number): () => number;
export function kernelWork(spec: KernelSpec): () => unknown;
