// contracts/AIVM.sol, compiled by npm solc and run in real blocks: its tensor builder writes the
// exact wire format of src/codec, its readers decode what TMATMUL returns, and its quote helper
// returns exactly the gas the following call is charged.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex, decodeErrorResult, decodeFunctionResult, encodeAbiParameters, encodeFunctionData, type Hex } from "viem";
import { createTestChain, contract, watchPrecompiles, type PrecompileCharge, type TestChain } from "./chain.ts";
import { encodeTensor } from "../../src/codec/tensor.ts";
import { getOp } from "../../src/engine/registry.ts";
import { tensor, type DType, type QuantParams } from "../../src/engine/tensor.ts";
import { TMATMUL_INPUT } from "../../precompiles/a101-tmatmul.ts";
import { TEWOP_INPUT } from "../../precompiles/a102-tewop.ts";
import { commitTensor } from "../../src/commit/tensor-commit.ts";
import { OP_CODES } from "../../src/engine/registry.ts";
import { Rng } from "../codec/rng.ts";

let chain: TestChain;
let probe: Hex;
let charges: PrecompileCharge[];
const abi = () => contract("AivmProbe").abi;

before(async () => {
  chain = await createTestChain();
  charges = watchPrecompiles(chain.vm);
  probe = await chain.deploy("AivmProbe");
});

test("AIVM.fromInts writes byte-for-byte the wire format of encodeTensor for int8, int16 and int32", async () => {
  const cases: [DType, number, number[], number[]][] = [
    ["int8", 1, [2, 3], [-128, -1, 0, 1, 64, 127]],
    ["int16", 2, [4], [-32768, -300, 300, 32767]],
    ["int32", 3, [1, 1, 2], [-2147483648, 2147483647]],
  ];
  for (const [dtype, code, shape, values] of cases) {
    const data = encodeFunctionData({ abi: abi(), functionName: "encodeInts", args: [code, shape, values.map(BigInt)] });
    const r = await chain.call(probe, data);
    const got = decodeFunctionResult({ abi: abi(), functionName: "encodeInts", data: bytesToHex(r.execResult.returnValue) });
    assert.equal(got, bytesToHex(encodeTensor(tensor(dtype, shape, values))), dtype);
  }
});

test("AIVM.matmul / toInts / shapeOf / dtypeOf agree with the engine, and quoteMatmul equals the charge", async () => {
  const a = [1, -2, 3, 4, 5, -6];
  const b = [7, 8, -9, 10, 11, 12];
  const before = charges.length;
  const sent = await chain.sendCall(abi(), probe, "libraryMatmul", [a.map(BigInt), b.map(BigInt), [2, 3, 2]]);
  assert.equal(sent.result.execResult.exceptionError, undefined);
  const [c, shape, dtype, quoted] = sent.ret as [bigint[], number[], number, bigint];
  const expected = getOp("matmul").run([tensor("int8", [2, 3], a), tensor("int8", [3, 2], b)], {})[0]!;
  assert.deepEqual(c.map(Number), [...expected.data]);
  assert.deepEqual(shape, [2, 2]);
  assert.equal(dtype, 3, "int32 accumulators");
  const frames = charges.slice(before);
  assert.equal(frames.length, 2, "the quote call and the real call");
  assert.equal(frames[1]!.gasUsed, quoted, "the quote is the charge");
});

const WIDTH: Record<DType, number> = { int8: 1, int16: 2, int32: 4 } as Record<DType, number>;

/** A random tensor: any of the three dtypes, rank 0–4, and no, per-tensor or per-channel quantization. */
function randomTensor(rng: Rng): { dtype: DType; shape: number[]; data: number[]; quant?: QuantParams } {
  const dtype = (["int8", "int16", "int32"] as const)[rng.int(3)]!;
  const shape = Array.from({ length: rng.int(5) }, () => 1 + rng.int(4));
  const count = shape.reduce((a, b) => a * b, 1);
  const data = Array.from({ length: count }, () => rng.signed(8 * WIDTH[dtype]));
  const mode = shape.length === 0 ? rng.int(2) : rng.int(3);
  const entries = (n: number): QuantParams => ({ axis: -1, multiplier: Array(n).fill(1 << 30), shift: Array(n).fill(31), zeroPoint: Array(n).fill(0) });
  if (mode === 1) return { dtype, shape, data, quant: entries(1) };
  if (mode === 2) {
    const axis = rng.int(shape.length);
    return { dtype, shape, data, quant: { ...entries(shape[axis]!), axis } };
  }
  return { dtype, shape, data };
}

