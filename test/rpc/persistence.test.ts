// --db: blocks, receipts, state (accounts, contract storage, the persistent tensor store) and
// snapshots survive closing and reopening the node.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeFunctionData, decodeFunctionResult, type Hex } from "viem";
import { DevNode } from "../../src/chain/node.ts";
import { deployDemo } from "../../src/cli/demo.ts";
import { createMethodTable, dispatch } from "../../src/rpc/methods.ts";

describe("persistence with --db", () => {
  it("resumes blocks, receipts, state and stored tensors after a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aivm-db-"));
    try {
      let node = await DevNode.create({ dbPath: dir });
      const demo = await deployDemo(node);
      const record = encodeFunctionData({ abi: demo.abi, functionName: "inferAndRecord", args: [demo.sampleInput] });
      const txHash = await node.sendTransaction({ from: node.accounts[1]!.address, to: demo.address, data: record });
      await node.setBalance("0x00000000000000000000000000000000000000cc", 12345n);
      const head = node.headNumber;
      const headHash = node.head.hash();
      const refData = (await node.call({ to: demo.address, data: encodeFunctionData({ abi: demo.abi, functionName: "weightsRef" }) })).returnData;
      const ref = decodeFunctionResult({ abi: demo.abi, functionName: "weightsRef", data: refData }) as Hex;
      await node.close();

      node = await DevNode.create({ dbPath: dir });
      assert.equal(node.headNumber, head);
      assert.deepEqual(node.head.hash(), headHash);
      assert.equal(await node.getBalance("0x00000000000000000000000000000000000000cc"), 12345n, "state edits outside blocks persist");
      const found = node.transaction(txHash);
      assert.equal(found?.record.status, 1);
      assert.equal(found?.record.trace.receipts[0]?.opcode, "TMATMUL", "AIVM receipts persist");
      assert.ok(found?.record.trace.receipts[0]!.gasUsed > 0n);
      const count = await node.call({ to: demo.address, data: encodeFunctionData({ abi: demo.abi, functionName: "inferences" }) });
      assert.equal(BigInt(count.returnData), 1n, "contract storage persists");
      const table = createMethodTable(node);
      const tensor = (await dispatch(table, "aivm_getTensor", [ref])) as { data: Hex };
      assert.equal(tensor.data, demo.weights, "the persistent tensor store persists");
      // The chain continues from where it stopped.
      const again = await node.sendTransaction({ from: node.accounts[1]!.address, to: demo.address, data: record });
      assert.equal(node.transaction(again)?.block.header.number, head + 1n);
      const inference = await node.call({ to: demo.address, data: encodeFunctionData({ abi: demo.abi, functionName: "infer", args: [demo.sampleInput] }) });
      assert.ok(inference.returnData.length > 2);
      await node.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("persists an evm_revert: dropped blocks stay dropped after a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aivm-db-"));
    try {
      let node = await DevNode.create({ dbPath: dir, runtime: null });
      const [a, b] = node.accounts;
      await node.sendTransaction({ from: a!.address, to: b!.address, value: 1n });
      const snap = await node.snapshot();
      const dropped = await node.sendTransaction({ from: a!.address, to: b!.address, value: 1n });
      assert.equal(node.headNumber, 2n);
      await node.revert(snap);
      await node.close();
      node = await DevNode.create({ dbPath: dir, runtime: null });
      assert.equal(node.headNumber, 1n);
      assert.equal(node.transaction(dropped), undefined);
      assert.equal(await node.getNonce(a!.address), 1n);
      await node.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
