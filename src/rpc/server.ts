// The node's transports: JSON-RPC over HTTP (node:http) and WebSocket (ws) on one port, with
// eth_subscribe (newHeads, logs) on WebSocket, and the explorer's static files at /explorer (src/explorer/serve.ts). Bad input never takes the server down, and no client
// can make it hold unbounded memory: request bytes in flight (received and not yet answered, on
// HTTP and WebSocket together), WebSocket connections and subscriptions per socket are capped. Who may connect is decided in access.ts (loopback, Origin and Host checks).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import { DevNode, type DevNodeOptions } from "../chain/node.ts";
import { ANY, ExposureError, hostAllowed, isLoopbackHost, originAllowed, type AccessPolicy } from "./access.ts";
import { LIMIT_EXCEEDED, RpcError, SERVER_ERROR } from "./errors.ts";
import { MAX_BODY_BYTES, errorResponse, handleBody, type Intercept } from "./handler.ts";
import { createMethodTable, type MethodTable } from "./methods.ts";
import { logFilter, paramList } from "./params.ts";
import { DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET, SubscriptionHub, type SubscriberSocket } from "./subscriptions.ts";
import { serveExplorer } from "../explorer/serve.ts";

export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 8545;
export const DEFAULT_MAX_WS_CONNECTIONS = 100;
/** Request bytes received and not yet answered, over all HTTP bodies and WebSocket messages (each also at most maxBodyBytes). */
export const DEFAULT_MAX_INFLIGHT_BODY_BYTES = 64 * 1024 * 1024;
/** A request must arrive in full within this time, or its connection is closed (stalled uploads). */
const REQUEST_TIMEOUT_MS = 30_000;

export interface NodeServerOptions extends DevNodeOptions {
  /** Serve an existing node instead of creating one. */
  node?: DevNode;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Listen on a host other machines can reach (0.0.0.0, a LAN address). Off: only loopback. */
  allowRemote?: boolean;
  /** Browser origins allowed beyond http(s)://localhost|127.x|[::1] on any port; `*`: any. */
  corsOrigins?: string[];
  /** Host header names allowed beyond localhost and IP literals (DNS-rebinding guard); `*`: any. */
  allowedHosts?: string[];
  maxBodyBytes?: number;
  /** Request bytes received and not yet answered, over all HTTP bodies and WebSocket messages. */
  maxInflightBodyBytes?: number;
  maxWebSocketConnections?: number;
  maxSubscriptionsPerSocket?: number;
}

export interface NodeServer {
  node: DevNode;
  host: string;
  port: number;
  url: string;
  wsUrl: string;
  /** Whether it listens beyond loopback (allowRemote): the caller prints the warning. */
  remote: boolean;
  /** Open WebSocket connections and their subscriptions (diagnostics and tests). */
  stats(): { webSockets: number; subscriptions: number; inflightBodyBytes: number };
  /** Closes the server; closes the node too when the server created it. */
  close(): Promise<void>;
}

export async function startNodeServer(options: NodeServerOptions = {}): Promise<NodeServer> {
  const host = options.host ?? DEFAULT_HOST;
  // Checked before the node exists: a refused setting must not leave a database open.
  if (!isLoopbackHost(host) && options.allowRemote !== true) throw new ExposureError(host);
  const node = options.node ?? (await DevNode.create(options));
  const ownsNode = options.node === undefined;
  const table = createMethodTable(node);
  const policy: AccessPolicy = { corsOrigins: options.corsOrigins ?? [], allowedHosts: options.allowedHosts ?? [] };
  const limits: HttpLimits = { maxBody: options.maxBodyBytes ?? MAX_BODY_BYTES, inflight: new ByteBudget(options.maxInflightBodyBytes ?? DEFAULT_MAX_INFLIGHT_BODY_BYTES) };
  const maxWebSockets = options.maxWebSocketConnections ?? DEFAULT_MAX_WS_CONNECTIONS;
  const hub = new SubscriptionHub(node, options.maxSubscriptionsPerSocket ?? DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET);

  const http = createServer((req, res) => {
    serveHttp(table, policy, limits, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  http.keepAliveTimeout = 60_000;
  http.requestTimeout = REQUEST_TIMEOUT_MS;
  http.headersTimeout = Math.min(http.headersTimeout, REQUEST_TIMEOUT_MS);
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxBody });
  wss.on("connection", (socket) => serveWebSocket(node, table, hub, limits.inflight, socket));
  // A client that sends more than maxPayload is closed by ws with 1009; nothing else to do here.
  wss.on("error", () => {});
  http.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on("error", () => {});
    const refusal = refuse(req, policy);
    if (refusal) return rejectUpgrade(socket, 403, refusal);
    if (wss.clients.size >= maxWebSockets) {
      return rejectUpgrade(socket, 503, `Too many WebSocket connections (limit ${maxWebSockets}); close some first, or raise maxWebSocketConnections.`);
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
  });

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
    remote: !isLoopbackHost(host),
    stats: () => ({ webSockets: wss.clients.size, subscriptions: hub.size, inflightBodyBytes: limits.inflight.used }),
    async close() {
      hub.close();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      if (ownsNode) await node.close();
    },
  };
}

