// Honest gas for stored weights and programs, inside real blocks: stored reads are charged like
// EIP-2929 (cold once per transaction, warm after, per shard of a manifest) before they happen;
// QUOTE_ONLY and rejected calls pay for the reads they made; a TSTREAM reads its weights once per
// call; and a failure once execution has begun consumes the planned gas.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex, decodeAbiParameters, decodeErrorResult, encodeAbiParameters, hexToBytes, parseAbiParameters, type Hex } from "viem";
import { createTestChain, contract, watchPrecompiles, type PrecompileCharge, type TestChain } from "./chain.ts";
import { encodeTensor } from "../../src/codec/tensor.ts";
import { encodeProgram, type Program } from "../../src/codec/program.ts";
import { inferProgram } from "../../src/codec/program-infer.ts";
import { OP_CODES } from "../../src/engine/registry.ts";
import { tensor, type Tensor } from "../../src/engine/tensor.ts";
import { PRECOMPILE_ADDRESSES as A } from "../../precompiles/index.ts";
import { decodeGas, loadGas, quoteOp, quoteInferred, quoteStreamInferred, readAccessGas, readBytesGas, tensorMoveGas } from "../../precompiles/gas.ts";
import { encodeHandle } from "../../precompiles/handles.ts";
import { MIN_SHARD_BYTES } from "../../precompiles/shards.ts";

const STORE_IN = parseAbiParameters("uint8 target, bytes32 key, bytes data");
const LOAD_IN = parseAbiParameters("bytes ref, uint8 flags");
const OP_IN = parseAbiParameters("bytes[] inputs, string[] attrNames, int64[][] attrValues, uint8 flags");
const GRAPH_IN = parseAbiParameters("bytes program, bytes[] inputs, uint8 flags");
const STREAM_IN = parseAbiParameters("bytes32 programId, bytes[] state, bytes xs, uint32 steps, uint8 flags");
const MANIFEST = parseAbiParameters("uint8 dtype, uint32[] shape, bytes32[] shardIds");
const ZERO32 = `0x${"00".repeat(32)}` as Hex;
const QUOTE_ONLY = 2;

const wire = (t: Tensor) => bytesToHex(encodeTensor(t));
const store = (target: number, data: Hex) => encodeAbiParameters(STORE_IN, [target, ZERO32, data]);
const persistentRef = (id: Uint8Array) => bytesToHex(encodeHandle(2, id));
const load = (ref: Hex) => encodeAbiParameters(LOAD_IN, [ref, 0]);
const matmul = (a: Hex, b: Hex, flags = 0) => encodeAbiParameters(OP_IN, [[a, b], [], [], flags]);
const idOf = (ret: Hex) => hexToBytes(decodeAbiParameters(parseAbiParameters("bytes"), ret)[0]).slice(25);
const ints = (n: number, seed: number) => Array.from({ length: n }, (_, i) => ((i * 37 + seed * 11) % 61) - 30);
/** A cold read: the access, then the blob's bytes moved from state. */
const coldRead = (blobBytes: number) => readAccessGas(true) + readBytesGas(blobBytes);

let chain: TestChain;
let probe: Hex;
let charges: PrecompileCharge[];
const probeAbi = () => contract("AivmProbe").abi;
const errorsAbi = () => contract("IAIVMErrors").abi;

/** Runs the calls in one transaction (AivmProbe.sequence) and returns each frame's charge. */
async function sequence(calls: [Hex, Hex][]) {
  const before = charges.length;
  const sent = await chain.sendCall(probeAbi(), probe, "sequence", [calls.map((c) => c[0]), calls.map((c) => c[1])]);
  assert.equal(sent.result.execResult.exceptionError, undefined, "every call in the sequence succeeded");
  return { rets: sent.ret as Hex[], frames: charges.slice(before), trace: sent.trace };
}

/** One call in its own transaction, optionally with a gas cap. */
async function single(precompile: Hex, input: Hex, gasCap?: bigint) {
  const before = charges.length;
  const sent = gasCap === undefined
    ? await chain.sendCall(probeAbi(), probe, "probe", [precompile, input])
    : await chain.sendCall(probeAbi(), probe, "probeWithGas", [precompile, input, gasCap]);
  assert.equal(sent.result.execResult.exceptionError, undefined);
  const [ok, ret] = sent.ret as [boolean, Hex, bigint];
  return { ok, ret, charge: charges.slice(before)[0]! };
}

