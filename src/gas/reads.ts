// Reads from the persistent store, priced like EIP-2929 (docs/gas.md#stored-reads): per transaction
// the first access to a blob is cold, later ones are warm. A stored tensor's commit was computed when
// it was stored, so a read pays for the access and for moving its bytes, never for hashing them again.
import { COPY_GAS_PER_WORD, STORED_READ_COLD_GAS, STORED_READ_WARM_GAS } from "./constants.ts";
import { words } from "./formula.ts";

/** The access itself, charged before the blob is looked up. */
export function readAccessGas(cold: boolean): bigint {
  return cold ? STORED_READ_COLD_GAS : STORED_READ_WARM_GAS;
}

/** Moving a cold blob's bytes out of state (EXTCODECOPY's word price), charged once its size is known. */
export function readBytesGas(blobBytes: number): bigint {
  return COPY_GAS_PER_WORD * words(blobBytes);
}

/** A stored blob as the read charge sees it; what a model package knows about its weights. */
export interface StoredBlobInfo {
  /** Content id (any stable string key, e.g. 0x-hex). */
  id: string;
  /** Length of the stored blob (the tensor's wire encoding, or the manifest's blob). */
  blobBytes: number;
  /** For a manifest: its shards, in order. */
  shards?: readonly StoredBlobInfo[];
}

/**
 * Gas of reading `blobs` in this order, `warm` holding the ids already read in the transaction (it
 * gains the ones read here). The precompiles charge exactly this sequence, step by step, as they read:
 * access (cold or warm); on a cold read the blob's bytes, and for a manifest each shard the same
 * way (one COPY per word moves a shard's bytes from state into the joined tensor). A warm manifest
 * is already joined in transaction memory: no shard is touched.
 */
export function storedReadsGas(blobs: readonly StoredBlobInfo[], warm: Set<string> = new Set()): bigint {
  let gas = 0n;
  const read = (b: StoredBlobInfo): boolean => {
    const cold = !warm.has(b.id);
    gas += readAccessGas(cold);
    if (cold) {
      warm.add(b.id);
      gas += readBytesGas(b.blobBytes);
    }
    return cold;
  };
  for (const b of blobs) {
    if (!read(b) || !b.shards) continue;
    for (const s of b.shards) read(s);
  }
  return gas;
}