/** Bytes reserved out of a fixed total; a reservation that does not fit is refused. */
class ByteBudget {
  used = 0;
  constructor(readonly limit: number) {}

  take(bytes: number): boolean {
    if (this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.used -= bytes;
  }
}

interface HttpLimits {
  maxBody: number;
  inflight: ByteBudget;
}

/** Why a browser-reachable request is refused (Host or Origin), or undefined to serve it. */
function refuse(req: IncomingMessage, policy: AccessPolicy): string | undefined {
  if (!hostAllowed(req.headers.host, policy)) {
    return `Host ${JSON.stringify(String(req.headers.host).slice(0, 100))} is not allowed (DNS-rebinding protection): use localhost or an IP address, or pass --allowed-hosts.`;
  }
  const origin = req.headers.origin;
  if (!originAllowed(origin, policy)) return `Origin ${JSON.stringify(String(origin).slice(0, 100))} is not allowed: only localhost pages may use the node unless --cors names the origin.`;
  return undefined;
}

function rejectUpgrade(socket: Socket, status: 403 | 503, message: string): void {
  const body = JSON.stringify(errorResponse(null, new RpcError(status === 403 ? SERVER_ERROR : LIMIT_EXCEEDED, message)));
  const reason = status === 403 ? "Forbidden" : "Service Unavailable";
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/** CORS headers for an allowed browser origin (none for non-browser clients, which send no Origin). */
function corsHeaders(req: IncomingMessage, policy: AccessPolicy): Record<string, string> {
  const origin = req.headers.origin;
  if (origin === undefined) return {};
  return {
    "access-control-allow-origin": policy.corsOrigins.includes(ANY) ? "*" : origin,
    "access-control-allow-methods": "POST, GET, OPTIONS",
    "access-control-allow-headers": "content-type",
    vary: "Origin",
  };
}

/**
 * The request body as text, or "too large" once it passes `maxBody` bytes, or "busy" once the
 * requests in flight would pass the in-flight budget. Bytes count against the budget as they
 * arrive, so a stalled upload holds only what it sent; a refused or abandoned body gives them back
 * here, a complete one holds them until it is answered (the caller gives back `size`).
 */
function readBody(req: IncomingMessage, limits: HttpLimits): Promise<{ text: string; size: number } | "too large" | "busy"> {
  // Events rather than `for await`: the async iterator costs ~30 µs per request, a tenth of a small eth_call.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (outcome: { text: string; size: number } | "too large" | "busy") => {
      if (settled) return;
      settled = true;
      req.off("data", onData);
      if (outcome === "too large" || outcome === "busy") {
        limits.inflight.give(size);
        // Refused: stop reading; the reply closes the connection.
        req.pause();
      }
      resolve(outcome);
    };
    const onData = (chunk: Buffer) => {
      if (size + chunk.length > limits.maxBody) return finish("too large");
      if (!limits.inflight.take(chunk.length)) return finish("busy");
      size += chunk.length;
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => finish({ text: Buffer.concat(chunks).toString("utf8"), size }));
    // A client that hangs up (or times out) mid-upload gives its bytes back.
    req.once("close", () => finish("busy"));
    req.once("error", (error) => {
      if (!settled) {
        settled = true;
        limits.inflight.give(size);
        reject(error);
      }
    });
  });
}

