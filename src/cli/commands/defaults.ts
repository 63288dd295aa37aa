// The option defaults `aivm --help` prints, as literals: their home modules (the RPC server, the chain
// VM, the dev accounts, the predeploys) load the EVM, viem and solc. test/cli/startup.test.ts pins each
// one to its source.
import { join } from "node:path";

/** src/rpc/server.ts DEFAULT_HOST and DEFAULT_PORT. */
export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 8545;
export const DEFAULT_RPC_URL = `http://${DEFAULT_HOST}:${DEFAULT_PORT}`;
/** src/chain/node.ts DEFAULT_RPC_EVM_TIMEOUT_MS and DEFAULT_BLOCK_GAS_LIMIT. */
export const DEFAULT_RPC_EVM_TIMEOUT_MS = 5_000;
export const DEFAULT_BLOCK_GAS_LIMIT = 60_000_000n;
/** src/evm/chain-vm.ts NODE_HARDFORKS and DEFAULT_HARDFORK. */
export const NODE_HARDFORKS: readonly string[] = ["cancun", "prague", "osaka"];
export const DEFAULT_HARDFORK = "osaka";
/** src/chain/accounts.ts DEFAULT_MNEMONIC. */
export const DEFAULT_MNEMONIC = "test test test test test test test test test test test junk";
/** src/chain/predeploys.ts MODEL_REGISTRY_ADDRESS. */
export const MODEL_REGISTRY_ADDRESS = "0x000000000000000000000000000000000000a120";
/** src/model/lm.ts LM_DIR. */
export const LM_DIR = join(import.meta.dirname, "../../../models/lm");
