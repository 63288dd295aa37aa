// 0x…A102 TEWOP: element-wise ops (add/sub/mul with broadcasting, ReLU family, clip, LUT activations,
// requantize) plus softmax and layer/RMS norm over an axis, selected by engine op code.
// input  abi.encode(uint16 opCode, bytes[] inputs, string[] attrNames, int64[][] attrValues, uint8 flags)
// output abi.encode(bytes out)       (QUOTE_ONLY: abi.encode(uint256 gas))
import { parseAbiParameters } from "viem";
import { UnsupportedOpError } from "../src/engine/errors.ts";
import { OP_CODES, getOp } from "../src/engine/registry.ts";
import type { PrecompileCall, Plan } from "./call.ts";
import { attrsFromAbi, planSingleOp } from "./op-call.ts";

export const TEWOP_INPUT = parseAbiParameters("uint16 opCode, bytes[] inputs, string[] attrNames, int64[][] attrValues, uint8 flags");

/** The ops TEWOP accepts; matmul/conv go through TMATMUL or programs. */
export const TEWOP_OPS = [
  "add",
  "sub",
  "mul",
  "relu",
  "relu6",
  "leaky_relu",
  "clip",
  "lut",
  "requantize",
  "softmax",
  "log_softmax",
  "layer_norm",
  "rms_norm",
] as const;
const ALLOWED = new Map<number, string>(TEWOP_OPS.map((name) => [OP_CODES[name], name]));

export async function planTewop(call: PrecompileCall): Promise<Plan> {
  const [opCode, inputs, names, values, flags] = call.decode(TEWOP_INPUT);
  const name = ALLOWED.get(opCode);
  if (!name) throw new UnsupportedOpError(`op code ${opCode}`, TEWOP_OPS, "TEWOP");
  const op = getOp(name);
  return planSingleOp(call, op, inputs, attrsFromAbi(op.name, names, values), call.checkFlags(flags));
}
