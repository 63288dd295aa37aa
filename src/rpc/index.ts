// aivm/node: the dev node, its JSON-RPC server and the in-process EIP-1193 provider.
export { DEFAULT_CHAIN_ID } from "../../precompiles/addresses.ts";
export { DevNode, type DevNodeOptions, type MinedBlock, type TxRecord, type CallRequest } from "../chain/node.ts";
export { DEFAULT_MNEMONIC, deriveDevAccounts, type DevAccount } from "../chain/accounts.ts";
export { startNodeServer, DEFAULT_HOST, DEFAULT_PORT, type NodeServer, type NodeServerOptions } from "./server.ts";
export { ExposureError } from "./access.ts";
export { createAivmProvider, ProviderRpcError, type AivmProvider, type AivmProviderOptions, type RequestArguments } from "./provider.ts";
export { createMethodTable, dispatch, type MethodTable } from "./methods.ts";
export { RpcError } from "./errors.ts";
