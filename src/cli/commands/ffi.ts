// `aivm ffi call | seed` (implementation: ../ffi.ts).
import { Command, InvalidArgumentError } from "commander";
import { PRECOMPILE_ADDRESSES } from "../../../precompiles/addresses.ts";
import type { FfiCallFlags } from "../ffi.ts";

type Hex = `0x${string}`;

export const ZERO_ADDRESS: Hex = "0x0000000000000000000000000000000000000000";
/** Replayed calls succeeded in forge with at most the block's gas; they get plenty here. */
export const REPLAY_GAS = 1_000_000_000n;
const PRECOMPILES = new Set<string>(Object.values(PRECOMPILE_ADDRESSES).map((a) => a.toLowerCase()));

/** Concatenated 32-byte hashes ("0x" or "" for none). */
function parseHashes(hex: string): Hex[] {
  const body = hex.replace(/^0x/, "");
  if (body.length % 64 !== 0 || !/^[0-9a-fA-F]*$/.test(body)) throw new InvalidArgumentError("expected concatenated 32-byte hashes in hex");
  const out: Hex[] = [];
  for (let i = 0; i < body.length; i += 64) out.push(`0x${body.slice(i, i + 64).toLowerCase()}`);
  return out;
}

function hexArg(what: string) {
  return (v: string): Hex => {
    if (!/^0x[0-9a-fA-F]*$/.test(v)) throw new InvalidArgumentError(`${what} must be 0x-prefixed hex.`);
    return v as Hex;
  };
}

function addressArg(v: string): Hex {
  if (!/^0x[0-9a-fA-F]{40}$/.test(v)) throw new InvalidArgumentError("expected a 20-byte address.");
  return v.toLowerCase() as Hex;
}

export function ffiCommand(): Command {
  const ffi = new Command("ffi").description("the AIVM precompiles for Foundry's ffi cheatcode (contracts/foundry/AivmTest.sol; docs/foundry.md)");
  ffi
    .command("call")
    .description("run one precompile call after replaying the forge state's earlier calls; prints abi.encode(bool success, bytes returnData, uint256 gasUsed)")
    .argument("<address>", "the precompile, 0x…A101–0x…A108", (v) => {
      const a = addressArg(v);
      if (!PRECOMPILES.has(a)) throw new InvalidArgumentError(`${v} is not an AIVM precompile (0x…A101–0x…A108).`);
      return a;
    })
    .argument("<calldata>", "the call's input, hex", hexArg("calldata"))
    .requiredOption("--store <dir>", "directory holding the call entries")
    .option("--caller <address>", "the calling contract", addressArg, ZERO_ADDRESS)
    .option("--static", "the call is in a static context", false)
    .option("--gas <n>", "gas the call gets", (v) => BigInt(v), REPLAY_GAS)
    .option("--history <hashes>", "entries of earlier transactions that wrote state, concatenated", parseHashes, [] as Hex[])
    .option("--tx <hashes>", "earlier entries of the current transaction, concatenated", parseHashes, [] as Hex[])
    .action(async (address: Hex, calldata: Hex, o: FfiCallFlags) => (await import("../ffi.ts")).printFfiCall(address, calldata, o));
  ffi
    .command("seed")
    .description("store a model package (shards, manifests, program) as TSTORE entries; prints abi.encode(bytes32[] entries, bytes32 programId)")
    .argument("<package>", "an `aivm model pack` package (.aivm.json)")
    .requiredOption("--store <dir>", "directory holding the call entries")
    .option("--caller <address>", "the contract that stores it", addressArg, ZERO_ADDRESS)
    .action(async (file: string, o: { store: string; caller: Hex }) => (await import("../ffi.ts")).printFfiSeed(file, o));
  return ffi;
}
