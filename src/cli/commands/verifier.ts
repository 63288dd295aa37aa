// `aivm verifier` (implementation: ../verifier.ts).
import { Command, InvalidArgumentError, Option } from "commander";
import type { VerifierCommandOptions } from "../verifier.ts";
import { NODE_HARDFORKS } from "./defaults.ts";

function address(value: string): `0x${string}` {
  if (/^0x[0-9a-fA-F]{40}$/.test(value)) return value as `0x${string}`;
  throw new InvalidArgumentError("a 20-byte 0x-prefixed address");
}

function blockNumber(value: string): bigint {
  if (/^(0|[1-9][0-9]{0,15})$/.test(value)) return BigInt(value);
  throw new InvalidArgumentError("a block number");
}

function wei(value: string): bigint {
  if (/^[1-9][0-9]{0,36}$/.test(value)) return BigInt(value);
  throw new InvalidArgumentError("a positive amount of wei");
}

function milliseconds(value: string): number {
  if (/^[1-9][0-9]{0,6}$/.test(value)) return Number(value);
  throw new InvalidArgumentError("a positive number of milliseconds");
}

/** src/rpc/verify/committee.ts VERIFIER_FAULTS. */
export const VERIFIER_FAULTS = ["sign-wrong-root"];

export function verifierCommand(): Command {
  return new Command("verifier")
    .description("Join an AttestationRegistry committee: follow a node, re-execute every block with AIVM receipts, sign and submit its anchor when it matches (docs/verify.md#committee)")
    .requiredOption("--key <hex|file>", "the verifier's secp256k1 private key (32 bytes of hex), or a file holding it; it signs and pays for its transactions")
    .requiredOption("--rpc <url>", "the node's JSON-RPC URL, e.g. http://127.0.0.1:8545")
    .requiredOption("--registry <address>", "the AttestationRegistry contract", address)
    .option("--from-block <n>", "first block to verify (default: the block after the head at start)", blockNumber)
    .option("--bond <wei>", "bond sent when registering (default: the registry's minBond)", wei)
    .option("--poll <ms>", "milliseconds between polls for new blocks", milliseconds, 250)
    .addOption(new Option("--hardfork <name>", "the node's --hardfork, for re-execution (default: cancun when its headers lack requestsHash, else osaka)").choices(NODE_HARDFORKS))
    .option("--json", "print one JSON object per event", false)
    .addOption(new Option("--fault <mode>", "TEST ONLY: sign-wrong-root signs every anchor root with its lowest bit flipped, for the registry to slash").choices(VERIFIER_FAULTS))
    .action(async (options: VerifierCommandOptions) => (await import("../verifier.ts")).runVerifier(options));
}
