// The dev node's transaction pool: the pending list (what the next block tries, in order) and the
// queue (transactions whose nonce is ahead of their sender's next one), with the indexes admission
// and mining need. Pure bookkeeping: no state, no VM, no events; the node decides nonces and emits.
import type { TypedTransaction } from "@ethereumjs/tx";

type Hex = `0x${string}`;

export interface PooledTx {
  tx: TypedTransaction;
  from: Hex;
  hash: Hex;
}

export class TxPool {
  private list: PooledTx[] = [];
  /** Indexes of `list` (rebuilt by setPending, extended by add): hash → entry, sender → count. */
  private byHash = new Map<string, PooledTx>();
  private countBySender = new Map<string, number>();
  /** Sender → nonce → entry: transactions waiting for an earlier nonce of their sender. */
  private queued = new Map<Hex, Map<bigint, PooledTx>>();
  private queuedHashes = new Map<string, PooledTx>();

  /** The pending transactions, in block order (do not modify). */
  get pending(): readonly PooledTx[] {
    return this.list;
  }

  get pendingCount(): number {
    return this.list.length;
  }

  get queuedCount(): number {
    return this.queuedHashes.size;
  }

  queuedList(): PooledTx[] {
    return [...this.queuedHashes.values()];
  }

  /** Senders with queued transactions. */
  queuedSenders(): Hex[] {
    return [...this.queued.keys()];
  }

  pendingByHash(hash: string): PooledTx | undefined {
    return this.byHash.get(hash);
  }

  queuedByHash(hash: string): PooledTx | undefined {
    return this.queuedHashes.get(hash);
  }

  /** A pending or queued transaction. */
  find(hash: string): PooledTx | undefined {
    return this.byHash.get(hash) ?? this.queuedHashes.get(hash);
  }

  isQueued(from: Hex, nonce: bigint): boolean {
    return this.queued.get(from)?.has(nonce) ?? false;
  }

  /** How many pending transactions `sender` has (its pending nonce is the state's plus this). */
  pendingCountOf(sender: string): number {
    return this.countBySender.get(sender) ?? 0;
  }

  /** Appends to the pending list. */
  add(pooled: PooledTx): void {
    this.list.push(pooled);
    this.byHash.set(pooled.hash, pooled);
    this.countBySender.set(pooled.from, (this.countBySender.get(pooled.from) ?? 0) + 1);
  }

  enqueue(pooled: PooledTx): void {
    let bySender = this.queued.get(pooled.from);
    if (bySender === undefined) {
      bySender = new Map();
      this.queued.set(pooled.from, bySender);
    }
    bySender.set(pooled.tx.nonce, pooled);
    this.queuedHashes.set(pooled.hash, pooled);
  }

  unqueue(pooled: PooledTx): void {
    const bySender = this.queued.get(pooled.from);
    bySender?.delete(pooled.tx.nonce);
    if (bySender?.size === 0) this.queued.delete(pooled.from);
    this.queuedHashes.delete(pooled.hash);
  }

  setPending(list: readonly PooledTx[]): void {
    this.list = [];
    this.byHash = new Map();
    this.countBySender = new Map();
    for (const pooled of list) this.add(pooled);
  }

  setQueued(list: readonly PooledTx[]): void {
    this.queued = new Map();
    this.queuedHashes = new Map();
    for (const pooled of list) this.enqueue(pooled);
  }

  /**
   * Moves `from`'s queued transactions into the pending list while their nonces follow on from
   * `next`; removes queued ones whose nonce is below `next` (used meanwhile) and returns them as `stale`.
   */
  promote(from: Hex, next: bigint): { promoted: PooledTx[]; stale: PooledTx[] } {
    const bySender = this.queued.get(from);
    if (bySender === undefined) return { promoted: [], stale: [] };
    const stale: PooledTx[] = [];
    for (const pooled of [...bySender.values()]) {
      if (pooled.tx.nonce >= next) continue;
      this.unqueue(pooled);
      stale.push(pooled);
    }
    const promoted: PooledTx[] = [];
    for (let pooled = bySender.get(next); pooled !== undefined; pooled = bySender.get(next)) {
      this.unqueue(pooled);
      this.add(pooled);
      promoted.push(pooled);
      next++;
    }
    return { promoted, stale };
  }

  /**
   * hardhat_dropTransaction: removes a pending or queued transaction; false if it is neither. The
   * sender's later pending transactions move to the queue, as they now follow a gap.
   */
  drop(hash: string): boolean {
    const queued = this.queuedHashes.get(hash);
    if (queued !== undefined) {
      this.unqueue(queued);
      return true;
    }
    const pooled = this.byHash.get(hash);
    if (pooled === undefined) return false;
    const later = this.list.filter((p) => p.from === pooled.from && p.tx.nonce > pooled.tx.nonce);
    for (const p of later) this.enqueue(p);
    this.setPending(this.list.filter((p) => p !== pooled && !later.includes(p)));
    return true;
  }
}
