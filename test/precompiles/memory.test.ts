// The memory opcodes and stored programs inside real blocks: TSTORE/TLOAD across scratch, the
// persistent store (in state), agent namespaces and shards; TCOMMIT; TCUSTOM and TSTREAM over stored
// programs; static-call write refusal and what a reverted frame leaves behind.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  bytesToHex,
  decodeAbiParameters,
  decodeErrorResult,
  decodeFunctionResult,
  encodeAbiParameters,
  encodeFunctionData,
  hexToBytes,
  parseAbiParameters,
  type Hex,
} from "viem";
import { Address } from "@ethereumjs/util";
import { createTestChain, contract, watchPrecompiles, type PrecompileCharge, type TestChain } from "./chain.ts";
import { decodeTensor, encodeTensor } from "../../src/codec/tensor.ts";
import { encodeProgram, type Program } from "../../src/codec/program.ts";
import { runProgram, runStream } from "../../src/codec/program-run.ts";
import { commitTensor, traceRoot } from "../../src/commit/index.ts";
import { OP_CODES } from "../../src/engine/registry.ts";
import { tensor, type Tensor } from "../../src/engine/tensor.ts";
import { storeAddressOf } from "../../precompiles/memory.ts";
import { PRECOMPILE_ADDRESSES as A } from "../../precompiles/index.ts";
import { loadGas, readAccessGas, readBytesGas, storeGas } from "../../precompiles/gas.ts";
import { quoteStream, writeGas } from "../../src/gas/index.ts";
import { encodeHandle, scratchHandle } from "../../precompiles/handles.ts";
import { AGENT_NAMESPACES_ADDRESS } from "../../src/chain/genesis.ts";

const STORE_IN = parseAbiParameters("uint8 target, bytes32 key, bytes data");
const LOAD_IN = parseAbiParameters("bytes ref, uint8 flags");
const COMMIT_IN = parseAbiParameters("uint8 mode, bytes tensor");
const CUSTOM_IN = parseAbiParameters("bytes32 programId, bytes[] inputs, uint8 flags");
const STREAM_IN = parseAbiParameters("bytes32 programId, bytes[] state, bytes xs, uint32 steps, uint8 flags");
const STREAM_OUT = parseAbiParameters("bytes[] finalState, bytes lastOutput, bytes32[] stepCommits");
const ZERO32 = `0x${"00".repeat(32)}` as Hex;
const OUT_SCRATCH = 1;

const wire = (t: Tensor) => bytesToHex(encodeTensor(t));
const store = (target: number, data: Hex, key: Hex = ZERO32) => encodeAbiParameters(STORE_IN, [target, key, data]);
const load = (ref: Uint8Array | Hex, flags = 0) => encodeAbiParameters(LOAD_IN, [typeof ref === "string" ? ref : bytesToHex(ref), flags]);
const persistentRef = (id: Uint8Array | Hex) => encodeHandle(2, typeof id === "string" ? hexToBytes(id) : id);
const unwrapBytes = (ret: Hex) => decodeAbiParameters(parseAbiParameters("bytes"), ret)[0];

let chain: TestChain;
let probe: Hex;
let charges: PrecompileCharge[];
const probeAbi = () => contract("AivmProbe").abi;
const errorsAbi = () => contract("IAIVMErrors").abi;

async function viaProbe(precompile: Hex, input: Hex) {
  const sent = await chain.sendCall(probeAbi(), probe, "probe", [precompile, input]);
  assert.equal(sent.result.execResult.exceptionError, undefined);
  const [ok, ret] = sent.ret as [boolean, Hex, bigint];
  return { ok, ret, trace: sent.trace, charge: charges.at(-1)! };
}

async function staticProbe(precompile: Hex, input: Hex) {
  const r = await chain.call(probe, encodeFunctionData({ abi: probeAbi(), functionName: "probeStatic", args: [precompile, input] }));
  return decodeFunctionResult({ abi: probeAbi(), functionName: "probeStatic", data: bytesToHex(r.execResult.returnValue) }) as [boolean, Hex];
}

async function sequence(precompiles: Hex[], inputs: Hex[]) {
  const sent = await chain.sendCall(probeAbi(), probe, "sequence", [precompiles, inputs]);
  assert.equal(sent.result.execResult.exceptionError, undefined, "sequence succeeded");
  return { rets: sent.ret as Hex[], trace: sent.trace };
}

const hasBlob = async (id: Uint8Array) => (await chain.vm.stateManager.getCode(storeAddressOf(id))).length > 0;

before(async () => {
  chain = await createTestChain();
  charges = watchPrecompiles(chain.vm);
  probe = await chain.deploy("AivmProbe");
});

