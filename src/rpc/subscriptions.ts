// eth_subscribe for every WebSocket of one server: a hub with one listener per node event. A block
// is formatted once for all newHeads subscribers (formatting it per subscriber made 20k
// subscriptions cost 4.7 s a block), subscriptions per socket are capped, the fan-out yields to the
// event loop every few milliseconds, and a socket that stops reading is dropped rather than
// buffered without bound.
import type { DevNode, MinedBlock } from "../chain/node.ts";
import { INVALID_PARAMS, LIMIT_EXCEEDED, RpcError } from "./errors.ts";
import { formatBlock, q } from "./format.ts";
import { logsOfBlock } from "./logs.ts";
import type { LogFilter } from "./params.ts";

export const DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET = 100;
/** Notifications a socket may leave unread before it is closed (a client that stopped reading). */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/** Longest stretch of fan-out between two turns of the event loop. */
const FANOUT_SLICE_MS = 5;

/** The server side of one WebSocket, as the hub needs it. */
export interface SubscriberSocket {
  send(text: string): void;
  /** Bytes queued and not yet written to the network. */
  readonly bufferedAmount: number;
  /** Drops the connection (a subscriber that stopped reading). */
  terminate(): void;
  readonly open: boolean;
}

type Kind = "newHeads" | "logs" | "newPendingTransactions";

interface Subscription {
  id: string;
  kind: Kind;
  socket: SubscriberSocket;
  filter?: LogFilter;
}

export class SubscriptionHub {
  private readonly byKind: Record<Kind, Map<string, Subscription>> = { newHeads: new Map(), logs: new Map(), newPendingTransactions: new Map() };
  private readonly bySocket = new Map<SubscriberSocket, Map<string, Subscription>>();
  private nextId = 1n;
  /** Fan-outs run one after another, so notifications keep the order of the events. */
  private fanout: Promise<void> = Promise.resolve();
  private readonly onBlock = (mined: MinedBlock) => this.enqueue(() => this.deliverBlock(mined));
  private readonly onPending = (hash: string) => this.enqueue(() => this.deliver([...this.byKind.newPendingTransactions.values()], () => [JSON.stringify(hash)]));

  constructor(
    private readonly node: DevNode,
    readonly maxPerSocket = DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET,
  ) {
    node.on("block", this.onBlock);
    node.on("pendingTransaction", this.onPending);
  }

  close(): void {
    this.node.off("block", this.onBlock);
    this.node.off("pendingTransaction", this.onPending);
  }

  /** Subscribes `socket`; returns the subscription id. */
  subscribe(socket: SubscriberSocket, kind: unknown, filter?: LogFilter): string {
    if (kind !== "newHeads" && kind !== "logs" && kind !== "newPendingTransactions") {
      // Hashes only for newPendingTransactions (geth's default; the full-transaction flag is not supported).
      throw new RpcError(INVALID_PARAMS, `Unsupported subscription ${JSON.stringify(String(kind).slice(0, 40))}: use newHeads, logs or newPendingTransactions.`);
    }
    let own = this.bySocket.get(socket);
    if (own === undefined) {
      own = new Map();
      this.bySocket.set(socket, own);
    }
    if (own.size >= this.maxPerSocket) {
      throw new RpcError(LIMIT_EXCEEDED, `Too many subscriptions on this connection (limit ${this.maxPerSocket}): eth_unsubscribe some first, or raise maxSubscriptionsPerSocket.`);
    }
    const id = q(BigInt(Date.now()) * 1000n + this.nextId++);
    const subscription: Subscription = { id, kind, socket, ...(filter ? { filter } : {}) };
    own.set(id, subscription);
    this.byKind[kind].set(id, subscription);
    return id;
  }

  unsubscribe(socket: SubscriberSocket, id: string): boolean {
    const subscription = this.bySocket.get(socket)?.get(id);
    if (subscription === undefined) return false;
    this.bySocket.get(socket)!.delete(id);
    this.byKind[subscription.kind].delete(id);
    return true;
  }

  /** Ends every subscription of a closed socket. */
  dropSocket(socket: SubscriberSocket): void {
    for (const subscription of this.bySocket.get(socket)?.values() ?? []) this.byKind[subscription.kind].delete(subscription.id);
    this.bySocket.delete(socket);
  }

  /** Subscriptions of every socket (diagnostics and tests). */
  get size(): number {
    return this.byKind.newHeads.size + this.byKind.logs.size + this.byKind.newPendingTransactions.size;
  }

  /** Resolves once every notification of the events so far has been handed to its socket. */
  flushed(): Promise<void> {
    return this.fanout;
  }

  private enqueue(task: () => Promise<void>): void {
    this.fanout = this.fanout.then(task).catch(() => {});
  }

  private deliverBlock(mined: MinedBlock): Promise<void> {
    let header: string | undefined;
    const heads = this.deliver([...this.byKind.newHeads.values()], () => {
      if (header === undefined) {
        const { transactions: _t, ...fields } = formatBlock(mined, false);
        header = JSON.stringify(fields);
      }
      return [header];
    });
    return heads.then(() => this.deliver([...this.byKind.logs.values()], (s) => logsOfBlock(mined, s.filter!).map((log) => JSON.stringify(log))));
  }

  /** Sends each subscription its results (JSON texts), a few milliseconds of work per turn of the event loop. */
  private async deliver(subscriptions: Subscription[], results: (s: Subscription) => string[]): Promise<void> {
    let sliceEnd = performance.now() + FANOUT_SLICE_MS;
    for (let i = 0; i < subscriptions.length; i++) {
      const s = subscriptions[i]!;
      // Unsubscribed (or its socket closed) since the event.
      if (!this.byKind[s.kind].has(s.id) || !s.socket.open) continue;
      if (s.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
        s.socket.terminate();
        this.dropSocket(s.socket);
        continue;
      }
      for (const result of results(s)) s.socket.send(`{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"${s.id}","result":${result}}}`);
      if ((i & 63) === 63 && performance.now() > sliceEnd) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceEnd = performance.now() + FANOUT_SLICE_MS;
      }
    }
  }
}
