// keccak256 and the one-byte domain tags that keep every kind of preimage distinct, so no leaf can
// be passed off as an internal node, a chunk as a receipt, or a header as a commitment.
import { keccak256 } from "./keccak.ts";

/** First byte of every hashed preimage (docs/spec.md#commitments). */
export const DOMAIN = {
  chunkLeaf: 0x00,
  node: 0x01,
  receiptLeaf: 0x02,
  tensorCommit: 0x03,
  tensorHeader: 0x04,
  opParams: 0x05,
} as const;

export const ZERO_HASH: Uint8Array = new Uint8Array(32);

export function keccak(...parts: Uint8Array[]): Uint8Array {
  return keccak256(...parts);
}

/** keccak256(tag ‖ parts…) */
export function taggedHash(tag: number, ...parts: Uint8Array[]): Uint8Array {
  return keccak(Uint8Array.of(tag), ...parts);
}

export function u32be(v: number): Uint8Array {
  // Byte by byte: a DataView would move the 4-byte array out of the JS heap first (~1 µs).
  return Uint8Array.of(v >>> 24, v >>> 16, v >>> 8, v);
}

/** uint256 big-endian, as abi.encodePacked(uint256) writes it. */
export function u256be(v: bigint): Uint8Array {
  if (v < 0n || v >= 1n << 256n) throw new RangeError("uint256 out of range");
  const b = new Uint8Array(32);
  let x = v;
  for (let i = 31; i >= 0 && x > 0n; i--) {
    b[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return b;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
