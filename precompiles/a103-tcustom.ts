// 0x…A103 TCUSTOM: call a registered custom kernel — a program stored with TSTORE (target 2) — by id.
// input  abi.encode(bytes32 programId, bytes[] inputs, uint8 flags)
// output abi.encode(bytes[] outputs)  (QUOTE_ONLY: abi.encode(uint256 gas))
import { parseAbiParameters } from "viem";
import type { Plan, PrecompileCall } from "./call.ts";
import { loadStoredProgram, planProgramRun } from "./program-call.ts";

export const TCUSTOM_INPUT = parseAbiParameters("bytes32 programId, bytes[] inputs, uint8 flags");

export async function planTcustom(call: PrecompileCall): Promise<Plan> {
  const [programId, inputs, flags] = call.decode(TCUSTOM_INPUT);
  const { program, bytes } = await loadStoredProgram(call, programId);
  // The receipt's params are the program id: the program itself is in state under that id.
  return planProgramRun(call, program, inputs, call.checkFlags(flags), programId, bytes.length, { storedProgram: true });
}
