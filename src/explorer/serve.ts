// Serves the explorer's static files under /explorer: the page, its stylesheet and the committed
// bundle. The node's HTTP server (src/rpc/server.ts) mounts it on its RPC port, and `aivm explorer`
// on a port of its own for a remote node. Nothing is fetched from elsewhere at run time.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { IncomingMessage, ServerResponse } from "node:http";

const HERE = dirname(fileURLToPath(import.meta.url));
export const EXPLORER_PATH = "/explorer";

const FILES: Record<string, { file: string; type: string }> = {
  "/": { file: join(HERE, "static", "index.html"), type: "text/html; charset=utf-8" },
  "/style.css": { file: join(HERE, "static", "style.css"), type: "text/css; charset=utf-8" },
  "/explorer.js": { file: join(HERE, "dist", "explorer.js"), type: "text/javascript; charset=utf-8" },
};

export interface ExplorerOptions {
  /** The node's JSON-RPC URL; empty: the page's own origin (the node serves the explorer). */
  rpcUrl?: string;
}

/** Answers GET/HEAD requests under /explorer; returns false for any other request. */
export function serveExplorer(req: IncomingMessage, res: ServerResponse, options: ExplorerOptions = {}): boolean {
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  const path = (req.url ?? "/").split("?")[0]!;
  if (path !== EXPLORER_PATH && !path.startsWith(`${EXPLORER_PATH}/`)) return false;
  if (path === EXPLORER_PATH) {
    // Relative asset URLs resolve against the directory, so the page lives at /explorer/.
    res.writeHead(308, { location: `${EXPLORER_PATH}/` }).end();
    return true;
  }
  const entry = FILES[path.slice(EXPLORER_PATH.length)];
  if (!entry) {
    res.writeHead(404, { "content-type": "text/plain" }).end("Not found.\n");
    return true;
  }
  let body = readFileSync(entry.file);
  if (entry.file.endsWith(".html")) body = Buffer.from(body.toString("utf8").replace("{{RPC_URL}}", escapeAttribute(options.rpcUrl ?? "")));
  res.writeHead(200, {
    "content-type": entry.type,
    "content-length": body.length,
    "cache-control": "no-cache",
    // Scripts and styles from this origin only; RPC calls to the node, wherever it is.
    "content-security-policy": "default-src 'self'; img-src 'self' data:; connect-src * ws: wss:; style-src 'self'; script-src 'self'",
    "x-content-type-options": "nosniff",
  });
  res.end(req.method === "HEAD" ? undefined : body);
  return true;
}

function escapeAttribute(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll('"', "&quot;").replaceAll("<", "&lt;");
}
