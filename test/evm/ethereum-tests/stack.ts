// The two VMs the suites run on: "chain" is the production stack (createChainVM, every override),
// "stock" is unmodified EthereumJS 10.1.3, the reference the overrides must match. The overrides
// patch EthereumJS prototypes for the whole process, so a stock run needs a process in which
// createChainVM was never called (scripts/conformance-evm.ts runs it in a child process).
import { Common, Hardfork, Mainnet } from "@ethereumjs/common";
import type { EVMMockBlockchainInterface } from "@ethereumjs/evm";
import { Caches, MerkleStateManager } from "@ethereumjs/statemanager";
import { createVM, type VM } from "@ethereumjs/vm";
import { createChainCommon, createChainVM } from "../../../src/evm/chain-vm.ts";
import { AivmStateManager } from "../../../src/evm/state-manager.ts";
import { chainKzg } from "../../../src/evm/kzg.ts";

export type Stack = "chain" | "stock";

/** Ethereum mainnet's chain id: the suites' transactions are signed for it. */
const MAINNET_CHAIN_ID = 1;

/** Mainnet rules at `hardfork` (the suites are Cancun); the chain stack adds the node's crypto. */
export function suiteCommon(stack: Stack, hardfork: string = Hardfork.Cancun): Common {
  // Stock gets the KZG too: EthereumJS expects its user to supply one (it ships none).
  return stack === "chain" ? createChainCommon({ chainId: MAINNET_CHAIN_ID, hardfork }) : new Common({ chain: Mainnet, hardfork, customCrypto: { kzg: chainKzg } });
}

export function suiteStateManager(stack: Stack, common: Common): MerkleStateManager {
  return stack === "chain" ? new AivmStateManager({ common, caches: new Caches() }) : new MerkleStateManager({ common, caches: new Caches() });
}

export async function suiteVM(stack: Stack, common: Common, stateManager: MerkleStateManager, blockchain?: EVMMockBlockchainInterface): Promise<VM> {
  if (stack === "chain") return createChainVM({ common, stateManager, blockchain });
  // The deliberate stock reference: upstream's own factory, no AIVM code.
  return createVM({ common, stateManager, ...(blockchain ? { blockchain } : {}) });
}
