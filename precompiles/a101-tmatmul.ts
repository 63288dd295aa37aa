// 0x…A101 TMATMUL: int8/int16 × int8 matrix multiply (batched, optional int32 bias), int32
// accumulation, optional requantization — the engine's `matmul` op.
// input  abi.encode(bytes[] inputs, string[] attrNames, int64[][] attrValues, uint8 flags)
// output abi.encode(bytes out)       (QUOTE_ONLY: abi.encode(uint256 gas))
import { parseAbiParameters } from "viem";
import { getOp } from "../src/engine/registry.ts";
import type { PrecompileCall, Plan } from "./call.ts";
import { attrsFromAbi, planSingleOp } from "./op-call.ts";

export const TMATMUL_INPUT = parseAbiParameters("bytes[] inputs, string[] attrNames, int64[][] attrValues, uint8 flags");

export async function planTmatmul(call: PrecompileCall): Promise<Plan> {
  const [inputs, names, values, flags] = call.decode(TMATMUL_INPUT);
  const op = getOp("matmul");
  return planSingleOp(call, op, inputs, attrsFromAbi(op.name, names, values), call.checkFlags(flags));
}
