// The MPT's DB interface over one LevelDB, so the state trie (accounts, storage, code) lives on
// disk and a restart resumes from a state root instead of replaying every block. Trie writes are
// held in memory (and read from there) until the block store writes them in the same synced batch
// as the block or head they belong to (store.ts): on disk, a head never names a state root whose
// nodes are missing, whatever moment the process dies at.
import type { ClassicLevel } from "classic-level";
import type { BatchDBOp, DB, EncodingOpts } from "@ethereumjs/util";

/** Every trie key is stored under this prefix, beside the block store's own keys. */
export const TRIE_KEY_PREFIX = "s";

/** One LevelDB write: a put, or a delete (value undefined). */
export type LevelWrite = { type: "put"; key: string; value: Uint8Array } | { type: "del"; key: string };

export class LevelTrieDB implements DB<string, string | Uint8Array> {
  constructor(
    readonly level: ClassicLevel<string, Uint8Array>,
    /** Prefixed key → value (undefined: deleted) not yet on disk; shared by every copy of this DB. */
    private readonly pending: Map<string, Uint8Array | undefined> = new Map(),
  ) {}

  async get(key: string, _opts?: EncodingOpts): Promise<Uint8Array | undefined> {
    const k = TRIE_KEY_PREFIX + key;
    if (this.pending.has(k)) return this.pending.get(k);
    return (await this.level.get(k)) ?? undefined;
  }

  async put(key: string, value: string | Uint8Array, _opts?: EncodingOpts): Promise<void> {
    this.pending.set(TRIE_KEY_PREFIX + key, asBytes(value));
  }

  async del(key: string, _opts?: EncodingOpts): Promise<void> {
    this.pending.set(TRIE_KEY_PREFIX + key, undefined);
  }

  async batch(ops: BatchDBOp<string, string | Uint8Array>[]): Promise<void> {
    for (const op of ops) this.pending.set(TRIE_KEY_PREFIX + op.key, op.type === "put" ? asBytes(op.value) : undefined);
  }

  shallowCopy(): DB<string, string | Uint8Array> {
    return new LevelTrieDB(this.level, this.pending);
  }

  async open(): Promise<void> {
    await this.level.open();
  }

  /** The trie writes not yet on disk, as LevelDB operations for the batch that makes them durable. */
  pendingWrites(): LevelWrite[] {
    return [...this.pending].map(([key, value]): LevelWrite => (value === undefined ? { type: "del", key } : { type: "put", key, value }));
  }

  /** `writes` reached the disk: forget those still pending unchanged. */
  written(writes: readonly LevelWrite[]): void {
    for (const w of writes) {
      if (this.pending.has(w.key) && this.pending.get(w.key) === (w.type === "put" ? w.value : undefined)) this.pending.delete(w.key);
    }
  }
}

// The trie is created with Bytes value encoding, so strings only appear if a caller overrides it.
function asBytes(value: string | Uint8Array): Uint8Array {
  return typeof value === "string" ? new TextEncoder().encode(value) : value;
}
