// The precompiles' one door to src/commit: tensor commitments, receipt leaves and Merkle roots
// (formats in docs/spec.md#commitments).
import { commitTensor, fromHex, paramsHashBytes, receiptLeafBytes, toHex } from "../src/commit/index.ts";
import type { Tensor } from "../src/engine/tensor.ts";
import type { AivmOpReceipt } from "../src/commit/receipt.ts";

type Hex = `0x${string}`;

const commitCache = new WeakMap<Tensor, Uint8Array>();

/** The Tensor Commit of `t`, computed once per tensor object (tensors are never modified). */
export function commitOf(t: Tensor): Uint8Array {
  let c = commitCache.get(t);
  if (!c) {
    c = commitTensor(t);
    commitCache.set(t, c);
  }
  return c;
}

/** What a precompile reports for one executed op. */
export interface ReceiptInput {
  precompile: Hex;
  opcode: string;
  /** The call's parameters; the receipt commits to their hash. */
  params: Uint8Array;
  /** paramsHashBytes(params), when the caller already holds it (a cached inline program's). */
  paramsHash?: Uint8Array;
  inputCommits: Uint8Array[];
  outputCommits: Uint8Array[];
  gasUsed: bigint;
  flops: bigint;
}

const addressBytes = new Map<Hex, Uint8Array>();

export function receiptLeafOf(index: number, r: ReceiptInput): AivmOpReceipt {
  let precompile = addressBytes.get(r.precompile);
  if (precompile === undefined) {
    precompile = fromHex(r.precompile);
    addressBytes.set(r.precompile, precompile);
  }
  const paramsHash = r.paramsHash ?? paramsHashBytes(r.params);
  const leaf = receiptLeafBytes(precompile, paramsHash, r.inputCommits, r.outputCommits, r.gasUsed, r.flops);
  return {
    index,
    opcode: r.opcode,
    precompile: r.precompile,
    paramsHash: toHex(paramsHash),
    inputCommits: r.inputCommits.map(toHex),
    outputCommits: r.outputCommits.map(toHex),
    gasUsed: r.gasUsed,
    flops: r.flops,
    leaf: toHex(leaf),
  };
}
