// 0x…A106 TCOMMIT: the Tensor Commit of a tensor (inline or by handle), or the current transaction's
// trace root over its receipts so far. A view: it records no receipt of its own.
// input  abi.encode(uint8 mode, bytes tensor)   mode 0 tensor commit, mode 1 trace root
// output mode 0: abi.encode(bytes32 commit); mode 1: abi.encode(bytes32 traceRoot, uint256 receiptCount)
import { parseAbiParameters } from "viem";
import { InvalidArgumentError } from "../src/engine/errors.ts";
import { encodeUint } from "../src/codec/abi.ts";
import type { Plan, PrecompileCall } from "./call.ts";
import { argumentGas, tensorMoveGas } from "./gas.ts";
import { fromHex } from "../src/commit/hex.ts";

export const TCOMMIT_INPUT = parseAbiParameters("uint8 mode, bytes tensor");
export const COMMIT_TENSOR = 0;
export const COMMIT_TRACE = 1;

export async function planTcommit(call: PrecompileCall): Promise<Plan> {
  const [mode, tensor] = call.decode(TCOMMIT_INPUT);
  if (mode === COMMIT_TRACE) {
    if (tensor.length !== 0) throw new InvalidArgumentError("TCOMMIT", "tensor", "must be empty in trace mode");
    return {
      gas: tensorMoveGas([]),
      flops: 0n,
      workingBytes: 0,
      async execute() {
        const { root, count } = call.runtime.traceRoot();
        const out = new Uint8Array(64);
        out.set(fromHex(root), 0);
        out.set(encodeUint(BigInt(count)), 32);
        return out;
      },
    };
  }
  if (mode !== COMMIT_TENSOR) throw new InvalidArgumentError("TCOMMIT", "mode", "must be 0 (tensor) or 1 (trace)");
  const arg = await call.tensorArg(tensor);
  return {
    gas: call.readGas + argumentGas(arg.meta, arg.source),
    flops: 0n,
    workingBytes: arg.transientBytes,
    async execute() {
      return arg.commit();
    },
  };
}
