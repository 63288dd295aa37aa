// The node's state manager: EthereumJS's MerkleStateManager with one fix. Upstream's putStorage
// reads `caches.storage.put(...) ?? writeContractStorage(...)`; put returns undefined, so every
// SSTORE also goes straight into the account's storage trie (a trie insert, node hashing and an
// account update), on top of the cache that flush() writes out at the end of the block anyway. A
// block of 2000 transactions that each write two slots did 4000 trie inserts instead of two.
// Here a store goes to the cache only, as the cache's design intends; flush() is unchanged, so the
// state roots are the same (test/chain/state-manager.test.ts checks them against upstream).
//
// It also remembers decoded accounts. The account cache holds RLP, and upstream decodes it on every
// getAccount (a hex round trip per field), several times per message. The RLP arrays the cache holds
// are never modified, so the decoded fields are kept per array and copied into a fresh Account for
// each caller (callers modify the account they get).
import { MerkleStateManager } from "@ethereumjs/statemanager";
import { RLP } from "@ethereumjs/rlp";
import { Account, EthereumJSErrorWithoutCode, createAccountFromRLP, unpadBytes, type Address } from "@ethereumjs/util";

export class AivmStateManager extends MerkleStateManager {
  /** Decoded accounts, by the RLP array they were decoded from. */
  private readonly decodedAccounts = new WeakMap<Uint8Array, Account>();

  override async getAccount(address: Address): Promise<Account | undefined> {
    const elem = this._caches?.account?.get(address);
    if (elem === undefined) return super.getAccount(address);
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
