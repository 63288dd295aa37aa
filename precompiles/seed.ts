// Seed handles (kind 4): a sampling seed a contract names by a 32-byte salt and any precompile
// accepts wherever it takes a tensor. It resolves to int32[8], the words of
//   keccak256("AIVM.seed" ‖ beta (64) ‖ txHash (32) ‖ uint32be callIndex ‖ salt (32))
// read big-endian, where beta is the block's VRF output and callIndex counts the AIVM precompile
// calls made earlier in the transaction (docs/vrf.md). Derived from the call's context alone, so
// it never reads state; a replay of the transaction derives the same seed.
import { concatBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { keccak256One } from "../src/commit/keccak.ts";
import { byteSize, type Tensor } from "../src/engine/tensor.ts";
import { encodedTensorLength } from "../src/codec/tensor.ts";
import type { PrecompileCallFrame, TxContext } from "./tx-context.ts";
import type { TensorArg } from "./call.ts";
import { commitOf } from "./commit.ts";

const SEED_DOMAIN = utf8ToBytes("AIVM.seed");
/** Words in a seed tensor. */
export const SEED_WORDS = 8;

/** The 32 seed bytes for one call. */
export function seedBytes(vrfOutput: Uint8Array, txHash: Uint8Array, callIndex: number, salt: Uint8Array): Uint8Array {
  const index = new Uint8Array(4);
  new DataView(index.buffer).setUint32(0, callIndex);
  return keccak256One(concatBytes(SEED_DOMAIN, vrfOutput, txHash, index, salt));
}

/** The seed as an int32[8] tensor (big-endian words). */
export function seedTensor(bytes: Uint8Array): Tensor {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = new Int32Array(SEED_WORDS);
  for (let i = 0; i < SEED_WORDS; i++) data[i] = view.getInt32(4 * i);
  return { dtype: "int32", shape: [SEED_WORDS], data };
}

/** The tensor argument a seed handle with `salt` stands for, in this call's transaction and frame. */
export function seedArg(tx: TxContext, frame: PrecompileCallFrame, salt: Uint8Array): TensorArg {
  const t = seedTensor(seedBytes(tx.vrfOutput, tx.txHash, frame.callIndex, salt));
  // A fresh tensor, priced and committed like an inline argument of the same size.
  const arg = {
    meta: { dtype: t.dtype, shape: t.shape },
    source: "inline" as const,
    transientBytes: byteSize(t),
    encodedBytes: encodedTensorLength(t),
    load: async () => t,
    commit: async () => commitOf(t),
  };
  return arg;
}
