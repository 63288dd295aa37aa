// keccak256 for everything the node hashes: Tensor Commits, receipts, tries, transaction hashes,
// the EVM's KECCAK256 opcode (through Common's customCrypto). hash-wasm's WebAssembly Keccak gives
// the same digests as @noble/hashes (test/commit/keccak.test.ts compares them) at a fraction of the
// cost. WebAssembly is integer-exact and deterministic, so this stays on the consensus path. The
// hasher is created once (its WASM compiles at import) and is reused: every call runs init →
// update → digest synchronously, so calls never interleave.
//
// Inputs are copied into one preallocated staging buffer before they reach hash-wasm. hash-wasm
// reads `data.buffer` of every input, and V8 keeps typed arrays under 64 bytes inside the JS heap
// until their `.buffer` is first read, which then moves the bytes out (~1 µs each). Most inputs
// here are such small arrays (32-byte words, tags, headers): staging made a three-part hash 4×
// faster (4.0 → 0.8 µs).
import { createKeccak } from "hash-wasm";

const hasher = await createKeccak(256);

/** Bigger than every short input; longer inputs go to hash-wasm part by part. */
const STAGING_BYTES = 1 << 16;
const staging = new Uint8Array(STAGING_BYTES);

/** keccak256 of the concatenation of `parts`. */
export function keccak256(...parts: Uint8Array[]): Uint8Array {
  hasher.init();
  let staged = 0;
  for (const part of parts) {
    if (staged + part.length > STAGING_BYTES) {
      if (staged > 0) hasher.update(staging.subarray(0, staged));
      staged = 0;
      if (part.length > STAGING_BYTES) {
        hasher.update(part);
        continue;
      }
    }
    staging.set(part, staged);
    staged += part.length;
  }
  if (staged > 0) hasher.update(staging.subarray(0, staged));
  return hasher.digest("binary");
}

/** keccak256 of one input (the shape EthereumJS's customCrypto.keccak256 expects). */
export function keccak256One(data: Uint8Array): Uint8Array {
  hasher.init();
  if (data.length <= STAGING_BYTES) {
    staging.set(data, 0);
    hasher.update(staging.subarray(0, data.length));
  } else {
    hasher.update(data);
  }
  return hasher.digest("binary");
}
