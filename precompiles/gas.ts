// The precompiles' one door to src/gas: every charge goes through here, so the quote a contract or
// aivm_quote gets and the charge a call pays are the same functions (docs/gas.md).
import type { ProgramInfo } from "../src/codec/program-infer.ts";
import { quoteInferred, quoteStreamInferred, type ProgramCallIo, type ProgramQuote, type StreamCallIo, type StreamQuote } from "../src/gas/index.ts";

export {
  MULTIPLIER_ONE,
  MULTIPLIER_MAX,
  MULTIPLIER_MIN,
  initialMultiplier,
  nextMultiplier,
  argumentGas,
  decodeGas,
  inputGas,
  loadGas,
  quoteOp,
  readAccessGas,
  readBytesGas,
  storeGas,
  tensorMoveGas,
  writeGas,
  type GasTensor,
  type InputSource,
} from "../src/gas/index.ts";

/** A program run (TGRAPH, TCUSTOM): program overhead + Σ node gas + arguments + output commits + stored reads. */
export function quoteProgramRun(info: ProgramInfo, programBytes: number, multiplier: bigint, io: ProgramCallIo = {}): ProgramQuote {
  return quoteInferred(info, programBytes, multiplier, io);
}

/** TSTREAM: overhead, reads and arguments once, `steps` × (node gas + the step's output commit), final state commits (docs/gas.md#tstream). */
export function quoteStreamRun(info: ProgramInfo, programBytes: number, steps: number, multiplier: bigint, io: StreamCallIo): StreamQuote {
  return quoteStreamInferred(info, programBytes, steps, multiplier, io);
}
