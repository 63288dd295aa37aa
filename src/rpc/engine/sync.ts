// Where an engine node that missed blocks (it was down, or joined late) gets them: other nodes'
// debug_getRawBlock, by hash; and where it gets a rejected block's producer receipts to name the
// mismatching one (aivm_getBlockAivmReceipts). The blocks are only data: the engine re-executes each one before it
// counts (engine-chain.ts startSync), so a peer can delay a sync but not make it accept a wrong block.
import { hexToBytes } from "@ethereumjs/util";
import type { TxAivmReceipts } from "../../chain/engine-chain.ts";

type Hex = `0x${string}`;

/** How long one peer may take to answer one block. */
const PEER_TIMEOUT_MS = 10_000;

/**
 * Asks the peers one after another for `method(param)` and returns the first answer `pick` accepts;
 * a peer that is down, slow or without the answer is skipped. undefined when none has it.
 */
async function firstPeerAnswer<T>(urls: readonly string[], method: string, param: string, pick: (result: unknown) => T | undefined): Promise<T | undefined> {
  for (const url of urls) {
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: [param] }),
        signal: AbortSignal.timeout(PEER_TIMEOUT_MS),
      });
      const answer = pick(((await res.json()) as { result?: unknown }).result);
      if (answer !== undefined) return answer;
    } catch {
      // A peer that is down or slow: ask the next one.
    }
  }
  return undefined;
}

/** A block source over the peers' JSON-RPC URLs: the first peer that has the block answers. */
export function peerBlockSource(urls: readonly string[]): (hash: Hex) => Promise<Uint8Array | undefined> {
  return (hash) =>
    firstPeerAnswer(urls, "debug_getRawBlock", hash, (result) => (typeof result === "string" && /^0x[0-9a-fA-F]+$/.test(result) ? hexToBytes(result as Hex) : undefined));
}

/** A receipt source over the peers' JSON-RPC URLs: the first peer that holds the block answers its AIVM receipts. */
export function peerReceiptSource(urls: readonly string[]): (blockHash: Hex) => Promise<TxAivmReceipts[] | undefined> {
  return (blockHash) =>
    firstPeerAnswer(urls, "aivm_getBlockAivmReceipts", blockHash, (result) => {
      const txs = (result as { transactions?: { transactionHash: Hex; receipts: TxAivmReceipts["receipts"] }[] } | null | undefined)?.transactions;
      return Array.isArray(txs) ? txs.map((t) => ({ txHash: t.transactionHash, receipts: t.receipts })) : undefined;
    });
}
