// The browser's hex codec for src/commit (the explorer bundle swaps it in for src/commit/hex.ts,
// which uses Node's Buffer): the same functions and errors, on @noble/hashes' codec.
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";

export type Hex = `0x${string}`;

export function toHex(bytes: Uint8Array): Hex {
  return `0x${bytesToHex(bytes)}`;
}

export function fromHex(hex: Hex | string): Uint8Array {
  return hexToBytes(hex.slice(2));
}

/** Bytes of an untrusted 0x-prefixed hex string, or a TypeError naming `what` (never its content). */
export function fromHexChecked(hex: string, what: string): Uint8Array {
  if (!hex.startsWith("0x") || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex.slice(2))) throw new TypeError(`${what} is not 0x-prefixed hex of whole bytes`);
  return hexToBytes(hex.slice(2));
}
