// `aivm explorer --rpc <url>`: the explorer on a port of its own, for a node that does not serve it
// (a remote node, another AIVM node). The page talks to that node straight from the browser: a node
// answers pages from localhost origins by default, any other origin needs its --cors.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { EXPLORER_PATH, serveExplorer } from "./serve.ts";

export interface ExplorerServerOptions {
  rpc: string;
  host: string;
  port: number;
}

export interface ExplorerServer {
  url: string;
  close(): Promise<void>;
}

export async function startExplorerServer(options: ExplorerServerOptions): Promise<ExplorerServer> {
  const rpcUrl = new URL(options.rpc).href;
  const http: Server = createServer((req, res) => {
    if (serveExplorer(req, res, { rpcUrl })) return;
    res.writeHead(302, { location: `${EXPLORER_PATH}/` }).end();
  });
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(options.port, options.host, () => resolve());
  });
  const { port } = http.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}${EXPLORER_PATH}/`,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

/** The command: serve until interrupted. */
export async function runExplorer(options: ExplorerServerOptions): Promise<void> {
  const server = await startExplorerServer(options);
  console.log(`AIVM Explorer for ${options.rpc}: ${server.url}`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
