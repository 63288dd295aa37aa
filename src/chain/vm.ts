// A VM for an AIVM chain without the dev node: the production stack from createChainVM
// (src/evm/chain-vm.ts) with the runtime attached and the genesis state applied. The precompile and
// contract tests run on it.
import type { Common } from "@ethereumjs/common";
import type { VM } from "@ethereumjs/vm";
import { Account, Address, hexToBytes } from "@ethereumjs/util";
import { createChainCommon, createChainVM } from "../evm/chain-vm.ts";
import { DEFAULT_CHAIN_ID } from "../../precompiles/addresses.ts";
import type { AivmRuntime, GenesisAccount } from "./types.ts";

export interface CreateAivmVMOptions {
  runtime: AivmRuntime;
  chainId?: number;
  /** Extra genesis accounts (funded test accounts, predeploys). */
  accounts?: GenesisAccount[];
  /** Use an existing Common (the node may share one). */
  common?: Common;
}

/** The chain's Common: Mainnet rules at the chain's hardfork under a custom chain id, with the node's crypto. */
export function createAivmCommon(chainId: number = DEFAULT_CHAIN_ID): Common {
  return createChainCommon({ chainId });
}

/** Writes genesis accounts straight into the state (no transactions). */
export async function applyGenesis(vm: VM, accounts: readonly GenesisAccount[]): Promise<void> {
  const state = vm.stateManager;
  await state.checkpoint();
  for (const a of accounts) {
    const address = new Address(hexToBytes(a.address));
    // Nonce 1 for code accounts, as if deployed: they are never "empty" under EIP-161.
    await state.putAccount(address, new Account(a.nonce ?? (a.code ? 1n : 0n), a.balance ?? 0n));
    if (a.code) await state.putCode(address, hexToBytes(a.code));
    for (const [k, v] of Object.entries(a.storage ?? {})) await state.putStorage(address, hexToBytes(k as `0x${string}`), hexToBytes(v));
  }
  await state.commit();
}

/** Creates the production VM (createChainVM) for `runtime` and applies genesis (the AIVM system contracts and `accounts`). */
export async function createAivmVM(opts: CreateAivmVMOptions): Promise<VM> {
  const common = opts.common ?? createAivmCommon(opts.chainId);
  const vm = await createChainVM({ common, runtime: opts.runtime });
  await applyGenesis(vm, [...opts.runtime.genesisAccounts(), ...(opts.accounts ?? [])]);
  return vm;
}
