// Whole-chain behaviour: one transaction chaining TLOAD → TMATMUL → TCUSTOM → TLOAD → TMATMUL →
// TCOMMIT whose trace root matches an off-chain recomputation and whose receipts are in the block
// anchor (readable from Solidity); the congestion multiplier rising and falling across real blocks.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  bytesToHex,
  decodeAbiParameters,
  decodeFunctionResult,
  encodeAbiParameters,
  encodeFunctionData,
  hexToBytes,
  parseAbiParameters,
  type Hex,
} from "viem";
import { createTestChain, contract, type TestChain } from "./chain.ts";
import { decodeTensor, encodeTensor } from "../../src/codec/tensor.ts";
import { encodeOpParams, encodeProgram, type Program } from "../../src/codec/program.ts";
import { inferProgram } from "../../src/codec/program-infer.ts";
import { runProgram } from "../../src/codec/program-run.ts";
import { commitTensor, makeReceipt, paramsHash, receiptProof, traceRoot, verifyReceipt } from "../../src/commit/index.ts";
import { OP_CODES, getOp } from "../../src/engine/registry.ts";
import { tensor, type Tensor } from "../../src/engine/tensor.ts";
import type { Attrs } from "../../src/engine/op.ts";
import type { AivmOpReceipt } from "../../src/commit/receipt.ts";
import { BLOCK_ANCHOR_ADDRESS, CONGESTION_ADDRESS } from "../../src/chain/genesis.ts";
import { PRECOMPILE_ADDRESSES as A } from "../../precompiles/index.ts";
import { MULTIPLIER_ONE, loadGas, quoteOp, quoteInferred, readAccessGas, readBytesGas } from "../../precompiles/gas.ts";
import { TARGET_BLOCK_FLOPS } from "../../src/gas/index.ts";
import { encodeHandle } from "../../precompiles/handles.ts";

const STORE_IN = parseAbiParameters("uint8 target, bytes32 key, bytes data");
const GRAPH_IN = parseAbiParameters("bytes program, bytes[] inputs, uint8 flags");
const OP_IN = parseAbiParameters("bytes[] inputs, string[] attrNames, int64[][] attrValues, uint8 flags");
const ZERO32 = `0x${"00".repeat(32)}` as Hex;
const wire = (t: Tensor) => bytesToHex(encodeTensor(t));
const probeAbi = () => contract("AivmProbe").abi;

function ints(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s % 255) - 127;
  });
}

let chain: TestChain;
let probe: Hex;

before(async () => {
  chain = await createTestChain();
  probe = await chain.deploy("AivmProbe");
});

