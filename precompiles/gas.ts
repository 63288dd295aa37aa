// The precompiles' one door to src/gas: every charge goes through here, so the quote a contract or
// aivm_quote gets and the charge a call pays are the same function.
// TEMPORARY: until src/gas lands, the formula below stands in for it (same shape as DESIGN.md).
import type { Attrs, OpDef } from "../src/engine/op.ts";
import type { TensorMeta } from "../src/engine/tensor.ts";
import type { ProgramInfo } from "../src/codec/program-infer.ts";

/** Fixed-point unit of the congestion multiplier. */
export const MULTIPLIER_ONE = 1_000_000n;
const MULTIPLIER_MIN = MULTIPLIER_ONE / 2n;
const MULTIPLIER_MAX = MULTIPLIER_ONE * 16n;
const TARGET_FLOPS = 1_000_000_000n;
const GAMMA_NUM = 1n;
const GAMMA_DEN = 64n;
const OP_BASE = 200n;
const WORD_GAS = 6n;

export function initialMultiplier(): bigint {
  return MULTIPLIER_ONE;
}

export function nextMultiplier(m: bigint, blockFlops: bigint): bigint {
  const delta = (m * (blockFlops - TARGET_FLOPS)) / TARGET_FLOPS / 8n;
  const capped = delta > m / 8n ? m / 8n : delta < -(m / 8n) ? -(m / 8n) : delta;
  const next = m + capped;
  return next < MULTIPLIER_MIN ? MULTIPLIER_MIN : next > MULTIPLIER_MAX ? MULTIPLIER_MAX : next;
}

const words = (bytes: number) => BigInt(Math.ceil(bytes / 32));
const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;

export function computeGas(flops: bigint, m: bigint): bigint {
  return ceilDiv(GAMMA_NUM * flops * m, GAMMA_DEN * MULTIPLIER_ONE);
}

/** Gas to read and copy an input of `inputBytes` bytes: what a rejected call is charged. */
export function decodeGas(inputBytes: number): bigint {
  return OP_BASE + 3n * words(inputBytes);
}

/** Exact gas of one op on declared metas: compute + base + bytes (copy and commit hashing). */
export function quoteOp(op: OpDef, inputs: readonly TensorMeta[], attrs: Attrs, m: bigint): { gas: bigint; flops: bigint } {
  const flops = op.flops(inputs, attrs);
  const outputs = op.infer(inputs, attrs);
  return { gas: computeGas(flops, m) + OP_BASE + bytesGas([...inputs, ...outputs]), flops };
}

/** bytes(op): copy and hash every input and output word. */
export function bytesGas(metas: readonly TensorMeta[]): bigint {
  let g = 0n;
  for (const t of metas) {
    const n = t.shape.reduce((a, b) => a * b, 1) * (t.dtype === "int8" ? 1 : t.dtype === "int16" ? 2 : 4);
    g += WORD_GAS * words(n);
  }
  return g;
}

/** Persistent store: per byte written. */
export function storeGas(bytes: number): bigint {
  return OP_BASE + 20_000n * words(bytes) / 4n;
}

/** Moving bytes between scratch/state and EVM memory (TLOAD, TCOMMIT). */
export function copyGas(bytes: number): bigint {
  return OP_BASE + WORD_GAS * words(bytes);
}

/** Exact gas of a whole program: the sum over its nodes of quoteOp, as inferred on declared metas. */
export function quoteProgram(info: ProgramInfo, m: bigint): bigint {
  let g = 0n;
  for (const n of info.nodes) g += computeGas(n.flops, m) + OP_BASE + bytesGas([...n.inputs, ...n.outputs]);
  return g;
}

/** Moving tensors between memories with a commit (TLOAD, TSTORE to scratch, TCOMMIT). */
export function tensorMoveGas(metas: readonly TensorMeta[]): bigint {
  return OP_BASE + bytesGas(metas);
}
