// eth_call's state (src/evm/call-state.ts): committed reads are remembered across calls, and never
// at the cost of correctness — a call sees its own writes, deletions and cleared storage, nothing a
// call does survives it, and every change of the head (a block, a state edit, evm_revert) or a call
// at a past block is seen by the next call.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Caches, MerkleStateManager } from "@ethereumjs/statemanager";
import { MerklePatriciaTrie } from "@ethereumjs/mpt";
import { Account, Address, bytesToHex, hexToBytes, setLengthLeft } from "@ethereumjs/util";
import { decodeFunctionResult, encodeFunctionData, type Hex } from "viem";
import { CallStateManager } from "../../src/evm/call-state.ts";
import { DevNode } from "../../src/chain/node.ts";
import { deployDemo } from "../../src/cli/demo.ts";

const A = new Address(hexToBytes("0x00000000000000000000000000000000000000a1"));
const slot = (n: number) => setLengthLeft(Uint8Array.of(n), 32);

/** A committed state with one contract account A (code, two storage slots), and a CallStateManager on it. */
async function fixture() {
  const trie = new MerklePatriciaTrie({ useKeyHashing: true });
  const main = new MerkleStateManager({ trie, caches: new Caches() });
  await main.checkpoint();
  await main.putAccount(A, new Account(1n, 100n));
  await main.putCode(A, hexToBytes("0x6001600055"));
  await main.putStorage(A, slot(0), hexToBytes("0x2a"));
  await main.putStorage(A, slot(1), hexToBytes("0x07"));
  await main.commit();
  const root = await main.getStateRoot();
  const call = new CallStateManager({ trie: trie.shallowCopy(false), caches: new Caches() });
  await call.setStateRoot(root);
  return { main, call, root };
}

describe("CallStateManager", () => {
  it("serves committed values again after a revert, and a call's writes never outlive it", async () => {
    const { call } = await fixture();
    for (let round = 0; round < 3; round++) {
      await call.checkpoint();
      assert.equal(bytesToHex(await call.getStorage(A, slot(0))), "0x2a");
      assert.equal((await call.getAccount(A))?.balance, 100n);
      assert.equal(bytesToHex(await call.getCode(A)), "0x6001600055");
      await call.putStorage(A, slot(0), hexToBytes("0x99"));
      const account = (await call.getAccount(A))!;
      account.balance = 5n;
      await call.putAccount(A, account);
      assert.equal(bytesToHex(await call.getStorage(A, slot(0))), "0x99", "a call sees its own write");
      assert.equal((await call.getAccount(A))?.balance, 5n);
      await call.revert();
    }
  });

  it("an account a call deletes, or whose storage it clears, reads as gone until the revert", async () => {
    const { call } = await fixture();
    await call.checkpoint();
    assert.equal(bytesToHex(await call.getStorage(A, slot(1))), "0x07");
    await call.clearStorage(A);
    assert.equal(bytesToHex(await call.getStorage(A, slot(1))), "0x", "cleared storage reads zero");
    await call.revert();
    await call.checkpoint();
    assert.equal(bytesToHex(await call.getStorage(A, slot(1))), "0x07");
    await call.deleteAccount(A);
    assert.equal(await call.getAccount(A), undefined);
    assert.equal(bytesToHex(await call.getCode(A)), "0x");
    assert.equal(bytesToHex(await call.getStorage(A, slot(0))), "0x");
    await call.revert();
    assert.equal((await call.getAccount(A))?.nonce, 1n);
    assert.equal(bytesToHex(await call.getStorage(A, slot(0))), "0x2a");
  });

  it("returns a fresh account object each time (callers modify what they get)", async () => {
    const { call } = await fixture();
    const first = (await call.getAccount(A))!;
    first.balance = 0n;
    assert.equal((await call.getAccount(A))?.balance, 100n);
  });

  it("moving to another root forgets what it remembered", async () => {
    const { main, call } = await fixture();
    assert.equal(bytesToHex(await call.getStorage(A, slot(0))), "0x2a");
    await main.checkpoint();
    await main.putStorage(A, slot(0), hexToBytes("0x2b"));
    await main.commit();
    await call.setStateRoot(await main.getStateRoot());
    assert.equal(bytesToHex(await call.getStorage(A, slot(0))), "0x2b");
  });
});

describe("DevNode eth_call state", () => {
  it("every head change is seen by the next call; calls at past blocks see past state", async () => {
    const node = await DevNode.create();
    try {
      const demo = await deployDemo(node);
      const from = node.accounts[1]!.address.toLowerCase() as Hex;
      const count = async (ref: bigint | "latest" = "latest") => {
        const r = await node.call({ to: demo.address, data: encodeFunctionData({ abi: demo.abi, functionName: "inferences" }) }, ref);
        return decodeFunctionResult({ abi: demo.abi, functionName: "inferences", data: r.returnData }) as bigint;
      };
      const record = encodeFunctionData({ abi: demo.abi, functionName: "inferAndRecord", args: [demo.sampleInput] });
      assert.equal(await count(), 0n);
      // A state-changing function run by eth_call, twice: nothing it wrote survives.
      await node.call({ from, to: demo.address, data: record });
      await node.call({ from, to: demo.address, data: record });
      assert.equal(await count(), 0n);
      const before = node.headNumber;
      await node.sendTransaction({ from, to: demo.address, data: record });
      assert.equal(await count(), 1n, "a mined block");
      assert.equal(await count(before), 0n, "a past block");
      assert.equal(await count(), 1n, "back at the head");
      const snap = await node.snapshot();
      await node.sendTransaction({ from, to: demo.address, data: record });
      assert.equal(await count(), 2n);
      await node.revert(snap);
      assert.equal(await count(), 1n, "evm_revert");
      // `inferences` is slot 2 of InferenceDemo (after the two `bytes` fields).
      await node.setStorageAt(demo.address, "0x02", `0x${"00".repeat(31)}07`);
      assert.equal(await count(), 7n, "hardhat_setStorageAt");
    } finally {
      await node.close();
    }
  });
});
