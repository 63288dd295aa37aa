// The MPT's DB interface over one LevelDB, so the state trie (accounts, storage, code) lives on
// disk and a restart resumes from a state root instead of replaying every block.
import type { ClassicLevel } from "classic-level";
import type { BatchDBOp, DB, EncodingOpts } from "@ethereumjs/util";

/** Every trie key is stored under this prefix, beside the block store's own keys. */
export const TRIE_KEY_PREFIX = "s";

export class LevelTrieDB implements DB<string, string | Uint8Array> {
  constructor(readonly level: ClassicLevel<string, Uint8Array>) {}

  async get(key: string, _opts?: EncodingOpts): Promise<Uint8Array | undefined> {
    return (await this.level.get(TRIE_KEY_PREFIX + key)) ?? undefined;
  }

  async put(key: string, value: string | Uint8Array, _opts?: EncodingOpts): Promise<void> {
    await this.level.put(TRIE_KEY_PREFIX + key, asBytes(value));
  }

  async del(key: string, _opts?: EncodingOpts): Promise<void> {
    await this.level.del(TRIE_KEY_PREFIX + key);
  }

  async batch(ops: BatchDBOp<string, string | Uint8Array>[]): Promise<void> {
    await this.level.batch(
      ops.map((op) =>
        op.type === "put"
          ? { type: "put" as const, key: TRIE_KEY_PREFIX + op.key, value: asBytes(op.value) }
          : { type: "del" as const, key: TRIE_KEY_PREFIX + op.key },
      ),
    );
  }

  shallowCopy(): DB<string, string | Uint8Array> {
    return new LevelTrieDB(this.level);
  }

  async open(): Promise<void> {
    await this.level.open();
  }
}

// The trie is created with Bytes value encoding, so strings only appear if a caller overrides it.
function asBytes(value: string | Uint8Array): Uint8Array {
  return typeof value === "string" ? new TextEncoder().encode(value) : value;
}
