// 0x…A108 TGRAPH: run a whole tensor program (op-graph, docs/spec.md#programs) in one call; the
// intermediates stay in VM memory and only the outputs come back (or go to scratch).
// input  abi.encode(bytes program, bytes[] inputs, uint8 flags)
// output abi.encode(bytes[] outputs)  (QUOTE_ONLY: abi.encode(uint256 gas))
import { parseAbiParameters } from "viem";
import type { Plan, PrecompileCall } from "./call.ts";
import { planProgramRun } from "./program-call.ts";
import { inlineProgramCached } from "./program-cache.ts";

export const TGRAPH_INPUT = parseAbiParameters("bytes program, bytes[] inputs, uint8 flags");

export async function planTgraph(call: PrecompileCall): Promise<Plan> {
  const [bytes, inputs, flags] = call.decode(TGRAPH_INPUT);
  const { program, paramsHash } = inlineProgramCached(bytes);
  return planProgramRun(call, program, inputs, call.checkFlags(flags), bytes, bytes.length, { paramsHash });
}
