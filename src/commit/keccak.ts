// keccak256 for everything the node hashes: Tensor Commits, receipts, tries, transaction hashes,
// the EVM's KECCAK256 opcode (through Common's customCrypto). hash-wasm's WebAssembly Keccak gives
// the same digests as @noble/hashes (test/commit/keccak.test.ts compares them) at about 1.4 µs for
// a short input against 9 µs: hashing was a tenth of an eth_call and of block sealing.
// WebAssembly is integer-exact and deterministic, so this stays on the consensus path. The hasher
// is created once (its WASM compiles at import) and is reused: every call runs init → update →
// digest synchronously, so calls never interleave.
import { createKeccak } from "hash-wasm";

const hasher = await createKeccak(256);

/** keccak256 of the concatenation of `parts`. */
export function keccak256(...parts: Uint8Array[]): Uint8Array {
  hasher.init();
  for (const part of parts) hasher.update(part);
  return hasher.digest("binary");
}

/** keccak256 of one input (the shape EthereumJS's customCrypto.keccak256 expects). */
export function keccak256One(data: Uint8Array): Uint8Array {
  hasher.init();
  hasher.update(data);
  return hasher.digest("binary");
}
