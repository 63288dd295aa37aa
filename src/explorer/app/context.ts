import type { Rpc } from "./rpc.ts";

export interface Ctx {
  rpc: Rpc;
  /** Calls `fn` with each new head while the page is shown (eth_subscribe newHeads). */
  onHead(fn: (head: { number: string; hash: string }) => void): void;
  /** Calls `fn` with each new log matching `filter` while the page is shown (eth_subscribe logs). */
  onLogs(filter: Record<string, unknown>, fn: (log: any) => void): void;
  /** True while this page is still the one shown (a slow fetch must not draw over the next page). */
  current(): boolean;
  /** Marks the first render done (data-ready; data-render-ms: ms since the route began; data-since-navigation-ms: since the document's navigation). */
  ready(): void;
}

export type Page = (ctx: Ctx, root: HTMLElement, args: string[]) => Promise<void>;

/** How many recent blocks the overview reads (never the whole chain). */
export const RECENT_BLOCKS = 20;
