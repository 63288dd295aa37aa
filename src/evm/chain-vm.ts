// The only VM factory: the node, the tests and the conformance runner all get the EVM users get.
// It checks the pinned EthereumJS release, installs every override once per process (each in its own
// file of src/evm/, listed in docs/evm.md#the-overrides-and-why), and builds a VM on the AIVM state
// manager with the node's crypto and KZG and, when a runtime is given, the AIVM precompiles attached to it.
import { Hardfork, Mainnet, createCustomCommon, type Common, type CustomCrypto } from "@ethereumjs/common";
import type { CustomPrecompile, EVMMockBlockchainInterface } from "@ethereumjs/evm";
import { Caches, type MerkleStateManager } from "@ethereumjs/statemanager";
import { createVM, type VM } from "@ethereumjs/vm";
import { defaultCustomCrypto } from "./crypto.ts";
import { chainKzg } from "./kzg.ts";
import { installJumpAnalysisCache } from "./jump-analysis.ts";
import { installMemoryGrowth } from "./memory-growth.ts";
import { speedUpOpcodes } from "./memory-ops.ts";
import { installRunInterpreter } from "./run-interpreter.ts";
import { installRunLoop } from "./run-loop.ts";
import { installSyncSteps } from "./sync-steps.ts";
import { AivmStateManager } from "./state-manager.ts";
import { installTxMemo } from "./tx-memo.ts";
import { liftTransactionGasCap } from "./tx-gas-cap.ts";
import { checkEthereumJSVersions, installedEthereumJSVersions } from "./version.ts";
import { DEFAULT_CHAIN_ID } from "../../precompiles/addresses.ts";

/** The chain's rules unless a caller asks for others. */
export const DEFAULT_HARDFORK: Hardfork = Hardfork.Osaka;

/** The forks a node can run (`aivm node --hardfork`): the AIVM library needs Cancun's transient storage and MCOPY. */
export const NODE_HARDFORKS: readonly string[] = [Hardfork.Cancun, Hardfork.Prague, Hardfork.Osaka];

/** What the factory needs of the AIVM runtime (src/chain/types.ts AivmRuntime satisfies it). */
export interface ChainVMRuntime {
  readonly customPrecompiles: readonly { address: unknown; function: unknown }[];
  /** Subscribes to the VM's message events; called once, right after the VM is created. */
  attach(vm: VM): void;
}

export interface ChainCommonOptions {
  chainId?: number;
  /** A hardfork name (`Hardfork.*`); default DEFAULT_HARDFORK. */
  hardfork?: string;
  /**
   * Default: the node's WASM keccak and native secp256k1 (crypto.ts); `{}` forces EthereumJS's JS
   * ones. The point-evaluation KZG (kzg.ts) is added unless this brings its own `kzg`.
   */
  customCrypto?: CustomCrypto;
  /** EIPs on top of the hardfork's. */
  eips?: number[];
}

export interface ChainVMOptions extends ChainCommonOptions {
  /** Use this Common instead of building one from the fields above. */
  common?: Common;
  /** Default: a fresh in-memory AivmStateManager. */
  stateManager?: MerkleStateManager;
  /** BLOCKHASH source. Default: EthereumJS's mock (every hash zero). */
  blockchain?: EVMMockBlockchainInterface;
  /** The AIVM runtime: its precompiles are registered and it is attached. null/undefined: a plain EVM. */
  runtime?: ChainVMRuntime | null;
}

/** The chain's Common: Mainnet rules at `hardfork` (Osaka) under a custom chain id, with the node's crypto and KZG. */
export function createChainCommon(opts: ChainCommonOptions = {}): Common {
  // Before any transaction merges the tx params into this Common.
  liftTransactionGasCap();
  return createCustomCommon({ chainId: opts.chainId ?? DEFAULT_CHAIN_ID }, Mainnet, {
    hardfork: opts.hardfork ?? DEFAULT_HARDFORK,
    // The KZG stays with any crypto choice: without it a call to 0x0a throws out of the EVM.
    customCrypto: { kzg: chainKzg, ...(opts.customCrypto ?? defaultCustomCrypto()) },
    ...(opts.eips ? { eips: opts.eips } : {}),
  });
}

let overridesInstalled = false;

/**
 * Checks the EthereumJS release and installs the process-wide overrides (transaction memo, gas cap,
 * run loop, synchronous steps with SLOAD, jump-analysis cache, memory growth, runInterpreter), once.
 * createChainVM calls it; nothing else needs to. The per-EVM MLOAD/MSTORE/PUSH handlers are
 * swapped in by createChainVM (speedUpOpcodes).
 */
export async function installEvmOverrides(): Promise<void> {
  if (overridesInstalled) return;
  checkEthereumJSVersions(installedEthereumJSVersions());
  installTxMemo();
  liftTransactionGasCap();
  await installRunLoop();
  await installSyncSteps();
  await installJumpAnalysisCache();
  await installMemoryGrowth();
  await installRunInterpreter();
  overridesInstalled = true;
}

/** The production VM: every override installed, AIVM state manager, node crypto, AIVM precompiles when a runtime is given. */
export async function createChainVM(opts: ChainVMOptions = {}): Promise<VM> {
  await installEvmOverrides();
  const common = opts.common ?? createChainCommon(opts);
  const stateManager = opts.stateManager ?? new AivmStateManager({ common, caches: new Caches() });
  const customPrecompiles = opts.runtime ? (opts.runtime.customPrecompiles as unknown as CustomPrecompile[]) : undefined;
  const vm = await createVM({
    common,
    stateManager,
    ...(opts.blockchain ? { blockchain: opts.blockchain } : {}),
    evmOpts: customPrecompiles ? { customPrecompiles } : {},
  });
  opts.runtime?.attach(vm);
  speedUpOpcodes(vm.evm);
  return vm;
}
