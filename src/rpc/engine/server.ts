// The Engine API's HTTP server (the "auth port", docs/network.md#engine-api): JSON-RPC over POST,
// each request authenticated by an HS256 JWT (auth.ts) before its body is read; a refused request
// gets HTTP 401. Only loopback unless the caller picks another interface: the consensus client runs
// beside the node.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { DevNode } from "../../chain/node.ts";
import { LIMIT_EXCEEDED, RpcError, SERVER_ERROR } from "../errors.ts";
import { MAX_BODY_BYTES, errorResponse, handleBody } from "../handler.ts";
import type { MethodTable } from "../methods.ts";
import { jwtRefusal } from "./auth.ts";
import { createEngineMethodTable } from "./methods.ts";

export const DEFAULT_AUTHRPC_PORT = 8551;
export const DEFAULT_AUTHRPC_ADDR = "127.0.0.1";

export interface EngineServerOptions {
  node: DevNode;
  /** The 32-byte JWT secret shared with the consensus client. */
  jwtSecret: Uint8Array;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
}

export interface EngineServer {
  host: string;
  port: number;
  url: string;
  close(): Promise<void>;
}

export async function startEngineServer(options: EngineServerOptions): Promise<EngineServer> {
  const host = options.host ?? DEFAULT_AUTHRPC_ADDR;
  const table = createEngineMethodTable(options.node);
  const http = createServer((req, res) => {
    serve(table, options.jwtSecret, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  http.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(options.port ?? DEFAULT_AUTHRPC_PORT, host, () => {
      http.off("error", reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    host,
    port,
    url: `http://${urlHost}:${port}`,
    async close() {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) }).end(text);
}

async function serve(table: MethodTable, secret: Uint8Array, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const refusal = await jwtRefusal(req.headers.authorization, secret);
  if (refusal !== undefined) {
    // Not read: an unauthenticated body is dropped with the connection.
    res.setHeader("connection", "close");
    reply(res, 401, errorResponse(null, new RpcError(SERVER_ERROR, `Unauthorized: ${refusal}.`)));
    return;
  }
  if (req.method !== "POST") {
    reply(res, 405, errorResponse(null, new RpcError(SERVER_ERROR, "The Engine API takes JSON-RPC 2.0 requests with POST.")));
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      res.setHeader("connection", "close");
      reply(res, 413, errorResponse(null, new RpcError(LIMIT_EXCEEDED, `Request body exceeds the limit of ${MAX_BODY_BYTES} bytes.`)));
      return;
    }
    chunks.push(chunk);
  }
  const text = await handleBody(table, Buffer.concat(chunks).toString("utf8"));
  if (text === "") {
    res.writeHead(204).end();
    return;
  }
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) }).end(text);
}
