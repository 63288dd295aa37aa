// The compute opcodes (TMATMUL, TEWOP, TGRAPH) called by a compiled contract inside real blocks:
// results equal the engine's, gas equals src/gas's quote to the unit, QUOTE_ONLY predicts the charge,
// out of gas consumes everything, bad input reverts with a decodable custom error for the decode
// gas only, and the per-transaction memory cap is enforced before allocating.
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
import { createTestChain, contract, watchPrecompiles, type PrecompileCharge, type TestChain } from "./chain.ts";
import { decodeTensor, encodeTensor } from "../../src/codec/tensor.ts";
import { encodeProgram, type Program } from "../../src/codec/program.ts";
import { inferProgram } from "../../src/codec/program-infer.ts";
import { runProgram } from "../../src/codec/program-run.ts";
import { OP_CODES, getOp } from "../../src/engine/registry.ts";
import { tensor, type DType, type Tensor } from "../../src/engine/tensor.ts";
import type { Attrs } from "../../src/engine/op.ts";
import { PRECOMPILE_ADDRESSES as A } from "../../precompiles/index.ts";
import { decodeGas, programOverheadGas, quoteOp, quoteInferred } from "../../precompiles/gas.ts";
import { programCacheStats } from "../../precompiles/program-cache.ts";
import { commitTensor } from "../../src/commit/index.ts";

const OP_INPUT = parseAbiParameters("bytes[] inputs, string[] attrNames, int64[][] attrValues, uint8 flags");
const EW_INPUT = parseAbiParameters("uint16 opCode, bytes[] inputs, string[] attrNames, int64[][] attrValues, uint8 flags");
const GRAPH_INPUT = parseAbiParameters("bytes program, bytes[] inputs, uint8 flags");
const QUOTE_ONLY = 2;

/** Deterministic pseudo-random integers (LCG) in a dtype-friendly range. */
function ints(n: number, seed: number, lo = -128, hi = 127): number[] {
  let s = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(lo + (s % (hi - lo + 1)));
  }
  return out;
}
const rand = (dtype: DType, shape: number[], seed: number, lo?: number, hi?: number) =>
  tensor(dtype, shape, ints(shape.reduce((a, b) => a * b, 1), seed, lo, hi));
const wire = (t: Tensor) => bytesToHex(encodeTensor(t));

function attrAbi(attrs: Attrs): [string[], bigint[][]] {
  const names = Object.keys(attrs);
  return [names, names.map((k) => {
    const v = attrs[k]!;
    return (typeof v === "number" ? [v] : v).map(BigInt);
  })];
}

let chain: TestChain;
let probe: Hex;
let charges: PrecompileCharge[];
const probeAbi = () => contract("AivmProbe").abi;
const errorsAbi = () => contract("IAIVMErrors").abi;

/** Calls `precompile` through AivmProbe.probe in its own block; returns the probe result and the EVM's charge. */
async function viaProbe(precompile: Hex, input: Hex, gasCap?: bigint) {
  const before = charges.length;
  const sent = gasCap === undefined
    ? await chain.sendCall(probeAbi(), probe, "probe", [precompile, input])
    : await chain.sendCall(probeAbi(), probe, "probeWithGas", [precompile, input, gasCap]);
  assert.equal(sent.result.execResult.exceptionError, undefined, "the probing transaction itself succeeds");
  const [ok, ret] = sent.ret as [boolean, Hex, bigint];
  const frames = charges.slice(before);
  assert.equal(frames.length, 1, "exactly one precompile frame ran");
  return { ok, ret, charge: frames[0]!, trace: sent.trace, anchor: sent.anchor };
}

const outTensor = (ret: Hex) => decodeTensor(hexToBytes(decodeAbiParameters(parseAbiParameters("bytes"), ret)[0]));

before(async () => {
  chain = await createTestChain();
  charges = watchPrecompiles(chain.vm);
  probe = await chain.deploy("AivmProbe");
});

