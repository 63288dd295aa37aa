// The AIVM memory layer: per-transaction scratch tensors (journaled with the call frames), the
// persistent content-addressed store in state, and per-contract agent namespaces.
import { Address, hexToBytes, setLengthLeft } from "@ethereumjs/util";
import { keccak256One } from "../src/commit/keccak.ts";
import { equalBytes } from "../src/commit/hash.ts";
import { concatBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import type { StateManagerInterface } from "@ethereumjs/common";
import { MemoryLimitError } from "../src/engine/errors.ts";
import { AGENT_NAMESPACES_ADDRESS } from "./addresses.ts";
import { TX_MEMORY_LIMIT_BYTES, byteSize, type Tensor } from "../src/engine/tensor.ts";

/** Where a scratch frame checkpoint stands: restoring it drops everything created after. */
export interface ScratchCheckpoint {
  slots: number;
  usedBytes: number;
}

/**
 * Per-transaction tensor scratch memory. Slots are append-only and numbered from 0; the byte budget
 * (512 MiB by default) counts every slot plus the transient working set of the op that is running.
 */
export class ScratchMemory {
  private readonly slots: Tensor[] = [];
  private used = 0;

  constructor(readonly limitBytes: number = TX_MEMORY_LIMIT_BYTES) {}

  get usedBytes(): number {
    return this.used;
  }

  get size(): number {
    return this.slots.length;
  }

  /** Throws MemoryLimitError unless `bytes` more fit in the budget. Allocates nothing. */
  ensure(bytes: number): void {
    if (this.used + bytes > this.limitBytes) throw new MemoryLimitError(bytes, this.limitBytes, this.used);
  }

  /** Stores a tensor in a new slot and returns its handle. */
  put(t: Tensor): number {
    const bytes = byteSize(t);
    this.ensure(bytes);
    this.used += bytes;
    this.slots.push(t);
    return this.slots.length - 1;
  }

  get(handle: number): Tensor | undefined {
    return Number.isSafeInteger(handle) && handle >= 0 ? this.slots[handle] : undefined;
  }

  checkpoint(): ScratchCheckpoint {
    return { slots: this.slots.length, usedBytes: this.used };
  }

  /** Drops the slots created after `cp` (a reverted frame's scratch goes with it). */
  rollback(cp: ScratchCheckpoint): void {
    this.slots.length = cp.slots;
    this.used = cp.usedBytes;
  }
}

// ───────────────────────────── persistent store ─────────────────────────────

/** Prefix of every stored blob's code: INVALID, so a CALL to a blob account fails at once. */
export const STORE_CODE_PREFIX = 0xfe;
const STORE_DOMAIN = utf8ToBytes("AIVM.store");

/**
 * Store addresses by the id array they were derived from: a cached program's handle ids are the
 * same arrays on every call, so its weights' addresses are not hashed again. The id's bytes are
 * kept and compared on a hit (an array could be written to); entries go with their arrays.
 */
const storeAddresses = new WeakMap<Uint8Array, { id: Uint8Array; address: Address }>();

/** The derived account whose code holds the blob with content id `id`. */
export function storeAddressOf(id: Uint8Array): Address {
  const hit = storeAddresses.get(id);
  if (hit !== undefined && equalBytes(hit.id, id)) return hit.address;
  const address = new Address(keccak256One(concatBytes(STORE_DOMAIN, id)).subarray(12));
  storeAddresses.set(id, { id: id.slice(), address });
  return address;
}

/** Writes a content-addressed blob into state (journaled with the current frame). */
export async function putBlob(state: StateManagerInterface, id: Uint8Array, blob: Uint8Array): Promise<void> {
  const code = new Uint8Array(blob.length + 1);
  code[0] = STORE_CODE_PREFIX;
  code.set(blob, 1);
  await state.putCode(storeAddressOf(id), code);
}

/** Reads a blob by content id, or undefined when none is stored. */
export async function getBlob(state: StateManagerInterface, id: Uint8Array): Promise<Uint8Array | undefined> {
  return (await getBlobCode(state, id))?.subarray(1);
}

/**
 * The account code that holds blob `id` (the prefix byte, then the blob), or undefined. While the
 * state manager caches the code it returns the same array, so callers can key caches on it.
 */
export async function getBlobCode(state: StateManagerInterface, id: Uint8Array): Promise<Uint8Array | undefined> {
  const code = await state.getCode(storeAddressOf(id));
  if (code.length === 0 || code[0] !== STORE_CODE_PREFIX) return undefined;
  return code;
}

/** Size in bytes of a stored blob without copying it (0 when absent). */
export async function blobSize(state: StateManagerInterface, id: Uint8Array): Promise<number> {
  const n = await state.getCodeSize(storeAddressOf(id));
  return n > 0 ? n - 1 : 0;
}

// ───────────────────────────── agent namespaces ─────────────────────────────

export { AGENT_NAMESPACES_ADDRESS };

/** Storage slot of `_entries[owner][key]`: Solidity's layout for a nested mapping at slot 0. */
export function namespaceSlot(owner: Uint8Array, key: Uint8Array): Uint8Array {
  const inner = keccak256One(concatBytes(setLengthLeft(owner, 32), new Uint8Array(32)));
  return keccak256One(concatBytes(setLengthLeft(key, 32), inner));
}

export async function getNamespaceEntry(state: StateManagerInterface, owner: Uint8Array, key: Uint8Array): Promise<Uint8Array | undefined> {
  const v = await state.getStorage(new Address(hexToBytes(AGENT_NAMESPACES_ADDRESS)), namespaceSlot(owner, key));
  if (v.length === 0 || v.every((b) => b === 0)) return undefined;
  return setLengthLeft(v, 32);
}

export async function putNamespaceEntry(state: StateManagerInterface, owner: Uint8Array, key: Uint8Array, contentId: Uint8Array): Promise<void> {
  await state.putStorage(new Address(hexToBytes(AGENT_NAMESPACES_ADDRESS)), namespaceSlot(owner, key), contentId);
}

