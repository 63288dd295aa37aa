// The `aivm` package: the tensor codec, the precompile address table, the viem chain and actions,
// and the errors. The dev node is `aivm/node`, the Hardhat plugin `aivm/hardhat`, the engine `aivm/engine`.
// Straight from the codec's modules: codec/index.ts also holds program inference and execution, which
// load the engine's kernels and worker threads.
export { encodeTensor, decodeTensor, decodeTensorHeader } from "./codec/tensor.ts";
export { encodeProgram, decodeProgram } from "./codec/program.ts";
export { DEFAULT_CHAIN_ID, PRECOMPILE_ADDRESSES, SYSTEM_CONTRACT_ADDRESSES, isAivmPrecompile, type Opcode } from "../precompiles/addresses.ts";
export { AIVM_ERRORS_ABI, WriteInStaticCallError, UnknownHandleError } from "../precompiles/errors.ts";
export * from "./engine/errors.ts";
export * from "./viem/index.ts";
export type { Tensor, TensorMeta, DType, QuantParams } from "./engine/tensor.ts";
