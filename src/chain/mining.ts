// What mining leaves behind besides the block: the node's record of each transaction (receipt
// fields, logs, AIVM trace, failure) and its JSON encoding for the store. Pure functions of a built
// block and its transaction results.
import type { Block } from "@ethereumjs/block";
import { bytesToHex } from "@ethereumjs/util";
import type { RunTxResult } from "@ethereumjs/vm";
import type { AivmBlockAnchor, AivmTxTrace } from "../commit/trace.ts";
import type { PooledTx } from "./pool.ts";
import type { BlockRecord, TxRecord } from "./node.ts";

type Hex = `0x${string}`;

/** A transaction the block builder ran: its pool entry, result and AIVM trace. */
export interface IncludedTx {
  pooled: PooledTx;
  result: RunTxResult;
  trace: AivmTxTrace;
}

/**
 * A mined block's record: per transaction the sender, status, gas, fee, logs (indexed within the
 * block), AIVM trace and failure; the anchor; the traces of the block's system calls (`epochCalls`,
 * the builder's) that made AIVM receipts.
 */
export function recordOfBlock(block: Block, included: readonly IncludedTx[], anchor: AivmBlockAnchor | null, epochCalls: readonly { trace: AivmTxTrace }[] = []): BlockRecord {
  const baseFee = block.header.baseFeePerGas ?? 0n;
  let logIndex = 0;
  const txs = included.map(({ pooled, result, trace }, index): TxRecord => {
    const tx = pooled.tx;
    const receipt = result.receipt as RunTxResult["receipt"] & { status?: 0 | 1 };
    const effectiveGasPrice =
      "maxFeePerGas" in tx
        ? baseFee + minBig((tx as { maxPriorityFeePerGas: bigint }).maxPriorityFeePerGas, (tx as { maxFeePerGas: bigint }).maxFeePerGas - baseFee)
        : (tx as { gasPrice: bigint }).gasPrice;
    return {
      hash: pooled.hash,
      from: pooled.from,
      to: tx.to ? (tx.to.toString() as Hex) : null,
      contractAddress: result.createdAddress ? (result.createdAddress.toString() as Hex) : null,
      index,
      type: tx.type,
      status: receipt.status ?? (result.execResult.exceptionError ? 0 : 1),
      gasUsed: result.totalGasSpent,
      cumulativeGasUsed: receipt.cumulativeBlockGasUsed,
      effectiveGasPrice,
      logsBloom: bytesToHex(result.bloom.bitvector),
      logs: receipt.logs.map(([address, topics, data]) => ({
        address: bytesToHex(address) as Hex,
        topics: topics.map((t) => bytesToHex(t) as Hex),
        data: bytesToHex(data) as Hex,
        logIndex: logIndex++,
      })),
      trace,
      ...(result.execResult.exceptionError ? { failure: { reason: result.execResult.exceptionError.error, data: bytesToHex(result.execResult.returnValue) as Hex } } : {}),
    };
  });
  const systemTraces = epochCalls.map((c) => c.trace).filter((t) => t.receipts.length > 0);
  return systemTraces.length > 0 ? { txs, anchor, systemTraces } : { txs, anchor };
}

function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

// Records hold bigints; tag them so the JSON round-trips exactly.
export function encodeRecord(record: BlockRecord): string {
  return JSON.stringify(record, (_key, value) => (typeof value === "bigint" ? { $big: value.toString() } : value));
}

export function decodeRecord(json: string): BlockRecord {
  return JSON.parse(json, (_key, value) =>
    value !== null && typeof value === "object" && typeof value.$big === "string" && Object.keys(value).length === 1 ? BigInt(value.$big) : value,
  ) as BlockRecord;
}
