// The dev node's transaction pool (pool.ts) and block clock (clock.ts), on their own.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { TypedTransaction } from "@ethereumjs/tx";
import { TxPool, type PooledTx } from "../../src/chain/pool.ts";
import { ChainClock } from "../../src/chain/clock.ts";

type Hex = `0x${string}`;
const A: Hex = "0x00000000000000000000000000000000000000a0";
const B: Hex = "0x00000000000000000000000000000000000000b0";
const entry = (from: Hex, nonce: number): PooledTx => ({ from, hash: `0x${from.slice(-2)}${nonce.toString(16).padStart(62, "0")}`, tx: { nonce: BigInt(nonce) } as TypedTransaction });

describe("TxPool", () => {
  it("keeps the pending list in order with its indexes, and finds pending and queued entries", () => {
    const pool = new TxPool();
    const [a0, b0, a1] = [entry(A, 0), entry(B, 0), entry(A, 1)];
    for (const p of [a0, b0, a1]) pool.add(p);
    const a3 = entry(A, 3);
    pool.enqueue(a3);
    assert.deepEqual(pool.pending, [a0, b0, a1]);
    assert.equal(pool.pendingCountOf(A), 2);
    assert.equal(pool.pendingCountOf(B), 1);
    assert.deepEqual([pool.pendingCount, pool.queuedCount], [3, 1]);
    assert.equal(pool.find(a3.hash), a3);
    assert.equal(pool.pendingByHash(a3.hash), undefined);
    assert.equal(pool.isQueued(A, 3n), true);
    assert.deepEqual(pool.queuedSenders(), [A]);
  });

  it("promote moves the queued run that follows `next` and returns queued entries below it as stale", () => {
    const pool = new TxPool();
    const [q1, q2, q3, q5] = [entry(A, 1), entry(A, 2), entry(A, 3), entry(A, 5)];
    for (const p of [q1, q2, q3, q5]) pool.enqueue(p);
    const { promoted, stale } = pool.promote(A, 2n);
    assert.deepEqual(stale, [q1]);
    assert.deepEqual(promoted, [q2, q3]);
    assert.deepEqual(pool.pending, [q2, q3]);
    assert.deepEqual(pool.queuedList(), [q5], "nonce 4 is missing: 5 waits");
    assert.deepEqual(pool.promote(B, 0n), { promoted: [], stale: [] });
  });

  it("drop removes a queued entry, or a pending one and queues the sender's later ones", () => {
    const pool = new TxPool();
    const [a0, a1, a2, b0] = [entry(A, 0), entry(A, 1), entry(A, 2), entry(B, 0)];
    for (const p of [a0, b0, a1, a2]) pool.add(p);
    assert.equal(pool.drop(a1.hash), true);
    assert.deepEqual(pool.pending, [a0, b0]);
    assert.deepEqual(pool.queuedList(), [a2]);
    assert.equal(pool.pendingCountOf(A), 1);
    assert.equal(pool.drop(a2.hash), true);
    assert.equal(pool.queuedCount, 0);
    assert.equal(pool.drop(a2.hash), false);
  });

  it("setPending and setQueued replace both lists and rebuild their indexes", () => {
    const pool = new TxPool();
    pool.add(entry(A, 0));
    pool.enqueue(entry(A, 4));
    pool.setPending([entry(B, 0)]);
    pool.setQueued([]);
    assert.equal(pool.pendingCountOf(A), 0);
    assert.equal(pool.pendingCountOf(B), 1);
    assert.equal(pool.isQueued(A, 4n), false);
  });
});

describe("ChainClock", () => {
  it("follows the wall clock plus the offset, and is always after the parent", () => {
    let now = 1_000n;
    const clock = new ChainClock(() => now);
    assert.equal(clock.peek(500n), 1_000n);
    assert.equal(clock.peek(2_000n), 2_001n, "never at or before the parent");
    assert.equal(clock.increase(60n), 60n);
    assert.equal(clock.peek(500n), 1_060n);
    now = 1_010n;
    assert.equal(clock.take(500n), 1_070n);
  });

  it("a pinned timestamp is taken once and later blocks continue from it; the past is refused", () => {
    let now = 1_000n;
    const clock = new ChainClock(() => now);
    clock.pin(5_000n, 900n);
    assert.equal(clock.peek(900n), 5_000n);
    assert.equal(clock.take(900n), 5_000n);
    assert.equal(clock.nextTimestamp, undefined);
    now = 1_002n;
    assert.equal(clock.peek(5_000n), 5_002n, "continues from the pinned time");
    assert.throws(() => clock.pin(4_000n, 5_000n), /lower than the previous block's timestamp 5000/);
    assert.throws(() => clock.pin(5_000n, 5_000n), /equal to the previous block's timestamp/);
  });

  it("save and restore round-trip (evm_snapshot / evm_revert)", () => {
    const clock = new ChainClock(() => 0n);
    clock.increase(7n);
    clock.pin(100n, 1n);
    const saved = clock.save();
    clock.increase(1_000n);
    clock.restore(saved);
    assert.deepEqual(clock.save(), { timeOffset: 7n, nextTimestamp: 100n });
  });
});
