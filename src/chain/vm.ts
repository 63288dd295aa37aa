// The EthereumJS v10 VM for an AIVM chain: Prague rules, the AIVM precompiles registered through
// customPrecompiles, the runtime attached to the EVM's message events, and the genesis state applied.
import { Hardfork, Mainnet, createCustomCommon, type Common } from "@ethereumjs/common";
import { createVM, type VM } from "@ethereumjs/vm";
import type { CustomPrecompile } from "@ethereumjs/evm";
import { Account, Address, hexToBytes } from "@ethereumjs/util";
import type { AivmRuntime, GenesisAccount } from "./types.ts";

/** The dev chain id (Hardhat's default, so wallets and viem's `hardhat` chain work unchanged). */
export const AIVM_CHAIN_ID = 31337;

export interface CreateAivmVMOptions {
  runtime: AivmRuntime;
  chainId?: number;
  /** Extra genesis accounts (funded test accounts, predeploys). */
  accounts?: GenesisAccount[];
  /** Use an existing Common (the node may share one). */
  common?: Common;
}

/** The chain's Common: Mainnet rules at Prague under a custom chain id. */
export function createAivmCommon(chainId: number = AIVM_CHAIN_ID): Common {
  return createCustomCommon({ chainId, name: "aivm" }, Mainnet, { hardfork: Hardfork.Prague });
}

/** Writes genesis accounts straight into the state (no transactions). */
export async function applyGenesis(vm: VM, accounts: readonly GenesisAccount[]): Promise<void> {
  const state = vm.stateManager;
  await state.checkpoint();
  for (const a of accounts) {
    const address = new Address(hexToBytes(a.address));
    // Nonce 1 for code accounts, as if deployed: they are never "empty" under EIP-161.
    await state.putAccount(address, new Account(a.code ? 1n : 0n, a.balance ?? 0n));
    if (a.code) await state.putCode(address, hexToBytes(a.code));
    for (const [k, v] of Object.entries(a.storage ?? {})) await state.putStorage(address, hexToBytes(k as `0x${string}`), hexToBytes(v));
  }
  await state.commit();
}

/**
 * Creates the VM: `createVM({ common, evmOpts: { customPrecompiles } })`, attaches the runtime and
 * applies genesis (the AIVM system contracts and `accounts`).
 */
export async function createAivmVM(opts: CreateAivmVMOptions): Promise<VM> {
  const common = opts.common ?? createAivmCommon(opts.chainId);
  const customPrecompiles = opts.runtime.customPrecompiles as unknown as CustomPrecompile[];
  const vm = await createVM({ common, evmOpts: { customPrecompiles } });
  opts.runtime.attach(vm);
  await applyGenesis(vm, [...opts.runtime.genesisAccounts(), ...(opts.accounts ?? [])]);
  return vm;
}