async function storeTensor(t: Tensor): Promise<Uint8Array> {
  const r = await single(A.TSTORE, store(1, wire(t)));
  assert.equal(r.ok, true);
  return idOf(r.ret);
}

before(async () => {
  chain = await createTestChain();
  charges = watchPrecompiles(chain.vm);
  probe = await chain.deploy("AivmProbe");
});

describe("stored reads", () => {
  const w = tensor("int8", [64, 32], ints(64 * 32, 1));
  const x = tensor("int8", [2, 64], ints(128, 2));
  let wId: Uint8Array;
  before(async () => {
    wId = await storeTensor(w);
  });

  test("the first read of a stored tensor in a transaction is cold, the next warm, and a new transaction is cold again", async () => {
    const ref = persistentRef(wId);
    const { frames } = await sequence([[A.TLOAD, load(ref)], [A.TLOAD, load(ref)]]);
    const blobBytes = encodeTensor(w).length;
    assert.equal(frames[0]!.gasUsed, coldRead(blobBytes) + loadGas(w, "stored"), "cold: 2600 + 3 per word moved, no hashing");
    assert.equal(frames[1]!.gasUsed, readAccessGas(false) + loadGas(w, "stored"), "warm: 100");
    const again = await single(A.TLOAD, load(ref));
    assert.equal(again.charge.gasUsed, frames[0]!.gasUsed);
    // Before: a stored argument paid copy + hash of its whole encoding on every read.
    assert.ok(frames[1]!.gasUsed < tensorMoveGas([w]));
  });

  test("QUOTE_ONLY pays its reads but warms nothing: its answer is the charge of the same call made next", async () => {
    const ref = persistentRef(wId);
    const quoteInput = matmul(wire(x), ref, QUOTE_ONLY);
    const { rets, frames } = await sequence([[A.TMATMUL, quoteInput], [A.TMATMUL, matmul(wire(x), ref)]]);
    const [quoted] = decodeAbiParameters(parseAbiParameters("uint256"), rets[0]!);
    const cold = coldRead(encodeTensor(w).length);
    assert.equal(frames[0]!.gasUsed, decodeGas(hexToBytes(quoteInput).length) + cold, "the quote paid the decode gas and its cold read");
    assert.equal(quoted, frames[1]!.gasUsed, "quote = the next call's charge");
    assert.equal(frames[1]!.gasUsed, cold + quoteOp("matmul", [x, w], {}, chain.runtime.multiplier, ["inline", "stored"]).gas);
  });

  test("a rejected call pays the decode gas plus the reads it made", async () => {
    const wrong = tensor("int8", [2, 63], ints(126, 3)); // [2,63] · [64,32]: inner dimensions differ
    const input = matmul(wire(wrong), persistentRef(wId));
    const r = await single(A.TMATMUL, input);
    assert.equal(r.ok, false);
    assert.equal(decodeErrorResult({ abi: errorsAbi(), data: r.ret }).errorName, "ShapeMismatch");
    assert.equal(r.charge.gasUsed, decodeGas(hexToBytes(input).length) + coldRead(encodeTensor(w).length));
  });

  test("a read the gas limit cannot pay is out of gas before it happens, consuming the cap", async () => {
    const input = load(persistentRef(wId));
    const decode = decodeGas(hexToBytes(input).length);
    const short = await single(A.TLOAD, input, decode + readAccessGas(true) - 1n);
    assert.equal(short.ok, false);
    assert.equal(short.charge.error, "out of gas");
    assert.equal(short.charge.gasUsed, decode + readAccessGas(true) - 1n);
    const exact = coldRead(encodeTensor(w).length) + loadGas(w, "stored");
    assert.equal((await single(A.TLOAD, input, exact)).ok, true);
    assert.equal((await single(A.TLOAD, input, exact - 1n)).charge.error, "out of gas");
  });
});

