// The one hex codec: commits, receipts and roots as hex, and megabyte-sized tensor payloads. Node's
// Buffer codec is ~100× faster than the per-byte loops in viem and @ethereumjs/util.
export type Hex = `0x${string}`;

export function toHex(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`;
}

/** Bytes of a 0x-prefixed hex string produced by an ABI decoder (even length, valid digits). */
export function fromHex(hex: Hex | string): Uint8Array {
  const b = Buffer.from(hex.slice(2), "hex");
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Bytes of an untrusted 0x-prefixed hex string, or a TypeError naming `what` (never its content).
 * Node's decoder stops at the first pair that is not hex, so the string is valid exactly when every
 * pair was decoded.
 */
export function fromHexChecked(hex: string, what: string): Uint8Array {
  const digits = hex.length - 2;
  const b = hex.startsWith("0x") && digits % 2 === 0 ? Buffer.from(hex.slice(2), "hex") : undefined;
  if (b === undefined || b.byteLength * 2 !== digits) throw new TypeError(`${what} is not 0x-prefixed hex of whole bytes`);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
