// `aivm export`, `aivm import` and `aivm genesis` (implementation: ../chain-data.ts).
import { Command, InvalidArgumentError, Option } from "commander";
import type { ExportCommandOptions, GenesisCommandOptions, ImportCommandOptions } from "../chain-data.ts";
import { DEFAULT_CHAIN_ID } from "../../../precompiles/addresses.ts";
import { DEFAULT_BLOCK_GAS_LIMIT, DEFAULT_HARDFORK, DEFAULT_MNEMONIC, NODE_HARDFORKS } from "./defaults.ts";

function blockNumber(value: string): bigint {
  if (/^(0|[1-9][0-9]{0,18})$/.test(value)) return BigInt(value);
  throw new InvalidArgumentError("a block number");
}

function chainId(value: string): number {
  const n = Number(value);
  if (/^[1-9][0-9]{0,15}$/.test(value) && Number.isSafeInteger(n)) return n;
  throw new InvalidArgumentError("a positive integer");
}

export function exportCommand(): Command {
  return new Command("export")
    .description("Write blocks as concatenated RLP (geth's export format), from a node's RPC or its database")
    .argument("<file>", "the file to write")
    .option("--rpc <url>", "read the blocks through this node's JSON-RPC (debug_getRawBlock)")
    .option("--db <dir>", "read the blocks from this LevelDB directory (of a node that is not running)")
    .option("--from <n>", "first block (default 1: genesis is not exported)", blockNumber)
    .option("--to <n>", "last block (default: the head)", blockNumber)
    .action(async (file: string, options: ExportCommandOptions) => (await import("../chain-data.ts")).exportChain(file, options));
}

export function importCommand(): Command {
  return new Command("import")
    .description("Re-execute the blocks of an RLP file (aivm export, geth export) into a node's database; stops at the first block that does not reproduce")
    .argument("<file>", "concatenated block RLPs")
    .requiredOption("--db <dir>", "the node's LevelDB directory (created when missing)")
    .option("--genesis <file>", "the geth-style genesis.json the chain was started from (for a new database)")
    .addOption(new Option("--hardfork <name>", "the chain's rules, when no --genesis gives them").choices(NODE_HARDFORKS).default(DEFAULT_HARDFORK))
    .option("-m, --mnemonic <words>", "the producer's mnemonic: its dev VRF key (default: the dev mnemonic's)", DEFAULT_MNEMONIC)
    .option("--vrf-key <hex>", "the producer's 32-byte VRF secret key, which each block's randomness record is proved with")
    .option("--engine", "the chain of an engine-mode node (aivm node --engine, aivm devnet): blocks go through its Engine API, randomness from each block's prevRandao", false)
    .action(async (file: string, options: ImportCommandOptions) => (await import("../chain-data.ts")).importChain(file, options));
}

export function genesisCommand(): Command {
  return new Command("genesis")
    .description("Write a geth-style genesis.json for an AIVM chain, with the system contracts in alloc, for several nodes to share")
    .option("-o, --out <file>", "where to write it (default: standard output)")
    .option("--chain-id <n>", "config.chainId", chainId, DEFAULT_CHAIN_ID)
    .addOption(new Option("--hardfork <name>", "the fork the chain runs from genesis").choices(NODE_HARDFORKS).default(DEFAULT_HARDFORK))
    .option("--gas-limit <gas>", "the block gas limit", (v: string) => blockNumber(v), DEFAULT_BLOCK_GAS_LIMIT)
    .option("--timestamp <seconds>", "the genesis timestamp (default: now)", blockNumber)
    .option("--alloc-dev-accounts", "fund the mnemonic's 20 dev accounts with 10,000 ETH each", false)
    .option("-m, --mnemonic <words>", "mnemonic of the dev accounts and of the producer's dev VRF key", DEFAULT_MNEMONIC)
    .option("--vrf-key <hex>", "the block producer's 32-byte VRF secret key (its public key goes into BlockRandomness)")
    .action(async (options: GenesisCommandOptions) => (await import("../chain-data.ts")).writeGenesis(options));
}