describe("namespaces and memory", () => {
  test("a namespace handle reads its entry, then the tensor it names: two cold accesses", async () => {
    const key = `0x${"22".repeat(32)}` as Hex;
    const t = tensor("int8", [8, 8], ints(64, 11));
    await chain.sendCall(probeAbi(), probe, "remember", [key, wire(t)]);
    const r = await single(A.TLOAD, load(bytesToHex(encodeHandle(3, hexToBytes(key), hexToBytes(probe)))));
    assert.equal(r.ok, true);
    assert.equal(r.charge.gasUsed, readAccessGas(true) + coldRead(encodeTensor(t).length) + loadGas(t, "stored"));
  });

  test("stored tensors read in a transaction stay in its memory and count against its budget", async () => {
    const small = await createTestChain({ txMemoryLimitBytes: 64 * 1024 });
    const seen = watchPrecompiles(small.vm);
    const smallProbe = await small.deploy("AivmProbe");
    const big = (s: number) => tensor("int8", [24 * 1024], ints(24 * 1024, s));
    const ids: Uint8Array[] = [];
    for (const t of [big(12), big(13)]) {
      const sent = await small.sendCall(probeAbi(), smallProbe, "probe", [A.TSTORE, store(1, wire(t))]);
      ids.push(idOf((sent.ret as [boolean, Hex])[1]));
    }
    // Each TLOAD returns its 24 KiB inline (working set 24 KiB); the first read's 24 KiB stays held,
    // so the second needs 24 (working) + 24 (held) + 24 (its own read) > 64 KiB.
    const before = seen.length;
    const calls = [load(persistentRef(ids[0]!)), load(persistentRef(ids[1]!))];
    await small.sendCall(probeAbi(), smallProbe, "sequence", [[A.TLOAD, A.TLOAD], calls]);
    const frames = seen.slice(before);
    assert.equal(frames[0]!.error, undefined, "the first read fits");
    assert.equal(decodeErrorResult({ abi: errorsAbi(), data: bytesToHex(frames[1]!.returnValue) }).errorName, "MemoryLimit");
  });
});

describe("manifests", () => {
  const s0 = tensor("int8", [MIN_SHARD_BYTES], ints(MIN_SHARD_BYTES, 4));
  const s1 = tensor("int8", [100], ints(100, 5));
  const manifestData = (ids: Uint8Array[], shape: number[]) => encodeAbiParameters(MANIFEST, [1, shape, ids.map((id) => bytesToHex(id))]);

  test("a cold manifest read charges itself and each shard before resolving it; warm, it touches no shard", async () => {
    const [id0, id1] = [await storeTensor(s0), await storeTensor(s1)];
    const data = manifestData([id0, id1], [4, 281]);
    const stored = await single(A.TSTORE, store(4, data));
    assert.equal(stored.ok, true);
    const ref = bytesToHex(encodeHandle(2, idOf(stored.ret)));
    const { frames } = await sequence([[A.TLOAD, load(ref)], [A.TLOAD, load(ref)]]);
    const meta = { dtype: "int8" as const, shape: [4, 281] };
    const manifestBlob = 4 + hexToBytes(data).length;
    const shards = coldRead(encodeTensor(s0).length) + coldRead(encodeTensor(s1).length);
    assert.equal(frames[0]!.gasUsed, coldRead(manifestBlob) + shards + loadGas(meta, "sharded"));
    assert.equal(frames[1]!.gasUsed, readAccessGas(false) + loadGas(meta, "sharded"));
  });

  test("every shard but the last holds at least MIN_SHARD_BYTES, and no shard is empty", async () => {
    const small = tensor("int8", [MIN_SHARD_BYTES - 1], ints(MIN_SHARD_BYTES - 1, 6));
    const empty = tensor("int8", [0], []);
    const [idSmall, id0, id1, idEmpty] = [await storeTensor(small), await storeTensor(s0), await storeTensor(s1), await storeTensor(empty)];
    const tooSmall = await single(A.TSTORE, store(4, manifestData([idSmall, id1], [MIN_SHARD_BYTES + 99])));
    assert.equal(decodeErrorResult({ abi: errorsAbi(), data: tooSmall.ret }).errorName, "ShapeMismatch");
    const withEmpty = await single(A.TSTORE, store(4, manifestData([id0, idEmpty], [MIN_SHARD_BYTES])));
    assert.equal(decodeErrorResult({ abi: errorsAbi(), data: withEmpty.ret }).errorName, "ShapeMismatch");
    const lastSmall = await single(A.TSTORE, store(4, manifestData([id0, id1], [MIN_SHARD_BYTES + 100])));
    assert.equal(lastSmall.ok, true, "the last shard may be smaller");
  });
});

