// The chain's fixed identifiers (../shared/DESIGN.md#precompile-addresses): the dev chain id and the
// precompile and system-contract address tables. Free of the precompiles' code, so `import "aivm"`, the viem actions and
// the model tools read them without loading the EVM side.

type Hex = `0x${string}`;

/** The dev chain id (Hardhat's default, so wallets and viem's `hardhat` chain work unchanged). */
export const DEFAULT_CHAIN_ID = 31337;

export const PRECOMPILE_ADDRESSES = {
  TMATMUL: "0x000000000000000000000000000000000000a101",
  TEWOP: "0x000000000000000000000000000000000000a102",
  TCUSTOM: "0x000000000000000000000000000000000000a103",
  TLOAD: "0x000000000000000000000000000000000000a104",
  TSTORE: "0x000000000000000000000000000000000000a105",
  TCOMMIT: "0x000000000000000000000000000000000000a106",
  TSTREAM: "0x000000000000000000000000000000000000a107",
  TGRAPH: "0x000000000000000000000000000000000000a108",
} as const satisfies Record<string, Hex>;
export type Opcode = keyof typeof PRECOMPILE_ADDRESSES;

/** The system contracts in genesis (contracts/system/), written at the end of blocks or by the precompiles. */
export const SYSTEM_CONTRACT_ADDRESSES = {
  BlockAnchor: "0x000000000000000000000000000000000000a110",
  Congestion: "0x000000000000000000000000000000000000a111",
  AgentNamespaces: "0x000000000000000000000000000000000000a112",
  BlockRandomness: "0x000000000000000000000000000000000000a113",
} as const satisfies Record<string, Hex>;
export const BLOCK_ANCHOR_ADDRESS = SYSTEM_CONTRACT_ADDRESSES.BlockAnchor;
export const CONGESTION_ADDRESS = SYSTEM_CONTRACT_ADDRESSES.Congestion;
export const AGENT_NAMESPACES_ADDRESS = SYSTEM_CONTRACT_ADDRESSES.AgentNamespaces;
export const BLOCK_RANDOMNESS_ADDRESS = SYSTEM_CONTRACT_ADDRESSES.BlockRandomness;

const ADDRESS_SET = new Set<string>(Object.values(PRECOMPILE_ADDRESSES));

export function isAivmPrecompile(address: string): boolean {
  return ADDRESS_SET.has(address.toLowerCase());
}
