// contracts/AIVM.sol, compiled by npm solc and run in real blocks: its tensor builder writes the
// exact wire format of src/codec, its readers decode what TMATMUL returns, and its quote helper
// returns exactly the gas the following call is charged.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex, decodeFunctionResult, encodeFunctionData, type Hex } from "viem";
import { createTestChain, contract, watchPrecompiles, type PrecompileCharge, type TestChain } from "./chain.ts";
import { encodeTensor } from "../../src/codec/tensor.ts";
import { getOp } from "../../src/engine/registry.ts";
import { tensor, type DType } from "../../src/engine/tensor.ts";

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
