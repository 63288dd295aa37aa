// `aivm node` (implementation: ../node.ts).
import { Command, InvalidArgumentError, Option } from "commander";
import { PRECOMPILE_ADDRESSES } from "../../../precompiles/addresses.ts";
import type { NodeCommandOptions } from "../node.ts";
import { DEFAULT_BLOCK_GAS_LIMIT, DEFAULT_HARDFORK, DEFAULT_HOST, DEFAULT_MNEMONIC, DEFAULT_PORT, DEFAULT_RPC_EVM_TIMEOUT_MS, NODE_HARDFORKS } from "./defaults.ts";

function integer(name: string, min: number, max: number) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}].`);
    return n;
  };
}

/** A comma-separated list (`--cors a,b`); repeated flags add to it. */
function list(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(",").map((s) => s.trim()).filter((s) => s !== "")];
}

function gasAmount(value: string): bigint {
  if (!/^(0|[1-9][0-9]{0,19})$/.test(value) || BigInt(value) >= 2n ** 64n) throw new InvalidArgumentError("--rpc.gascap must be a gas amount below 2^64 (0 = no cap).");
  return BigInt(value);
}

/** A block gas limit: at least a transfer's 21,000, and a 64-bit header field. */
function blockGasLimit(value: string): bigint {
  if (!/^[1-9][0-9]{0,19}$/.test(value) || BigInt(value) < 21_000n || BigInt(value) >= 2n ** 64n) {
    throw new InvalidArgumentError("--block-gas-limit must be a gas amount from 21000 to 2^64 - 1.");
  }
  return BigInt(value);
}

/** A duration in ms from "5s", "500ms", "1.5s" or "0" (geth's --rpc.evmtimeout takes "5s" too). */
function duration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(value.trim());
  const ms = m ? Math.round(Number(m[1]) * (m[2] === "ms" ? 1 : 1000)) : NaN;
  if (!Number.isSafeInteger(ms) || (m![1] !== "0" && ms === 0) || ms > 2 ** 31 - 1) {
    throw new InvalidArgumentError('--rpc.evmtimeout must be a duration such as "5s" or "500ms" (0 = no deadline).');
  }
  return ms;
}

export function nodeCommand(): Command {
  return new Command("node")
    .description("Start the AIVM dev node: JSON-RPC over HTTP and WebSocket, 20 funded accounts, AIVM precompiles")
    .option("-p, --port <port>", "port to listen on (0 = any free port)", integer("port", 0, 65535), DEFAULT_PORT)
    .option("--host <host>", "interface to bind (beyond loopback only with --allow-remote)", DEFAULT_HOST)
    .option("--allow-remote", "allow a --host other machines can reach: they get the unlocked dev accounts and hardhat_* methods", false)
    .option("--cors <origins>", "browser origins allowed besides localhost pages, comma-separated ('*' = any)", list)
    .option("--allowed-hosts <names>", "Host header names allowed besides localhost and IP addresses, comma-separated ('*' = any)", list)
    .option("--block-gas-limit <gas>", "gas limit of the blocks the node mines (evm_setBlockGasLimit changes it while running)", blockGasLimit, DEFAULT_BLOCK_GAS_LIMIT)
    .option("--rpc.gascap <gas>", "gas cap of eth_call, eth_estimateGas and aivm_quote (default: the block gas limit; 0 = none)", gasAmount)
    .option("--rpc.evmtimeout <duration>", "wall-clock deadline of eth_call, eth_estimateGas and aivm_quote (0 = none)", duration, DEFAULT_RPC_EVM_TIMEOUT_MS)
    .option("-b, --block-time <seconds>", "mine a block every N seconds instead of one per transaction", integer("block time", 1, 86400))
    .addOption(new Option("--hardfork <name>", "the EVM rules the chain runs; compile contracts for the same evmVersion").choices(NODE_HARDFORKS).default(DEFAULT_HARDFORK))
    .option("--db <dir>", "keep blocks, state and the tensor store in LevelDB at <dir> (resumes on restart)")
    .option("--genesis <file>", "start from a geth-style genesis.json (aivm genesis writes one): its chain id, fork, gas limit, header fields and alloc")
    .option("-m, --mnemonic <words>", "mnemonic for the dev accounts", DEFAULT_MNEMONIC)
    .option("--vrf-key <hex>", "the block producer's 32-byte VRF secret key (default: derived from the mnemonic, see docs/vrf.md)")
    .option("--demo", "deploy the demo models (InferenceDemo, the Fashion-MNIST MLP with FashionDemo) on a fresh chain", false)
    .option("-q, --quiet", "print only the listening line", false)
    .option("--tx-peers <urls>", "forward every transaction entering the pool to these nodes' JSON-RPC URLs, comma-separated (docs/network.md#devnet)", list)
    .addOption(new Option("--inject-fault <opcode>", "TEST ONLY: record every <opcode> receipt with one output-commit bit flipped, for aivm verify to catch (docs/verify.md)").choices(Object.keys(PRECOMPILE_ADDRESSES)))
    .option("--engine", "execution-client mode: blocks come only from a consensus client through the Engine API (docs/network.md#engine-api)", false)
    .option("--authrpc.port <port>", "Engine API port with --engine (0 = any free port)", integer("authrpc.port", 0, 65535), 8551)
    .option("--authrpc.addr <host>", "interface the Engine API listens on", "127.0.0.1")
    .option("--sync-peers <urls>", "with --engine: fetch blocks this node missed from these nodes' JSON-RPC URLs (debug_getRawBlock), re-executing each, and a rejected block's AIVM receipts to name the mismatching one; comma-separated", list)
    .option("--authrpc.jwtsecret <file>", "the Engine API's 32-byte hex JWT secret, created when missing (default: <db>/jwtsecret, or a fresh temporary file)")
    .action(async (options: NodeCommandOptions) => (await import("../node.ts")).startNode(options));
}
