// The node's transports: JSON-RPC over HTTP (node:http) and WebSocket (ws) on one port, with
// eth_subscribe (newHeads, logs) on WebSocket. Bad input never takes the server down.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import { DevNode, type DevNodeOptions, type MinedBlock } from "../chain/node.ts";
import { INVALID_PARAMS, LIMIT_EXCEEDED, RpcError } from "./errors.ts";
import { formatBlock, q } from "./format.ts";
import { MAX_BODY_BYTES, errorResponse, handleBody, type Intercept } from "./handler.ts";
import { logsOfBlock } from "./logs.ts";
import { createMethodTable, type MethodTable } from "./methods.ts";
import { logFilter, paramList } from "./params.ts";

export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 8545;

export interface NodeServerOptions extends DevNodeOptions {
  /** Serve an existing node instead of creating one. */
  node?: DevNode;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  maxBodyBytes?: number;
}

export interface NodeServer {
  node: DevNode;
  host: string;
  port: number;
  url: string;
  wsUrl: string;
  /** Closes the server; closes the node too when the server created it. */
  close(): Promise<void>;
}

export async function startNodeServer(options: NodeServerOptions = {}): Promise<NodeServer> {
  const node = options.node ?? (await DevNode.create(options));
  const ownsNode = options.node === undefined;
  const table = createMethodTable(node);
  const maxBody = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const host = options.host ?? DEFAULT_HOST;

  const http = createServer((req, res) => {
    serveHttp(table, maxBody, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  http.keepAliveTimeout = 60_000;
  const wss = new WebSocketServer({ server: http, maxPayload: maxBody });
  wss.on("connection", (socket) => serveWebSocket(node, table, socket));
  // A client that sends more than maxPayload is closed by ws with 1009; nothing else to do here.
  wss.on("error", () => {});

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(options.port ?? DEFAULT_PORT, host, () => {
      http.off("error", reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    node,
    host,
    port,
    url: `http://${urlHost}:${port}`,
    wsUrl: `ws://${urlHost}:${port}`,
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      if (ownsNode) await node.close();
    },
  };
}

const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "POST, GET, OPTIONS",
  "access-control-allow-headers": "content-type",
};

/** The request body as text, or undefined once it passes `maxBody` bytes (the rest is not read). */
function readBody(req: IncomingMessage, maxBody: number): Promise<string | undefined> {
  // Events rather than `for await`: the async iterator costs ~30 µs per request, a tenth of a small eth_call.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBody) {
        req.off("data", onData);
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.once("error", reject);
  });
}

async function serveHttp(table: MethodTable, maxBody: number, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === "OPTIONS") {
    res.writeHead(204, CORS_HEADERS).end();
    return;
  }
  if (req.method !== "POST") {
    res.writeHead(200, { "content-type": "text/plain", ...CORS_HEADERS }).end("AIVM dev node: send JSON-RPC 2.0 requests with POST.\n");
    return;
  }
  const declared = Number(req.headers["content-length"] ?? 0);
  const body = declared > maxBody ? undefined : await readBody(req, maxBody);
  if (body === undefined) {
    const error = JSON.stringify(errorResponse(null, new RpcError(LIMIT_EXCEEDED, `Request body exceeds the limit of ${maxBody} bytes.`)));
    // Close the connection: the rest of the oversized body is never read.
    res.writeHead(413, { "content-type": "application/json", connection: "close", ...CORS_HEADERS }).end(error, () => req.destroy());
    return;
  }
  const text = await handleBody(table, body);
  if (text === "") {
    res.writeHead(204, CORS_HEADERS).end();
    return;
  }
  // With its length declared, the reply goes out as one write (header and body); without it Node
  // sends it chunked, as a writev of the header, the chunk framing and the body.
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...CORS_HEADERS }).end(text);
}

/** One eth_subscribe: the node event it follows and its listener. */
type Subscription = { event: "block"; listener: (mined: MinedBlock) => void } | { event: "pendingTransaction"; listener: (hash: string) => void };

const blockSubscription = (listener: (mined: MinedBlock) => void): Subscription => ({ event: "block", listener });

function subscribe(node: DevNode, s: Subscription): void {
  if (s.event === "block") node.on("block", s.listener);
  else node.on("pendingTransaction", s.listener);
}

function unsubscribe(node: DevNode, s: Subscription): void {
  if (s.event === "block") node.off("block", s.listener);
  else node.off("pendingTransaction", s.listener);
}

function serveWebSocket(node: DevNode, table: MethodTable, socket: WebSocket): void {
  const subscriptions = new Map<string, Subscription>();
  let nextId = 1;
  const send = (payload: unknown) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(payload));
  };
  const intercept: Intercept = async (method, params) => {
    if (method === "eth_subscribe") {
      const [kind, filterRaw] = paramList(params, 1, 2, "eth_subscribe");
      const id = q(BigInt(Date.now()) * 1000n + BigInt(nextId++));
      let subscription: Subscription;
      if (kind === "newHeads") {
        subscription = blockSubscription((mined) => {
          const { transactions: _t, ...header } = formatBlock(mined, false);
          send({ jsonrpc: "2.0", method: "eth_subscription", params: { subscription: id, result: header } });
        });
      } else if (kind === "logs") {
        const filter = logFilter(filterRaw ?? {}, node);
        subscription = blockSubscription((mined) => {
          for (const log of logsOfBlock(mined, filter)) send({ jsonrpc: "2.0", method: "eth_subscription", params: { subscription: id, result: log } });
        });
      } else if (kind === "newPendingTransactions") {
        // Hashes only (geth's default; the `true` full-transaction flag is not supported).
        subscription = { event: "pendingTransaction", listener: (hash: string) => send({ jsonrpc: "2.0", method: "eth_subscription", params: { subscription: id, result: hash } }) };
      } else {
        throw new RpcError(INVALID_PARAMS, `Unsupported subscription ${JSON.stringify(String(kind).slice(0, 40))}: use newHeads, logs or newPendingTransactions.`);
      }
      subscriptions.set(id, subscription);
      subscribe(node, subscription);
      return { handled: true, result: id };
    }
    if (method === "eth_unsubscribe") {
      const [id] = paramList(params, 1, 1, "eth_unsubscribe");
      const subscription = subscriptions.get(String(id));
      if (!subscription) return { handled: true, result: false };
      unsubscribe(node, subscription);
      subscriptions.delete(String(id));
      return { handled: true, result: true };
    }
    return { handled: false };
  };
  socket.on("message", (raw, isBinary) => {
    const text = isBinary ? Buffer.from(raw as Buffer).toString("utf8") : raw.toString();
    handleBody(table, text, intercept).then(
      (reply) => {
        if (reply !== "" && socket.readyState === socket.OPEN) socket.send(reply);
      },
      () => {},
    );
  });
  socket.on("close", () => {
    for (const subscription of subscriptions.values()) unsubscribe(node, subscription);
    subscriptions.clear();
  });
  socket.on("error", () => {});
}
