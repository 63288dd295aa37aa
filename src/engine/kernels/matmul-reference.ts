// The readable matmul kernel: one exact dot product per output, the specification the fast
// kernels must match bit for bit. Exact in doubles: |Σ| ≤ K·65535·128 + 2^31 < 2^53 for K ≤ 2^27.
import type { IntArray } from "../tensor.ts";
import { saturateInt32 } from "../requant.ts";

/** One [M,K]×[K,N] (or [N,K] when transB) product at the given offsets, written as int32 accumulators. */
export interface MatmulKernelArgs {
  a: IntArray;
  aOffset: number;
  /** Input zero point, subtracted from every element of A. */
  aZero: number;
  b: Int8Array;
  bOffset: number;
  transB: boolean;
  /** int32 [N], added before the final saturation; null for none. */
  bias: Int32Array | null;
  m: number;
  k: number;
  n: number;
  out: Int32Array;
  outOffset: number;
  /** B is the caller's scratch, refilled between calls: never kept in the packed-weight cache, which knows an array by its identity. */
  bIsScratch?: boolean;
}

export type MatmulKernel = (args: MatmulKernelArgs) => void;

/** acc[i,j] = sat32(bias[j] + Σ_p (A[i,p] − aZero)·B[p,j]) */
export function matmulReference(x: MatmulKernelArgs): void {
  const { a, b, m, k, n } = x;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = x.bias ? x.bias[j]! : 0;
      for (let p = 0; p < k; p++) {
        const bv = x.transB ? b[x.bOffset + j * k + p]! : b[x.bOffset + p * n + j]!;
        sum += (a[x.aOffset + i * k + p]! - x.aZero) * bv;
      }
      x.out[x.outOffset + i * n + j] = saturateInt32(sum);
    }
  }
}
