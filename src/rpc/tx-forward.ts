// Transaction forwarding between the nodes of a network (`aivm node --tx-peers`, docs/network.md#devnet):
// every transaction that enters this node's pool is sent, as its raw bytes, to each peer's
// eth_sendRawTransaction, so a transaction sent to any node can be built into a block by any other.
// A peer that already has it answers "already known" and does not send it on again, so forwarding
// stops after one round however the peers are wired. Per peer, transactions go out in the order
// they entered the pool (one JSON-RPC batch at a time), so a sender's nonces arrive in order.
import { bytesToHex } from "@ethereumjs/util";
import type { DevNode } from "../chain/node.ts";

/** Answers of a peer that mean it has the transaction already or has moved past it: not failures. */
const SETTLED_ANSWER = /already known|nonce too low/i;

/** At most this many transactions per batch request. */
const MAX_BATCH = 256;

export interface TxForwardingOptions {
  /** Called once per failed request or refused transaction (default: console.error). */
  onError?: (peer: string, message: string) => void;
  /** Per request; default 10 s. */
  timeoutMs?: number;
}

export interface TxForwardingStats {
  /** Per peer URL: transactions the peer accepted, settled (already known), refused, and requests that failed. */
  peers: Record<string, { accepted: number; known: number; refused: number; failedRequests: number }>;
}

export interface TxForwarding {
  stats(): TxForwardingStats;
  /** Waits for every transaction queued so far to have been sent to every peer. */
  flush(): Promise<void>;
  /** Stops listening and waits for the requests in flight. */
  stop(): Promise<void>;
}

class PeerQueue {
  readonly counts = { accepted: 0, known: 0, refused: 0, failedRequests: 0 };
  private readonly waiting: `0x${string}`[] = [];
  private running: Promise<void> = Promise.resolve();
  private scheduled = false;

  constructor(
    readonly url: string,
    private readonly onError: (peer: string, message: string) => void,
    private readonly timeoutMs: number,
  ) {}

  push(raw: `0x${string}`): void {
    this.waiting.push(raw);
    if (this.scheduled) return;
    this.scheduled = true;
    this.running = this.running.then(() => this.drain());
  }

  idle(): Promise<void> {
    return this.running;
  }

  private async drain(): Promise<void> {
    this.scheduled = false;
    while (this.waiting.length > 0) await this.send(this.waiting.splice(0, MAX_BATCH));
  }

  private async send(raws: `0x${string}`[]): Promise<void> {
    const body = raws.map((raw, id) => ({ jsonrpc: "2.0", id, method: "eth_sendRawTransaction", params: [raw] }));
    let answers: { id: number; result?: unknown; error?: { message?: string } }[];
    try {
      const res = await fetch(this.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      answers = (await res.json()) as typeof answers;
      if (!Array.isArray(answers)) throw new Error("the answer to a batch request is not an array");
    } catch (error) {
      this.counts.failedRequests++;
      this.onError(this.url, `${raws.length} transaction(s) not forwarded: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    for (const answer of answers) {
      if (answer.error === undefined) this.counts.accepted++;
      else if (SETTLED_ANSWER.test(answer.error.message ?? "")) this.counts.known++;
      else {
        this.counts.refused++;
        this.onError(this.url, `refused a forwarded transaction: ${answer.error.message ?? "no message"}`);
      }
    }
  }
}

/** Forwards every transaction that enters `node`'s pool to each of `peers` (JSON-RPC URLs). */
export function startTxForwarding(node: DevNode, peers: readonly string[], options: TxForwardingOptions = {}): TxForwarding {
  const onError = options.onError ?? ((peer, message) => console.error(`aivm node: tx forward to ${peer}: ${message}`));
  const queues = peers.map((url) => new PeerQueue(url, onError, options.timeoutMs ?? 10_000));
  const onPending = (hash: string) => {
    // Read now: under automine the transaction leaves the pool as soon as this event returns.
    const pooled = node.pendingTransaction(hash);
    if (pooled === undefined) return;
    const raw = bytesToHex(pooled.tx.serialize()) as `0x${string}`;
    for (const queue of queues) queue.push(raw);
  };
  node.on("pendingTransaction", onPending);
  const flush = async () => {
    await Promise.all(queues.map((q) => q.idle()));
  };
  return {
    stats: () => ({ peers: Object.fromEntries(queues.map((q) => [q.url, { ...q.counts }])) }),
    flush,
    async stop() {
      node.off("pendingTransaction", onPending);
      await flush();
    },
  };
}
