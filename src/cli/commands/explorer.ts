// `aivm explorer` (implementation: ../../explorer/server.ts).
import { Command, InvalidArgumentError } from "commander";
import { DEFAULT_HOST, DEFAULT_RPC_URL } from "./defaults.ts";

export const DEFAULT_EXPLORER_PORT = 8550;

export function explorerCommand(): Command {
  return new Command("explorer")
    .description("Serve the AIVM Explorer for a node's JSON-RPC (`aivm node` serves it itself at /explorer)")
    .option("--rpc <url>", "JSON-RPC URL of the node (it must allow this page's origin: localhost by default, else its --cors)", DEFAULT_RPC_URL)
    .option("-p, --port <port>", "port to serve the explorer on (0 = any free port)", (value: string) => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("port must be an integer in [0, 65535].");
      return n;
    }, DEFAULT_EXPLORER_PORT)
    .option("--host <host>", "interface to bind", DEFAULT_HOST)
    .action(async (opts: { rpc: string; port: number; host: string }) => (await import("../../explorer/server.ts")).runExplorer(opts));
}
