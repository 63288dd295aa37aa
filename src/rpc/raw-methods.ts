// debug_getRawBlock, debug_getRawHeader, debug_getRawReceipts and debug_getRawTransaction
// (docs/node.md#chain-data): the consensus encodings geth answers with. A block is its RLP, a
// header its RLP, receipts the list of EIP-2718 typed receipts (what the receipts root commits to),
// a transaction its network encoding. A block number past the head answers null, an unknown block
// hash the error geth gives, an unknown transaction null.
import type { Block } from "@ethereumjs/block";
import { bytesToHex, hexToBytes } from "@ethereumjs/util";
import { encodeReceipt } from "@ethereumjs/vm";
import type { BlockRecord, DevNode, MinedBlock } from "../chain/node.ts";
import { RpcError, SERVER_ERROR } from "./errors.ts";
import { blockNumberParam, hash, paramList } from "./params.ts";
import type { MethodTable } from "./methods.ts";

type Hex = `0x${string}`;

const HASH_RE = /^0x[0-9a-fA-F]{64}$/;

export function createRawMethods(node: DevNode): MethodTable {
  /** geth's BlockNumberOrHash: a tag or number, a bare 32-byte hash, or EIP-1898's object. */
  const blockOf = (params: unknown[], method: string, what: string): MinedBlock | null => {
    const [ref] = paramList(params, 1, 1, method);
    const blockHash =
      typeof ref === "string" && HASH_RE.test(ref)
        ? ref
        : ref !== null && typeof ref === "object" && (ref as Record<string, unknown>).blockHash !== undefined
          ? hash((ref as Record<string, unknown>).blockHash, "block.blockHash")
          : undefined;
    if (blockHash === undefined) return node.blockByNumber(blockNumberParam(ref, node)) ?? null;
    const found = node.blockByHashHex(blockHash);
    if (!found) throw new RpcError(SERVER_ERROR, `${what} ${blockHash.toLowerCase()} not found`);
    return found;
  };
  return {
    debug_getRawBlock: (params) => {
      const mined = blockOf(params, "debug_getRawBlock", "block");
      return mined ? bytesToHex(mined.block.serialize()) : null;
    },
    debug_getRawHeader: (params) => {
      const mined = blockOf(params, "debug_getRawHeader", "header");
      return mined ? bytesToHex(mined.block.header.serialize()) : null;
    },
    debug_getRawReceipts: (params) => {
      const mined = blockOf(params, "debug_getRawReceipts", "block");
      return mined ? encodeBlockReceipts(mined.block, mined.record).map((r) => bytesToHex(r)) : null;
    },
    debug_getRawTransaction: (params) => {
      const [h] = paramList(params, 1, 1, "debug_getRawTransaction");
      const txHash = hash(h, "transactionHash");
      const tx = node.transaction(txHash)?.tx ?? node.pendingTransaction(txHash)?.tx;
      return tx ? bytesToHex(tx.serialize()) : null;
    },
  };
}

/** A block's receipts in their consensus encoding, in block order: the leaves of its receipts root. */
export function encodeBlockReceipts(block: Block, record: BlockRecord): Uint8Array[] {
  return record.txs.map((tx, i) =>
    encodeReceipt(
      {
        status: tx.status,
        cumulativeBlockGasUsed: tx.cumulativeGasUsed,
        bitvector: hexToBytes(tx.logsBloom),
        logs: tx.logs.map((log) => [hexToBytes(log.address), log.topics.map((t) => hexToBytes(t)), hexToBytes(log.data as Hex)]),
      },
      block.transactions[i]!.type,
    ),
  );
}