describe("TMATMUL", () => {
  test("int8 matmul with bias and per-channel requantization equals the engine, and is charged quoteOp exactly", async () => {
    const a = rand("int8", [5, 7], 1);
    const b = rand("int8", [7, 3], 2);
    const bias = rand("int32", [3], 3, -5000, 5000);
    const attrs: Attrs = { outDtype: 0, multiplier: [1 << 30, 3 << 28, 1 << 29], shift: [38, 39, 37], zeroPoint: -3 };
    const [names, values] = attrAbi(attrs);
    const input = encodeAbiParameters(OP_INPUT, [[wire(a), wire(b), wire(bias)], names, values, 0]);
    const m = chain.runtime.multiplier; // in force for the next block
    const { ok, ret, charge, trace, anchor } = await viaProbe(A.TMATMUL, input);
    assert.equal(ok, true);
    assert.equal(anchor.multiplier, m);

    const op = getOp("matmul");
    const expected = op.run([a, b, bias], attrs)[0]!;
    const got = outTensor(ret);
    assert.deepEqual(got.shape, [5, 3]);
    assert.equal(got.dtype, "int8");
    assert.deepEqual([...got.data], [...expected.data]);

    const quote = quoteOp(op, [a, b, bias], attrs, m);
    assert.equal(charge.gasUsed, quote.gas, "the EVM charged the precompile frame exactly the quote");
    assert.equal(trace.receipts.length, 1);
    assert.equal(trace.receipts[0]!.gasUsed, quote.gas);
    assert.equal(trace.receipts[0]!.flops, quote.flops);
    assert.equal(trace.receipts[0]!.outputCommits[0], bytesToHex(commitTensor(expected)));
  });

  test("QUOTE_ONLY from Solidity returns exactly what the real call is charged", async () => {
    const a = rand("int8", [16, 32], 4);
    const b = rand("int8", [32, 8], 5);
    const quoteInput = encodeAbiParameters(OP_INPUT, [[wire(a), wire(b)], [], [], QUOTE_ONLY]);
    const r = await chain.call(probe, encodeCall("probeStatic", [A.TMATMUL, quoteInput]));
    const [ok, ret] = decodeResult("probeStatic", r.execResult.returnValue) as [boolean, Hex];
    assert.equal(ok, true);
    const [quoted] = decodeAbiParameters(parseAbiParameters("uint256"), ret);
    const { charge } = await viaProbe(A.TMATMUL, encodeAbiParameters(OP_INPUT, [[wire(a), wire(b)], [], [], 0]));
    assert.equal(charge.gasUsed, quoted);
  });

  test("a gas cap one below the charge is out of gas and consumes the whole cap; the exact charge succeeds", async () => {
    const a = rand("int8", [8, 8], 6);
    const b = rand("int8", [8, 8], 7);
    const input = encodeAbiParameters(OP_INPUT, [[wire(a), wire(b)], [], [], 0]);
    const gasAt = () => quoteOp(getOp("matmul"), [a, b], {}, chain.runtime.multiplier).gas;
    let gas = gasAt();
    const oog = await viaProbe(A.TMATMUL, input, gas - 1n);
    assert.equal(oog.ok, false);
    assert.equal(oog.charge.error, "out of gas");
    assert.equal(oog.charge.gasUsed, gas - 1n, "all forwarded gas is consumed");
    assert.equal(oog.ret, "0x", "no revert data on out of gas");
    assert.equal(oog.trace.receipts.length, 0, "no receipt for a failed op");
    gas = gasAt();
    const exact = await viaProbe(A.TMATMUL, input, gas);
    assert.equal(exact.ok, true);
    assert.equal(exact.charge.gasUsed, gas);
  });

  test("inner-dimension mismatch reverts with ShapeMismatch and costs only the decode gas", async () => {
    const a = rand("int8", [2, 3], 8);
    const b = rand("int8", [4, 2], 9);
    const input = encodeAbiParameters(OP_INPUT, [[wire(a), wire(b)], [], [], 0]);
    const { ok, ret, charge } = await viaProbe(A.TMATMUL, input);
    assert.equal(ok, false);
    assert.equal(charge.error, "revert");
    const err = decodeErrorResult({ abi: errorsAbi(), data: ret });
    assert.equal(err.errorName, "ShapeMismatch");
    assert.deepEqual(err.args?.slice(0, 2), ["matmul", "b"]);
    assert.deepEqual(err.args?.[3], [4, 2]);
    assert.equal(charge.gasUsed, decodeGas(hexToBytes(input).length));
  });

  test("malformed ABI input and a corrupted tensor header revert with MalformedEncoding", async () => {
    const garbage = await viaProbe(A.TMATMUL, "0x1234");
    assert.equal(decodeErrorResult({ abi: errorsAbi(), data: garbage.ret }).errorName, "MalformedEncoding");
    const bad = encodeTensor(rand("int8", [2, 2], 10));
    bad[0] = 0; // magic
    const input = encodeAbiParameters(OP_INPUT, [[bytesToHex(bad), wire(rand("int8", [2, 2], 11))], [], [], 0]);
    const r = await viaProbe(A.TMATMUL, input);
    assert.equal(decodeErrorResult({ abi: errorsAbi(), data: r.ret }).errorName, "MalformedEncoding");
    assert.equal(r.charge.gasUsed, decodeGas(hexToBytes(input).length));
  });

  test("int16 weights are rejected with DTypeMismatch naming the input", async () => {
    const input = encodeAbiParameters(OP_INPUT, [[wire(rand("int8", [2, 2], 12)), wire(rand("int16", [2, 2], 13))], [], [], 0]);
    const r = await viaProbe(A.TMATMUL, input);
    const err = decodeErrorResult({ abi: errorsAbi(), data: r.ret });
    assert.equal(err.errorName, "DTypeMismatch");
    assert.deepEqual(err.args, ["matmul", "b", "int8", "int16"]);
  });
});

