// Where an engine node that missed blocks (it was down, or joined late) gets them: other nodes'
// debug_getRawBlock, by hash; and where it gets a rejected block's producer receipts to name the
// mismatching one (aivm_getBlockAivmReceipts). The blocks are only data: the engine re-executes each one before it
// counts (engine-chain.ts startSync), so a peer can delay a sync but not make it accept a wrong block.
import { hexToBytes } from "@ethereumjs/util";
import type { TxAivmReceipts } from "../../chain/engine-chain.ts";

type Hex = `0x${string}`;

/** How long one peer may take to answer one block. */
const PEER_TIMEOUT_MS = 10_000;

/** A block source over the peers' JSON-RPC URLs: the first peer that has the block answers. */
export function peerBlockSource(urls: readonly string[]): (hash: Hex) => Promise<Uint8Array | undefined> {
  return async (hash) => {
    for (const url of urls) {
      try {
        const res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "debug_getRawBlock", params: [hash] }),
          signal: AbortSignal.timeout(PEER_TIMEOUT_MS),
        });
        const json = (await res.json()) as { result?: unknown };
        if (typeof json.result === "string" && /^0x[0-9a-fA-F]+$/.test(json.result)) return hexToBytes(json.result as Hex);
      } catch {
        // A peer that is down or slow: ask the next one.
      }
    }
    return undefined;
  };
}

/** A receipt source over the peers' JSON-RPC URLs: the first peer that holds the block answers its AIVM receipts. */
export function peerReceiptSource(urls: readonly string[]): (blockHash: Hex) => Promise<TxAivmReceipts[] | undefined> {
  return async (blockHash) => {
    for (const url of urls) {
      try {
        const res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "aivm_getBlockAivmReceipts", params: [blockHash] }),
          signal: AbortSignal.timeout(PEER_TIMEOUT_MS),
        });
        const json = (await res.json()) as { result?: { transactions?: { transactionHash: Hex; receipts: TxAivmReceipts["receipts"] }[] } | null };
        const txs = json.result?.transactions;
        if (Array.isArray(txs)) return txs.map((t) => ({ txHash: t.transactionHash, receipts: t.receipts }));
      } catch {
        // A peer that is down or slow: ask the next one.
      }
    }
    return undefined;
  };
}
