// Reads of committed state that need no queue. Trie nodes are content-addressed and never deleted,
// so a state root, once committed, can be read at any time from a manager of its own over the same
// database, while the queue runs a call or builds a block on other managers. One manager per root:
// a read in flight keeps its own when the head moves on.
import type { Common } from "@ethereumjs/common";
import type { MerklePatriciaTrie } from "@ethereumjs/mpt";
import { Caches, type MerkleStateManager } from "@ethereumjs/statemanager";
import { bytesToHex } from "@ethereumjs/util";
import { AivmStateManager } from "../evm/state-manager.ts";

export class StateReaders {
  private latest: { root: string; manager: MerkleStateManager } | undefined;

  constructor(
    private readonly trie: MerklePatriciaTrie,
    private readonly common: Common,
  ) {}

  /** A manager reading the committed state `root`; never written. */
  at(root: Uint8Array): MerkleStateManager {
    const key = bytesToHex(root);
    if (this.latest?.root === key) return this.latest.manager;
    const trie = this.trie.shallowCopy(false);
    trie.root(root);
    const manager = new AivmStateManager({ common: this.common, trie, caches: new Caches() });
    this.latest = { root: key, manager };
    return manager;
  }
}
