// Tensor handles: 57 bytes, "AREF" ‖ kind (1) ‖ owner (20) ‖ id (32); kind 1 scratch, 2 persistent,
// 3 namespace, 4 seed (owner zero, id a salt). A tensor argument that is not a
// handle is an inline tensor in the wire format. See docs/precompiles.md#calling-convention.
import { MalformedEncodingError } from "../src/engine/errors.ts";
import { HANDLE_KIND, type HandleKind } from "./errors.ts";

export const REF_MAGIC = 0x41524546; // "AREF"
export const REF_BYTES = 57;

export interface Handle {
  kind: HandleKind;
  owner: Uint8Array;
  id: Uint8Array;
}

export function isHandle(bytes: Uint8Array): boolean {
  return bytes.length === REF_BYTES && bytes[0] === 0x41 && bytes[1] === 0x52 && bytes[2] === 0x45 && bytes[3] === 0x46;
}

export function decodeHandle(bytes: Uint8Array): Handle {
  if (!isHandle(bytes)) throw new MalformedEncodingError("tensor handle", `expected ${REF_BYTES} bytes starting with "AREF"`);
  const kind = bytes[4]!;
  if (kind !== HANDLE_KIND.scratch && kind !== HANDLE_KIND.persistent && kind !== HANDLE_KIND.namespace && kind !== HANDLE_KIND.seed) {
    throw new MalformedEncodingError("tensor handle", `unknown kind ${kind}`);
  }
  const owner = bytes.slice(5, 25);
  // One encoding per seed: its owner field is unused and must be zero.
  if (kind === HANDLE_KIND.seed && owner.some((b) => b !== 0)) throw new MalformedEncodingError("tensor handle", "a seed handle's owner must be zero");
  return { kind: kind as HandleKind, owner, id: bytes.slice(25, 57) };
}

export function encodeHandle(kind: HandleKind, id: Uint8Array, owner: Uint8Array = new Uint8Array(20)): Uint8Array {
  const out = new Uint8Array(REF_BYTES);
  new DataView(out.buffer).setUint32(0, REF_MAGIC);
  out[4] = kind;
  out.set(owner, 5 + 20 - owner.length);
  out.set(id, 25 + 32 - id.length);
  return out;
}

/** A scratch handle for slot `slot`. */
export function scratchHandle(slot: number): Uint8Array {
  const id = new Uint8Array(32);
  new DataView(id.buffer).setUint32(28, slot);
  return encodeHandle(HANDLE_KIND.scratch, id);
}

/** A seed handle for a caller-chosen 32-byte salt: resolves to the call's VRF-derived int32[8] seed. */
export function seedHandle(salt: Uint8Array): Uint8Array {
  return encodeHandle(HANDLE_KIND.seed, salt);
}

/** The scratch slot a handle names, or −1 when its id is beyond any possible slot. */
export function scratchSlotOf(h: Handle): number {
  for (let i = 0; i < 28; i++) if (h.id[i] !== 0) return -1;
  return new DataView(h.id.buffer, h.id.byteOffset).getUint32(28);
}
