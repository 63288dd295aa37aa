// gas(op) = ceil(γ · FLOPs · m) + base(op) + bytes(op) (docs/gas.md#formula). Pure functions of
// shapes; bigint throughout so no product ever leaves exact range.
import { encodedTensorLength } from "../codec/tensor.ts";
import { CHUNK_BYTES } from "../commit/tensor-commit.ts";
import type { Attrs } from "../engine/op.ts";
import { matmulOperandUnits } from "../engine/ops/linear.ts";
import { DTYPE_BYTES, checkShape, type QuantParams, type TensorMeta } from "../engine/tensor.ts";
import {
  CHUNK_HASH_GAS,
  COPY_GAS_PER_WORD,
  GAMMA_DEN,
  GAMMA_NUM,
  HASH_GAS_PER_WORD,
  MULTIPLIER_ONE,
  DEFAULT_OP_WEIGHT,
  MUL_INT32_FLOP_WEIGHT,
  OP_BASE_GAS,
  OP_WEIGHTS,
  STORE_BASE_GAS,
  STORE_GAS_PER_BYTE,
  TENSOR_HASH_GAS,
  type OpWeight,
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

/** An op class's weights (OP_WEIGHTS); mul's FLOP weight depends on its input dtypes (its kernel path). */
export function opWeight(op: string, inputs: readonly TensorMeta[]): OpWeight {
  const weight = OP_WEIGHTS[op] ?? DEFAULT_OP_WEIGHT;
  if (op === "mul" && inputs[0]?.dtype === "int32" && inputs[1]?.dtype === "int32") return { ...weight, flop: MUL_INT32_FLOP_WEIGHT };
  return weight;
}

/** Batch entries of an output: the product of its dims but the last two (1 below rank 3); 0-sized M or N do not hide them. */
export function batchEntries(t: TensorMeta): bigint {
  checkShape(t.shape);
  let n = 1n;
  for (let i = 0; i < t.shape.length - 2; i++) n *= BigInt(t.shape[i]!);
  return n;
}

const dim = (t: TensorMeta | undefined, i: number): bigint => BigInt(t?.shape[i] ?? 0);

/**
 * The op-specific work units OpWeight.unit prices, from validated shapes (the op's infer ran first):
 * attention's scores B·Hq·S·T (q [B,Hq,S,Dh] and k [B,Hkv,T,Dh], or packed q [B,S,Hq·Dh] and
 * k [B,T,Hkv·Dh] with Hq = q_num_heads); conv2d's im2col taps N·Ho·Wo·C_in·kh·kw
 * (x [N,C_in,H,W], weight [C_out,C_in/g,kh,kw], output [N,C_out,Ho,Wo]); matmul's operand
 * work, per batch entry 8·M·K + K·N (matmulOperandUnits: A is packed at every call). 0 for other ops.
 */
export function workUnits(op: string, inputs: readonly TensorMeta[], outputs: readonly TensorMeta[], attrs: Attrs = {}): bigint {
  if (op === "attention") {
    const [q, k] = inputs;
    if (q?.shape.length === 4) return dim(q, 0) * dim(q, 1) * dim(q, 2) * dim(k, 2);
    const heads = typeof attrs["q_num_heads"] === "number" ? BigInt(attrs["q_num_heads"]) : dim(q, 2);
    return dim(q, 0) * heads * dim(q, 1) * dim(k, 1);
  }
  if (op === "matmul") return matmulOperandUnits(inputs, attrs);
  if (op === "conv2d") {
    const [x, weight] = inputs;
    const y = outputs[0];
    return dim(y, 0) * dim(y, 2) * dim(y, 3) * dim(x, 1) * dim(weight, 2) * dim(weight, 3);
  }
  return 0n;
}

/**
 * What γ prices for one op (OpWeight): flop · FLOPs + element · output elements + entry · batch
 * entries + unit · workUnits + node. Shapes (and attention's head count) only.
 */
export function weightedFlops(op: string, inputs: readonly TensorMeta[], outputs: readonly TensorMeta[], flops: bigint, attrs: Attrs = {}): bigint {
  const weight = opWeight(op, inputs);
  let elements = 0n;
  let entries = 0n;
  for (const t of outputs) {
    elements += BigInt(checkShape(t.shape));
    if (weight.entry !== 0n) entries += batchEntries(t);
  }
  const units = weight.unit === 0n ? 0n : workUnits(op, inputs, outputs, attrs);
  return weight.flop * flops + weight.element * elements + weight.entry * entries + weight.unit * units + weight.node;
}

/** Commitment chunks of a tensor's data (4 KiB each, docs/spec.md#tensor-commitment). */
export function chunksOf(t: TensorMeta): bigint {
  return ceilDiv(BigInt(checkShape(t.shape) * DTYPE_BYTES[t.dtype]), BigInt(CHUNK_BYTES));
}

/**
 * Computing one tensor's Tensor Commit: KECCAK256's word price over its encoding, plus the chunk
 * tree and the two fixed hashes. Charged only where a commit is really computed.
 */
export function commitGas(t: GasTensor): bigint {
  const w = words(encodedTensorLength({ dtype: t.dtype, shape: t.shape }, t.quant));
  return HASH_GAS_PER_WORD * w + CHUNK_HASH_GAS * chunksOf(t) + TENSOR_HASH_GAS;
}

/** Allocating and writing a tensor's data (a node output, or an output emitted inline or to scratch): COPY per word. */
export function writeGas(t: TensorMeta): bigint {
  return COPY_GAS_PER_WORD * words(checkShape(t.shape) * DTYPE_BYTES[t.dtype]);
}

/**
 * bytes(t) of an inline tensor: copy its encoding once (decoding it), hash it for its Tensor Commit.
 * The same as inputGas(t, "inline").
 */
export function tensorBytesGas(t: GasTensor): bigint {
  const w = words(encodedTensorLength({ dtype: t.dtype, shape: t.shape }, t.quant));
  return COPY_GAS_PER_WORD * w + commitGas(t);
}

/** bytes(op): the sum of tensorBytesGas over tensors. */
export function bytesGas(tensors: readonly GasTensor[]): bigint {
  let g = 0n;
  for (const t of tensors) g += tensorBytesGas(t);
  return g;
}

/**
 * Where a call's tensor argument comes from, which decides what is left to do before the op can use
 * it and bind its commit into the receipt:
 * - "inline": wire bytes in the call input — decoded (copied) and hashed for its commit;
 * - "scratch": already in transaction memory, committed by the op that put it there — nothing;
 * - "stored": a persistent tensor — moved by its read charge (storedReadGas), its content id is its commit;
 * - "sharded": a manifest's shards, moved and joined by the read charges — its commit is hashed here.
 */
export type InputSource = "inline" | "scratch" | "stored" | "sharded";

/** What a call pays for one tensor argument beyond its stored-read charge (see InputSource). */
export function inputGas(t: GasTensor, source: InputSource = "inline"): bigint {
  switch (source) {
    case "inline":
      return tensorBytesGas(t);
    case "scratch":
    case "stored":
      return 0n;
    case "sharded":
      return commitGas(t);
  }
}

/** Σ inputGas over arguments; a missing source is "inline". */
export function inputsGas(tensors: readonly GasTensor[], sources: readonly InputSource[] = []): bigint {
  let g = 0n;
  tensors.forEach((t, i) => (g += inputGas(t, sources[i] ?? "inline")));
  return g;
}

/** What a rejected call pays: the base and copying its input (docs/precompiles.md#gas). */
export function decodeGas(inputBytes: number): bigint {
  return OP_BASE_GAS + COPY_GAS_PER_WORD * words(inputBytes);
}

/** Moving tensors without compute, as inline copies (TCOMMIT's trace mode pays the base alone): base plus bytes. */
export function tensorMoveGas(tensors: readonly GasTensor[]): bigint {
  return OP_BASE_GAS + bytesGas(tensors);
}

/** TLOAD: base, the argument's input gas (its commit, when it still has to be hashed), and emitting it. */
export function loadGas(t: GasTensor, source: InputSource): bigint {
  return OP_BASE_GAS + inputGas(t, source) + writeGas(t);
}

/** TCOMMIT of one tensor, and TSTORE to scratch: base plus the argument's input gas. */
export function argumentGas(t: GasTensor, source: InputSource): bigint {
  return OP_BASE_GAS + inputGas(t, source);
}

/** Persistent store (TSTORE targets 1–4): a new state entry plus the code-deposit price per byte, plus hashing. */
export function storeGas(bytes: number): bigint {
  return STORE_BASE_GAS + STORE_GAS_PER_BYTE * BigInt(bytes) + HASH_GAS_PER_WORD * words(bytes);
}
