// The precompiles' one door to src/gas: every charge goes through here, so the quote a contract or
// aivm_quote gets and the charge a call pays are the same functions (docs/gas.md).
import type { ProgramInfo } from "../src/codec/program-infer.ts";
import { quoteInferred, type ProgramQuote } from "../src/gas/index.ts";

export {
  MULTIPLIER_ONE,
  MULTIPLIER_MAX,
  MULTIPLIER_MIN,
  initialMultiplier,
  nextMultiplier,
  decodeGas,
  quoteOp,
  storeGas,
  tensorMoveGas,
  type GasTensor,
} from "../src/gas/index.ts";

/** A program run (TGRAPH, TCUSTOM): Σ node gas + the program overhead on its encoded length. */
export function quoteProgramRun(info: ProgramInfo, programBytes: number, multiplier: bigint): ProgramQuote {
  return quoteInferred(info, programBytes, multiplier);
}

/** TSTREAM: the program overhead once plus `steps` × one step's node gas (docs/gas.md#tstream). */
export function quoteStreamRun(info: ProgramInfo, programBytes: number, steps: number, multiplier: bigint): { gas: bigint; flops: bigint } {
  const one = quoteInferred(info, programBytes, multiplier);
  const n = BigInt(steps);
  return { gas: one.programGas + n * (one.gas - one.programGas), flops: n * one.flops };
}
