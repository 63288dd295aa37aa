// The operands matmul-env.test.ts runs in every kernel and thread setting: shapes large enough for
// the worker threads (≥ THREADED_MIN_MACS multiply-adds) and small ones, every remainder of the 4×2
// and 1×4 blocks and of the 8-value k-steps, extreme values, zero points, bias, transB, and shapes
// with no padding row or column (outputs written in place by the native kernel).
import { tensor, type Tensor } from "../../src/engine/tensor.ts";
import type { Attrs } from "../../src/engine/op.ts";
import { rng, int } from "../golden/linear/cases.ts";

export interface MatmulEnvCase {
  inputs: Tensor[];
  attrs: Attrs;
}

export function matmulEnvCases(): MatmulEnvCase[] {
  const r = rng(2026);
  const cases: MatmulEnvCase[] = [];
  // From index 8, shapes the native kernel writes in place (no bias at even indices, rows and
  // columns whole blocks): 4×2 blocks large enough for the threads, and 1×4.
  const shapes: [number, number, number][] = [[300, 301, 299], [257, 512, 130], [1, 4096, 1025], [3, 1500, 3001], [5, 17, 9], [4, 16, 8], [2, 15, 7], [7, 1, 3], [256, 300, 258], [9, 33, 17], [2, 64, 8192]];
  for (const [i, [m, k, n]] of shapes.entries()) {
    const extreme = i % 2 === 0;
    const value = () => (extreme && r() < 0.5 ? (r() < 0.5 ? -128 : 127) : int(r, -128, 127));
    const a = tensor("int8", [m, k], Int8Array.from({ length: m * k }, value));
    const transB = i % 3 === 0;
    const b = tensor("int8", transB ? [n, k] : [k, n], Int8Array.from({ length: k * n }, value));
    const bias = tensor("int32", [n], Int32Array.from({ length: n }, () => int(r, -1e6, 1e6)));
    const attrs: Attrs = { transB: transB ? 1 : 0, aZero: [0, -128, 127, 3][i % 4]! };
    cases.push({ inputs: i % 2 === 1 ? [a, b, bias] : [a, b], attrs });
  }
  return cases;
}
