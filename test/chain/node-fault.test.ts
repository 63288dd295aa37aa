// Node faults are not consensus results (issue 13, finding 7). An exception inside a precompile that
// is not an AivmError (here a RangeError like a failed allocation, injected through the real
// definePrecompile path) says something about this node, not about the call: the transaction is not
// included, the block is aborted and the state root is unchanged, the node logs it, and the client
// gets a JSON-RPC internal error (-32603), for a sent transaction and for eth_call alike. Typed AIVM
// errors still revert the precompile frame inside a mined transaction.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex, decodeErrorResult, decodeFunctionResult, encodeAbiParameters, encodeFunctionData, type Hex } from "viem";
import { DevNode } from "../../src/chain/node.ts";
import { BlockAbortedError } from "../../src/chain/builder.ts";
import { createAivmRuntime } from "../../src/chain/runtime.ts";
import { toRpcError, INTERNAL_ERROR } from "../../src/rpc/errors.ts";
import { encodeTensor } from "../../src/codec/tensor.ts";
import { tensor } from "../../src/engine/tensor.ts";
import { definePrecompile } from "../../precompiles/call.ts";
import { PrecompileFaultError } from "../../precompiles/errors.ts";
import { PRECOMPILE_ADDRESSES as A } from "../../precompiles/index.ts";
import { TMATMUL_INPUT, planTmatmul } from "../../precompiles/a101-tmatmul.ts";
import { contract } from "../precompiles/chain.ts";

/** Where the injected fault strikes: in planning, in execution, or nowhere. */
let inject: "plan" | "execute" | undefined;

const runtime = createAivmRuntime();
const entry = runtime.customPrecompiles.find((p) => p.address === A.TMATMUL)!;
entry.function = definePrecompile(runtime, A.TMATMUL, "TMATMUL", async (call) => {
  if (inject === "plan") throw new RangeError("Array buffer allocation failed");
  const plan = await planTmatmul(call);
  if (inject !== "execute") return plan;
  return {
    ...plan,
    execute: async () => {
      throw new RangeError("WebAssembly.Memory.grow(): Maximum memory size exceeded");
    },
  };
});

const wire = (shape: number[], data: number[]) => bytesToHex(encodeTensor(tensor("int8", shape, data)));
const matmul = (b: Hex) => encodeAbiParameters(TMATMUL_INPUT, [[wire([2, 2], [1, 2, 3, 4]), b], [], [], 0]);
const GOOD = matmul(wire([2, 2], [5, 6, 7, 8]));
const MISMATCH = matmul(wire([3, 2], [1, 2, 3, 4, 5, 6]));

let node: DevNode;
let probe: Hex;
let from: Hex;
const probeAbi = () => contract("AivmProbe").abi;
const probeCall = (input: Hex) => encodeFunctionData({ abi: probeAbi(), functionName: "probe", args: [A.TMATMUL, input] });

before(async () => {
  node = await DevNode.create({ runtime });
  from = node.accounts[0]!.address.toLowerCase() as Hex;
  const hash = await node.sendTransaction({ from, data: contract("AivmProbe").bytecode, gas: 5_000_000n });
  probe = node.transaction(hash)!.record.contractAddress!;
});

after(async () => {
  await node.close();
});

/** What a client of the chain can observe of it. */
async function chainState() {
  return { head: node.headNumber, root: bytesToHex(await node.stateManager.getStateRoot()), nonce: await node.getNonce(from), pending: node.pendingCount };
}

describe("a node fault inside a precompile", () => {
  for (const where of ["plan", "execute"] as const) {
    test(`in ${where}: the transaction is not mined, the state root is unchanged, the node logs it, the client gets -32603`, async (t) => {
      const logged = t.mock.method(console, "error", () => {});
      const before = await chainState();
      inject = where;
      try {
        const sent = node.sendTransaction({ from, to: probe, data: probeCall(GOOD), gas: 3_000_000n });
        await assert.rejects(sent, (e: unknown) => {
          assert.ok(e instanceof BlockAbortedError, String(e));
          assert.ok(e.fault instanceof PrecompileFaultError);
          assert.match(e.message, /RangeError/);
          assert.equal(toRpcError(e).rpcCode, INTERNAL_ERROR);
          return true;
        });
      } finally {
        inject = undefined;
      }
      assert.deepEqual(await chainState(), before);
      assert.ok(logged.mock.calls.some((c) => /aborted: transaction 0x[0-9a-f]{64} hit a node fault/.test(String(c.arguments[0]))), "the node logged the aborted block");
    });
  }

  test("eth_call hitting it answers -32603 instead of a revert", async (t) => {
    t.mock.method(console, "error", () => {});
    inject = "execute";
    try {
      await assert.rejects(node.call({ from, to: probe, data: probeCall(GOOD) }), (e: unknown) => {
        assert.ok(e instanceof PrecompileFaultError, String(e));
        assert.equal(toRpcError(e).rpcCode, INTERNAL_ERROR);
        return true;
      });
    } finally {
      inject = undefined;
    }
  });

  test("in a block of several, the whole block is abandoned; the others stay pending and are mined next, the faulty one is dropped", async (t) => {
    t.mock.method(console, "error", () => {});
    node.setAutomine(false);
    try {
      const others = node.accounts.slice(1, 3).map((a) => a.address.toLowerCase() as Hex);
      await node.sendTransaction({ from: others[0]!, to: "0x00000000000000000000000000000000000000ee", value: 1n, gas: 21_000n });
      const faulty = await node.sendTransaction({ from, to: probe, data: probeCall(GOOD), gas: 3_000_000n });
      await node.sendTransaction({ from: others[1]!, to: "0x00000000000000000000000000000000000000ee", value: 2n, gas: 21_000n });
      const before = await chainState();
      inject = "execute";
      try {
        await assert.rejects(node.mine(), BlockAbortedError);
      } finally {
        inject = undefined;
      }
      assert.deepEqual(await chainState(), { ...before, pending: 2 });
      assert.equal(node.pendingTransaction(faulty), undefined);
      const { block } = await node.mine();
      assert.equal(block.transactions.length, 2);
      assert.equal(node.transaction(faulty), undefined);
    } finally {
      node.setAutomine(true);
    }
  });

  test("without the fault the same call is mined, and a typed AIVM error still reverts the precompile frame inside a mined transaction", async () => {
    const head = node.headNumber;
    const ok = await node.sendTransaction({ from, to: probe, data: probeCall(GOOD), gas: 3_000_000n });
    const bad = await node.sendTransaction({ from, to: probe, data: probeCall(MISMATCH), gas: 3_000_000n });
    assert.equal(node.headNumber, head + 2n);
    assert.equal(node.transaction(ok)!.record.status, 1);
    assert.equal(node.transaction(bad)!.record.status, 1, "the probe catches the precompile's revert");
    const res = await node.call({ from, to: probe, data: probeCall(MISMATCH) });
    const [success, ret] = decodeFunctionResult({ abi: probeAbi(), functionName: "probe", data: res.returnData }) as [boolean, Hex, bigint];
    assert.equal(success, false);
    assert.equal(decodeErrorResult({ abi: contract("IAIVMErrors").abi, data: ret }).errorName, "ShapeMismatch");
  });
});

