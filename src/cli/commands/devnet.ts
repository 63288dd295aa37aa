// `aivm devnet` (implementation: ../devnet.ts).
import { Command, InvalidArgumentError, Option } from "commander";
import { PRECOMPILE_ADDRESSES } from "../../../precompiles/addresses.ts";
import type { DevnetOptions } from "../devnet.ts";
import { DEFAULT_HARDFORK, NODE_HARDFORKS } from "./defaults.ts";

function integer(name: string, min: number, max: number) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}].`);
    return n;
  };
}

/** "2", "0.5s", "500ms": a slot length in ms, 100 ms to 1 h. */
function slotTime(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(value.trim());
  const ms = m ? Math.round(Number(m[1]) * (m[2] === "ms" ? 1 : 1000)) : NaN;
  if (!Number.isSafeInteger(ms) || ms < 100 || ms > 3_600_000) throw new InvalidArgumentError('--slot-time must be a duration from 100ms to 1 h, such as "2", "2s" or "500ms".');
  return ms;
}

/** "<node>:<OPCODE>", e.g. "2:TMATMUL". */
function faultSpec(value: string): { node: number; opcode: string } {
  const m = /^(\d+):([A-Z]+)$/.exec(value);
  if (!m || !(m[2]! in PRECOMPILE_ADDRESSES)) throw new InvalidArgumentError(`--inject-fault takes <node index>:<opcode>, the opcode one of ${Object.keys(PRECOMPILE_ADDRESSES).join(", ")}.`);
  return { node: Number(m[1]), opcode: m[2]! };
}

interface DevnetCommandOptions {
  nodes: number;
  port: number;
  "authrpc.port": number;
  slotTime: number;
  hardfork: string;
  dir?: string;
  genesis?: string;
  mnemonic?: string;
  uniform: boolean;
  injectFault?: { node: number; opcode: string };
}

export function devnetCommand(): Command {
  return new Command("devnet")
    .description("Start a local network: N execution nodes (aivm node --engine) on loopback, driven through the Engine API, transactions forwarded between them (docs/network.md#devnet)")
    .option("-n, --nodes <n>", "number of nodes", integer("nodes", 1, 64), 3)
    .option("-p, --port <port>", "JSON-RPC port of node 0; node i listens on port + i", integer("port", 1, 65535), 8545)
    .option("--authrpc.port <port>", "Engine API port of node 0; node i listens on port + i", integer("authrpc.port", 1, 65535), 8651)
    .addOption(new Option("--slot-time <duration>", 'one block per slot: "2", "2s", "500ms"').argParser(slotTime).default(2000, "2s"))
    .addOption(new Option("--hardfork <name>", "the fork every node runs").choices(NODE_HARDFORKS).default(DEFAULT_HARDFORK))
    .option("--dir <dir>", "keep the nodes' databases, JWT secrets and logs here (default: a new temporary directory); a devnet started again on it resumes")
    .option("--genesis <file>", "a genesis.json every node starts from (aivm genesis writes one)")
    .option("-m, --mnemonic <words>", "mnemonic of the funded dev accounts (every node the same)")
    .option("--uniform", "run every node with the same engine settings (default: node 1 without matmul workers, node 2 with the JS kernels only)", false)
    .addOption(new Option("--inject-fault <node:opcode>", "TEST ONLY: that node records every <opcode> receipt with one output-commit bit flipped; the others reject its payloads").argParser(faultSpec))
    .action(async (options: DevnetCommandOptions) => {
      const devnet: DevnetOptions = {
        nodes: options.nodes,
        port: options.port,
        authPort: options["authrpc.port"],
        slotMs: options.slotTime,
        hardfork: options.hardfork,
        dir: options.dir,
        genesis: options.genesis,
        mnemonic: options.mnemonic,
        uniform: options.uniform,
        injectFault: options.injectFault,
      };
      await (await import("../devnet.ts")).runDevnet(devnet);
    });
}
