// Durable block store. The node keeps every index in memory; this is the sink that makes a mined
// block survive a crash. LevelStore writes each block, with the state trie's nodes written since the
// last block or head (level-trie-db.ts holds them until then), in one synced batch before the node
// answers: a block reported as mined is on disk even after SIGKILL, and a stored head's state root
// always has its nodes.
import { ClassicLevel } from "classic-level";
import { LevelTrieDB, type LevelWrite } from "./level-trie-db.ts";
import { MapDB } from "@ethereumjs/util";
import type { DB } from "@ethereumjs/util";

/** The head of the chain as last persisted. */
export interface ChainMeta {
  headNumber: bigint;
  /** Current state root; differs from the head block's after hardhat_setBalance and friends. */
  stateRoot: string;
  timeOffset: bigint;
  chainId: number;
}

/** One stored block: its RLP plus the node's per-block record (receipts, senders, AIVM traces). */
export interface StoredBlock {
  number: bigint;
  rlp: Uint8Array;
  /** JSON of the node's BlockRecord (see node.ts), with bigints tagged. */
  record: string;
}

export interface ChainStore {
  /** The trie's database (accounts, storage, code). */
  readonly trieDB: DB<string, string | Uint8Array>;
  readonly persistent: boolean;
  readMeta(): Promise<ChainMeta | undefined>;
  /** All stored blocks from 0 to `head`, in order. */
  readBlocks(head: bigint): Promise<StoredBlock[]>;
  /** Writes a block, the new meta and the pending trie nodes atomically and durably. */
  putBlock(block: StoredBlock, meta: ChainMeta): Promise<void>;
  /** Writes meta and the pending trie nodes (state changed outside a block, or blocks were dropped). */
  putMeta(meta: ChainMeta, dropBlocksAbove?: { from: bigint; to: bigint }): Promise<void>;
  close(): Promise<void>;
}

export class MemoryStore implements ChainStore {
  readonly trieDB = new MapDB<string, string | Uint8Array>();
  readonly persistent = false;
  async readMeta(): Promise<ChainMeta | undefined> {
    return undefined;
  }
  async readBlocks(): Promise<StoredBlock[]> {
    return [];
  }
  async putBlock(): Promise<void> {}
  async putMeta(): Promise<void> {}
  async close(): Promise<void> {}
}

const META_KEY = "m:head";
const blockKey = (n: bigint) => `b:${n.toString(16).padStart(16, "0")}`;
const recordKey = (n: bigint) => `r:${n.toString(16).padStart(16, "0")}`;

export class LevelStore implements ChainStore {
  readonly persistent = true;
  readonly trieDB: LevelTrieDB;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();

  private constructor(private readonly level: ClassicLevel<string, Uint8Array>) {
    this.trieDB = new LevelTrieDB(level);
  }

  static async open(dir: string): Promise<LevelStore> {
    const level = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: "utf8", valueEncoding: "view" });
    await level.open();
    return new LevelStore(level);
  }

  async readMeta(): Promise<ChainMeta | undefined> {
    const raw = await this.level.get(META_KEY);
    if (raw === undefined) return undefined;
    const json = JSON.parse(this.decoder.decode(raw)) as Record<string, string | number>;
    return {
      headNumber: BigInt(json.headNumber),
      stateRoot: String(json.stateRoot),
      timeOffset: BigInt(json.timeOffset),
      chainId: Number(json.chainId),
    };
  }

  async readBlocks(head: bigint): Promise<StoredBlock[]> {
    const out: StoredBlock[] = [];
    for (let n = 0n; n <= head; n++) {
      const rlp = await this.level.get(blockKey(n));
      const record = await this.level.get(recordKey(n));
      if (rlp === undefined || record === undefined) throw new Error(`Block ${n} is missing from the database (head ${head}).`);
      out.push({ number: n, rlp, record: this.decoder.decode(record) });
    }
    return out;
  }

  async putBlock(block: StoredBlock, meta: ChainMeta): Promise<void> {
    await this.writeWithTrie([
      { type: "put", key: blockKey(block.number), value: block.rlp },
      { type: "put", key: recordKey(block.number), value: this.encoder.encode(block.record) },
      { type: "put", key: META_KEY, value: this.encodeMeta(meta) },
    ]);
  }

  async putMeta(meta: ChainMeta, drop?: { from: bigint; to: bigint }): Promise<void> {
    const ops: LevelWrite[] = [];
    if (drop) {
      for (let n = drop.from; n <= drop.to; n++) ops.push({ type: "del", key: blockKey(n) }, { type: "del", key: recordKey(n) });
    }
    ops.push({ type: "put", key: META_KEY, value: this.encodeMeta(meta) });
    await this.writeWithTrie(ops);
  }

  /** `ops` and the pending trie writes in one synced batch: all of them reach the disk, or none. */
  private async writeWithTrie(ops: readonly LevelWrite[]): Promise<void> {
    const trie = this.trieDB.pendingWrites();
    await this.level.batch([...trie, ...ops], { sync: true });
    this.trieDB.written(trie);
  }

  async close(): Promise<void> {
    await this.level.close();
  }

  private encodeMeta(meta: ChainMeta): Uint8Array {
    return this.encoder.encode(
      JSON.stringify({
        headNumber: meta.headNumber.toString(),
        stateRoot: meta.stateRoot,
        timeOffset: meta.timeOffset.toString(),
        chainId: meta.chainId,
      }),
    );
  }
}
