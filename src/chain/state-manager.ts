// The node's state manager: EthereumJS's MerkleStateManager with one fix. Upstream's putStorage
// reads `caches.storage.put(...) ?? writeContractStorage(...)`; put returns undefined, so every
// SSTORE also goes straight into the account's storage trie (a trie insert, node hashing and an
// account update), on top of the cache that flush() writes out at the end of the block anyway. A
// block of 2000 transactions that each write two slots did 4000 trie inserts instead of two.
// Here a store goes to the cache only, as the cache's design intends; flush() is unchanged, so the
// state roots are the same (test/chain/state-manager.test.ts checks them against upstream).
import { MerkleStateManager } from "@ethereumjs/statemanager";
import { RLP } from "@ethereumjs/rlp";
import { EthereumJSErrorWithoutCode, unpadBytes, type Address } from "@ethereumjs/util";

export class AivmStateManager extends MerkleStateManager {
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
