// The chain's fixed identifiers (../shared/DESIGN.md#precompile-addresses): the dev chain id and the
// precompile address table. Free of the precompiles' code, so `import "aivm"`, the viem actions and
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

const ADDRESS_SET = new Set<string>(Object.values(PRECOMPILE_ADDRESSES));

export function isAivmPrecompile(address: string): boolean {
  return ADDRESS_SET.has(address.toLowerCase());
}
