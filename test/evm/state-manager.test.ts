// AivmStateManager (src/evm/state-manager.ts) keeps SSTOREs in the cache instead of writing each
// through to the storage trie. Upstream's MerkleStateManager is the oracle: the same random
// sequence of account, storage and code writes, checkpoints, commits, reverts and state-root reads
// must give the same reads and the same roots on both.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Caches, MerkleStateManager } from "@ethereumjs/statemanager";
import { Account, Address, bytesToHex, setLengthLeft } from "@ethereumjs/util";
import { AivmStateManager } from "../../src/evm/state-manager.ts";
import { rng } from "../xorshift.ts";


const addresses = Array.from({ length: 4 }, (_, i) => new Address(setLengthLeft(Uint8Array.of(0xa0 + i), 20)));
const slot = (n: number) => setLengthLeft(Uint8Array.of(n), 32);

describe("AivmStateManager against upstream MerkleStateManager", () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`seed ${seed}: 400 random operations give the same reads and roots`, async () => {
      const upstream = new MerkleStateManager({ caches: new Caches() });
      const ours = new AivmStateManager({ caches: new Caches() });
      const both = [upstream, ours];
      const next = rng(seed * 7919);
      let depth = 0;
      for (const sm of both) for (const a of addresses) await sm.putAccount(a, new Account(1n, 1000n));
      for (let step = 0; step < 400; step++) {
        const a = addresses[next(addresses.length)]!;
        const op = next(100);
        const where = `seed ${seed} step ${step} op ${op}`;
        if (op < 45) {
          // Zero values delete the slot; short and full-width values both occur.
          const value = next(4) === 0 ? new Uint8Array(0) : setLengthLeft(Uint8Array.of(next(256), next(256)), next(2) === 0 ? 2 : 32);
          const key = slot(next(6));
          for (const sm of both) await sm.putStorage(a, key, value);
        } else if (op < 60) {
          const key = slot(next(6));
          const [x, y] = await Promise.all(both.map((sm) => sm.getStorage(a, key)));
          assert.equal(bytesToHex(y!), bytesToHex(x!), where);
        } else if (op < 66) {
          const balance = BigInt(next(1_000_000));
          const read: string[] = [];
          for (const sm of both) {
            // An account modified but never put back must not change what the next read sees.
            const discarded = await sm.getAccount(a);
            if (discarded) discarded.nonce += 5n;
            const account = (await sm.getAccount(a)) ?? new Account();
            // Not storageRoot: upstream's write-through updates it at every store, ours at flush.
            read.push(`${account.nonce} ${account.balance} ${bytesToHex(account.codeHash)}`);
            account.balance = balance;
            account.nonce += 1n;
            await sm.putAccount(a, account);
          }
          assert.equal(read[1], read[0], `${where}: account`);
        } else if (op < 69) {
          const code = Uint8Array.of(0x60, next(256), 0x00);
          for (const sm of both) await sm.putCode(a, code);
        } else if (op < 71) {
          for (const sm of both) await sm.clearStorage(a);
        } else if (op < 80) {
          for (const sm of both) await sm.checkpoint();
          depth++;
        } else if (op < 88 && depth > 0) {
          for (const sm of both) await sm.commit();
          depth--;
        } else if (op < 94 && depth > 0) {
          for (const sm of both) await sm.revert();
          depth--;
        } else if (depth === 0) {
          const [x, y] = await Promise.all(both.map((sm) => sm.getStateRoot()));
          assert.equal(bytesToHex(y!), bytesToHex(x!), `${where}: state root`);
        }
      }
      while (depth-- > 0) for (const sm of both) await sm.commit();
      const [x, y] = await Promise.all(both.map((sm) => sm.getStateRoot()));
      assert.equal(bytesToHex(y!), bytesToHex(x!), `seed ${seed}: final state root`);
      for (const a of addresses) {
        const [p, q] = await Promise.all(both.map((sm) => sm.getAccount(a)));
        assert.equal(bytesToHex(q!.serialize()), bytesToHex(p!.serialize()), "final account");
        for (let k = 0; k < 6; k++) {
          const [u, v] = await Promise.all(both.map((sm) => sm.getStorage(a, slot(k))));
          assert.equal(bytesToHex(v!), bytesToHex(u!));
        }
      }
    });
  }

  it("keeps upstream's errors for bad keys, values and missing accounts", async () => {
    const ours = new AivmStateManager({ caches: new Caches() });
    await ours.putAccount(addresses[0]!, new Account());
    await assert.rejects(ours.putStorage(addresses[0]!, new Uint8Array(31), Uint8Array.of(1)), /32 bytes long/);
    await assert.rejects(ours.putStorage(addresses[0]!, slot(0), new Uint8Array(33)), /longer than 32 bytes/);
    await assert.rejects(ours.putStorage(addresses[1]!, slot(0), Uint8Array.of(1)), /non-existing account/);
  });
});
