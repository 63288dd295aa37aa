// Durable block store. The node keeps every index in memory; this is the sink that makes a mined
// block survive a crash. LevelStore writes each block with one synced batch before the node
// answers, so a block reported as mined is on disk even after SIGKILL.
import { ClassicLevel } from "classic-level";
import { LevelTrieDB } from "./level-trie-db.ts";
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
  /** Writes a block and the new meta atomically and durably. */
  putBlock(block: StoredBlock, meta: ChainMeta): Promise<void>;
  /** Writes meta alone (state changed outside a block, or blocks were dropped). */
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
    // sync: LevelDB fsyncs its log, which also makes the trie writes issued before this durable.
    await this.level.batch(
      [
        { type: "put", key: blockKey(block.number), value: block.rlp },
        { type: "put", key: recordKey(block.number), value: this.encoder.encode(block.record) },
        { type: "put", key: META_KEY, value: this.encodeMeta(meta) },
      ],
      { sync: true },
    );
  }

  async putMeta(meta: ChainMeta, drop?: { from: bigint; to: bigint }): Promise<void> {
    const ops: { type: "put" | "del"; key: string; value?: Uint8Array }[] = [];
    if (drop) {
      for (let n = drop.from; n <= drop.to; n++) {
        ops.push({ type: "del", key: blockKey(n) }, { type: "del", key: recordKey(n) });
      }
    }
    await this.level.batch(
      [
        ...ops.map((op) => (op.type === "del" ? { type: "del" as const, key: op.key } : { type: "put" as const, key: op.key, value: op.value! })),
        { type: "put" as const, key: META_KEY, value: this.encodeMeta(meta) },
      ],
      { sync: true },
    );
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
