// The precompiles' one door to src/commit: tensor commitments, receipt leaves and Merkle roots
// (formats in docs/spec.md#commitments).
import { commitTensor, leavesRoot, makeReceipt, paramsHash, toHex } from "../src/commit/index.ts";
import type { Tensor } from "../src/engine/tensor.ts";
import type { AivmOpReceipt } from "../src/chain/types.ts";

type Hex = `0x${string}`;

/** The Tensor Commit (chunk Merkle root bound to the header); also a persistent tensor's content id. */
export function tensorCommit(t: Tensor): Uint8Array {
  return commitTensor(t);
}

/** What a precompile reports for one executed op. */
export interface ReceiptInput {
  precompile: Hex;
  opcode: string;
  /** The call's parameters; the receipt commits to their hash. */
  params: Uint8Array;
  inputCommits: Uint8Array[];
  outputCommits: Uint8Array[];
  gasUsed: bigint;
  flops: bigint;
}

export function receiptLeafOf(index: number, r: ReceiptInput): AivmOpReceipt {
  return makeReceipt(index, r.opcode, {
    precompile: r.precompile,
    paramsHash: paramsHash(r.params),
    inputCommits: r.inputCommits.map(toHex),
    outputCommits: r.outputCommits.map(toHex),
    gasUsed: r.gasUsed,
    flops: r.flops,
  });
}

/** Merkle root over receipt leaves (zero hash when empty): trace roots and block anchors. */
export function rootOfLeaves(leaves: readonly Hex[]): Hex {
  return leavesRoot(leaves);
}