describe("op-graph chaining in one transaction", () => {
  test("TLOAD(encoder) → TMATMUL → TCUSTOM → TLOAD(decoder) → TMATMUL → TCOMMIT: trace root = off-chain recomputation, receipts in the anchor", async () => {
    const D = 8, H = 6, O = 4;
    const encoder = tensor("int8", [D, H], ints(D * H, 1));
    const decoder = tensor("int8", [H, O], ints(H * O, 2));
    const x = tensor("int8", [1, D], ints(D, 3));
    const squeeze: Program = {
      stateCount: 0,
      values: [{ kind: "input", dtype: "int32", shape: [1, H] }],
      nodes: [{ op: OP_CODES.requantize, inputs: [0], outputs: 1, attrs: { multiplier: 1 << 30, shift: 38, outDtype: 0 } }],
      outputs: [1],
    };
    const programBytes = encodeProgram(squeeze);
    const decAttrs: Attrs = { outDtype: 0, multiplier: 1 << 30, shift: 36 };

    // Setup transaction: weights and the program into the persistent store.
    const setup = await chain.sendCall(probeAbi(), probe, "sequence", [
      [A.TSTORE, A.TSTORE, A.TSTORE],
      [
        encodeAbiParameters(STORE_IN, [1, ZERO32, wire(encoder)]),
        encodeAbiParameters(STORE_IN, [1, ZERO32, wire(decoder)]),
        encodeAbiParameters(STORE_IN, [2, ZERO32, bytesToHex(programBytes)]),
      ],
    ]);
    assert.equal(setup.result.execResult.exceptionError, undefined);
    const idOf = (ret: Hex) => bytesToHex(hexToBytes(decodeAbiParameters(parseAbiParameters("bytes"), ret)[0]).slice(25));
    const [encId, decId, progId] = (setup.ret as Hex[]).map(idOf) as [Hex, Hex, Hex];
    assert.equal(encId, bytesToHex(commitTensor(encoder)));

    const m = chain.runtime.multiplier;
    const names = Object.keys(decAttrs);
    const values = names.map((k) => [BigInt(decAttrs[k] as number)]);
    const sent = await chain.sendCall(probeAbi(), probe, "chainEncoderDecoder", [wire(x), encId, progId, decId, names, values]);
    assert.equal(sent.result.execResult.exceptionError, undefined);
    const [root, count, output] = sent.ret as [Hex, bigint, Hex];

    // Off-chain: the same five ops with the engine, their receipts from the documented byte layout.
    const h = getOp("matmul").run([x, encoder], {})[0]!;
    const hq = runProgram(squeeze, [h], new Map())[0]!;
    const y = getOp("matmul").run([hq, decoder], decAttrs)[0]!;
    assert.deepEqual([...decodeTensor(hexToBytes(output)).data], [...y.data], "the chained output equals the engine's");

    const c = (t: Tensor) => bytesToHex(commitTensor(t));
    const rec = (i: number, opcode: keyof typeof A, params: Uint8Array, ins: Tensor[], outs: Tensor[], gasUsed: bigint, flops: bigint): AivmOpReceipt =>
      makeReceipt(i, opcode, { precompile: A[opcode], paramsHash: paramsHash(params), inputCommits: ins.map(c), outputCommits: outs.map(c), gasUsed, flops });
    const loadParams = (id: Hex) => encodeHandle(2, hexToBytes(id));
    // Stored reads are cold (first in the transaction); scratch arguments were committed by the op that made them.
    const coldRead = (blobBytes: number) => readAccessGas(true) + readBytesGas(blobBytes);
    const tload = (t: Tensor) => coldRead(encodeTensor(t).length) + loadGas(t, "stored");
    const mm1 = quoteOp(getOp("matmul"), [x, encoder], {}, m, ["inline", "scratch"]);
    const runIo = { inputs: [h], sources: ["scratch" as const], readsGas: coldRead(programBytes.length), storedProgram: true };
    const run = quoteInferred(inferProgram(squeeze, [h]), programBytes.length, m, runIo);
    const mm2 = quoteOp(getOp("matmul"), [hq, decoder], decAttrs, m, ["scratch", "scratch"]);
    const expected = [
      rec(0, "TLOAD", loadParams(encId), [encoder], [encoder], tload(encoder), 0n),
      rec(1, "TMATMUL", encodeOpParams(OP_CODES.matmul, {}), [x, encoder], [h], mm1.gas, mm1.flops),
      rec(2, "TCUSTOM", hexToBytes(progId), [h], [hq], run.gas, run.flops),
      rec(3, "TLOAD", loadParams(decId), [decoder], [decoder], tload(decoder), 0n),
      rec(4, "TMATMUL", encodeOpParams(OP_CODES.matmul, decAttrs), [hq, decoder], [y], mm2.gas, mm2.flops),
    ];
    assert.equal(count, 5n);
    assert.deepEqual(sent.trace.receipts.map((r) => r.leaf), expected.map((r) => r.leaf), "every receipt leaf recomputes off-chain");
    assert.equal(root, traceRoot(expected), "TCOMMIT's trace root equals the off-chain root");

    // The block anchor includes this transaction's receipts: inclusion proofs verify, output commits too.
    const record = chain.runtime.blocks.get(sent.anchor.blockNumber)!;
    assert.equal(record.anchor.anchorRoot, sent.anchor.anchorRoot);
    const outputs = [[encoder], [h], [hq], [decoder], [y]];
    sent.trace.receipts.forEach((r, i) => {
      const position = record.leaves.indexOf(r.leaf);
      assert.ok(position >= 0);
      const check = verifyReceipt(r, sent.anchor, position, receiptProof(record.leaves, position), outputs[i]);
      assert.deepEqual(check, { ok: true }, `receipt ${i}`);
    });
    const tampered = { ...sent.trace.receipts[4]!, gasUsed: sent.trace.receipts[4]!.gasUsed + 1n };
    assert.equal(verifyReceipt(tampered, sent.anchor, record.leaves.indexOf(sent.trace.receipts[4]!.leaf), receiptProof(record.leaves, 4)).ok, false);

    // Solidity reads the anchor by block number.
    const anchorAbi = contract("BlockAnchor").abi;
    const r = await chain.call(BLOCK_ANCHOR_ADDRESS, encodeFunctionData({ abi: anchorAbi, functionName: "anchorOf", args: [sent.anchor.blockNumber] }));
    const [onChainRoot, onChainCount] = decodeFunctionResult({ abi: anchorAbi, functionName: "anchorOf", data: bytesToHex(r.execResult.returnValue) }) as [Hex, bigint, bigint];
    assert.equal(onChainRoot, sent.anchor.anchorRoot);
    assert.equal(onChainCount, 5n);
  });
});

