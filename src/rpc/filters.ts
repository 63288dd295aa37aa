// Polling filters (eth_newFilter, eth_newBlockFilter, eth_getFilterChanges...). Each filter
// remembers the last block it reported; changes are read from the node's indexes on demand. A
// pending-transaction filter collects the hashes of transactions entering the pool until polled.
import type { DevNode } from "../chain/node.ts";
import { bytesToHex } from "@ethereumjs/util";
import { InvalidParamsError } from "./errors.ts";
import { queryLogs } from "./logs.ts";
import type { LogFilter } from "./params.ts";
import { q } from "./format.ts";

/** Filters not polled for this long are dropped, as geth does. */
const FILTER_TTL_MS = 5 * 60_000;
const MAX_FILTERS = 10_000;
/** A pending-transaction filter keeps at most this many unpolled hashes (the oldest are dropped). */
const MAX_PENDING_HASHES = 10_000;

interface Filter {
  kind: "logs" | "blocks" | "pending";
  criteria?: LogFilter;
  /** Last block whose changes were reported. */
  cursor: bigint;
  touched: number;
  /** Pending filters: hashes seen since the last poll. */
  hashes?: string[];
}

export class FilterRegistry {
  private readonly filters = new Map<string, Filter>();
  private nextId = 1;

  constructor(private readonly node: DevNode) {
    node.on("pendingTransaction", (hash) => {
      for (const filter of this.filters.values()) {
        if (filter.kind !== "pending") continue;
        filter.hashes!.push(hash);
        if (filter.hashes!.length > MAX_PENDING_HASHES) filter.hashes!.shift();
      }
    });
  }

  newFilter(kind: Filter["kind"], criteria?: LogFilter): string {
    this.expire();
    if (this.filters.size >= MAX_FILTERS) throw new InvalidParamsError(`Too many filters (limit ${MAX_FILTERS}); uninstall some first.`);
    const id = q(this.nextId++);
    // A log filter reports from its fromBlock; block filters only report blocks after creation.
    const cursor = kind === "logs" && criteria ? criteria.fromBlock - 1n : this.node.headNumber;
    this.filters.set(id, { kind, criteria, cursor, touched: Date.now(), ...(kind === "pending" ? { hashes: [] } : {}) });
    return id;
  }

  uninstall(id: string): boolean {
    return this.filters.delete(id);
  }

  changes(id: string): unknown[] {
    const filter = this.get(id);
    const head = this.node.headNumber;
    const from = filter.cursor + 1n;
    filter.cursor = head;
    if (filter.kind === "pending") return filter.hashes!.splice(0);
    if (filter.kind === "blocks") {
      const out: string[] = [];
      for (let n = from; n <= head; n++) out.push(bytesToHex(this.node.blockByNumber(n)!.block.hash()));
      return out;
    }
    const criteria = filter.criteria!;
    if (from > head) return [];
    const to = criteria.toBlock < head ? criteria.toBlock : head;
    if (from > to) return [];
    return queryLogs(this.node, { ...criteria, fromBlock: from, toBlock: to });
  }

  logs(id: string): unknown[] {
    const filter = this.get(id);
    if (filter.kind !== "logs") throw new InvalidParamsError(`Filter ${id} is not a log filter.`);
    return queryLogs(this.node, filter.criteria!);
  }

  private get(id: string): Filter {
    const filter = this.filters.get(id);
    if (!filter) throw new InvalidParamsError(`Filter ${String(id).slice(0, 20)} not found (expired or uninstalled).`);
    filter.touched = Date.now();
    return filter;
  }

  private expire(): void {
    const cutoff = Date.now() - FILTER_TTL_MS;
    for (const [id, f] of this.filters) if (f.touched < cutoff) this.filters.delete(id);
  }
}
