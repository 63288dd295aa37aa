// The state that eth_call and eth_estimateGas run on: a second state manager over the same
// trie database, pinned to one state root (the head's, or a past block's), that is never written
// outside a checkpoint and is reverted after every call.
//
// Why a second one: EthereumJS journals its read caches. A value read inside a checkpoint is
// recorded as a change of that checkpoint, so the revert that ends every call throws away every
// account, storage slot and code it read, and the next call walks the trie again (a third of a
// plain eth_call). Here reads of committed state also go into plain maps that reverts do not touch.
// They stay valid because this manager's committed state never changes: everything a call writes
// is inside its checkpoint, and moving to another root (setStateRoot) empties the maps.
//
// Correctness rule: a committed value is used only when the journaled cache has nothing for that
// key (the call has not written it) and the call has not deleted the account or cleared its
// storage. Anything else takes upstream's path.
import type { MerkleStateManagerOpts } from "@ethereumjs/statemanager";
import { RLP } from "@ethereumjs/rlp";
import { type Account, type Address, bytesToHex } from "@ethereumjs/util";
import { AivmStateManager, copyAccount } from "./state-manager.ts";

export class CallStateManager extends AivmStateManager {
  /** address → the account as committed (null: no account); never handed out itself. */
  private readonly committedAccounts = new Map<string, Account | null>();
  /** address → committed code. */
  private readonly committedCode = new Map<string, Uint8Array>();
  /** address + slot → committed trie value (RLP of the word; 0x80 for zero). */
  private readonly committedStorage = new Map<string, Uint8Array>();
  /** Addresses deleted or storage-cleared since the outermost checkpoint opened. */
  private readonly cleared = new Set<string>();

  constructor(opts: MerkleStateManagerOpts) {
    super(opts);
  }

  override async getAccount(address: Address): Promise<Account | undefined> {
    if (this._caches?.account?.get(address) !== undefined) return super.getAccount(address);
    const key = address.toString();
    const committed = this.committedAccounts.get(key);
    if (committed === undefined) {
      const account = await super.getAccount(address);
      this.committedAccounts.set(key, account ? copyAccount(account) : null);
      return account;
    }
    // A fresh object every time: callers modify the account they get.
    return committed === null ? undefined : copyAccount(committed);
  }

  override async getCode(address: Address): Promise<Uint8Array> {
    const key = address.toString();
    if (this._caches?.code?.get(address) !== undefined || this.cleared.has(key)) return super.getCode(address);
    let code = this.committedCode.get(key);
    if (code === undefined) {
      code = await super.getCode(address);
      this.committedCode.set(key, code);
    }
    return code;
  }

  override async getStorage(address: Address, slot: Uint8Array): Promise<Uint8Array> {
    const owner = address.toString();
    if (this._caches?.storage?.get(address, slot) !== undefined || this.cleared.has(owner)) return super.getStorage(address, slot);
    const key = owner + bytesToHex(slot);
    let value = this.committedStorage.get(key);
    if (value === undefined) {
      const word = await super.getStorage(address, slot);
      value = RLP.encode(word);
      this.committedStorage.set(key, value);
      return word;
    }
    return RLP.decode(value) as Uint8Array;
  }

  override getStorageSync(address: Address, slot: Uint8Array): Uint8Array | undefined {
    const cached = super.getStorageSync(address, slot);
    if (cached !== undefined) return cached;
    const owner = address.toString();
    if (this.cleared.has(owner)) return undefined;
    const value = this.committedStorage.get(owner + bytesToHex(slot));
    return value === undefined ? undefined : (RLP.decode(value) as Uint8Array);
  }

  override async deleteAccount(address: Address): Promise<void> {
    this.noteWrite();
    this.cleared.add(address.toString());
    return super.deleteAccount(address);
  }

  override async clearStorage(address: Address): Promise<void> {
    this.noteWrite();
    this.cleared.add(address.toString());
    return super.clearStorage(address);
  }

  override async putAccount(address: Address, account: Account | undefined): Promise<void> {
    this.noteWrite();
    if (account === undefined) this.cleared.add(address.toString());
    return super.putAccount(address, account);
  }

  override async putStorage(address: Address, slot: Uint8Array, value: Uint8Array): Promise<void> {
    this.noteWrite();
    return super.putStorage(address, slot, value);
  }

  override async putCode(address: Address, value: Uint8Array): Promise<void> {
    this.noteWrite();
    return super.putCode(address, value);
  }

  override async commit(): Promise<void> {
    await super.commit();
    if (this._checkpointCount === 0) this.forget();
  }

  override async revert(): Promise<void> {
    await super.revert();
    if (this._checkpointCount === 0) this.cleared.clear();
  }

  override async setStateRoot(stateRoot: Uint8Array, clearCache = true): Promise<void> {
    await super.setStateRoot(stateRoot, clearCache);
    this.forget();
  }

  /** A write outside any checkpoint would change committed state: drop everything remembered. */
  private noteWrite(): void {
    if (this._checkpointCount === 0) this.forget();
  }

  private forget(): void {
    this.committedAccounts.clear();
    this.committedCode.clear();
    this.committedStorage.clear();
    this.cleared.clear();
  }
}
