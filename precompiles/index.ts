// The AIVM precompiles: address (precompiles/addresses.ts) → opcode → plan. The EVM gets these through
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
import { PRECOMPILE_ADDRESSES, type Opcode } from "./addresses.ts";

export { PRECOMPILE_ADDRESSES, isAivmPrecompile, type Opcode } from "./addresses.ts";

type Hex = `0x${string}`;

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

/** The customPrecompiles entries for one runtime. */
export function createAivmPrecompiles(runtime: RuntimeAccess): { address: Hex; function: PrecompileFunc }[] {
  return (Object.keys(PLANS) as Opcode[]).map((opcode) => ({
    address: PRECOMPILE_ADDRESSES[opcode],
    function: definePrecompile(runtime, PRECOMPILE_ADDRESSES[opcode], opcode, PLANS[opcode]),
  }));
}