describe("congestion multiplier", () => {
  test("rises by at most 12.5% per block under AIVM load, falls back when blocks are empty, stays within bounds, and Solidity reads it", async () => {
    const congestionAbi = contract("Congestion").abi;
    const read = async () => {
      const r = await chain.call(CONGESTION_ADDRESS, encodeFunctionData({ abi: congestionAbi, functionName: "multiplier" }));
      return decodeFunctionResult({ abi: congestionAbi, functionName: "multiplier", data: bytesToHex(r.execResult.returnValue) }) as bigint;
    };
    assert.equal(await read(), chain.runtime.multiplier);
    // A program of independent 256×256×256 products on 128 KiB of calldata, sized so that two calls
    // per block exceed the target FLOPs per block.
    const a = tensor("int8", [256, 256], ints(256 * 256, 4));
    const b = tensor("int8", [256, 256], ints(256 * 256, 5));
    const nodes = Number(TARGET_BLOCK_FLOPS / (2n * 2n * 256n ** 3n)) + 1;
    const burn: Program = {
      stateCount: 0,
      values: [{ kind: "input", dtype: "int8", shape: [256, 256] }, { kind: "input", dtype: "int8", shape: [256, 256] }],
      nodes: Array.from({ length: nodes }, () => ({ op: OP_CODES.matmul, inputs: [0, 1], outputs: 1, attrs: {} })),
      outputs: [nodes + 1],
    };
    assert.ok(2n * inferProgram(burn).flops > TARGET_BLOCK_FLOPS, "two calls exceed the per-block target");
    const heavy = encodeAbiParameters(GRAPH_IN, [bytesToHex(encodeProgram(burn)), [wire(a), wire(b)], 1]);
    const call = encodeFunctionData({ abi: probeAbi(), functionName: "probe", args: [A.TGRAPH, heavy] });

    // A contract-side measurement: AivmProbe.probe takes gasleft() around the CALL. The same call at
    // two multipliers has the same EVM overhead, so the difference it sees is the formula's difference.
    const x64 = tensor("int8", [64, 64], ints(64 * 64, 6));
    const small = encodeAbiParameters(OP_IN, [[wire(x64), wire(x64)], [], [], 0]);
    const measure = async () => {
      const m = chain.runtime.multiplier;
      const sent = await chain.sendCall(probeAbi(), probe, "probe", [A.TMATMUL, small]);
      return { m, solidityGas: (sent.ret as [boolean, Hex, bigint])[2] };
    };
    const atStart = await measure();

    const seen: bigint[] = [await read()];
    for (let i = 0; i < 3; i++) {
      const { block } = await chain.mine([{ to: probe, data: call, gasLimit: 45_000_000n }, { to: probe, data: call, gasLimit: 45_000_000n }]);
      assert.ok(chain.runtime.blocks.get(block.header.number)!.anchor.flops > TARGET_BLOCK_FLOPS);
      seen.push(await read());
    }
    const atPeak = await measure();
    assert.ok(atPeak.m > atStart.m);
    const quote = (m: bigint) => quoteOp(getOp("matmul"), [x64, x64], {}, m).gas;
    assert.equal(atPeak.solidityGas - atStart.solidityGas, quote(atPeak.m) - quote(atStart.m), "gasleft() in Solidity moves exactly as the formula");
    for (let i = 0; i < 3; i++) {
      await chain.mine([]);
      seen.push(await read());
    }
    for (let i = 1; i <= 3; i++) {
      assert.ok(seen[i]! > seen[i - 1]!, `rises after loaded block ${i}: ${seen}`);
      assert.ok(seen[i]! * 8n <= seen[i - 1]! * 9n, `at most +12.5%: ${seen}`);
    }
    for (let i = 4; i <= 6; i++) {
      assert.ok(seen[i]! < seen[i - 1]! || seen[i] === MULTIPLIER_ONE, `falls after empty block ${i}: ${seen}`);
      assert.ok(seen[i]! * 8n >= seen[i - 1]! * 7n, `at most −12.5%: ${seen}`);
      assert.ok(seen[i]! >= MULTIPLIER_ONE, "never below the lower bound");
    }
    assert.equal(seen[6], MULTIPLIER_ONE, "back at the floor after the load is gone");
  });
});
