// The address tables are declared once in TypeScript (precompiles/addresses.ts); the AIVM Solidity
// library's constants must name the same addresses.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PRECOMPILE_ADDRESSES, SYSTEM_CONTRACT_ADDRESSES } from "../../precompiles/addresses.ts";
import { CONTRACTS_DIR } from "../../src/chain/solc.ts";

test("AIVM.sol's address constants equal precompiles/addresses.ts", () => {
  const source = readFileSync(join(CONTRACTS_DIR, "AIVM.sol"), "utf8");
  const constants = new Map([...source.matchAll(/address internal constant (\w+) = address\((0x[0-9a-fA-F]+)\);/g)].map((m) => [m[1]!, BigInt(m[2]!)]));
  const expected: Record<string, string> = {
    ...PRECOMPILE_ADDRESSES,
    BLOCK_ANCHOR: SYSTEM_CONTRACT_ADDRESSES.BlockAnchor,
    CONGESTION: SYSTEM_CONTRACT_ADDRESSES.Congestion,
    AGENT_NAMESPACES: SYSTEM_CONTRACT_ADDRESSES.AgentNamespaces,
  };
  for (const [name, address] of Object.entries(expected)) assert.equal(constants.get(name), BigInt(address), `AIVM.${name}`);
  assert.equal(constants.size, Object.keys(expected).length, "every address constant of AIVM.sol is in the tables");
});
