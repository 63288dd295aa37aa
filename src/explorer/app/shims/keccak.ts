// The browser's keccak256 for src/commit (the explorer bundle swaps it in for src/commit/keccak.ts,
// whose hash-wasm hasher the node uses): the same digests, from @noble/hashes.
import { keccak_256 } from "@noble/hashes/sha3.js";

/** keccak256 of the concatenation of `parts`. */
export function keccak256(...parts: Uint8Array[]): Uint8Array {
  const hasher = keccak_256.create();
  for (const part of parts) hasher.update(part);
  return hasher.digest();
}

export function keccak256One(data: Uint8Array): Uint8Array {
  return keccak_256(data);
}
