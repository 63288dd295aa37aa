// Merkle inclusion proof of one AIVM op receipt in its block anchor. The tree is the one the runtime
// builds (precompiles/commit.ts rootOfLeaves): keccak(left ‖ right), an odd node paired with itself.
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, concatBytes, hexToBytes } from "@noble/hashes/utils.js";

type Hex = `0x${string}`;

export interface ReceiptProof {
  leaf: Hex;
  leafIndex: number;
  /** Sibling hashes from the leaf level up. */
  siblings: Hex[];
  root: Hex;
}

const hex = (b: Uint8Array) => `0x${bytesToHex(b)}` as Hex;

export function receiptProof(leaves: readonly Hex[], leafIndex: number): ReceiptProof {
  let level: Uint8Array[] = leaves.map((l) => hexToBytes(l.slice(2)));
  let index = leafIndex;
  const siblings: Hex[] = [];
  while (level.length > 1) {
    const sibling = index % 2 === 0 ? (level[index + 1] ?? level[index]!) : level[index - 1]!;
    siblings.push(hex(sibling));
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(keccak_256(concatBytes(level[i]!, level[i + 1] ?? level[i]!)));
    level = next;
    index = Math.floor(index / 2);
  }
  return { leaf: leaves[leafIndex]!, leafIndex, siblings, root: hex(level[0]!) };
}

/** Recomputes the root from a proof; a client-side check that needs nothing but the proof. */
export function rootFromProof(proof: Pick<ReceiptProof, "leaf" | "leafIndex" | "siblings">): Hex {
  let node: Uint8Array = hexToBytes(proof.leaf.slice(2));
  let index = proof.leafIndex;
  for (const s of proof.siblings) {
    const sibling = hexToBytes(s.slice(2));
    node = keccak_256(index % 2 === 0 ? concatBytes(node, sibling) : concatBytes(sibling, node));
    index = Math.floor(index / 2);
  }
  return hex(node);
}