async function serveHttp(table: MethodTable, policy: AccessPolicy, limits: HttpLimits, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const refusal = refuse(req, policy);
  if (refusal) {
    const error = JSON.stringify(errorResponse(null, new RpcError(SERVER_ERROR, refusal)));
    res.writeHead(403, { "content-type": "application/json", connection: "close" }).end(error, () => req.destroy());
    return;
  }
  const cors = corsHeaders(req, policy);
  if (req.method === "OPTIONS") {
    res.writeHead(204, cors).end();
    return;
  }
  if (req.method !== "POST") {
    if (serveExplorer(req, res)) return;
    res.writeHead(200, { "content-type": "text/plain", ...cors }).end("AIVM dev node: send JSON-RPC 2.0 requests with POST.\n");
    return;
  }
  const declared = Number(req.headers["content-length"] ?? 0);
  const body = declared > limits.maxBody ? "too large" : await readBody(req, limits);
  if (body === "too large" || body === "busy") {
    const message =
      body === "too large"
        ? `Request body exceeds the limit of ${limits.maxBody} bytes.`
        : `The node holds ${limits.inflight.limit} bytes of requests in flight already; retry later.`;
    const error = JSON.stringify(errorResponse(null, new RpcError(LIMIT_EXCEEDED, message)));
    // Close the connection: the rest of the body is never read.
    res.writeHead(body === "too large" ? 413 : 503, { "content-type": "application/json", connection: "close", ...cors }).end(error, () => req.destroy());
    return;
  }
  let text: string;
  try {
    text = await handleBody(table, body.text);
  } finally {
    limits.inflight.give(body.size);
  }
  if (text === "") {
    res.writeHead(204, cors).end();
    return;
  }
  // With its length declared, the reply goes out as one write (header and body); without it Node
  // sends it chunked, as a writev of the header, the chunk framing and the body.
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...cors }).end(text);
}

function serveWebSocket(node: DevNode, table: MethodTable, hub: SubscriptionHub, inflight: ByteBudget, socket: WebSocket): void {
  const subscriber: SubscriberSocket = {
    send: (text) => socket.send(text),
    get bufferedAmount() {
      return socket.bufferedAmount;
    },
    terminate: () => socket.terminate(),
    get open() {
      return socket.readyState === socket.OPEN;
    },
  };
  const intercept: Intercept = async (method, params) => {
    if (method === "eth_subscribe") {
      const [kind, filterRaw] = paramList(params, 1, 2, "eth_subscribe");
      const filter = kind === "logs" ? logFilter(filterRaw ?? {}, node) : undefined;
      return { handled: true, result: hub.subscribe(subscriber, kind, filter) };
    }
    if (method === "eth_unsubscribe") {
      const [id] = paramList(params, 1, 1, "eth_unsubscribe");
      return { handled: true, result: hub.unsubscribe(subscriber, String(id)) };
    }
    return { handled: false };
  };
  socket.on("message", (raw, isBinary) => {
    // A message counts against the same in-flight budget as HTTP bodies until it is answered, so
    // a client cannot queue requests without bound by sending faster than the node answers.
    const size = Buffer.isBuffer(raw) ? raw.length : Array.isArray(raw) ? raw.reduce((n, b) => n + b.length, 0) : raw.byteLength;
    if (!inflight.take(size)) {
      const busy = new RpcError(LIMIT_EXCEEDED, `The node holds ${inflight.limit} bytes of requests in flight already; retry later.`);
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(errorResponse(null, busy)));
      return;
    }
    const text = isBinary ? Buffer.from(raw as Buffer).toString("utf8") : raw.toString();
    handleBody(table, text, intercept)
      .then(
        (reply) => {
          if (reply !== "" && socket.readyState === socket.OPEN) socket.send(reply);
        },
        () => {},
      )
      .finally(() => inflight.give(size));
  });
  socket.on("close", () => hub.dropSocket(subscriber));
  socket.on("error", () => {});
}
