// Where an engine node that missed blocks (it was down, or joined late) gets them: other nodes'
// debug_getRawBlock, by hash. The blocks are only data: the engine re-executes each one before it
// counts (engine-chain.ts startSync), so a peer can delay a sync but not make it accept a wrong block.
import { hexToBytes } from "@ethereumjs/util";

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
