// Trace roots (one transaction's receipts), block anchors (all of a block's receipts, in
// transaction order) and receipt verification against an anchor (docs/spec.md#trace-roots-and-block-anchors).
import type { Tensor } from "../engine/tensor.ts";
import { equalBytes } from "./hash.ts";
import { fromHexChecked, toHex, type Hex } from "./hex.ts";
import { merkleProof, merkleRoot, verifyMerkleProof } from "./merkle.ts";
import { receiptLeaf, type AivmOpReceipt } from "./receipt.ts";
import { commitTensor } from "./tensor-commit.ts";

/** One transaction's receipts and the root TCOMMIT returns for them. */
export interface AivmTxTrace {
  receipts: AivmOpReceipt[];
  /** Merkle root over the receipts' leaves (zero hash when there are none). */
  traceRoot: `0x${string}`;
}

/** What the end of a block writes to the BlockAnchor system contract. */
export interface AivmBlockAnchor {
  blockNumber: bigint;
  /** Merkle root over every receipt leaf of the block, in transaction order. */
  anchorRoot: `0x${string}`;
  receiptCount: number;
  /** Total AIVM FLOPs executed in the block (drives the next multiplier). */
  flops: bigint;
  /** Multiplier in force during this block, as a fixed-point integer (see docs/gas.md). */
  multiplier: bigint;
}

/** Merkle root over receipt leaves, in order; the zero hash when there are none. */
export function leavesRoot(leaves: readonly Hex[]): Hex {
  return toHex(merkleRoot(leaves.map((l) => fromHexChecked(l, "receipt leaf"))));
}

/** A transaction's trace root (what TCOMMIT mode 1 returns). */
export function traceRoot(receipts: readonly Pick<AivmOpReceipt, "leaf">[]): Hex {
  return leavesRoot(receipts.map((r) => r.leaf));
}

/** A block's anchor root over every receipt leaf of the block, transactions in block order. */
export function anchorRoot(blockLeaves: readonly Hex[]): Hex {
  return leavesRoot(blockLeaves);
}

/** Inclusion proof of leaf `index` among `leaves` (a trace or a whole block). */
export function receiptProof(leaves: readonly Hex[], index: number): Hex[] {
  return merkleProof(leaves.map((l) => fromHexChecked(l, "receipt leaf")), index).map(toHex);
}

export interface ReceiptCheck {
  ok: boolean;
  /** Which step failed: "malformed", "leaf", "inclusion", "output count" or "output <i>". */
  failed?: string;
}

/**
 * Checks a receipt against a block anchor in three steps:
 *   1. its leaf is the hash of its fields;
 *   2. the leaf is at `position` among the anchor's `receiptCount` leaves (Merkle proof);
 *   3. when `outputs` are given, each one's Tensor Commit equals the receipt's output commit.
 * Correctness of the outputs themselves is a separate re-execution or spot check.
 */
export function verifyReceipt(
  receipt: AivmOpReceipt,
  anchor: Pick<AivmBlockAnchor, "anchorRoot" | "receiptCount">,
  position: number,
  proof: readonly Hex[],
  outputs?: readonly Tensor[],
): ReceiptCheck {
  let leaf: Hex;
  let included: boolean;
  try {
    leaf = receiptLeaf(receipt);
    included = verifyMerkleProof(fromHexChecked(anchor.anchorRoot, "anchor root"), fromHexChecked(leaf, "receipt leaf"), position, anchor.receiptCount, proof.map((p) => fromHexChecked(p, "proof node")));
  } catch {
    // Malformed hex or field widths: not a receipt that can verify.
    return { ok: false, failed: "malformed" };
  }
  if (leaf !== receipt.leaf.toLowerCase()) return { ok: false, failed: "leaf" };
  if (!included) return { ok: false, failed: "inclusion" };
  if (outputs) {
    if (outputs.length !== receipt.outputCommits.length) return { ok: false, failed: "output count" };
    for (let i = 0; i < outputs.length; i++) {
      if (!equalBytes(commitTensor(outputs[i]!), fromHexChecked(receipt.outputCommits[i]!, "output commit"))) return { ok: false, failed: `output ${i}` };
    }
  }
  return { ok: true };
}
