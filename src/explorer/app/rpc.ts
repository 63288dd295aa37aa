// The explorer's only source of data: the node's public JSON-RPC over HTTP (single calls and
// batches) and WebSocket subscriptions (eth_subscribe).
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

interface Reply {
  id: number;
  result?: unknown;
  error?: { code: number; message: string };
}

export class Rpc {
  private nextId = 1;
  constructor(readonly url: string) {}

  async call<T = any>(method: string, params: unknown[] = []): Promise<T> {
    const [reply] = await this.post([{ method, params }]);
    if (reply!.error) throw new RpcError(reply!.error.code, reply!.error.message);
    return reply!.result as T;
  }

  /** One HTTP request for many calls; each result, or an RpcError in its place. */
  async batch<T = any>(calls: { method: string; params: unknown[] }[]): Promise<(T | RpcError)[]> {
    if (calls.length === 0) return [];
    const replies = await this.post(calls);
    return replies.map((r) => (r.error ? new RpcError(r.error.code, r.error.message) : (r.result as T)));
  }

  /** Like batch, but the first error is thrown. */
  async all<T = any>(calls: { method: string; params: unknown[] }[]): Promise<T[]> {
    const results = await this.batch<T>(calls);
    for (const r of results) if (r instanceof RpcError) throw r;
    return results as T[];
  }

  private async post(calls: { method: string; params: unknown[] }[]): Promise<Reply[]> {
    const first = this.nextId;
    this.nextId += calls.length;
    const body = calls.map((c, i) => ({ jsonrpc: "2.0", id: first + i, method: c.method, params: c.params }));
    const res = await fetch(this.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    if (!res.ok) throw new RpcError(-32000, `The node answered HTTP ${res.status}.`);
    const replies = (await res.json()) as Reply[] | Reply;
    const list = Array.isArray(replies) ? replies : [replies];
    const byId = new Map(list.map((r) => [r.id, r]));
    return calls.map((_c, i) => byId.get(first + i) ?? { id: first + i, error: { code: -32603, message: "No reply for this call." } });
  }

  /** eth_subscribe over a WebSocket that reconnects; returns a function that closes it. */
  subscribe(params: unknown[], onData: (data: any) => void, onStatus: (open: boolean) => void = () => {}): () => void {
    const wsUrl = this.url.replace(/^http/, "ws");
    let socket: WebSocket | undefined;
    let closed = false;
    const open = () => {
      socket = new WebSocket(wsUrl);
      socket.onopen = () => socket!.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_subscribe", params }));
      socket.onmessage = (event) => {
        const msg = JSON.parse(String(event.data)) as { id?: number; result?: unknown; method?: string; params?: { result: unknown } };
        // Open once the node has answered eth_subscribe with a subscription id.
        if (msg.id === 1 && typeof msg.result === "string") onStatus(true);
        if (msg.method === "eth_subscription" && msg.params) onData(msg.params.result);
      };
      socket.onclose = () => {
        onStatus(false);
        if (!closed) setTimeout(open, 2000);
      };
    };
    open();
    return () => {
      closed = true;
      socket?.close();
    };
  }
}

export const q = (n: bigint | number): string => `0x${BigInt(n).toString(16)}`;
