// Receipt and anchor checks, in the browser, with the node's own code (src/commit: receipt leaves,
// the Merkle tree, verifyReceipt): nothing the node says about a proof is taken on trust, only the
// anchor root it committed to, which is read from three places that must agree.
import { verifyReceipt } from "../../commit/trace.ts";
import { keccak, u256be } from "../../commit/hash.ts";
import { toHex, type Hex } from "../../commit/hex.ts";
import type { AivmOpReceipt } from "../../commit/receipt.ts";
import { BLOCK_ANCHOR } from "./chain.ts";
import { q, type Rpc } from "./rpc.ts";

export interface ProofCheck {
  ok: boolean;
  /** What was checked, or which step failed. */
  detail: string;
  anchorRoot?: Hex;
  leafIndex?: number;
  leafCount?: number;
}

export interface RpcReceipt {
  index: number;
  precompile: Hex;
  opcode: string;
  paramsHash: Hex;
  inputCommits: Hex[];
  outputCommits: Hex[];
  gasUsed: string;
  flops: string;
  leaf: Hex;
}

export function toOpReceipt(r: RpcReceipt): AivmOpReceipt {
  return { ...r, gasUsed: BigInt(r.gasUsed), flops: BigInt(r.flops) };
}

/**
 * Fetches the Merkle proof of a transaction's receipt `index` (aivm_getReceiptProof) and the block's
 * anchor (aivm_getAnchor), then checks: the proof is for `expectedLeaf` when given, the leaf is the
 * hash of the receipt's fields, it sits at its position among the anchor's leaves, and the path
 * from it reaches the anchor root.
 */
export async function checkReceiptProof(rpc: Rpc, txHash: Hex, index: number, expectedLeaf?: Hex): Promise<ProofCheck> {
  const proof = await rpc.call<{ blockNumber: string; receipt: RpcReceipt[]; leaf: Hex; leafIndex: number; leafCount: number; siblings: Hex[] } | null>("aivm_getReceiptProof", [txHash, q(index)]);
  if (!proof) return { ok: false, detail: "the node has no such transaction" };
  const anchor = await rpc.call<{ anchorRoot: Hex; receiptCount: number } | null>("aivm_getAnchor", [proof.blockNumber]);
  if (!anchor) return { ok: false, detail: "the block has no anchor" };
  const receipt = toOpReceipt(proof.receipt[0]!);
  // The proof must be for the receipt the page shows (from the trace), not just any receipt.
  if (receipt.leaf.toLowerCase() !== proof.leaf.toLowerCase() || (expectedLeaf !== undefined && expectedLeaf.toLowerCase() !== proof.leaf.toLowerCase())) {
    return { ok: false, detail: "the proof is for another receipt" };
  }
  const check = verifyReceipt(receipt, anchor, proof.leafIndex, proof.siblings);
  const where = { anchorRoot: anchor.anchorRoot, leafIndex: proof.leafIndex, leafCount: proof.leafCount };
  if (!check.ok) return { ok: false, detail: `failed at the ${check.failed} check`, ...where };
  return { ok: true, detail: `leaf ${proof.leafIndex + 1} of ${anchor.receiptCount} under the anchor root`, ...where };
}

/** BlockAnchor's storage slot of block n's root: keccak256(abi.encode(n, 1)) (docs/node.md). */
export function anchorRootSlot(blockNumber: bigint): Hex {
  return toHex(keccak(u256be(blockNumber), u256be(1n)));
}

/** The anchor root as the BlockAnchor system contract stores it, at block n's state. */
export async function storedAnchorRoot(rpc: Rpc, blockNumber: bigint): Promise<Hex> {
  return rpc.call<Hex>("eth_getStorageAt", [BLOCK_ANCHOR, anchorRootSlot(blockNumber), q(blockNumber)]);
}