describe("TSTORE / TLOAD", () => {
  test("a persistent TSTORE lands in state under the tensor's commit, charged storeGas exactly, and TLOAD reads it in a later block", async () => {
    const t = tensor("int8", [3, 4], [1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12]);
    const id = commitTensor(t);
    assert.equal(await hasBlob(id), false);
    const input = store(1, wire(t));
    const { ok, ret, charge } = await viaProbe(A.TSTORE, input);
    assert.equal(ok, true);
    assert.equal(unwrapBytes(ret), bytesToHex(persistentRef(id)));
    assert.equal(charge.gasUsed, storeGas(encodeTensor(t).length));
    assert.equal(await hasBlob(id), true, "the blob account is in the state trie");

    const loaded = await viaProbe(A.TLOAD, load(persistentRef(id)));
    assert.equal(loaded.ok, true);
    // A cold read (2600 + its bytes moved); its content id is its commit, so nothing is hashed.
    const blobBytes = encodeTensor(t).length;
    assert.equal(loaded.charge.gasUsed, readAccessGas(true) + readBytesGas(blobBytes) + loadGas(t, "stored"));
    assert.deepEqual([...decodeTensor(hexToBytes(unwrapBytes(loaded.ret))).data], [...t.data]);
  });

  test("scratch handles chain calls inside one transaction; a handle from another transaction is unknown", async () => {
    const t = tensor("int16", [2], [300, -300]);
    const { rets, trace } = await sequence([A.TSTORE, A.TLOAD, A.TCOMMIT], [store(0, wire(t)), load(scratchHandle(0)), encodeAbiParameters(COMMIT_IN, [0, bytesToHex(scratchHandle(0))])]);
    assert.equal(unwrapBytes(rets[0]!), bytesToHex(scratchHandle(0)));
    assert.deepEqual([...decodeTensor(hexToBytes(unwrapBytes(rets[1]!))).data], [300, -300]);
    assert.equal(rets[2], bytesToHex(commitTensor(t)));
    assert.equal(trace.receipts.length, 2, "TSTORE and TLOAD leave receipts; TCOMMIT is a view");

    const later = await viaProbe(A.TLOAD, load(scratchHandle(0)));
    assert.equal(later.ok, false);
    const err = decodeErrorResult({ abi: errorsAbi(), data: later.ret });
    assert.equal(err.errorName, "UnknownHandle");
    assert.equal(err.args?.[0], 1);
  });

  test("agent namespaces: each contract writes only its own; anyone reads", async () => {
    const other = await chain.deploy("AivmProbe");
    const key = `0x${"11".repeat(32)}` as Hex;
    const mine = tensor("int8", [2], [1, 2]);
    const theirs = tensor("int8", [2], [7, 8]);
    await chain.sendCall(probeAbi(), probe, "remember", [key, wire(mine)]);
    await chain.sendCall(probeAbi(), other, "remember", [key, wire(theirs)]);

    const nsAbi = contract("AgentNamespaces").abi;
    const get = async (owner: Hex) => {
      const r = await chain.call(AGENT_NAMESPACES_ADDRESS, encodeFunctionData({ abi: nsAbi, functionName: "get", args: [owner, key] }));
      return decodeFunctionResult({ abi: nsAbi, functionName: "get", data: bytesToHex(r.execResult.returnValue) });
    };
    assert.equal(await get(probe), bytesToHex(commitTensor(mine)), "the second contract's write did not touch the first's entry");
    assert.equal(await get(other), bytesToHex(commitTensor(theirs)));

    const ref = encodeHandle(3, hexToBytes(key), hexToBytes(probe));
    const [ok, ret] = await staticProbe(A.TLOAD, load(ref));
    assert.equal(ok, true);
    assert.deepEqual([...decodeTensor(hexToBytes(unwrapBytes(ret))).data], [1, 2]);
  });

  test("shards: two stored 1-D shards and a manifest load back as one tensor", async () => {
    // Every shard but the last holds at least MIN_SHARD_BYTES (1024).
    const s0 = tensor("int8", [1024], Array.from({ length: 1024 }, (_, i) => (i % 200) - 100));
    const s1 = tensor("int8", [2], [5, 6]);
    await sequence([A.TSTORE, A.TSTORE], [store(1, wire(s0)), store(1, wire(s1))]);
    const manifest = encodeAbiParameters(parseAbiParameters("uint8 dtype, uint32[] shape, bytes32[] shardIds"), [
      1,
      [2, 513],
      [bytesToHex(commitTensor(s0)), bytesToHex(commitTensor(s1))],
    ]);
    const stored = await viaProbe(A.TSTORE, store(4, manifest));
    assert.equal(stored.ok, true);
    const loaded = await viaProbe(A.TLOAD, load(unwrapBytes(stored.ret)));
    const t = decodeTensor(hexToBytes(unwrapBytes(loaded.ret)));
    assert.deepEqual(t.shape, [2, 513]);
    assert.deepEqual([...t.data], [...s0.data, 5, 6]);

    const wrong = encodeAbiParameters(parseAbiParameters("uint8 dtype, uint32[] shape, bytes32[] shardIds"), [1, [7], [bytesToHex(commitTensor(s0)), bytesToHex(commitTensor(s1))]]);
    const bad = await viaProbe(A.TSTORE, store(4, wrong));
    assert.equal(decodeErrorResult({ abi: errorsAbi(), data: bad.ret }).errorName, "ShapeMismatch");
  });

  test("inside a static call, state writes are refused with WriteInStaticCall; scratch writes are allowed", async () => {
    const t = tensor("int8", [1], [42]);
    const [ok, ret] = await staticProbe(A.TSTORE, store(1, wire(t)));
    assert.equal(ok, false);
    const err = decodeErrorResult({ abi: errorsAbi(), data: ret });
    assert.equal(err.errorName, "WriteInStaticCall");
    assert.equal((err.args?.[0] as string).toLowerCase(), A.TSTORE);
    for (const target of [2, 3, 4]) {
      const [okT, retT] = await staticProbe(A.TSTORE, store(target, wire(t), target === 3 ? `0x${"22".repeat(32)}` : ZERO32));
      assert.equal(okT, false);
      assert.equal(decodeErrorResult({ abi: errorsAbi(), data: retT }).errorName, "WriteInStaticCall", `target ${target}`);
    }
    const [okScratch] = await staticProbe(A.TSTORE, store(0, wire(t)));
    assert.equal(okScratch, true);
  });

  test("a reverted frame takes its scratch slots, receipts and persistent writes with it", async () => {
    const scratchT = tensor("int8", [2], [9, 9]);
    const persistT = tensor("int8", [3], [4, 5, 6]);
    const sent = await chain.sendCall(probeAbi(), probe, "revertThen", [
      [A.TSTORE, A.TSTORE],
      [store(0, wire(scratchT)), store(1, wire(persistT))],
      A.TLOAD,
      load(scratchHandle(0)),
    ]);
    const [innerOk, afterOk, afterRet] = sent.ret as [boolean, boolean, Hex];
    assert.equal(innerOk, false);
    assert.equal(afterOk, false, "scratch slot 0 was dropped with the reverted frame");
    assert.equal(decodeErrorResult({ abi: errorsAbi(), data: afterRet }).errorName, "UnknownHandle");
    assert.equal(await hasBlob(commitTensor(persistT)), false, "the persistent write was journaled and undone");
    assert.equal(sent.trace.receipts.length, 0, "the reverted frame's receipts are gone");
  });
});

