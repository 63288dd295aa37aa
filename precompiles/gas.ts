// The precompiles' one door to src/gas: every charge goes through here, so the quote a contract or
// aivm_quote gets and the charge a call pays are the same functions (docs/gas.md).
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
  programOverheadGas,
  quoteInferred,
  quoteOp,
  quoteStreamInferred,
  readAccessGas,
  readBytesGas,
  storeGas,
  tensorMoveGas,
  writeGas,
  type GasTensor,
  type InputSource,
} from "../src/gas/index.ts";
