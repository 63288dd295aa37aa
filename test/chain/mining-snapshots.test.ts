// The dev node's block records (mining.ts) and snapshot ids (snapshots.ts), on their own.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Block } from "@ethereumjs/block";
import { hexToBytes } from "@ethereumjs/util";
import { decodeRecord, encodeRecord, recordOfBlock, type IncludedTx } from "../../src/chain/mining.ts";
import { Snapshots } from "../../src/chain/snapshots.ts";

const ROOT = `0x${"11".repeat(32)}` as const;
const trace = { receipts: [], traceRoot: ROOT };

/** A builder result as recordOfBlock reads it. */
function included(index: number, opts: { maxFee?: bigint; tip?: bigint; gasPrice?: bigint; failed?: string; logs?: number }): IncludedTx {
  const tx = opts.gasPrice !== undefined ? { type: 0, gasPrice: opts.gasPrice, to: undefined } : { type: 2, maxFeePerGas: opts.maxFee, maxPriorityFeePerGas: opts.tip, to: { toString: () => "0x00000000000000000000000000000000000000aa" } };
  const logs = Array.from({ length: opts.logs ?? 0 }, () => [hexToBytes("0x00000000000000000000000000000000000000aa"), [hexToBytes(ROOT)], hexToBytes("0x01")]);
  return {
    pooled: { tx: tx as never, from: "0x00000000000000000000000000000000000000f0", hash: `0x${index.toString(16).padStart(64, "0")}` },
    result: {
      receipt: { cumulativeBlockGasUsed: 21_000n * BigInt(index + 1), logs, ...(opts.failed ? { status: 0 } : { status: 1 }) },
      totalGasSpent: 21_000n,
      bloom: { bitvector: new Uint8Array(256) },
      createdAddress: opts.gasPrice !== undefined ? { toString: () => "0x00000000000000000000000000000000000000cc" } : undefined,
      execResult: { exceptionError: opts.failed ? { error: opts.failed } : undefined, returnValue: hexToBytes("0x") },
    } as never,
    trace,
  };
}

describe("block records (mining.ts)", () => {
  it("prices EIP-1559 transactions at base fee + capped tip, numbers logs across the block, keeps failures", () => {
    const block = { header: { baseFeePerGas: 10n } } as unknown as Block;
    const record = recordOfBlock(block, [included(0, { maxFee: 100n, tip: 5n, logs: 2 }), included(1, { maxFee: 12n, tip: 5n, failed: "revert", logs: 1 }), included(2, { gasPrice: 7n })], null);
    assert.deepEqual(
      record.txs.map((t) => [t.index, t.type, t.status, t.effectiveGasPrice, t.logs.map((l) => l.logIndex), t.contractAddress, t.failure?.reason]),
      [
        [0, 2, 1, 15n, [0, 1], null, undefined],
        [1, 2, 0, 12n, [2], null, "revert"],
        [2, 0, 1, 7n, [], "0x00000000000000000000000000000000000000cc", undefined],
      ],
    );
  });

  it("encodeRecord/decodeRecord round-trip bigints exactly", () => {
    const block = { header: { baseFeePerGas: 10n } } as unknown as Block;
    const record = recordOfBlock(block, [included(0, { maxFee: 2n ** 80n, tip: 3n })], { blockNumber: 5n, anchorRoot: ROOT, receiptCount: 0, flops: 2n ** 70n, multiplier: 1n });
    assert.deepEqual(decodeRecord(encodeRecord(record)), record);
  });
});

describe("Snapshots", () => {
  it("ids count up; consuming one drops it and every later one", () => {
    const snaps = new Snapshots<string>();
    const [a, b, c] = [snaps.take("a"), snaps.take("b"), snaps.take("c")];
    assert.deepEqual([a, b, c], [1, 2, 3]);
    assert.equal(snaps.consume(b), "b");
    assert.equal(snaps.consume(c), undefined, "a later snapshot is consumed too");
    assert.equal(snaps.consume(b), undefined, "a snapshot is used once");
    assert.equal(snaps.consume(a), "a");
    assert.equal(snaps.take("d"), 4, "ids are never reused");
    snaps.clear();
    assert.equal(snaps.consume(4), undefined);
  });
});
