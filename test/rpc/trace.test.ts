// debug_traceTransaction and debug_traceCall (issue 15): the struct logger, callTracer and aivmTracer
// on contracts with storage, events, nested and failing calls and an AIVM precompile call. Every
// traced transaction must re-execute to the gas and status of its receipt, and tracing must leave
// the chain as it was.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bytesToHex, encodeAbiParameters, encodeDeployData, encodeErrorResult, encodeEventTopics, encodeFunctionData, keccak256, pad, type Abi, type Hex } from "viem";
import { DevNode } from "../../src/chain/node.ts";
import { createAivmProvider } from "../../src/rpc/provider.ts";
import { getContract } from "../../src/chain/solc.ts";
import { encodeTensor } from "../../src/codec/tensor.ts";
import { DEMO_INPUT, DEMO_WEIGHTS } from "../../src/cli/demo.ts";
import { encodeProgram, type Program } from "../../src/codec/program.ts";
import { RELU_STEP } from "../fixtures/programs.ts";
import { commitTensor } from "../../src/commit/index.ts";
import { OP_CODES } from "../../src/engine/registry.ts";
import type { Tensor } from "../../src/engine/tensor.ts";
import { PRECOMPILE_ADDRESSES as A } from "../../precompiles/addresses.ts";
import { HANDLE_KIND } from "../../precompiles/errors.ts";
import { encodeHandle } from "../../precompiles/handles.ts";
import { TMATMUL_INPUT } from "../../precompiles/a101-tmatmul.ts";
import { TEWOP_INPUT } from "../../precompiles/a102-tewop.ts";
import { TCUSTOM_INPUT } from "../../precompiles/a103-tcustom.ts";
import { TLOAD_INPUT } from "../../precompiles/a104-tload.ts";
import { TSTORE_INPUT } from "../../precompiles/a105-tstore.ts";
import { TCOMMIT_INPUT } from "../../precompiles/a106-tcommit.ts";
import { TSTREAM_INPUT } from "../../precompiles/a107-tstream.ts";
import { TGRAPH_INPUT } from "../../precompiles/a108-tgraph.ts";

const child = getContract("TraceChild", undefined, ["test/TraceTargets.sol"]);
const parent = getContract("TraceParent", undefined, ["test/TraceTargets.sol"]);
const probe = getContract("AivmProbe", undefined, ["examples/AivmProbe.sol"]);
const xHex = bytesToHex(encodeTensor(DEMO_INPUT));
const wHex = bytesToHex(encodeTensor(DEMO_WEIGHTS));

type Provider = Awaited<ReturnType<typeof createAivmProvider>>;