describe("stored programs", () => {
  const w = tensor("int8", [4, 2], [1, 2, 3, 4, -1, -2, -3, -4]);
  const program: Program = {
    stateCount: 0,
    values: [{ kind: "input", dtype: "int8", shape: [1, 4] }, { kind: "const", tensor: w }],
    nodes: [{ op: OP_CODES.matmul, inputs: [0, 1], outputs: 1, attrs: {} }],
    outputs: [2],
  };

  test("TCUSTOM runs a program stored by TSTORE, by id, equal to runProgram; TCOMMIT returns the trace root so far", async () => {
    const bytes = encodeProgram(program);
    const stored = await viaProbe(A.TSTORE, store(2, bytesToHex(bytes)));
    assert.equal(stored.ok, true);
    const id = bytesToHex(hexToBytes(unwrapBytes(stored.ret)).slice(25));
    const x = tensor("int8", [1, 4], [1, 1, 1, 1]);
    const { rets, trace } = await sequence(
      [A.TCUSTOM, A.TCOMMIT],
      [encodeAbiParameters(CUSTOM_IN, [id, [wire(x)], 0]), encodeAbiParameters(COMMIT_IN, [1, "0x"])],
    );
    const [outs] = decodeAbiParameters(parseAbiParameters("bytes[]"), rets[0]!);
    const expected = runProgram(program, [x], new Map());
    assert.deepEqual([...decodeTensor(hexToBytes(outs[0]!)).data], [...expected[0]!.data]);
    const [root, count] = decodeAbiParameters(parseAbiParameters("bytes32, uint256"), rets[1]!);
    assert.equal(count, 1n);
    assert.equal(root, traceRoot(trace.receipts));
    assert.equal(root, trace.traceRoot);

    const missing = await viaProbe(A.TCUSTOM, encodeAbiParameters(CUSTOM_IN, [`0x${"ab".repeat(32)}`, [wire(x)], 0]));
    assert.equal(decodeErrorResult({ abi: errorsAbi(), data: missing.ret }).errorName, "UnknownHandle");
  });

  test("TSTREAM threads the state through N steps equal to runStream, with a per-step output commit", async () => {
    const step: Program = {
      stateCount: 1,
      values: [
        { kind: "input", dtype: "int8", shape: [1, 4] },
        { kind: "input", dtype: "int8", shape: [1, 4] },
      ],
      nodes: [
        { op: OP_CODES.add, inputs: [0, 1], outputs: 1, attrs: {} },
        { op: OP_CODES.relu, inputs: [2], outputs: 1, attrs: {} },
      ],
      outputs: [2, 3],
    };
    const stored = await viaProbe(A.TSTORE, store(2, bytesToHex(encodeProgram(step))));
    const id = bytesToHex(hexToBytes(unwrapBytes(stored.ret)).slice(25));
    const s0 = tensor("int8", [1, 4], [-5, 0, 5, 10]);
    const xs = tensor("int8", [3, 1, 4], [1, 2, 3, 4, -10, -10, -10, -10, 7, 0, -7, 1]);
    const m = chain.runtime.multiplier;
    const r = await viaProbe(A.TSTREAM, encodeAbiParameters(STREAM_IN, [id, [wire(s0)], wire(xs), 3, 0]));
    assert.equal(r.ok, true);
    const stepMetas = [{ dtype: "int8" as const, shape: [1, 4] }, { dtype: "int8" as const, shape: [1, 4] }];
    // The call's arguments are the inline state and the stacked xs; the program is a cold stored read.
    const reads = readAccessGas(true) + readBytesGas(encodeProgram(step).length);
    const io = { inputs: [s0, xs], readsGas: reads };
    assert.equal(r.charge.gasUsed, quoteStream(step, stepMetas, 3, m, undefined, io).gas, "charged exactly src/gas quoteStream");
    const [finalState, last, commits] = decodeAbiParameters(STREAM_OUT, r.ret);
    const slices = [0, 1, 2].map((t) => [tensor("int8", [1, 4], [...xs.data.subarray(4 * t, 4 * t + 4)])]);
    const expected = runStream(step, [s0], slices, () => {
      throw new Error("no handles");
    });
    assert.deepEqual([...decodeTensor(hexToBytes(finalState[0]!)).data], [...expected.state[0]!.data]);
    assert.deepEqual([...decodeTensor(hexToBytes(last)).data], [...expected.outputs[2]![0]!.data]);
    assert.deepEqual(commits, expected.outputs.map((o) => bytesToHex(commitTensor(o[0]!))));
    assert.equal(r.trace.receipts.length, 1);
    assert.equal(r.trace.receipts[0]!.outputCommits.length, 1 + 3, "final state commit + one per step");

    const wrongSteps = await viaProbe(A.TSTREAM, encodeAbiParameters(STREAM_IN, [id, [wire(s0)], wire(xs), 4, 0]));
    assert.equal(decodeErrorResult({ abi: errorsAbi(), data: wrongSteps.ret }).errorName, "ShapeMismatch");

    // STACK_OUTPUTS (4): every y stacked on dimension 0, charged one more tensor write, quoted exactly.
    const stacked = await viaProbe(A.TSTREAM, encodeAbiParameters(STREAM_IN, [id, [wire(s0)], wire(xs), 3, 4]));
    assert.equal(stacked.ok, true);
    const all = decodeTensor(hexToBytes(decodeAbiParameters(STREAM_OUT, stacked.ret)[1]));
    assert.deepEqual(all.shape, [3, 1, 4]);
    assert.deepEqual([...all.data], expected.outputs.flatMap((o) => [...o[0]!.data]));
    assert.equal(stacked.charge.gasUsed, r.charge.gasUsed + writeGas({ dtype: "int8", shape: [3, 1, 4] }));
    const quoted = await viaProbe(A.TSTREAM, encodeAbiParameters(STREAM_IN, [id, [wire(s0)], wire(xs), 3, 4 | 2]));
    assert.equal(decodeAbiParameters(parseAbiParameters("uint256"), quoted.ret)[0], stacked.charge.gasUsed, "QUOTE_ONLY quotes the stacked call");
    const unknownFlag = await viaProbe(A.TSTREAM, encodeAbiParameters(STREAM_IN, [id, [wire(s0)], wire(xs), 3, 8]));
    assert.equal(decodeErrorResult({ abi: errorsAbi(), data: unknownFlag.ret }).errorName, "InvalidArgument");
  });

  test("TGRAPH resolves a program's handle constants from the persistent store; a missing one is UnknownHandle", async () => {
    const weight = tensor("int8", [4, 3], [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1]);
    await viaProbe(A.TSTORE, store(1, wire(weight)));
    const byHandle: Program = {
      stateCount: 0,
      values: [
        { kind: "input", dtype: "int8", shape: [2, 4] },
        { kind: "handle", id: commitTensor(weight), dtype: "int8", shape: [4, 3] },
      ],
      nodes: [{ op: OP_CODES.matmul, inputs: [0, 1], outputs: 1, attrs: {} }],
      outputs: [2],
    };
    const x = tensor("int8", [2, 4], [1, 2, 3, 4, -1, -2, -3, -4]);
    const graphIn = parseAbiParameters("bytes program, bytes[] inputs, uint8 flags");
    const r = await viaProbe(A.TGRAPH, encodeAbiParameters(graphIn, [bytesToHex(encodeProgram(byHandle)), [wire(x)], 0]));
    assert.equal(r.ok, true);
    const [outs] = decodeAbiParameters(parseAbiParameters("bytes[]"), r.ret);
    assert.deepEqual([...decodeTensor(hexToBytes(outs[0]!)).data], [...runProgram(byHandle, [x], () => weight)[0]!.data]);

    const missing: Program = { ...byHandle, values: [byHandle.values[0]!, { kind: "handle", id: new Uint8Array(32).fill(7), dtype: "int8", shape: [4, 3] }] };
    const bad = await viaProbe(A.TGRAPH, encodeAbiParameters(graphIn, [bytesToHex(encodeProgram(missing)), [wire(x)], 0]));
    assert.equal(decodeErrorResult({ abi: errorsAbi(), data: bad.ret }).errorName, "UnknownHandle");

    const misdeclared: Program = { ...byHandle, values: [byHandle.values[0]!, { kind: "handle", id: commitTensor(weight), dtype: "int8", shape: [4, 2] }] };
    const wrong = await viaProbe(A.TGRAPH, encodeAbiParameters(graphIn, [bytesToHex(encodeProgram(misdeclared)), [wire(x)], 0]));
    const err = decodeErrorResult({ abi: errorsAbi(), data: wrong.ret });
    assert.equal(err.errorName, "ShapeMismatch", "a stored tensor must match the meta the gas was priced on");
  });

  test("OUT_SCRATCH outputs of TCUSTOM feed the next call by handle", async () => {
    const stored = await viaProbe(A.TSTORE, store(2, bytesToHex(encodeProgram(program))));
    const id = bytesToHex(hexToBytes(unwrapBytes(stored.ret)).slice(25));
    const x = tensor("int8", [1, 4], [2, 0, 0, 1]);
    const { rets } = await sequence(
      [A.TCUSTOM, A.TLOAD],
      [encodeAbiParameters(CUSTOM_IN, [id, [wire(x)], OUT_SCRATCH]), load(scratchHandle(0))],
    );
    const [handles] = decodeAbiParameters(parseAbiParameters("bytes[]"), rets[0]!);
    assert.equal(handles[0], bytesToHex(scratchHandle(0)));
    assert.deepEqual([...decodeTensor(hexToBytes(unwrapBytes(rets[1]!))).data], [...runProgram(program, [x], new Map())[0]!.data]);
  });
});

describe("transaction boundaries", () => {
  test("scratch is per top-level message even when the node skips startTx (e.g. runBlock replays)", async () => {
    const run = (to: Hex, data: Hex) =>
      chain.vm.evm.runCall({ to: new Address(hexToBytes(to)), caller: new Address(new Uint8Array(20).fill(1)), data: hexToBytes(data), gasLimit: 1_000_000n });
    await chain.vm.stateManager.checkpoint();
    try {
      const first = await run(A.TSTORE, store(0, wire(tensor("int8", [1], [5]))));
      assert.equal(first.execResult.exceptionError, undefined);
      const second = await run(A.TLOAD, load(scratchHandle(0)));
      assert.equal(second.execResult.exceptionError?.error, "revert");
      assert.equal(decodeErrorResult({ abi: errorsAbi(), data: bytesToHex(second.execResult.returnValue) }).errorName, "UnknownHandle");
    } finally {
      await chain.vm.stateManager.revert();
      chain.runtime.endTx(undefined, true);
    }
  });
});