describe("TEWOP", () => {
  test("relu and softmax equal the engine and are charged quoteOp exactly", async () => {
    for (const [name, x, attrs] of [
      ["relu", rand("int8", [4, 6], 14), {}],
      ["softmax", rand("int32", [3, 5], 15, -2000, 2000), { axis: -1, multiplier: 1 << 20, shift: 24 }],
    ] as [keyof typeof OP_CODES, Tensor, Attrs][]) {
      const op = getOp(name);
      const realAttrs = attrs;
      const m = chain.runtime.multiplier;
      const [names, values] = attrAbi(realAttrs);
      const input = encodeAbiParameters(EW_INPUT, [OP_CODES[name], [wire(x)], names, values, 0]);
      const { ok, ret, charge } = await viaProbe(A.TEWOP, input);
      assert.equal(ok, true, name);
      const expected = op.run([x], realAttrs)[0]!;
      assert.deepEqual([...outTensor(ret).data], [...expected.data], name);
      assert.equal(charge.gasUsed, quoteOp(op, [x], realAttrs, m).gas, name);
    }
  });

  test("an op code outside TEWOP's set (matmul) reverts with UnsupportedOp", async () => {
    const input = encodeAbiParameters(EW_INPUT, [OP_CODES.matmul, [wire(rand("int8", [2, 2], 16))], [], [], 0]);
    const r = await viaProbe(A.TEWOP, input);
    assert.equal(decodeErrorResult({ abi: errorsAbi(), data: r.ret }).errorName, "UnsupportedOp");
  });
});

