// Traces against Hardhat's own node (issue 15): `hardhat node` (Hardhat 3.18, EDR) and the AIVM node
// run the same transactions of contracts/test/TraceTargets.sol, and debug_traceTransaction /
// debug_traceCall must answer the same, field for field, with the struct logger (default, memory
// and return data, no stack and storage, a revert), callTracer (plain, withLog, onlyTopCall, a
// creation) and 4byteTracer. The differences docs/node.md#tracing names (limit, refund, default
// call gas) are kept out of the scenario: no store here refunds gas, and the traced call names its gas.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { encodeDeployData, encodeFunctionData, type Abi, type Hex } from "viem";
import { getContract } from "../../src/chain/solc.ts";
import { startNodeServer, type NodeServer } from "../../src/rpc/server.ts";
import { startHardhatNode } from "../hardhat/hardhat-cli.ts";

const child = getContract("TraceChild", undefined, ["test/TraceTargets.sol"]);
const parent = getContract("TraceParent", undefined, ["test/TraceTargets.sol"]);

async function rpc(url: string, method: string, params: unknown[]): Promise<{ result?: any; error?: { code: number; message: string } }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  return (await res.json()) as { result?: any; error?: { code: number; message: string } };
}

interface Scenario {
  from: Hex;
  parent: Hex;
  hashes: Record<"deployChild" | "run" | "fail", Hex>;
}

/** Deploys the targets and sends the traced transactions; the same on both nodes (same sender, nonces and explicit gas). */
async function runScenario(url: string): Promise<Scenario> {
  const from = (await rpc(url, "eth_accounts", [])).result[0] as Hex;
  const send = async (tx: Record<string, unknown>): Promise<{ hash: Hex; receipt: any }> => {
    const sent = await rpc(url, "eth_sendTransaction", [{ from, maxFeePerGas: "0x77359400", maxPriorityFeePerGas: "0x1", ...tx }]);
    // A failing transaction with an explicit gas limit is mined and answered with an error on both nodes.
    const hash = (sent.result ?? (await rpc(url, "eth_getBlockByNumber", ["latest", false])).result.transactions[0]) as Hex;
    return { hash, receipt: (await rpc(url, "eth_getTransactionReceipt", [hash])).result };
  };
  const deployChild = await send({ data: child.bytecode, gas: "0x100000" });
  const deployParent = await send({ data: encodeDeployData({ abi: parent.abi as Abi, bytecode: parent.bytecode as Hex, args: [deployChild.receipt.contractAddress] }), gas: "0x200000" });
  const run = await send({ to: deployParent.receipt.contractAddress, data: encodeFunctionData({ abi: parent.abi as Abi, functionName: "run", args: [5n] }), gas: "0x30000" });
  const fail = await send({ to: deployParent.receipt.contractAddress, data: encodeFunctionData({ abi: parent.abi as Abi, functionName: "fail" }), gas: "0x30000" });
  assert.equal(run.receipt.status, "0x1");
  assert.equal(fail.receipt.status, "0x0");
  return { from, parent: deployParent.receipt.contractAddress, hashes: { deployChild: deployChild.hash, run: run.hash, fail: fail.hash } };
}

describe("traces equal Hardhat's own node's", () => {
  let hardhat: { url: string; child: ChildProcess; dir: string };
  let aivm: NodeServer;
  let scenario: { hardhat: Scenario; aivm: Scenario };

  before(async () => {
    hardhat = await startHardhatNode("aivm-trace-hardhat-");
    aivm = await startNodeServer({ port: 0, runtime: null });
    scenario = { hardhat: await runScenario(hardhat.url), aivm: await runScenario(aivm.url) };
    assert.deepEqual(scenario.aivm.hashes, scenario.hardhat.hashes, "the same signed transactions on both nodes");
  });
  after(async () => {
    hardhat?.child.kill();
    await aivm?.close();
    if (hardhat) rmSync(hardhat.dir, { recursive: true, force: true });
  });

  const both = async (method: string, params: (s: Scenario) => unknown[]) => ({
    hardhat: await rpc(hardhat.url, method, params(scenario.hardhat)),
    aivm: await rpc(aivm.url, method, params(scenario.aivm)),
  });

  const cases: [string, string, (s: Scenario) => unknown[]][] = [
    ["struct logger", "debug_traceTransaction", (s) => [s.hashes.run]],
    ["struct logger with memory and return data", "debug_traceTransaction", (s) => [s.hashes.run, { enableMemory: true, enableReturnData: true }]],
    ["struct logger without stack and storage", "debug_traceTransaction", (s) => [s.hashes.run, { disableStack: true, disableStorage: true }]],
    ["struct logger of a reverted transaction", "debug_traceTransaction", (s) => [s.hashes.fail]],
    ["callTracer", "debug_traceTransaction", (s) => [s.hashes.run, { tracer: "callTracer" }]],
    ["callTracer withLog", "debug_traceTransaction", (s) => [s.hashes.run, { tracer: "callTracer", tracerConfig: { withLog: true } }]],
    ["callTracer onlyTopCall", "debug_traceTransaction", (s) => [s.hashes.run, { tracer: "callTracer", tracerConfig: { onlyTopCall: true } }]],
    ["callTracer of a reverted transaction", "debug_traceTransaction", (s) => [s.hashes.fail, { tracer: "callTracer" }]],
    ["callTracer of a creation", "debug_traceTransaction", (s) => [s.hashes.deployChild, { tracer: "callTracer" }]],
    ["4byteTracer", "debug_traceTransaction", (s) => [s.hashes.run, { tracer: "4byteTracer" }]],
    ["4byteTracer of a reverted transaction", "debug_traceTransaction", (s) => [s.hashes.fail, { tracer: "4byteTracer" }]],
    [
      "debug_traceCall with callTracer",
      "debug_traceCall",
      (s) => [{ from: s.from, to: s.parent, gas: "0x100000", data: encodeFunctionData({ abi: parent.abi as Abi, functionName: "run", args: [3n] }) }, "latest", { tracer: "callTracer" }],
    ],
    ["debug_traceCall with the struct logger", "debug_traceCall", (s) => [{ from: s.from, to: s.parent, gas: "0x100000", data: encodeFunctionData({ abi: parent.abi as Abi, functionName: "count" }) }, "latest"]],
  ];
  for (const [name, method, params] of cases) {
    it(name, async () => {
      const { hardhat: h, aivm: a } = await both(method, params);
      assert.equal(h.error, undefined, JSON.stringify(h.error));
      assert.deepEqual(a.result, h.result);
    });
  }

  it("an unknown transaction: the same code and message", async () => {
    const { hardhat: h, aivm: a } = await both("debug_traceTransaction", () => [`0x${"11".repeat(32)}`]);
    // Hardhat also repeats the message in the error's data (docs/node.md, `*/error/dataWrapper`).
    assert.deepEqual({ code: a.error?.code, message: a.error?.message }, { code: h.error?.code, message: h.error?.message });
  });
});
