// Merkle inclusion proof of one AIVM op receipt in its block anchor, over the same tree the runtime
// anchors (src/commit: merkleRoot of the block's receipt leaves, in transaction order).
import { bytesToHex, hexToBytes } from "@ethereumjs/util";
import { merkleProof, merkleRoot, rootFromProof as rootOf } from "../commit/merkle.ts";

type Hex = `0x${string}`;

export interface ReceiptProof {
  leaf: Hex;
  leafIndex: number;
  leafCount: number;
  /** Sibling hashes from the leaf level up. */
  siblings: Hex[];
  root: Hex;
}

export function receiptProof(leaves: readonly Hex[], leafIndex: number): ReceiptProof {
  const bytes = leaves.map((l) => hexToBytes(l));
  return {
    leaf: leaves[leafIndex]!,
    leafIndex,
    leafCount: leaves.length,
    siblings: merkleProof(bytes, leafIndex).map((s) => bytesToHex(s) as Hex),
    root: bytesToHex(merkleRoot(bytes)) as Hex,
  };
}

/** Recomputes the root from a proof: the client-side check, needing nothing but the proof. */
export function rootFromProof(proof: Pick<ReceiptProof, "leaf" | "leafIndex" | "siblings">): Hex {
  return bytesToHex(rootOf(hexToBytes(proof.leaf), proof.leafIndex, proof.siblings.map((s) => hexToBytes(s)))) as Hex;
}