describe("debug_traceTransaction and debug_traceCall", () => {
  let node: DevNode;
  let provider: Provider;
  let from: Hex;
  let childAddress: Hex;
  let parentAddress: Hex;
  const rpc = (method: string, params: unknown[]) => provider.request({ method, params } as never) as Promise<any>;
  const rpcError = async (method: string, params: unknown[]) => {
    try {
      await rpc(method, params);
    } catch (error) {
      return error as { code: number; message: string };
    }
    assert.fail(`${method} did not fail`);
  };
  /** Sends through the node (a failing transaction with a gas limit is mined with status 0) and returns its hash and receipt. */
  const send = async (data: Hex, to?: Hex, gas?: bigint) => {
    const hash = await node.sendTransaction({ from, ...(to ? { to } : {}), data, ...(gas ? { gas } : {}) });
    return { hash, receipt: await rpc("eth_getTransactionReceipt", [hash]) };
  };
  const call = (abi: Abi, functionName: string, args: unknown[] = []) => encodeFunctionData({ abi, functionName, args } as never);

  before(async () => {
    node = await DevNode.create();
    provider = await createAivmProvider({ node });
    from = node.accounts[1]!.address as Hex;
    childAddress = (await send(child.bytecode as Hex)).receipt.contractAddress;
    parentAddress = (await send(encodeDeployData({ abi: parent.abi as Abi, bytecode: parent.bytecode as Hex, args: [childAddress] }))).receipt.contractAddress;
  });
  after(async () => node.close());

  describe("the struct logger", () => {
    let run: { hash: Hex; receipt: any };
    let trace: any;
    before(async () => {
      run = await send(call(parent.abi as Abi, "run", [5n]), parentAddress);
      trace = await rpc("debug_traceTransaction", [run.hash]);
    });

    it("re-executes to the receipt's gas and status and returns the call's output", () => {
      assert.equal(run.receipt.status, "0x1");
      assert.equal(trace.gas, Number(BigInt(run.receipt.gasUsed)));
      assert.equal(trace.failed, false);
      assert.equal(trace.returnValue, pad("0xa"), "run(5) returns 2 × 5");
      assert.ok(trace.structLogs.length > 100);
    });

    it("logs each step with pc, op, gas, gasCost, 1-based depth, the stack as quantities, and no memory by default", async () => {
      const first = trace.structLogs[0];
      assert.deepEqual({ pc: first.pc, op: first.op, depth: first.depth }, { pc: 0, op: "PUSH1", depth: 1 });
      // The first step has the transaction's gas limit less its intrinsic gas (21000, 4 per zero and 16 per other calldata byte).
      const tx = await rpc("eth_getTransactionByHash", [run.hash]);
      const bytes = Buffer.from(tx.input.slice(2), "hex");
      const intrinsic = 21_000 + [...bytes].reduce((s, b) => s + (b === 0 ? 4 : 16), 0);
      assert.equal(first.gas, Number(BigInt(tx.gas)) - intrinsic);
      assert.deepEqual(first.stack, []);
      assert.deepEqual(trace.structLogs[1].stack, ["0x80"], "PUSH1 0x80 leaves 0x80 on the stack");
      assert.deepEqual(Object.keys(first), ["pc", "op", "gas", "gasCost", "depth", "stack", "refund"]);
      assert.equal(trace.structLogs[1].gas, first.gas - first.gasCost);
      assert.ok(trace.structLogs.every((l: any) => l.memory === undefined));
      assert.deepEqual([...new Set(trace.structLogs.map((l: any) => l.depth))].sort(), [1, 2]);
    });

    it("shows, on SLOAD and SSTORE steps, the storage a frame read and wrote: the child's SSTORE of 5 into slot 0", () => {
      const sstores = trace.structLogs.filter((l: any) => l.op === "SSTORE" && l.depth === 2);
      assert.equal(sstores.length, 1, "only store(5) stores; store(7) reverts before");
      assert.equal(sstores[0].storage[pad("0x0")], pad("0x5"));
      // The parent's counter went 0 → 1 in its own storage, not the child's.
      const parentStore = trace.structLogs.find((l: any) => l.op === "SSTORE" && l.depth === 1);
      assert.equal(parentStore.storage[pad("0x0")], pad("0x1"));
      assert.equal(parentStore.gasCost, 20_000, "a zero → non-zero store of a slot `count += 1` has just read (warm)");
      assert.ok(trace.structLogs.every((l: any) => (l.storage !== undefined) === (l.op === "SLOAD" || l.op === "SSTORE")));
    });

    it("counts the gas a CALL passes on in its gasCost, as geth and Hardhat do", () => {
      const i = trace.structLogs.findIndex((l: any) => l.op === "CALL" && l.depth === 1);
      const callLog = trace.structLogs[i];
      const calleeFirst = trace.structLogs[i + 1];
      assert.equal(calleeFirst.depth, 2);
      assert.ok(callLog.gasCost >= calleeFirst.gas, `gasCost ${callLog.gasCost} covers the callee's ${calleeFirst.gas}`);
      assert.ok(callLog.gasCost - calleeFirst.gas <= 2_600 + 100, "and the rest is the call's own cost");
    });

    it("honours disableStack, disableStorage, limit, enableMemory and enableReturnData", async () => {
      const bare = await rpc("debug_traceTransaction", [run.hash, { disableStack: true, disableStorage: true }]);
      assert.equal(bare.structLogs.length, trace.structLogs.length);
      assert.ok(bare.structLogs.every((l: any) => l.stack === undefined && l.storage === undefined));
      const limited = await rpc("debug_traceTransaction", [run.hash, { limit: 10 }]);
      assert.deepEqual(limited.structLogs, trace.structLogs.slice(0, 10), "limit keeps the first steps");
      assert.equal(limited.gas, trace.gas);
      const full = await rpc("debug_traceTransaction", [run.hash, { enableMemory: true, enableReturnData: true }]);
      assert.ok(full.structLogs.every((l: any) => l.memory.every((w: string) => /^0x[0-9a-f]{64}$/.test(w))));
      // Solidity's prologue, PUSH1 0x80 PUSH1 0x40 MSTORE: the step after it sees 0x80 in the third word.
      const afterMstore = full.structLogs[full.structLogs.findIndex((l: any) => l.op === "MSTORE") + 1];
      assert.deepEqual(afterMstore.memory, [pad("0x0"), pad("0x0"), pad("0x80")]);
      assert.equal(full.structLogs[0].returnData, "0x");
      // Right after the first call to the child returns, the parent's return data is its output (2 × 5).
      const i = full.structLogs.findIndex((l: any) => l.op === "CALL" && l.depth === 1);
      const back = full.structLogs.slice(i + 1).find((l: any) => l.depth === 1);
      assert.equal(back.returnData, pad("0xa"));
    });

    it("traces a reverted transaction: failed, the receipt's gas, the revert data, ending in REVERT", async () => {
      const failed = await send(call(parent.abi as Abi, "fail"), parentAddress, 200_000n);
      assert.equal(failed.receipt.status, "0x0");
      const t = await rpc("debug_traceTransaction", [failed.hash]);
      assert.equal(t.failed, true);
      assert.equal(t.gas, Number(BigInt(failed.receipt.gasUsed)));
      assert.equal(t.returnValue, encodeErrorResult({ abi: child.abi as Abi, errorName: "Refused", args: [13n] }));
      assert.equal(t.structLogs.at(-1).op, "REVERT");
      assert.equal(t.structLogs.at(-1).depth, 1);
    });
  });

  describe("callTracer", () => {
    let run: { hash: Hex; receipt: any };
    before(async () => {
      run = await send(call(parent.abi as Abi, "run", [6n]), parentAddress);
    });

    it("nests the frames, with the failing inner call's error and reason, and the top frame's gas as the receipt's", async () => {
      const t = await rpc("debug_traceTransaction", [run.hash, { tracer: "callTracer" }]);
      assert.equal(t.type, "CALL");
      assert.equal(t.from, from.toLowerCase());
      assert.equal(t.to, parentAddress.toLowerCase());
      assert.equal(t.gasUsed, run.receipt.gasUsed);
      assert.equal(t.input, call(parent.abi as Abi, "run", [6n]));
      assert.equal(t.output, pad("0xc"));
      assert.equal(t.calls.length, 2);
      const [ok, refused] = t.calls;
      assert.equal(ok.type, "CALL");
      assert.equal(ok.to, childAddress.toLowerCase());
      assert.equal(ok.input, call(child.abi as Abi, "store", [6n]));
      assert.equal(ok.output, pad("0xc"));
      assert.equal(ok.error, undefined);
      assert.equal(refused.input, call(child.abi as Abi, "store", [7n]));
      assert.equal(refused.error, "execution reverted");
      assert.equal(refused.revertReason, "seven is refused");
      assert.ok(BigInt(refused.gasUsed) > 0n && BigInt(refused.gasUsed) <= BigInt(refused.gas));
      assert.equal(ok.logs, undefined, "logs only with withLog");
    });

    it("withLog puts each event on its frame and drops the failed frame's; onlyTopCall keeps the top frame only", async () => {
      const t = await rpc("debug_traceTransaction", [run.hash, { tracer: "callTracer", tracerConfig: { withLog: true } }]);
      const [topic] = encodeEventTopics({ abi: child.abi as Abi, eventName: "Stored" });
      assert.deepEqual(t.calls[0].logs, [{ address: childAddress.toLowerCase(), topics: [topic], data: encodeAbiParameters([{ type: "uint256" }], [6n]), index: "0x0", position: "0x0" }]);
      assert.equal(t.calls[1].logs, undefined);
      assert.equal(t.logs, undefined);
      const top = await rpc("debug_traceTransaction", [run.hash, { tracer: "callTracer", tracerConfig: { onlyTopCall: true } }]);
      assert.equal(top.calls, undefined);
      assert.equal(top.gasUsed, run.receipt.gasUsed);
    });

    it("a contract creation is a CREATE frame to the new address", async () => {
      const deployed = await send(child.bytecode as Hex);
      const t = await rpc("debug_traceTransaction", [deployed.hash, { tracer: "callTracer" }]);
      assert.equal(t.type, "CREATE");
      assert.equal(t.to, deployed.receipt.contractAddress);
      assert.equal(t.gasUsed, deployed.receipt.gasUsed);
    });
  });

  describe("aivmTracer", () => {
    it("shows the TMATMUL call under the contract with its shapes, FLOPs, gas split and the commits of its receipt", async () => {
      const inferred = await send(call(parent.abi as Abi, "infer", [xHex, wHex]), parentAddress);
      assert.equal(inferred.receipt.status, "0x1");
      const t = await rpc("debug_traceTransaction", [inferred.hash, { tracer: "aivmTracer" }]);
      const receipts = await rpc("aivm_getReceipts", [inferred.hash]);
      assert.equal(receipts.receipts.length, 1);
      const receipt = receipts.receipts[0];
      assert.equal(t.gasUsed, inferred.receipt.gasUsed);
      const matmul = t.calls.find((c: any) => c.aivm);
      assert.equal(matmul.type, "STATICCALL", "AIVM.matmul is a view");
      assert.equal(matmul.to, "0x000000000000000000000000000000000000a101");
      const op = matmul.aivm;
      assert.equal(op.opcode, "TMATMUL");
      assert.equal(op.op, "matmul");
      assert.deepEqual(op.inputs, [
        { dtype: "int8", shape: [1, 4], source: "inline" },
        { dtype: "int8", shape: [4, 3], source: "inline" },
      ]);
      assert.deepEqual(op.outputs, [{ dtype: "int32", shape: [1, 3] }]);
      // A multiply-add counts 2: 2 · 1 · 4 · 3.
      assert.equal(BigInt(op.flops), 24n);
      assert.equal(BigInt(op.flops), BigInt(receipt.flops));
      const parts = ["compute", "base", "bytes", "program", "reads"].reduce((s, k) => s + BigInt(op.gas[k]), 0n);
      assert.equal(parts, BigInt(receipt.gasUsed), "the gas parts add up to the receipt's gas");
      assert.equal(BigInt(op.gas.total), parts);
      assert.equal(op.gas.charged, matmul.gasUsed);
      assert.ok(BigInt(op.gas.compute) > 0n && BigInt(op.gas.base) > 0n && BigInt(op.gas.bytes) > 0n);
      assert.equal(op.receipts.length, 1);
      assert.equal(op.receipts[0].index, 0);
      assert.deepEqual(op.receipts[0].inputCommits, receipt.inputCommits);
      assert.deepEqual(op.receipts[0].outputCommits, receipt.outputCommits);
      assert.equal(op.receipts[0].leaf, receipt.leaf);
      assert.deepEqual(t.aivmTrace, { traceRoot: receipts.traceRoot, receiptCount: 1, gas: receipt.gasUsed, flops: receipt.flops });
      // 4byteTracer counts the contract calls, not the precompile's.
      const fourByte = await rpc("debug_traceTransaction", [inferred.hash, { tracer: "4byteTracer" }]);
      const inferData = call(parent.abi as Abi, "infer", [xHex, wHex]);
      assert.deepEqual(fourByte, { [`${inferData.slice(0, 10)}-${(inferData.length - 10) / 2}`]: 1, [`${call(child.abi as Abi, "store", [0n]).slice(0, 10)}-32`]: 1 });
      // The child's store comes after the precompile call, in the same tree.
      assert.equal(t.calls.at(-1).to, childAddress.toLowerCase());
      assert.equal(t.calls.at(-1).aivm, undefined);
    });

    it("a precompile call rejected while planning says why, and the transaction's gas still matches", async () => {
      const bad = bytesToHex(encodeTensor({ dtype: "int8", shape: [1, 5], data: Int8Array.from([1, 2, 3, 4, 5]) }));
      const failed = await send(call(parent.abi as Abi, "infer", [bad, wHex]), parentAddress, 300_000n);
      assert.equal(failed.receipt.status, "0x0");
      const t = await rpc("debug_traceTransaction", [failed.hash, { tracer: "aivmTracer" }]);
      assert.equal(t.gasUsed, failed.receipt.gasUsed);
      const matmul = t.calls.find((c: any) => c.aivm);
      assert.equal(matmul.error, "execution reverted");
      assert.match(matmul.aivm.rejected, /shape/i);
      assert.deepEqual(matmul.aivm.receipts, []);
      assert.equal(t.aivmTrace.receiptCount, 0);
    });
  });

  it("aivmTracer describes every opcode: the parts of each call add up to its receipt's gas, its FLOPs are the receipt's", async () => {
    const wire = (t: Tensor) => bytesToHex(encodeTensor(t));
    const ZERO32 = pad("0x0");
    const x: Tensor = DEMO_INPUT;
    const xs: Tensor = { dtype: "int8", shape: [2, 1, 4], data: Int8Array.from([1, -2, 3, -4, 5, -6, 7, -8]) };
    const relu: Program = { stateCount: 0, values: [{ kind: "input", dtype: "int8", shape: [1, 4] }], nodes: [{ op: OP_CODES.relu, inputs: [0], outputs: 1, attrs: {} }], outputs: [1] };
    const step = RELU_STEP;
    const probeAddress = (await send(probe.bytecode as Hex)).receipt.contractAddress as Hex;
    const sequence = (calls: [Hex, Hex][], gas = 5_000_000n) =>
      send(encodeFunctionData({ abi: probe.abi as Abi, functionName: "sequence", args: [calls.map((c) => c[0]), calls.map((c) => c[1])] }), probeAddress, gas);
    const setup = await sequence([
      [A.TSTORE, encodeAbiParameters(TSTORE_INPUT, [1, ZERO32, wire(DEMO_WEIGHTS)])],
      [A.TSTORE, encodeAbiParameters(TSTORE_INPUT, [2, ZERO32, bytesToHex(encodeProgram(relu))])],
      [A.TSTORE, encodeAbiParameters(TSTORE_INPUT, [2, ZERO32, bytesToHex(encodeProgram(step))])],
    ]);
    assert.equal(setup.receipt.status, "0x1");
    const weights = bytesToHex(encodeHandle(HANDLE_KIND.persistent, commitTensor(DEMO_WEIGHTS)));
    const calls: [Hex, Hex][] = [
      [A.TMATMUL, encodeAbiParameters(TMATMUL_INPUT, [[wire(x), weights], [], [], 0])],
      [A.TEWOP, encodeAbiParameters(TEWOP_INPUT, [OP_CODES.relu, [wire(x)], [], [], 0])],
      [A.TGRAPH, encodeAbiParameters(TGRAPH_INPUT, [bytesToHex(encodeProgram(relu)), [wire(x)], 0])],
      [A.TCUSTOM, encodeAbiParameters(TCUSTOM_INPUT, [keccak256(encodeProgram(relu)), [wire(x)], 0])],
      [A.TSTREAM, encodeAbiParameters(TSTREAM_INPUT, [keccak256(encodeProgram(step)), [wire(x)], wire(xs), 2, 0])],
      [A.TLOAD, encodeAbiParameters(TLOAD_INPUT, [weights, 0])],
      [A.TSTORE, encodeAbiParameters(TSTORE_INPUT, [0, ZERO32, wire(x)])],
      [A.TCOMMIT, encodeAbiParameters(TCOMMIT_INPUT, [0, wire(x)])],
    ];
    const sent = await sequence(calls);
    assert.equal(sent.receipt.status, "0x1");
    const t = await rpc("debug_traceTransaction", [sent.hash, { tracer: "aivmTracer" }]);
    const receipts = (await rpc("aivm_getReceipts", [sent.hash])).receipts;
    assert.equal(t.gasUsed, sent.receipt.gasUsed);
    const ops = t.calls.filter((c: any) => c.aivm).map((c: any) => c.aivm);
    assert.deepEqual(
      ops.map((o: any) => o.opcode),
      ["TMATMUL", "TEWOP", "TGRAPH", "TCUSTOM", "TSTREAM", "TLOAD", "TSTORE", "TCOMMIT"],
    );
    const recorded = ops.filter((o: any) => o.receipts.length > 0);
    assert.equal(recorded.length, receipts.length, "every op but TCOMMIT records one receipt");
    for (const [i, op] of recorded.entries()) {
      const parts = ["compute", "base", "bytes", "program", "reads"].reduce((sum, k) => sum + BigInt(op.gas[k]), 0n);
      assert.equal(parts, BigInt(receipts[i].gasUsed), `${op.opcode}: the parts add up to the receipt's gas`);
      assert.equal(op.gas.charged, receipts[i].gasUsed, op.opcode);
      assert.equal(op.flops, receipts[i].flops, op.opcode);
      assert.equal(op.receipts[0].index, i);
      assert.equal(op.receipts[0].leaf, receipts[i].leaf);
    }
    assert.equal(ops[7].gas.total, ops[7].gas.charged, "TCOMMIT's parts are its charge");
    assert.ok(BigInt(ops[0].gas.reads) > 0n, "TMATMUL read W from the store");
    assert.deepEqual(ops[0].inputs.map((i: any) => i.source), ["inline", "stored"]);
    assert.equal(ops[4].steps, 2);
    assert.deepEqual(ops[4].outputs, [{ dtype: "int8", shape: [1, 4] }, { dtype: "int8", shape: [1, 4] }]);
    assert.equal(ops[6].op, "scratch");
  });

  describe("re-execution", () => {
    it("replays the block's earlier transactions first: the second of two transactions in one block traces to its receipt", async () => {
      // The child's slot 0 starts at zero: the block's first run stores zero → 8, the second 8 → 9.
      await rpc("hardhat_setStorageAt", [childAddress, "0x0", pad("0x0")]);
      node.setAutomine(false);
      let hashes: Hex[];
      try {
        hashes = [
          await node.sendTransaction({ from, to: parentAddress, data: call(parent.abi as Abi, "run", [8n]), gas: 200_000n }),
          await node.sendTransaction({ from, to: parentAddress, data: call(parent.abi as Abi, "run", [9n]), gas: 200_000n }),
        ];
        await node.mine();
      } finally {
        node.setAutomine(true);
      }
      const [first, second] = await Promise.all(hashes.map((h) => rpc("eth_getTransactionReceipt", [h])));
      assert.equal(first.blockNumber, second.blockNumber);
      assert.equal(second.transactionIndex, "0x1");
      const t = await rpc("debug_traceTransaction", [hashes[1], { tracer: "callTracer" }]);
      assert.equal(t.gasUsed, second.gasUsed);
      // Cold non-zero → non-zero (2100 + 2900); without the first transaction replayed it would be zero → non-zero (22100).
      const trace = await rpc("debug_traceTransaction", [hashes[1]]);
      const childStore = trace.structLogs.find((l: any) => l.op === "SSTORE" && l.depth === 2);
      assert.equal(childStore.gasCost, 5_000);
      assert.equal(childStore.storage[pad("0x0")], pad("0x9"));
    });

    it("starts from the edited state when hardhat_setStorageAt changed it between the blocks", async () => {
      // Slot 0 of the child to zero: its next store(4) is a cold zero → non-zero (2100 + 20000), not 5000.
      await rpc("hardhat_setStorageAt", [childAddress, "0x0", pad("0x0")]);
      const sent = await send(call(parent.abi as Abi, "run", [4n]), parentAddress, 200_000n);
      const trace = await rpc("debug_traceTransaction", [sent.hash]);
      assert.equal(trace.gas, Number(BigInt(sent.receipt.gasUsed)));
      assert.equal(trace.structLogs.find((l: any) => l.op === "SSTORE" && l.depth === 2).gasCost, 22_100);
    });

    it("leaves the chain as it was", async () => {
      const { hash } = await send(call(parent.abi as Abi, "run", [3n]), parentAddress);
      const before = await Promise.all([rpc("eth_blockNumber", []), rpc("eth_getStorageAt", [childAddress, "0x0"]), rpc("eth_getBlockByNumber", ["latest", false])]);
      await rpc("debug_traceTransaction", [hash, { tracer: "aivmTracer" }]);
      await rpc("debug_traceCall", [{ from, to: parentAddress, data: call(parent.abi as Abi, "run", [11n]) }, "latest"]);
      const afterwards = await Promise.all([rpc("eth_blockNumber", []), rpc("eth_getStorageAt", [childAddress, "0x0"]), rpc("eth_getBlockByNumber", ["latest", false])]);
      assert.deepEqual(afterwards, before);
      assert.equal(BigInt(afterwards[1]), 3n);
      // The next transaction's state root is the one it would have been without the traces.
      const next = await send(call(parent.abi as Abi, "run", [12n]), parentAddress);
      assert.equal(next.receipt.status, "0x1");
    });
  });

  describe("debug_traceCall", () => {
    it("runs a call on the state of a block tag", async () => {
      const head = BigInt(await rpc("eth_blockNumber", []));
      const data = call(child.abi as Abi, "value");
      const now = await rpc("debug_traceCall", [{ to: childAddress, data }, "latest"]);
      assert.equal(now.failed, false);
      assert.equal(BigInt(now.returnValue), 12n);
      // The block that deployed TraceParent came before any store: the child's value was 0.
      const early = await rpc("debug_traceCall", [{ to: childAddress, data }, "0x2"]);
      assert.equal(BigInt(early.returnValue), 0n);
      const byNumber = await rpc("debug_traceCall", [{ to: childAddress, data }, `0x${head.toString(16)}`]);
      assert.equal(byNumber.returnValue, now.returnValue);
    });

    it("uses the same gas as a transaction would, and takes callTracer and aivmTracer", async () => {
      const data = call(parent.abi as Abi, "infer", [xHex, wHex]);
      const quote = await rpc("aivm_quote", [{ from, to: parentAddress, data }]);
      const t = await rpc("debug_traceCall", [{ from, to: parentAddress, data }, "latest", { tracer: "aivmTracer" }]);
      assert.equal(t.gasUsed, quote.gas);
      const op = t.calls.find((c: any) => c.aivm).aivm;
      assert.deepEqual(op.receipts[0].outputCommits, quote.receipts[0].outputCommits);
      const reverted = await rpc("debug_traceCall", [{ from, to: parentAddress, data: call(parent.abi as Abi, "fail") }, "latest", { tracer: "callTracer" }]);
      assert.equal(reverted.error, "execution reverted");
      assert.equal(reverted.calls[0].error, "execution reverted");
    });
  });

  describe("errors", () => {
    it("an unknown or pending transaction, an unknown tracer and bad options get a clear JSON-RPC error", async () => {
      const unknown = await rpcError("debug_traceTransaction", [`0x${"ab".repeat(32)}`]);
      assert.equal(unknown.code, -32000);
      assert.match(unknown.message, /Unable to find a block containing transaction 0xabab/);
      const { hash } = await send(call(parent.abi as Abi, "run", [1n]), parentAddress);
      const cases: [unknown[], RegExp][] = [
        [[hash, { tracer: "prestateTracer" }], /Invalid tracer "prestateTracer".*callTracer.*aivmTracer.*4byteTracer/],
        [[hash, { tracer: "4byteTracer", tracerConfig: { withLog: true } }], /4byteTracer takes none/],
        [[hash, { disableStack: "yes" }], /disableStack must be true or false/],
        [[hash, { enableMemmory: true }], /unknown field "enableMemmory"/],
        [[hash, { tracerConfig: { onlyTopCall: true } }], /tracerConfig needs a tracer/],
        [[hash, { tracer: "callTracer", tracerConfig: { diffMode: true } }], /unknown field "diffMode"/],
        [[hash, { tracer: "callTracer", enableMemory: true }], /struct logger option/],
        [[hash, { limit: -1 }], /limit must be a whole number/],
        [[hash, "callTracer"], /expected an object/],
        [["0x1234"], /transactionHash/],
      ];
      for (const [params, message] of cases) {
        const error = await rpcError("debug_traceTransaction", params);
        assert.equal(error.code, -32602, `${JSON.stringify(params)} → ${error.message}`);
        assert.match(error.message, message);
      }
      const overrides = await rpcError("debug_traceCall", [{ to: childAddress }, "latest", { stateOverrides: {} }]);
      assert.equal(overrides.code, -32602);
      assert.match(overrides.message, /stateOverrides is not supported/);
      // A block past the head is refused as eth_call refuses it (Hardhat's code and wording).
      const future = await rpcError("debug_traceCall", [{ to: childAddress }, "0xffff"]);
      const refused = await rpcError("eth_call", [{ to: childAddress }, "0xffff"]);
      assert.deepEqual({ code: future.code, message: future.message }, { code: refused.code, message: refused.message });
      assert.match(future.message, /Received invalid block tag 65535/);
    });

    it("a pending transaction is not traced yet", async () => {
      node.setAutomine(false);
      try {
        const hash = await node.sendTransaction({ from, to: parentAddress, data: call(parent.abi as Abi, "run", [2n]), gas: 200_000n });
        const error = await rpcError("debug_traceTransaction", [hash]);
        assert.equal(error.code, -32000);
        assert.match(error.message, /is pending/);
        await node.mine();
        const t = await rpc("debug_traceTransaction", [hash, { tracer: "callTracer" }]);
        assert.equal(t.gasUsed, (await rpc("eth_getTransactionReceipt", [hash])).gasUsed);
      } finally {
        node.setAutomine(true);
      }
    });
  });

  it("traces transactions of a chain reopened from its database, an impersonated sender's and one after a state edit included", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aivm-trace-db-"));
    try {
      let db = await DevNode.create({ dbPath: dir, runtime: null });
      const stranger = "0x00000000000000000000000000000000000000c0" as Hex;
      const deployed = await db.sendTransaction({ from: db.accounts[0]!.address as Hex, data: child.bytecode as Hex });
      // Funded between the blocks: the transfer's block was built on the edited state (its preStateRoot).
      await db.setBalance(stranger, 10n ** 18n);
      db.impersonate(stranger);
      const hashes = [deployed, await db.sendTransaction({ from: stranger, to: db.accounts[0]!.address as Hex, value: 5n })];
      const gas = hashes.map((h) => db.transaction(h)!.record.gasUsed);
      await db.close();
      db = await DevNode.create({ dbPath: dir, runtime: null });
      try {
        const p = await createAivmProvider({ node: db });
        for (const [i, h] of hashes.entries()) {
          const t = (await p.request({ method: "debug_traceTransaction", params: [h, { tracer: "callTracer" }] } as never)) as any;
          assert.equal(BigInt(t.gasUsed), gas[i]);
        }
        const transfer = (await p.request({ method: "debug_traceTransaction", params: [hashes[1]!, { tracer: "callTracer" }] } as never)) as any;
        assert.equal(transfer.from, stranger);
        assert.equal(transfer.value, "0x5");
      } finally {
        await db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
