// Binary Merkle trees over 32-byte leaf hashes (docs/spec.md#merkle-trees). Internal nodes are
// keccak256(0x01 ‖ left ‖ right); an odd level is padded with the zero hash, which no leaf can
// equal, so lists of different lengths never share a root. The empty tree's root is the zero hash.
import { DOMAIN, ZERO_HASH, equalBytes, taggedHash } from "./hash.ts";

export function hashNode(left: Uint8Array, right: Uint8Array): Uint8Array {
  return taggedHash(DOMAIN.node, left, right);
}

/** Number of levels above the leaves: the length of every inclusion proof. */
export function treeDepth(leafCount: number): number {
  let depth = 0;
  while (2 ** depth < leafCount) depth++;
  return depth;
}

function nextLevel(level: readonly Uint8Array[]): Uint8Array[] {
  const up: Uint8Array[] = [];
  for (let i = 0; i < level.length; i += 2) up.push(hashNode(level[i]!, level[i + 1] ?? ZERO_HASH));
  return up;
}

export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return ZERO_HASH;
  let level: readonly Uint8Array[] = leaves;
  while (level.length > 1) level = nextLevel(level);
  return level[0]!;
}

/** Sibling hashes from the leaf up to the root's children. */
export function merkleProof(leaves: readonly Uint8Array[], index: number): Uint8Array[] {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) throw new RangeError(`leaf index ${index} out of range`);
  const proof: Uint8Array[] = [];
  let level: readonly Uint8Array[] = leaves;
  let i = index;
  while (level.length > 1) {
    proof.push(level[i ^ 1] ?? ZERO_HASH);
    level = nextLevel(level);
    i >>= 1;
  }
  return proof;
}

/** Root implied by a leaf, its index and its proof. */
export function rootFromProof(leaf: Uint8Array, index: number, proof: readonly Uint8Array[]): Uint8Array {
  let h = leaf;
  let i = index;
  for (const sibling of proof) {
    h = i % 2 === 0 ? hashNode(h, sibling) : hashNode(sibling, h);
    i = Math.floor(i / 2);
  }
  return h;
}

/**
 * The count fixes the proof length, so a proof can neither stop at an internal node nor reach
 * padding: index < leafCount and exactly treeDepth(leafCount) 32-byte siblings.
 */
export function isWellFormedProof(index: number, leafCount: number, proof: readonly Uint8Array[]): boolean {
  if (!Number.isInteger(index) || index < 0 || index >= leafCount) return false;
  return proof.length === treeDepth(leafCount) && proof.every((p) => p.length === 32);
}

/** Checks that `leaf` is leaf number `index` of a `leafCount`-leaf tree with this root. */
export function verifyMerkleProof(root: Uint8Array, leaf: Uint8Array, index: number, leafCount: number, proof: readonly Uint8Array[]): boolean {
  if (leaf.length !== 32 || !isWellFormedProof(index, leafCount, proof)) return false;
  return equalBytes(rootFromProof(leaf, index, proof), root);
}
