// Pure pieces of the precompile layer: the hand-laid ABI output encoders agree with viem byte for
// byte, the TypeScript error ABI equals the compiled IAIVMErrors interface, every AIVM error maps to
// the right custom error, handles round-trip, and the scratch budget refuses before allocating.
import { test } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex, decodeAbiParameters, decodeErrorResult, encodeAbiParameters, hexToBytes, parseAbiParameters, toFunctionSignature, type AbiItem } from "viem";
import { decodeStreamOutput, encodeBytes, encodeBytesArray, encodeStreamInput, encodeStreamOutput, encodeUint } from "../../src/codec/abi.ts";
import { AIVM_ERRORS_ABI, NonCanonicalAbiError, UnknownHandleError, WriteInStaticCallError, revertDataOf } from "../../precompiles/errors.ts";
import { decodeHandle, encodeHandle, isHandle, scratchHandle, scratchSlotOf } from "../../precompiles/handles.ts";
import { contract } from "./chain.ts";
import {
  DTypeMismatchError,
  ElementCountError,
  ElementLimitError,
  InvalidArgumentError,
  InvalidDimensionError,
  MalformedEncodingError,
  MemoryLimitError,
  RankLimitError,
  ShapeMismatchError,
  UnsupportedOpError,
  AivmError,
} from "../../src/engine/errors.ts";
import { ScratchMemory } from "../../precompiles/memory.ts";
import { TX_MEMORY_LIMIT_BYTES, tensor } from "../../src/engine/tensor.ts";

const rnd = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 17) & 0xff);

test("encodeBytes / encodeBytesArray / encodeStreamOutput / encodeUint equal viem's encodeAbiParameters", () => {
  for (const n of [0, 1, 31, 32, 33, 64, 1000]) {
    const b = rnd(n, n);
    assert.equal(bytesToHex(encodeBytes(b)), encodeAbiParameters(parseAbiParameters("bytes"), [bytesToHex(b)]), `bytes ${n}`);
  }
  const items = [rnd(0, 1), rnd(5, 2), rnd(32, 3), rnd(77, 4)];
  assert.equal(bytesToHex(encodeBytesArray(items)), encodeAbiParameters(parseAbiParameters("bytes[]"), [items.map((b) => bytesToHex(b))]));
  assert.equal(bytesToHex(encodeBytesArray([])), encodeAbiParameters(parseAbiParameters("bytes[]"), [[]]));
  const commits = [rnd(32, 5), rnd(32, 6), rnd(32, 7)];
  assert.equal(
    bytesToHex(encodeStreamOutput(items.slice(1, 3), rnd(40, 8), commits)),
    encodeAbiParameters(parseAbiParameters("bytes[], bytes, bytes32[]"), [items.slice(1, 3).map((b) => bytesToHex(b)), bytesToHex(rnd(40, 8)), commits.map((c) => bytesToHex(c))]),
  );
  assert.equal(bytesToHex(encodeUint(123456789012345678901234567890n)), encodeAbiParameters(parseAbiParameters("uint256"), [123456789012345678901234567890n]));
  const id = rnd(32, 9);
  for (const [state, xs, steps, flags] of [[items, rnd(0, 1), 1, 0], [[], rnd(33, 2), 0xffffffff, 255], [items.slice(2), rnd(1000, 3), 64, 1]] as const) {
    assert.equal(
      bytesToHex(encodeStreamInput(id, state, xs, steps, flags)),
      encodeAbiParameters(parseAbiParameters("bytes32, bytes[], bytes, uint32, uint8"), [bytesToHex(id), state.map((b) => bytesToHex(b)), bytesToHex(xs), steps, flags]),
      `state of ${state.length}, xs of ${xs.length}`,
    );
  }
  assert.throws(() => encodeStreamInput(rnd(31, 1), [], rnd(0, 1), 1, 0), /32 bytes/);
  assert.throws(() => encodeStreamInput(id, [], rnd(0, 1), 2 ** 32, 0), /uint32/);
  assert.throws(() => encodeStreamInput(id, [], rnd(0, 1), 1, 256), /uint8/);
});

test("decodeStreamOutput reads what viem's encodeAbiParameters writes, and refuses offsets and lengths past the data", () => {
  const layout = parseAbiParameters("bytes[], bytes, bytes32[]");
  for (const [state, last, steps] of [[[], 0, 0], [[0, 5, 32, 33], 40, 3], [[12288, 12288, 4], 64, 64]] as const) {
    const items = state.map((n, i) => rnd(n, i));
    const commits = Array.from({ length: steps }, (_, i) => rnd(32, 100 + i));
    const data = encodeAbiParameters(layout, [items.map((b) => bytesToHex(b)), bytesToHex(rnd(last, 9)), commits.map((c) => bytesToHex(c))]);
    const got = decodeStreamOutput(hexToBytes(data));
    const [vState, vLast, vCommits] = decodeAbiParameters(layout, data);
    assert.deepEqual(got.state.map((b) => bytesToHex(b)), vState);
    assert.equal(bytesToHex(got.last), vLast);
    assert.deepEqual(got.commits.map((c) => bytesToHex(c)), vCommits);
  }
  const good = hexToBytes(encodeAbiParameters(layout, [[bytesToHex(rnd(40, 1))], bytesToHex(rnd(3, 2)), [bytesToHex(rnd(32, 3))]]));
  assert.throws(() => decodeStreamOutput(good.subarray(0, good.length - 1)), /MalformedEncoding|runs past|points past/);
  const bigLength = good.slice();
  bigLength[32 * 6 - 1] = 0xff; // the state item's length word (heads, count, offset, then it)
  assert.throws(() => decodeStreamOutput(bigLength), /past the data/);
  const highBits = good.slice();
  highBits[0] = 1;
  assert.throws(() => decodeStreamOutput(highBits), /not a length or offset/);
});

