// The dev node's state edits (hardhat_setBalance, setNonce, setCode, setStorageAt) and eth_call
// state overrides, as plain functions over a state manager: the node runs them inside its queue
// (and persists the new root), a call inside a checkpoint it reverts.
import type { MerkleStateManager } from "@ethereumjs/statemanager";
import { Account, createAddressFromString, hexToBytes, setLengthLeft } from "@ethereumjs/util";
import { NodeError } from "./node-errors.ts";

type Hex = `0x${string}`;

/** One account's eth_call override (geth's StateOverride): `state` replaces all storage, `stateDiff` edits slots. */
export interface AccountOverride {
  balance?: bigint;
  nonce?: bigint;
  code?: Hex;
  state?: [slot: Hex, value: Hex][];
  stateDiff?: [slot: Hex, value: Hex][];
}

/** hardhat_setBalance. */
export async function setBalanceIn(sm: MerkleStateManager, address: Hex, balance: bigint): Promise<void> {
  const addr = createAddressFromString(address);
  const account = (await sm.getAccount(addr)) ?? new Account();
  account.balance = balance;
  await sm.putAccount(addr, account);
}

/** hardhat_setNonce: raises a nonce; lowering it is refused, as on Hardhat's node. */
export async function setNonceIn(sm: MerkleStateManager, address: Hex, nonce: bigint): Promise<void> {
  const addr = createAddressFromString(address);
  const account = (await sm.getAccount(addr)) ?? new Account();
  if (nonce < account.nonce) throw new NodeError(`New nonce (${nonce}) must not be smaller than the existing nonce (${account.nonce}).`);
  account.nonce = nonce;
  await sm.putAccount(addr, account);
}

/** hardhat_setCode. */
export async function setCodeIn(sm: MerkleStateManager, address: Hex, code: Hex): Promise<void> {
  const addr = createAddressFromString(address);
  if (!(await sm.getAccount(addr))) await sm.putAccount(addr, new Account());
  await sm.putCode(addr, hexToBytes(code));
}

/** hardhat_setStorageAt: `value` is a 32-byte word. */
export async function setStorageIn(sm: MerkleStateManager, address: Hex, slot: Hex, value: Hex): Promise<void> {
  const addr = createAddressFromString(address);
  if (!(await sm.getAccount(addr))) await sm.putAccount(addr, new Account());
  await sm.putStorage(addr, setLengthLeft(hexToBytes(slot), 32), hexToBytes(value));
}

/** Writes eth_call state overrides (inside a checkpoint the caller reverts). */
export async function applyOverrides(sm: MerkleStateManager, overrides: Map<Hex, AccountOverride>): Promise<void> {
  for (const [address, o] of overrides) {
    const addr = createAddressFromString(address);
    const account = (await sm.getAccount(addr)) ?? new Account();
    if (o.balance !== undefined) account.balance = o.balance;
    if (o.nonce !== undefined) account.nonce = o.nonce;
    await sm.putAccount(addr, account);
    if (o.code !== undefined) await sm.putCode(addr, hexToBytes(o.code));
    if (o.state !== undefined) await sm.clearStorage(addr);
    for (const [slot, value] of o.state ?? o.stateDiff ?? []) await sm.putStorage(addr, hexToBytes(slot), hexToBytes(value));
  }
}
