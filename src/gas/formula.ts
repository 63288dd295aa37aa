// gas(op) = ceil(γ · FLOPs · m) + base(op) + bytes(op) (docs/gas.md#formula). Pure functions of
// shapes; bigint throughout so no product ever leaves exact range.
import { encodedTensorLength } from "../codec/tensor.ts";
import { CHUNK_BYTES } from "../commit/tensor-commit.ts";
import { DTYPE_BYTES, checkShape, type QuantParams, type TensorMeta } from "../engine/tensor.ts";
import {
  CHUNK_HASH_GAS,
  COPY_GAS_PER_WORD,
  GAMMA_DEN,
  GAMMA_NUM,
  HASH_GAS_PER_WORD,
  MULTIPLIER_ONE,
  OP_BASE_GAS,
  STORE_BASE_GAS,
  STORE_GAS_PER_BYTE,
  TENSOR_HASH_GAS,
} from "./constants.ts";

/** A tensor as gas sees it: its meta, and its quantization when known (it lengthens the header). */
export type GasTensor = TensorMeta & { quant?: QuantParams };

export function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

/** 32-byte words covering `bytes` bytes, rounded up. */
export function words(bytes: number | bigint): bigint {
  return ceilDiv(BigInt(bytes), 32n);
}

/** ceil(γ · FLOPs · m / MULTIPLIER_ONE): the compute part. */
export function computeGas(flops: bigint, multiplier: bigint): bigint {
  if (flops < 0n || multiplier < 0n) throw new RangeError("FLOPs and multiplier are non-negative");
  return ceilDiv(GAMMA_NUM * flops * multiplier, GAMMA_DEN * MULTIPLIER_ONE);
}

/** Commitment chunks of a tensor's data (4 KiB each, docs/spec.md#tensor-commitment). */
export function chunksOf(t: TensorMeta): bigint {
  return ceilDiv(BigInt(checkShape(t.shape) * DTYPE_BYTES[t.dtype]), BigInt(CHUNK_BYTES));
}

/**
 * bytes(t) for one tensor an op reads or writes: copy its encoding once (COPY per word), hash it
 * for its Tensor Commit (HASH per word, plus the chunk tree and the two fixed hashes).
 */
export function tensorBytesGas(t: GasTensor): bigint {
  const w = words(encodedTensorLength({ dtype: t.dtype, shape: t.shape }, t.quant));
  return (COPY_GAS_PER_WORD + HASH_GAS_PER_WORD) * w + CHUNK_HASH_GAS * chunksOf(t) + TENSOR_HASH_GAS;
}

/** bytes(op): the sum of tensorBytesGas over the op's inputs and outputs. */
export function bytesGas(tensors: readonly GasTensor[]): bigint {
  let g = 0n;
  for (const t of tensors) g += tensorBytesGas(t);
  return g;
}

/** What a rejected call pays: the base and copying its input (docs/precompiles.md#gas). */
export function decodeGas(inputBytes: number): bigint {
  return OP_BASE_GAS + COPY_GAS_PER_WORD * words(inputBytes);
}

/** Moving tensors without compute (TLOAD, TSTORE to scratch, TCOMMIT): base plus bytes. */
export function tensorMoveGas(tensors: readonly GasTensor[]): bigint {
  return OP_BASE_GAS + bytesGas(tensors);
}

/** Persistent store (TSTORE targets 1–4): a new state entry plus the code-deposit price per byte, plus hashing. */
export function storeGas(bytes: number): bigint {
  return STORE_BASE_GAS + STORE_GAS_PER_BYTE * BigInt(bytes) + HASH_GAS_PER_WORD * words(bytes);
}