describe("TGRAPH", () => {
  const w = rand("int8", [6, 4], 17);
  const program: Program = {
    stateCount: 0,
    values: [
      { kind: "input", dtype: "int8", shape: [3, 6] },
      { kind: "const", tensor: w },
    ],
    nodes: [
      { op: OP_CODES.matmul, inputs: [0, 1], outputs: 1, attrs: { outDtype: 0, multiplier: 1 << 30, shift: 36 } },
      { op: OP_CODES.relu, inputs: [2], outputs: 1, attrs: {} },
    ],
    outputs: [3, 2],
  };

  test("a two-node program equals runProgram and is charged quoteProgram exactly, with one receipt", async () => {
    const x = rand("int8", [3, 6], 18);
    const m = chain.runtime.multiplier;
    const programBytes = encodeProgram(program);
    const input = encodeAbiParameters(GRAPH_INPUT, [bytesToHex(programBytes), [wire(x)], 0]);
    const { ok, ret, charge, trace } = await viaProbe(A.TGRAPH, input);
    assert.equal(ok, true);
    const [outs] = decodeAbiParameters(parseAbiParameters("bytes[]"), ret);
    const expected = runProgram(program, [x], new Map());
    assert.equal(outs.length, 2);
    outs.forEach((o, i) => assert.deepEqual([...decodeTensor(hexToBytes(o)).data], [...expected[i]!.data]));
    const gas = quoteInferred(inferProgram(program, [x]), programBytes.length, m, { inputs: [x] }).gas;
    assert.equal(charge.gasUsed, gas);
    assert.equal(trace.receipts.length, 1);
    assert.deepEqual(trace.receipts[0]!.outputCommits, expected.map((t) => bytesToHex(commitTensor(t))));
  });

  test("called again, the program comes from the decoded-program cache: same outputs, gas and receipt commits", async () => {
    const x = rand("int8", [3, 6], 20);
    const input = encodeAbiParameters(GRAPH_INPUT, [bytesToHex(encodeProgram(program)), [wire(x)], 0]);
    const first = await viaProbe(A.TGRAPH, input);
    const hits = programCacheStats.hits;
    const again = await viaProbe(A.TGRAPH, input);
    assert.ok(programCacheStats.hits > hits, "the second call decoded nothing");
    assert.equal(again.ok, true);
    assert.equal(again.ret, first.ret);
    assert.equal(again.charge.gasUsed, first.charge.gasUsed);
    assert.deepEqual(again.trace.receipts.map((r) => r.outputCommits), first.trace.receipts.map((r) => r.outputCommits));
  });

  test("a program that shape inference rejects at its last node pays for decoding and inferring it, not only the decode gas", async () => {
    // 300 relus, then a matmul whose inner dimensions differ: inference walks every node first.
    const x = rand("int8", [2, 3], 31);
    const bad: Program = {
      stateCount: 0,
      values: [{ kind: "input", dtype: "int8", shape: [2, 3] }],
      nodes: [
        ...Array.from({ length: 300 }, (_, i) => ({ op: OP_CODES.relu, inputs: [i + 0], outputs: 1, attrs: {} })),
        { op: OP_CODES.matmul, inputs: [300, 300], outputs: 1, attrs: {} },
      ],
      outputs: [301],
    };
    const bytes = encodeProgram(bad);
    const input = encodeAbiParameters(GRAPH_INPUT, [bytesToHex(bytes), [wire(x)], 0]);
    const { ok, ret, charge } = await viaProbe(A.TGRAPH, input);
    assert.equal(ok, false);
    assert.equal(decodeErrorResult({ abi: errorsAbi(), data: ret }).errorName, "ShapeMismatch");
    assert.equal(charge.gasUsed, decodeGas(hexToBytes(input).length) + programOverheadGas(bytes.length, 301), "decode gas plus the program's decoding and inference");
  });

  test("the memory budget is checked on declared shapes before allocating: MemoryLimit for the decode and planning gas", async () => {
    // Same check as the 512 MiB default, on a chain configured with a 64 KiB budget so that the
    // refused working set is affordable in gas (at 512 MiB the bytes gas alone exceeds a block).
    const small = await createTestChain({ txMemoryLimitBytes: 64 * 1024 });
    const seen = watchPrecompiles(small.vm);
    const smallProbe = await small.deploy("AivmProbe");
    const col = rand("int8", [128, 1], 19);
    const row = rand("int8", [1, 128], 20);
    const wide: Program = {
      stateCount: 0,
      values: [{ kind: "const", tensor: col }, { kind: "const", tensor: row }],
      nodes: [{ op: OP_CODES.matmul, inputs: [0, 1], outputs: 1, attrs: {} }],
      outputs: [2],
    };
    const input = encodeAbiParameters(GRAPH_INPUT, [bytesToHex(encodeProgram(wide)), [], 0]);
    const sent = await small.sendCall(probeAbi(), smallProbe, "probe", [A.TGRAPH, input]);
    const [ok, ret] = sent.ret as [boolean, Hex];
    assert.equal(ok, false);
    const err = decodeErrorResult({ abi: errorsAbi(), data: ret });
    assert.equal(err.errorName, "MemoryLimit");
    const info = inferProgram(wide);
    const inlineOutput = 128 * 128 * 4;
    assert.equal(err.args?.[0], BigInt(info.peakBytes + inlineOutput), "the declared working set (peak live tensors + inline output) is what was refused");
    assert.equal(err.args?.[1], 64n * 1024n);
    // Refused after the program was decoded and inferred: that planning is paid for too.
    assert.equal(seen.at(-1)!.gasUsed, decodeGas(hexToBytes(input).length) + programOverheadGas(encodeProgram(wide).length, 1));
  });
});

function encodeCall(fn: string, args: readonly unknown[]): Hex {
  return encodeFunctionData({ abi: probeAbi(), functionName: fn, args });
}
function decodeResult(fn: string, data: Uint8Array) {
  return decodeFunctionResult({ abi: probeAbi(), functionName: fn, data: bytesToHex(data) });
}
