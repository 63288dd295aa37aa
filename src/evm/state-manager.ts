// The node's state manager: EthereumJS's MerkleStateManager with two changes.
//
// SSTORE goes to the cache only. Upstream's putStorage reads `caches.storage.put(...) ??
// writeContractStorage(...)`; put returns undefined, so every SSTORE also went straight into the
// account's storage trie (a trie insert, node hashing and an account update), on top of the cache
// that flush() writes out at the end of the block anyway. A block of 2000 transactions that each
// write two slots did 4000 trie inserts instead of two. flush() is unchanged, so the state roots
// are the same (test/evm/state-manager.test.ts checks them against upstream).
//
// The account cache holds accounts, not their RLP. Upstream serialises every account it caches and
// decodes it again on every getAccount (a hex round trip per field), and every message does two
// gets and two puts (the value transfer, even of zero): about 5 % of a contract call. Here the
// cache keeps a snapshot of the account as put and makes its RLP only when something asks for it
// (flush, proofs), and each getAccount hands out a fresh copy (callers modify what they get).
// How each copied method differs from upstream: src/evm/upstream/statemanager-*.diff and account-cache-put.diff.
import { AccountCache, MerkleStateManager, type MerkleStateManagerOpts } from "@ethereumjs/statemanager";
import { RLP } from "@ethereumjs/rlp";
import { Account, EthereumJSErrorWithoutCode, bytesToUnprefixedHex, createAccountFromRLP, unpadBytes, type Address } from "@ethereumjs/util";

/** A cached account: a snapshot of the account as put; its RLP is made the first time it is read. */
export class AccountElement {
  private rlp: Uint8Array | undefined;
  constructor(readonly account: Account) {}
  get accountRLP(): Uint8Array {
    return (this.rlp ??= this.account.serialize());
  }
}

/** A copy that shares nothing mutable with `a` (nonce and balance are bigints; the roots are copied). */
export function copyAccount(a: Account): Account {
  return new Account(a.nonce, a.balance, a.storageRoot.slice(), a.codeHash.slice());
}

/** Upstream's AccountCache, storing AccountElements. Partial accounts (stateless rules) keep upstream's path. */
export class ObjectAccountCache extends AccountCache {
  override put(address: Address, account: Account | undefined, couldBePartialAccount = false): void {
    if (account === undefined || couldBePartialAccount) return super.put(address, account, couldBePartialAccount);
    const addressHex = bytesToUnprefixedHex(address.bytes);
    this._saveCachePreState(addressHex);
    const elem = new AccountElement(copyAccount(account));
    if (this._lruCache) this._lruCache.set(addressHex, elem);
    else this._orderedMapCache!.setElement(addressHex, elem);
    this._stats.writes += 1;
  }
}

export class AivmStateManager extends MerkleStateManager {
  /** Decoded accounts, by the RLP array they were decoded from. */
  private readonly decodedAccounts = new WeakMap<Uint8Array, Account>();

  constructor(opts: MerkleStateManagerOpts = {}) {
    super(opts);
    const caches = this._caches;
    const current = caches?.account;
    // A fresh cache only: one already holding entries (shared by another manager) stays as it is.
    if (caches && current && !(current instanceof ObjectAccountCache) && current.size() === 0) {
      caches.account = new ObjectAccountCache({ size: caches.settings.account.size, type: caches.settings.account.type });
    }
  }

  override async getAccount(address: Address): Promise<Account | undefined> {
    const elem = this._caches?.account?.get(address);
    if (elem === undefined) return super.getAccount(address);
    if (elem instanceof AccountElement) return copyAccount(elem.account);
    return elem.accountRLP === undefined ? undefined : this.accountFromRLP(elem.accountRLP);
  }

  /** A fresh Account equal to createAccountFromRLP(rlp), decoding each array once. */
  protected accountFromRLP(rlp: Uint8Array): Account {
    let decoded = this.decodedAccounts.get(rlp);
    if (decoded === undefined) {
      decoded = createAccountFromRLP(rlp);
      this.decodedAccounts.set(rlp, decoded);
    }
    return new Account(decoded.nonce, decoded.balance, decoded.storageRoot, decoded.codeHash);
  }

  /**
   * getStorage's answer when the cache already holds the slot (what upstream's getStorage returns
   * on a cache hit), else undefined. Lets SLOAD skip the promise when nothing has to be read from
   * the trie (sload.ts).
   */
  getStorageSync(address: Address, key: Uint8Array): Uint8Array | undefined {
    if (key.length !== 32) return undefined;
    const cached = this._caches?.storage?.get(address, key);
    return cached === undefined ? undefined : (RLP.decode(cached) as Uint8Array);
  }

  override async putStorage(address: Address, key: Uint8Array, value: Uint8Array): Promise<void> {
    const cache = this._caches?.storage;
    if (cache === undefined) return super.putStorage(address, key, value);
    // Upstream's checks and messages, in upstream's order.
    if (key.length !== 32) throw EthereumJSErrorWithoutCode("Storage key must be 32 bytes long");
    if (value.length > 32) throw EthereumJSErrorWithoutCode("Storage value cannot be longer than 32 bytes");
    if (!(await this.getAccount(address))) throw EthereumJSErrorWithoutCode("putStorage() called on non-existing account");
    cache.put(address, key, RLP.encode(unpadBytes(value)));
  }
}