describe("programs", () => {
  test("a TGRAPH that runs heavy nodes then fails a data-dependent check is charged its planned gas", async () => {
    // Three 96×96×96 matmuls, then a gather whose index (data, not shape) is out of range.
    const program: Program = {
      stateCount: 0,
      values: [
        { kind: "input", dtype: "int8", shape: [96, 96] },
        { kind: "const", tensor: tensor("int8", [96, 96], ints(96 * 96, 7)) },
        { kind: "input", dtype: "int32", shape: [1] },
      ],
      nodes: [
        { op: OP_CODES.matmul, inputs: [0, 1], outputs: 1, attrs: { outDtype: 0, multiplier: 1 << 30, shift: 40 } },
        { op: OP_CODES.matmul, inputs: [3, 1], outputs: 1, attrs: { outDtype: 0, multiplier: 1 << 30, shift: 40 } },
        { op: OP_CODES.matmul, inputs: [4, 1], outputs: 1, attrs: {} },
        { op: OP_CODES.gather, inputs: [5, 2], outputs: 1, attrs: { axis: 0 } },
      ],
      outputs: [6],
    };
    const x = tensor("int8", [96, 96], ints(96 * 96, 8));
    const index = tensor("int32", [1], [9999]);
    const bytes = encodeProgram(program);
    const input = encodeAbiParameters(GRAPH_IN, [bytesToHex(bytes), [wire(x), wire(index)], 0]);
    const r = await single(A.TGRAPH, input);
    assert.equal(r.ok, false);
    assert.equal(decodeErrorResult({ abi: errorsAbi(), data: r.ret }).errorName, "InvalidArgument");
    const planned = quoteInferred(inferProgram(program, [x, index]), bytes.length, chain.runtime.multiplier, { inputs: [x, index] }).gas;
    assert.equal(r.charge.gasUsed, planned, "the work before the failure is paid: the planned gas");
    assert.ok(planned > 10n * decodeGas(hexToBytes(input).length), "not the reject price");
  });

  test("a TSTREAM reads its stored weights once per call: per-step gas has no weight bytes, and a second call in the transaction is warm", async () => {
    const w = tensor("int8", [128, 128], ints(128 * 128, 9));
    const wId = await storeTensor(w);
    const step: Program = {
      stateCount: 1,
      values: [
        { kind: "input", dtype: "int8", shape: [1, 128] },
        { kind: "handle", id: wId, dtype: "int8", shape: [128, 128] },
      ],
      nodes: [
        { op: OP_CODES.matmul, inputs: [0, 1], outputs: 1, attrs: { outDtype: 0, multiplier: 1 << 30, shift: 38 } },
        { op: OP_CODES.relu, inputs: [2], outputs: 1, attrs: {} },
      ],
      outputs: [3, 2],
    };
    const programBytes = encodeProgram(step);
    const stored = await single(A.TSTORE, store(2, bytesToHex(programBytes)));
    const programId = bytesToHex(idOf(stored.ret));
    const s0 = tensor("int8", [1, 128], ints(128, 10));
    const call = (steps: number) => encodeAbiParameters(STREAM_IN, [programId as Hex, [wire(s0)], "0x", steps, 0]);
    const { frames } = await sequence([[A.TSTREAM, call(8)], [A.TSTREAM, call(1)]]);
    const m = chain.runtime.multiplier;
    const info = inferProgram(step, [s0]);
    const reads = coldRead(programBytes.length) + coldRead(encodeTensor(w).length);
    const io = (readsGas: bigint) => ({ stateCount: 1, inputs: [s0], readsGas });
    const eight = quoteStreamInferred(info, programBytes.length, 8, m, io(reads));
    assert.equal(frames[0]!.gasUsed, eight.gas);
    assert.equal(frames[1]!.gasUsed, quoteStreamInferred(info, programBytes.length, 1, m, io(2n * readAccessGas(false))).gas, "program and weight warm");
    // One step pays compute, dispatch, writes and its output's commit: far less than moving the weight again.
    assert.ok(eight.stepGas < readBytesGas(encodeTensor(w).length));
  });
});