test("AIVM readers (dtypeOf, shapeOf, numElements, toInts, argmax, elementAt) decode 200 random tensors as the TS codec does", async () => {
  const rng = new Rng(20261122);
  for (let k = 0; k < 200; k++) {
    const t = randomTensor(rng);
    const wire = bytesToHex(encodeTensor(tensor(t.dtype, t.shape, t.data, t.quant)));
    const r = await chain.call(probe, encodeFunctionData({ abi: abi(), functionName: "readTensor", args: [wire] }));
    assert.equal(r.execResult.exceptionError, undefined, `case ${k}`);
    const [dtype, shape, n, values, best] = decodeFunctionResult({ abi: abi(), functionName: "readTensor", data: bytesToHex(r.execResult.returnValue) }) as [number, number[], bigint, bigint[], bigint];
    assert.equal(dtype, { int8: 1, int16: 2, int32: 3 }[t.dtype as "int8"], `case ${k} dtype`);
    assert.deepEqual(shape, t.shape, `case ${k} shape`);
    assert.equal(n, BigInt(t.data.length), `case ${k} count`);
    assert.deepEqual(values.map(Number), t.data, `case ${k} values (${t.dtype}, quant ${t.quant?.axis ?? "none"})`);
    const top = t.data.indexOf(Math.max(...t.data));
    assert.equal(Number(best), top, `case ${k} argmax`);
    const i = rng.int(t.data.length);
    const one = await chain.call(probe, encodeFunctionData({ abi: abi(), functionName: "readElement", args: [wire, BigInt(i)] }));
    const got = decodeFunctionResult({ abi: abi(), functionName: "readElement", data: bytesToHex(one.execResult.returnValue) });
    assert.equal(Number(got), t.data[i], `case ${k} elementAt(${i})`);
  }
});

test("AIVM readers reject what is not a tensor, a truncated tensor and an index past the end, with typed errors", async () => {
  const decodeRevert = (r: Awaited<ReturnType<typeof chain.call>>) =>
    decodeErrorResult({ abi: [...abi(), ...contract("AIVM").abi] as never, data: bytesToHex(r.execResult.returnValue) });
  const wire = encodeTensor(tensor("int16", [2, 3], [1, -2, 3, -4, 5, -6]));
  // Truncated data: the header claims 6 elements, the bytes hold 4.
  const short = bytesToHex(wire.slice(0, wire.length - 4));
  let r = await chain.call(probe, encodeFunctionData({ abi: abi(), functionName: "readTensor", args: [short] }));
  const e = decodeRevert(r);
  assert.equal(e.errorName, "InvalidArgument");
  assert.deepEqual(e.args, ["toInts", "tensor", "data shorter than its shape"]);
  r = await chain.call(probe, encodeFunctionData({ abi: abi(), functionName: "readElement", args: [bytesToHex(wire), 6n] }));
  assert.deepEqual(decodeRevert(r).args, ["elementAt", "index", "out of range"]);
  r = await chain.call(probe, encodeFunctionData({ abi: abi(), functionName: "readElement", args: [bytesToHex(wire), 5n] }));
  assert.equal(decodeFunctionResult({ abi: abi(), functionName: "readElement", data: bytesToHex(r.execResult.returnValue) }), -6n);
  const notTensor = bytesToHex(Uint8Array.from([0x41, 0x49, 0x56, 0x00, 1, 1, 0, 0, 0, 0, 0, 0]));
  r = await chain.call(probe, encodeFunctionData({ abi: abi(), functionName: "readTensor", args: [notTensor] }));
  assert.equal(decodeRevert(r).errorName, "NotATensor");
});

test("the hand-written precompile inputs equal the ABI encoding, and the wrappers return what the engine computes", async () => {
  const rng = new Rng(7);
  for (const [m, k, n] of [[1, 4, 3], [2, 33, 5], [3, 1, 64]] as const) {
    const a = tensor("int8", [m, k], Array.from({ length: m * k }, () => rng.signed(8)));
    const b = tensor("int8", [k, n], Array.from({ length: k * n }, () => rng.signed(8)));
    const [ha, hb] = [bytesToHex(encodeTensor(a)), bytesToHex(encodeTensor(b))];
    for (const flags of [0, 1]) {
      const before = charges.length;
      const r = await chain.sendCall(abi(), probe, "wrapperInputs", [ha, hb, flags]);
      assert.equal(r.result.execResult.exceptionError, undefined);
      const frames = charges.slice(before);
      const inputs = frames.map((f) => bytesToHex(f.input));
      const mm = (fl: number) => encodeAbiParameters(TMATMUL_INPUT, [[ha, hb], [], [], fl]);
      const ew = (op: number, ins: Hex[], fl: number) => encodeAbiParameters(TEWOP_INPUT, [op, ins, [], [], fl]);
      const c = getOp("matmul").run([a, b], {})[0]!;
      const hc = bytesToHex(encodeTensor(c));
      const commitInput = encodeAbiParameters([{ type: "uint8" }, { type: "bytes" }], [0, hc]);
      assert.deepEqual(inputs, [mm(0), mm(flags), mm(2), ew(OP_CODES.relu, [ha], 0), ew(OP_CODES.add, [ha, ha], 0), ew(OP_CODES.relu, [hb], flags), commitInput], `${m}x${k}x${n} flags ${flags}`);
      const [outC, outC2, quoted, relu, sum, reluB, commit] = r.ret as [Hex, Hex, bigint, Hex, Hex, Hex, Hex];
      assert.equal(outC, hc);
      if (flags === 0) {
        assert.equal(outC2, hc);
        assert.equal(reluB, bytesToHex(encodeTensor(getOp("relu").run([b], {})[0]!)));
      } else {
        assert.equal(outC2.length, 2 + 2 * 57, "OUT_SCRATCH returns a handle");
      }
      assert.equal(quoted, frames[0]!.gasUsed, "quoteMatmul equals matmul's charge");
      assert.equal(relu, bytesToHex(encodeTensor(getOp("relu").run([a], {})[0]!)));
      assert.equal(sum, bytesToHex(encodeTensor(getOp("add").run([a, a], {})[0]!)));
      assert.equal(commit, bytesToHex(commitTensor(c)));
    }
  }
});
