// The `aivm` package: the tensor codec, the precompile address table, the viem chain and actions,
// and the errors. The dev node is `aivm/node`, the Hardhat plugin `aivm/hardhat`, the engine `aivm/engine`.
export { encodeTensor, decodeTensor, decodeTensorHeader, encodeProgram, decodeProgram } from "./codec/index.ts";
export { PRECOMPILE_ADDRESSES, isAivmPrecompile, type Opcode } from "../precompiles/index.ts";
export { AIVM_ERRORS_ABI, WriteInStaticCallError, UnknownHandleError } from "../precompiles/errors.ts";
export * from "./engine/errors.ts";
export * from "./viem/index.ts";
export type { Tensor, TensorMeta, DType, QuantParams } from "./engine/tensor.ts";
