// JSON shapes of blocks, transactions, receipts and logs, as eth_* clients (viem, ethers) expect them.
import type { Block } from "@ethereumjs/block";
import type { TypedTransaction } from "@ethereumjs/tx";
import { bytesToHex } from "@ethereumjs/util";
import type { AivmOpReceipt } from "../commit/receipt.ts";
import type { AivmBlockAnchor, AivmTxTrace } from "../commit/trace.ts";
import type { LogRecord, MinedBlock, TxRecord } from "../chain/node.ts";

type Hex = `0x${string}`;

export const q = (n: bigint | number): Hex => `0x${n.toString(16)}`;

export function formatLog(log: LogRecord, tx: TxRecord, block: Block): Record<string, unknown> {
  return {
    address: log.address,
    topics: log.topics,
    data: log.data,
    blockNumber: q(block.header.number),
    blockHash: bytesToHex(block.hash()),
    blockTimestamp: q(block.header.timestamp),
    transactionHash: tx.hash,
    transactionIndex: q(tx.index),
    logIndex: q(log.logIndex),
    removed: false,
  };
}

export function formatTransaction(tx: TypedTransaction, record: { hash: Hex; from: Hex; index?: number }, block: Block | undefined): Record<string, unknown> {
  const json = tx.toJSON() as Record<string, unknown>;
  const out: Record<string, unknown> = {
    hash: record.hash,
    type: q(tx.type),
    chainId: q(tx.common.chainId()),
    nonce: q(tx.nonce),
    from: record.from,
    to: tx.to ? tx.to.toString() : null,
    value: q(tx.value),
    gas: q(tx.gasLimit),
    input: bytesToHex(tx.data),
    v: json.v ?? "0x0",
    r: json.r ?? "0x0",
    s: json.s ?? "0x0",
    blockHash: block ? bytesToHex(block.hash()) : null,
    blockNumber: block ? q(block.header.number) : null,
    transactionIndex: block && record.index !== undefined ? q(record.index) : null,
  };
  if ("maxFeePerGas" in tx) {
    const maxFee = (tx as unknown as { maxFeePerGas: bigint }).maxFeePerGas;
    const tip = (tx as unknown as { maxPriorityFeePerGas: bigint }).maxPriorityFeePerGas;
    out.maxFeePerGas = q(maxFee);
    out.maxPriorityFeePerGas = q(tip);
    out.yParity = json.v ?? "0x0";
    const baseFee = block?.header.baseFeePerGas;
    out.gasPrice = q(baseFee === undefined ? maxFee : baseFee + (tip < maxFee - baseFee ? tip : maxFee - baseFee));
  } else {
    out.gasPrice = q((tx as unknown as { gasPrice: bigint }).gasPrice);
  }
  if (json.accessList !== undefined) out.accessList = json.accessList;
  if (json.authorizationList !== undefined) {
    // EthereumJS writes a zero as "0x"; quantities are "0x0".
    const quantityOf = (x: string) => q(BigInt(x === "0x" ? 0 : x));
    out.authorizationList = (json.authorizationList as Record<string, string>[]).map((a) => ({ ...a, chainId: quantityOf(a.chainId!), nonce: quantityOf(a.nonce!), yParity: quantityOf(a.yParity!) }));
  }
  return out;
}

export function formatReceipt(record: TxRecord, block: Block): Record<string, unknown> {
  return {
    transactionHash: record.hash,
    transactionIndex: q(record.index),
    blockHash: bytesToHex(block.hash()),
    blockNumber: q(block.header.number),
    from: record.from,
    to: record.to,
    cumulativeGasUsed: q(record.cumulativeGasUsed),
    gasUsed: q(record.gasUsed),
    effectiveGasPrice: q(record.effectiveGasPrice),
    contractAddress: record.contractAddress,
    logs: record.logs.map((log) => formatLog(log, record, block)),
    logsBloom: record.logsBloom,
    type: q(record.type),
    status: q(record.status),
    aivmTraceRoot: record.trace.traceRoot,
    aivmReceiptCount: q(record.trace.receipts.length),
  };
}

export function formatBlock({ block, record }: MinedBlock, fullTransactions: boolean): Record<string, unknown> {
  const h = block.header;
  const hash = bytesToHex(block.hash());
  const txs = block.transactions.map((tx, i) =>
    fullTransactions ? formatTransaction(tx, { hash: record.txs[i]!.hash, from: record.txs[i]!.from, index: i }, block) : record.txs[i]!.hash,
  );
  const out: Record<string, unknown> = {
    number: q(h.number),
    hash,
    parentHash: bytesToHex(h.parentHash),
    nonce: bytesToHex(h.nonce),
    mixHash: bytesToHex(h.mixHash),
    sha3Uncles: bytesToHex(h.uncleHash),
    logsBloom: bytesToHex(h.logsBloom),
    transactionsRoot: bytesToHex(h.transactionsTrie),
    stateRoot: bytesToHex(h.stateRoot),
    receiptsRoot: bytesToHex(h.receiptTrie),
    miner: h.coinbase.toString(),
    difficulty: q(h.difficulty),
    totalDifficulty: "0x0",
    extraData: bytesToHex(h.extraData),
    size: q(block.serialize().length),
    gasLimit: q(h.gasLimit),
    gasUsed: q(h.gasUsed),
    timestamp: q(h.timestamp),
    transactions: txs,
    uncles: [],
    withdrawals: (block.withdrawals ?? []).map((w) => w.toJSON()),
    aivmAnchorRoot: record.anchor?.anchorRoot ?? null,
  };
  if (h.baseFeePerGas !== undefined) out.baseFeePerGas = q(h.baseFeePerGas);
  if (h.withdrawalsRoot !== undefined) out.withdrawalsRoot = bytesToHex(h.withdrawalsRoot);
  if (h.blobGasUsed !== undefined) out.blobGasUsed = q(h.blobGasUsed);
  if (h.excessBlobGas !== undefined) out.excessBlobGas = q(h.excessBlobGas);
  if (h.parentBeaconBlockRoot !== undefined) out.parentBeaconBlockRoot = bytesToHex(h.parentBeaconBlockRoot);
  if (h.requestsHash !== undefined) out.requestsHash = bytesToHex(h.requestsHash);
  return out;
}

export function formatOpReceipt(r: AivmOpReceipt): Record<string, unknown> {
  return {
    index: r.index,
    precompile: r.precompile,
    opcode: r.opcode,
    paramsHash: r.paramsHash,
    inputCommits: r.inputCommits,
    outputCommits: r.outputCommits,
    gasUsed: q(r.gasUsed),
    flops: q(r.flops),
    leaf: r.leaf,
  };
}

export function formatTrace(trace: AivmTxTrace): Record<string, unknown> {
  return { traceRoot: trace.traceRoot, receipts: trace.receipts.map(formatOpReceipt) };
}

export function formatAnchor(anchor: AivmBlockAnchor, blockHash: Hex): Record<string, unknown> {
  return {
    blockNumber: q(anchor.blockNumber),
    blockHash,
    anchorRoot: anchor.anchorRoot,
    receiptCount: anchor.receiptCount,
    flops: q(anchor.flops),
    multiplier: q(anchor.multiplier),
  };
}
