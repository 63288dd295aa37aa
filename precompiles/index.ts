// The AIVM precompile address table: address → opcode → plan. The EVM gets these through
// createChainVM({ runtime }) (src/evm/chain-vm.ts); each is bound to the chain's runtime.
import type { PrecompileFunc } from "@ethereumjs/evm";
import { definePrecompile, type PlanFn, type RuntimeAccess } from "./call.ts";
import { planTmatmul } from "./a101-tmatmul.ts";
import { planTewop } from "./a102-tewop.ts";
import { planTcustom } from "./a103-tcustom.ts";
import { planTload } from "./a104-tload.ts";
import { planTstore } from "./a105-tstore.ts";
import { planTcommit } from "./a106-tcommit.ts";
import { planTstream } from "./a107-tstream.ts";
import { planTgraph } from "./a108-tgraph.ts";

type Hex = `0x${string}`;

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

const PLANS: Record<Opcode, PlanFn> = {
  TMATMUL: planTmatmul,
  TEWOP: planTewop,
  TCUSTOM: planTcustom,
  TLOAD: planTload,
  TSTORE: planTstore,
  TCOMMIT: planTcommit,
  TSTREAM: planTstream,
  TGRAPH: planTgraph,
};

const ADDRESS_SET = new Set<string>(Object.values(PRECOMPILE_ADDRESSES));

export function isAivmPrecompile(address: string): boolean {
  return ADDRESS_SET.has(address.toLowerCase());
}

/** The customPrecompiles entries for one runtime. */
export function createAivmPrecompiles(runtime: RuntimeAccess): { address: Hex; function: PrecompileFunc }[] {
  return (Object.keys(PLANS) as Opcode[]).map((opcode) => ({
    address: PRECOMPILE_ADDRESSES[opcode],
    function: definePrecompile(runtime, PRECOMPILE_ADDRESSES[opcode], opcode, PLANS[opcode]),
  }));
}
