// `aivm verify-vrf` (implementation: ../vrf.ts).
import { Command, InvalidArgumentError } from "commander";
import { DEFAULT_RPC_URL } from "./defaults.ts";

export function verifyVrfCommand(): Command {
  return new Command("verify-vrf")
    .description("Verify a block's VRF proof (RFC 9381 ECVRF-EDWARDS25519-SHA512-TAI) against its parent hash and the producer key")
    .argument("<block>", "block number", (value: string) => {
      if (!/^\d+$/.test(value)) throw new InvalidArgumentError("The block must be a decimal block number.");
      return BigInt(value);
    })
    .option("--rpc <url>", "JSON-RPC URL of the node", DEFAULT_RPC_URL)
    .option("--public-key <hex>", "the producer's expected 32-byte VRF public key (default: the one the chain stores)")
    .option("--json", "print the result as JSON", false)
    .action(async (block: bigint, opts: { rpc: string; publicKey?: `0x${string}`; json: boolean }) => (await import("../vrf.ts")).verifyVrf(block, opts));
}
