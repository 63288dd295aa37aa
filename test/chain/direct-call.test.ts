// eth_call's direct path (CallExecutor.directCall, src/chain/calls.ts) against the full-transaction path (simulate, taken
// with exactGas): the same requests must give the same return data, reverts and errors, down to
// gasleft(), msg.sender, tx.origin, the nonce-derived address of a contract created in the call,
// transient storage, value and balances, at the head and at a past block; AIVM precompile calls
// must give the same output and receipts.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { decodeFunctionResult, encodeFunctionData, type Hex } from "viem";
import { DevNode, type CallRequest } from "../../src/chain/node.ts";
import { deployDemo } from "../../src/cli/demo.ts";
import { getContract } from "../../src/chain/solc.ts";
import { ExecutionRevertedError, TransactionRejectedError } from "../../src/chain/node-errors.ts";

const probe = getContract("CallContext", undefined, ["test/CallContext.sol"]);

async function outcome(node: DevNode, request: CallRequest, ref: bigint | "latest", exactGas: boolean): Promise<unknown> {
  try {
    const r = await node.call(request, ref, { exactGas });
    return { returnData: r.returnData, receipts: r.trace.receipts.map((x) => x.leaf), traceRoot: r.trace.traceRoot };
  } catch (error) {
    return { error: (error as Error).constructor.name, message: (error as Error).message, data: (error as { data?: unknown }).data };
  }
}

describe("eth_call direct path", () => {
  it("matches a full transaction simulation on context, gas, creates, reverts and errors", async () => {
    const node = await DevNode.create();
    try {
      const demo = await deployDemo(node);
      const dev = node.accounts[2]!.address.toLowerCase() as Hex;
      const deployHash = await node.sendTransaction({ from: dev, data: probe.bytecode });
      const address = node.transaction(deployHash)!.record.contractAddress!;
      const past = node.headNumber;
      await node.setBalance(address, 1000n);
      const context = (other: Hex) => encodeFunctionData({ abi: probe.abi, functionName: "context", args: [other] });
      const poor = "0x00000000000000000000000000000000000000b0" as Hex;
      const requests: [string, CallRequest][] = [
        ["no sender", { to: address, data: context(address) }],
        ["dev sender", { from: dev, to: address, data: context(demo.address) }],
        ["with value", { from: dev, to: address, data: context(dev), value: 5n }],
        ["precompile as other", { from: poor, to: address, data: context("0x000000000000000000000000000000000000a101") }],
        ["coinbase as other", { from: poor, to: address, data: context(node.coinbase) }],
        ["gas cap", { from: dev, to: address, data: context(address), gas: 300_000n }],
        ["revert", { from: dev, to: address, data: encodeFunctionData({ abi: probe.abi, functionName: "fail", args: [3n] }) }],
        ["out of gas", { from: dev, to: address, data: context(address), gas: 60_000n }],
        ["gas below intrinsic", { from: dev, to: address, data: context(address), gas: 21_000n }],
        ["value beyond balance", { from: poor, to: address, data: context(address), value: 1n }],
        ["contract inference", { to: demo.address, data: encodeFunctionData({ abi: demo.abi, functionName: "infer", args: [demo.sampleInput] }) }],
        ["plain transfer to an EOA", { from: dev, to: poor, value: 3n }],
      ];
      const before = node.callStats.direct;
      for (const [name, request] of requests) {
        for (const ref of ["latest", past] as const) {
          const direct = await outcome(node, request, ref, false);
          const full = await outcome(node, request, ref, true);
          assert.deepEqual(direct, full, `${name} at ${ref}`);
        }
      }
      assert.ok(node.callStats.direct >= requests.length * 2 - 2, "the direct path was taken");
      // The probe's answers are the real context, not two equal wrong ones.
      const r = await node.call({ from: dev, to: address, data: context(address), value: 5n });
      const seen = decodeFunctionResult({ abi: probe.abi, functionName: "context", data: r.returnData }) as Record<string, unknown>;
      assert.equal(String(seen.sender).toLowerCase(), dev);
      assert.equal(String(seen.origin).toLowerCase(), dev);
      assert.equal(seen.number, node.headNumber + 1n);
      assert.equal(seen.value, 5n);
      assert.equal(seen.selfBalance, 1005n);
      assert.equal(seen.transientAndStored, 8n, "transient storage starts empty; stored was 7");
      assert.ok((seen.gasLeft as bigint) > 0n);
      assert.ok((seen.otherCodeSize as bigint) > 0n);
      const named = (name: string) => requests.find(([n]) => n === name)![1];
      await assert.rejects(node.call(named("revert")), ExecutionRevertedError);
      await assert.rejects(node.call(named("value beyond balance")), TransactionRejectedError);
      assert.equal(node.callStats.direct > before, true);
    } finally {
      await node.close();
    }
  });
});
