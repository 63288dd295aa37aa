// Regenerates test/commit/commit-vectors.json: `npx tsx test/commit/gen-commit-vectors.ts`.
// Run once when the commitment layout changes on purpose; commit.test.ts pins these values.
import { writeFileSync } from "node:fs";
import { commitTensor } from "../../src/commit/tensor-commit.ts";
import { receiptLeaf, opParamsHash } from "../../src/commit/receipt.ts";
import { leavesRoot } from "../../src/commit/trace.ts";
import { keccak } from "../../src/commit/hash.ts";
import { toHex, type Hex } from "../../src/commit/hex.ts";
import { tensor, type DType } from "../../src/engine/tensor.ts";

/** Deterministic test data: element i = (i·31 + 7) mod 256 − 128, widened per dtype. */
export function patternTensor(dtype: DType, shape: number[]) {
  const n = shape.reduce((a, b) => a * b, 1);
  const mul = dtype === "int8" ? 1 : dtype === "int16" ? 256 : 16777216;
  return tensor(dtype, shape, Array.from({ length: n }, (_, i) => (((i * 31 + 7) % 256) - 128) * mul));
}

export const TENSOR_CASES: { name: string; dtype: DType; shape: number[]; quant?: { axis: number; multiplier: number[]; shift: number[]; zeroPoint: number[] } }[] = [
  { name: "int8 [0] (no chunks)", dtype: "int8", shape: [0] },
  { name: "int8 [3]", dtype: "int8", shape: [3] },
  { name: "int8 [4096] (exactly one chunk)", dtype: "int8", shape: [4096] },
  { name: "int8 [4097] (two chunks, short last)", dtype: "int8", shape: [4097] },
  { name: "int16 [3,2048] (three chunks, odd level)", dtype: "int16", shape: [3, 2048] },
  { name: "int32 [5,1024] per-tensor quant (five chunks)", dtype: "int32", shape: [5, 1024], quant: { axis: -1, multiplier: [1234567], shift: [20], zeroPoint: [0] } },
];

const leaf = (i: number): Hex => toHex(keccak(new Uint8Array([0xaa, i])));
export const RECEIPT_CASE = {
  precompile: "0x000000000000000000000000000000000000a101" as Hex,
  paramsHash: opParamsHash(1, { transB: 1, shift: [12] }),
  inputCommits: [leaf(1), leaf(2)],
  outputCommits: [leaf(3)],
  gasUsed: 123456n,
  flops: 2n ** 40n + 3n,
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const vectors = {
    tensors: TENSOR_CASES.map((c) => {
      const t = patternTensor(c.dtype, c.shape);
      if (c.quant) t.quant = c.quant;
      return { name: c.name, commit: toHex(commitTensor(t)) };
    }),
    receipt: { paramsHash: RECEIPT_CASE.paramsHash, leaf: receiptLeaf(RECEIPT_CASE) },
    roots: [0, 1, 2, 3, 4, 5, 8].map((n) => ({ leaves: n, root: leavesRoot(Array.from({ length: n }, (_, i) => leaf(i))) })),
  };
  writeFileSync(new URL("./commit-vectors.json", import.meta.url), JSON.stringify(vectors, null, 2) + "\n");
  console.log("wrote commit vectors");
}
