// 0x…A104 TLOAD: load a tensor by handle — scratch slot, persistent content id (plain or sharded)
// or agent namespace entry — into EVM memory, or (OUT_SCRATCH) into a scratch slot for chaining.
// input  abi.encode(bytes ref, uint8 flags)
// output abi.encode(bytes out)       (QUOTE_ONLY: abi.encode(uint256 gas))
import { parseAbiParameters } from "viem";
import { InvalidArgumentError } from "../src/engine/errors.ts";
import { byteSize } from "../src/engine/tensor.ts";
import { encodeBytes } from "../src/codec/abi.ts";
import { OUT_SCRATCH, QUOTE_ONLY } from "./flags.ts";
import { type Plan, type PrecompileCall } from "./call.ts";
import { isHandle } from "./handles.ts";
import { loadGas } from "./gas.ts";

export const TLOAD_INPUT = parseAbiParameters("bytes ref, uint8 flags");

export async function planTload(call: PrecompileCall): Promise<Plan> {
  const [ref, flagsRaw] = call.decode(TLOAD_INPUT);
  const flags = call.checkFlags(flagsRaw);
  if (!isHandle(ref)) throw new InvalidArgumentError("TLOAD", "ref", "must be a 57-byte AREF handle");
  const arg = await call.tensorArg(ref);
  const gas = call.readGas + loadGas(arg.meta, arg.source);
  // The decoded tensor (unless it already sits in scratch), plus its encoding when returned inline.
  const workingBytes = arg.transientBytes + ((flags & OUT_SCRATCH) !== 0 ? 0 : byteSize(arg.meta));
  return {
    gas,
    flops: 0n,
    workingBytes,
    quoteOnly: (flags & QUOTE_ONLY) !== 0,
    async execute() {
      const t = await arg.load();
      const out = call.emit(t, flags);
      await call.record(ref, [t], [call.commit(t)], gas, 0n);
      return encodeBytes(out);
    },
  };
}
