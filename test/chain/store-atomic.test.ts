// A mined block and the state trie nodes it needs reach LevelDB in one synced batch (issue 13,
// finding 9b). Before, the trie's nodes went to disk in unsynced batches of their own and the block
// and head in a synced one after: after a power loss the head could name a state root whose nodes
// were lost. Now nothing of a block is on disk before the batch that marks it mined, and a crash
// before that batch leaves the previous head with every node it needs.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bytesToHex, type Hex } from "viem";
import { DevNode } from "../../src/chain/node.ts";
import { LevelStore } from "../../src/chain/store.ts";
import { TRIE_KEY_PREFIX } from "../../src/chain/level-trie-db.ts";

interface Write {
  method: "put" | "del" | "batch";
  keys: string[];
  sync: boolean;
}

type Level = LevelStore["trieDB"]["level"];

/** Records every write to `level`; `crash` makes the next batch throw instead of writing (the process dying first). */
function watch(level: Level) {
  const writes: Write[] = [];
  const state = { crash: false };
  const batch = level.batch.bind(level) as (ops: { type: string; key: string }[], opts?: { sync?: boolean }) => Promise<void>;
  const put = level.put.bind(level);
  const del = level.del.bind(level);
  Object.assign(level, {
    batch: async (ops: { type: string; key: string }[], opts?: { sync?: boolean }) => {
      writes.push({ method: "batch", keys: ops.map((o) => o.key), sync: opts?.sync === true });
      if (state.crash) throw new Error("simulated crash before the block's batch");
      return batch(ops, opts);
    },
    put: async (key: string, value: Uint8Array) => {
      writes.push({ method: "put", keys: [key], sync: false });
      return put(key, value);
    },
    del: async (key: string) => {
      writes.push({ method: "del", keys: [key], sync: false });
      return del(key);
    },
  });
  return { writes, state };
}

describe("LevelStore: a block and its trie nodes in one synced batch", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "aivm-store-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("mining writes exactly one synced batch holding the trie nodes, the block, its record and the head; a crash before it keeps the previous head whole", async (t) => {
    const sink = "0x00000000000000000000000000000000000000ee" as Hex;
    let node = await DevNode.create({ dbPath: dir, runtime: null });
    const from = node.accounts[0]!.address.toLowerCase() as Hex;
    const level = (node.store as LevelStore).trieDB.level;
    const { writes, state } = watch(level);
    t.after(() => node.close());

    await node.sendTransaction({ from, to: sink, value: 5n, gas: 21_000n });
    const root = bytesToHex(node.head.header.stateRoot).slice(2);
    assert.equal(writes.length, 1, `one write for the block, got ${writes.map((w) => w.method).join(", ")}`);
    const [w] = writes;
    assert.equal(w!.method, "batch");
    assert.equal(w!.sync, true);
    assert.ok(w!.keys.includes("m:head") && w!.keys.some((k) => k.startsWith("b:")) && w!.keys.some((k) => k.startsWith("r:")));
    assert.ok(w!.keys.includes(TRIE_KEY_PREFIX + root), "the new state root's node is in the block's batch");

    // The next block's batch never lands (the process dies first).
    writes.length = 0;
    state.crash = true;
    const headBefore = node.headNumber;
    const balanceBefore = await node.getBalance(sink);
    await assert.rejects(node.sendTransaction({ from, to: sink, value: 7n, gas: 21_000n }), /simulated crash/);
    const unsavedRoot = bytesToHex(await node.stateManager.getStateRoot()).slice(2);
    assert.notEqual(unsavedRoot, root);
    assert.equal(writes.length, 1, "nothing was written before the (failed) block batch");
    assert.ok(writes[0]!.keys.includes(TRIE_KEY_PREFIX + unsavedRoot), "the unsaved root's node was only in that batch");
    assert.equal(await level.get(TRIE_KEY_PREFIX + unsavedRoot), undefined, "so it is not on disk");
    await node.close();

    // Restart: the head is the last block whose batch landed, and its state is whole.
    node = await DevNode.create({ dbPath: dir, runtime: null });
    assert.equal(node.headNumber, headBefore);
    assert.equal(bytesToHex(await node.stateManager.getStateRoot()).slice(2), root);
    assert.equal(await node.getBalance(sink), balanceBefore);
    await node.sendTransaction({ from, to: sink, value: 1n, gas: 21_000n });
    assert.equal(await node.getBalance(sink), balanceBefore + 1n);
  });

  test("a state edit outside a block (hardhat_setBalance) writes its trie nodes with the head, in one synced batch", async () => {
    const node = await DevNode.create({ dbPath: dir, runtime: null });
    try {
      const { writes } = watch((node.store as LevelStore).trieDB.level);
      await node.setBalance("0x00000000000000000000000000000000000000ef", 12345n);
      const root = bytesToHex(await node.stateManager.getStateRoot()).slice(2);
      assert.equal(writes.length, 1);
      assert.equal(writes[0]!.sync, true);
      assert.ok(writes[0]!.keys.includes("m:head") && writes[0]!.keys.includes(TRIE_KEY_PREFIX + root));
    } finally {
      await node.close();
    }
  });
});
