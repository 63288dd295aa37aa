// `aivm verify` (implementation: ../verify.ts).
import { Command, InvalidArgumentError, Option } from "commander";
import { NODE_HARDFORKS } from "./defaults.ts";
import type { VerifyCommandOptions } from "../verify.ts";

function blockTag(value: string): string {
  if (value === "latest" || /^(0x[0-9a-fA-F]+|[0-9]+)$/.test(value)) return value;
  throw new InvalidArgumentError("a block number or 'latest'");
}

function count(value: string): number {
  if (/^[1-9][0-9]{0,5}$/.test(value)) return Number(value);
  throw new InvalidArgumentError("a positive number of blocks");
}

function txHash(value: string): `0x${string}` {
  if (/^0x[0-9a-fA-F]{64}$/.test(value)) return value.toLowerCase() as `0x${string}`;
  throw new InvalidArgumentError("a 32-byte transaction hash");
}

export function verifyCommand(): Command {
  return new Command("verify")
    .description("Check a node's AIVM receipts through its RPC: anchors, leaves, proofs, and a re-execution of every op in this process")
    .requiredOption("--rpc <url>", "the node's JSON-RPC URL, e.g. http://127.0.0.1:8545")
    .option("--tx <hash>", "verify the block of this transaction, reporting its receipts", txHash)
    .option("--block <n>", "verify one block (a number or 'latest')", blockTag)
    .option("--from <n>", "first block of a range (default 1)", blockTag)
    .option("--to <n>", "last block of a range (default latest)", blockTag)
    .option("--inclusion-only", "check leaves, trace roots, the anchor and the proofs; do not re-execute", false)
    .option("--sample <k>", "for a block or range: check every block's inclusion, re-execute only k blocks with receipts, chosen by the VRF of the block after the range (default range: 1 to latest − 1)", count)
    .addOption(new Option("--hardfork <name>", "the node's --hardfork (default: cancun when its headers lack requestsHash, else osaka)").choices(NODE_HARDFORKS))
    .option("--json", "print the verdicts as JSON", false)
    .action(async (options: VerifyCommandOptions) => (await import("../verify.ts")).verify(options));
}