test("the error ABI in precompiles/errors.ts is exactly the compiled IAIVMErrors interface", () => {
  const sig = (abi: readonly AbiItem[]) => abi.filter((x) => x.type === "error").map((x) => toFunctionSignature(x as never)).sort();
  assert.deepEqual(sig(AIVM_ERRORS_ABI), sig(contract("IAIVMErrors").abi));
});

test("every AIVM error becomes its own custom error with shapes and limits, never values", () => {
  const cases: [AivmError, string][] = [
    [new ShapeMismatchError("matmul", "b", [4, 2], [3, 2]), "ShapeMismatch"],
    [new DTypeMismatchError("matmul", "b", ["int8"], "int16"), "DTypeMismatch"],
    [new RankLimitError(9, 8), "RankLimit"],
    [new ElementLimitError([1 << 20, 1 << 20], 2 ** 27), "ElementLimit"],
    [new InvalidDimensionError([-1]), "InvalidDimension"],
    [new ElementCountError([2, 2], 4, 3), "ElementCount"],
    [new MalformedEncodingError("tensor encoding", "bad magic"), "MalformedEncoding"],
    [new MemoryLimitError(100, 50, 10), "MemoryLimit"],
    [new InvalidArgumentError("softmax", "axis", "out of range"), "InvalidArgument"],
    [new UnsupportedOpError("conv3d", ["matmul"]), "UnsupportedOp"],
    [new WriteInStaticCallError("0x000000000000000000000000000000000000a105"), "WriteInStaticCall"],
    [new UnknownHandleError(1, "0x0000000000000000000000000000000000000000", `0x${"00".repeat(31)}07`), "UnknownHandle"],
    [new AivmError("something else"), "AivmFailure"],
  ];
  for (const [err, name] of cases) {
    assert.equal(err.solidityError.name, name);
    const decoded = decodeErrorResult({ abi: AIVM_ERRORS_ABI, data: revertDataOf(err) });
    assert.equal(decoded.errorName, name);
  }
  // Every custom error of the interface is some class's solidityError.
  const named = new Set(cases.map(([, name]) => name));
  for (const item of AIVM_ERRORS_ABI) assert.ok(named.has(item.name), `no case reverts with ${item.name}`);
  const layout = new NonCanonicalAbiError("TMATMUL input", "(bytes,bytes)", 36, "a head points into another tail");
  assert.deepEqual(decodeErrorResult({ abi: AIVM_ERRORS_ABI, data: revertDataOf(layout) }).args, ["TMATMUL input", layout.shortMessage]);
  const shape = decodeErrorResult({ abi: AIVM_ERRORS_ABI, data: revertDataOf(cases[0]![0]) });
  assert.deepEqual(shape.args, ["matmul", "b", "[4,2]", [3, 2]]);
  const mem = decodeErrorResult({ abi: AIVM_ERRORS_ABI, data: revertDataOf(cases[7]![0]) });
  assert.deepEqual(mem.args, [100n, 50n, 10n]);
});

test("handles: 57 bytes, AREF magic, kind, owner and id round-trip; scratch slots are small integers", () => {
  const owner = rnd(20, 9);
  const id = rnd(32, 10);
  const h = encodeHandle(3, id, owner);
  assert.equal(h.length, 57);
  assert.equal(new TextDecoder().decode(h.slice(0, 4)), "AREF");
  assert.ok(isHandle(h));
  const d = decodeHandle(h);
  assert.deepEqual([d.kind, [...d.owner], [...d.id]], [3, [...owner], [...id]]);
  assert.equal(scratchSlotOf(decodeHandle(scratchHandle(70000))), 70000);
  assert.equal(scratchSlotOf(decodeHandle(encodeHandle(1, Uint8Array.of(1, ...new Array(31).fill(0))))), -1, "ids past 2^32 name no slot");
  assert.throws(() => decodeHandle(Uint8Array.of(...h.slice(0, 4), 9, ...h.slice(5))), MalformedEncodingError);
});

test("scratch memory: the 512 MiB budget refuses before allocating, and a frame rollback frees its slots", () => {
  const s = new ScratchMemory();
  assert.equal(s.limitBytes, TX_MEMORY_LIMIT_BYTES);
  assert.throws(() => s.ensure(TX_MEMORY_LIMIT_BYTES + 1), MemoryLimitError);
  s.ensure(TX_MEMORY_LIMIT_BYTES);
  const cp = s.checkpoint();
  const slot = s.put(tensor("int32", [4], [1, 2, 3, 4]));
  assert.equal(slot, 0);
  assert.equal(s.usedBytes, 16);
  assert.throws(() => s.ensure(TX_MEMORY_LIMIT_BYTES - 15), MemoryLimitError, "what is in scratch counts against the budget");
  s.rollback(cp);
  assert.equal(s.usedBytes, 0);
  assert.equal(s.get(0), undefined);
});
