// The `aivm` package: the tensor codec, the precompile address table, the viem chain and actions,
// and the errors. The dev node is `aivm/node`, the Hardhat plugin `aivm/hardhat`, the engine `aivm/engine`.
export { encodeTensor, decodeTensor, decodeTensorHeader, encodeProgram, decodeProgram } from "./codec/index.ts";
export { DEFAULT_CHAIN_ID, PRECOMPILE_ADDRESSES, isAivmPrecompile, type Opcode } from "../precompiles/addresses.ts";
export { AIVM_ERRORS_ABI, WriteInStaticCallError, UnknownHandleError } from "../precompiles/errors.ts";
export * from "./engine/errors.ts";
export * from "./viem/index.ts";
export type { Tensor, TensorMeta, DType, QuantParams } from "./engine/tensor.ts";
