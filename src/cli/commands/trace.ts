// `aivm trace` (implementation: ../trace.ts).
import { Command, InvalidArgumentError } from "commander";
import { DEFAULT_RPC_URL } from "./defaults.ts";

export function traceCommand(): Command {
  return new Command("trace")
    .description("Print a mined transaction's call tree with its AIVM ops: shapes, FLOPs, gas split and commits (debug_traceTransaction with aivmTracer)")
    .argument("<txhash>", "transaction hash", (value: string) => {
      if (!/^0x[0-9a-fA-F]{64}$/.test(value)) throw new InvalidArgumentError("Expected a 32-byte 0x-prefixed transaction hash.");
      return value as `0x${string}`;
    })
    .option("--rpc <url>", "JSON-RPC URL of the node", DEFAULT_RPC_URL)
    .option("--json", "print the aivmTracer result as JSON", false)
    .action(async (hash: `0x${string}`, opts: { rpc: string; json: boolean }) => (await import("../trace.ts")).printTrace(hash, opts));
}
