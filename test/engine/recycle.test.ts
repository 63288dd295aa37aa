// Dead program values' arrays come back to `allocate` (src/engine/recycle.ts): zeroed, only arrays
// that own their whole buffer, never one the packed-weight cache has seen as a matmul B, within a
// byte bound, and only from runs without hooks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { inferProgram } from "../../src/codec/program-infer.ts";
import { runProgram } from "../../src/codec/program-run.ts";
import type { Program } from "../../src/codec/program.ts";
import { clearRecycled, recycle, recycledBytes, RECYCLE_MAX_BYTES, takeRecycled } from "../../src/engine/recycle.ts";
import { PackedWeightCache } from "../../src/engine/kernels/packed-weight-cache.ts";
import { OP_CODES } from "../../src/engine/registry.ts";
import { allocate, tensor, zeros } from "../../src/engine/tensor.ts";

test("a recycled array comes back from allocate zeroed, for its dtype and length only", () => {
  clearRecycled();
  const a = new Int16Array(100).fill(7);
  recycle(a);
  assert.equal(recycledBytes(), 200);
  assert.equal(takeRecycled("int16", 99), undefined, "another length");
  assert.equal(takeRecycled("int8", 100), undefined, "another dtype");
  const got = allocate("int16", 100);
  assert.equal(got, a, "the same array");
  assert.deepEqual([...got], new Array(100).fill(0));
  assert.equal(recycledBytes(), 0);
  assert.notEqual(allocate("int16", 100), a, "taken once only");
});

test("views, arrays V8 keeps on its heap, arrays seen as matmul weights and anything past the bound are not kept", () => {
  clearRecycled();
  const big = new Int32Array(64);
  recycle(big.subarray(8, 40)); // a view: its buffer holds more than it
  recycle(new Int8Array(64)); // on V8's heap
  const weight = new Int8Array(4096);
  const cache = new PackedWeightCache();
  cache.insert(weight, "k", 16, () => new ArrayBuffer(1 << 16));
  recycle(weight);
  assert.equal(recycledBytes(), 0);
  const each = 256 << 10;
  for (let i = 0; i < RECYCLE_MAX_BYTES / each + 4; i++) recycle(new Int8Array(each));
  assert.equal(recycledBytes(), RECYCLE_MAX_BYTES);
  recycle(new Int8Array(each + 1)); // larger than any kept array
  assert.equal(recycledBytes(), RECYCLE_MAX_BYTES);
  clearRecycled();
});

/** A chain of element-wise nodes over [n] int16 values: every intermediate dies at the next node. */
function chain(n: number): Program {
  return {
    stateCount: 0,
    values: [{ kind: "input", dtype: "int16", shape: [n] }],
    nodes: [
      { op: OP_CODES.relu, inputs: [0], outputs: 1, attrs: {} }, // 1
      { op: OP_CODES.add, inputs: [1, 1], outputs: 1, attrs: {} }, // 2
      { op: OP_CODES.add, inputs: [2, 0], outputs: 1, attrs: {} }, // 3
      { op: OP_CODES.relu, inputs: [3], outputs: 1, attrs: {} }, // 4
    ],
    outputs: [4],
  };
}

test("runs without hooks recycle their dead intermediates and reuse them; the results stay those of fresh arrays", () => {
  clearRecycled();
  const p = chain(300);
  const info = inferProgram(p);
  const noHandles = () => {
    throw new Error("no handles");
  };
  const x = tensor("int16", [300], Array.from({ length: 300 }, (_, i) => (i * 97) % 2001 - 1000));
  const want = Array.from(x.data, (v) => Math.max(0, 2 * Math.max(0, v) + v));
  const outs = [];
  for (let i = 0; i < 5; i++) outs.push(runProgram(p, [x], noHandles, { info })[0]!);
  assert.ok(recycledBytes() > 0, "the dead intermediates are kept");
  // Every run's output is its own array, untouched by the later runs' reuse of intermediates.
  for (const out of outs) assert.deepEqual([...out.data], want);
  assert.equal(new Set(outs.map((o) => o.data)).size, 5);
  assert.deepEqual([...x.data], Array.from({ length: 300 }, (_, i) => (i * 97) % 2001 - 1000), "the input is never recycled");
  clearRecycled();
  runProgram(p, [x], noHandles, { info, hooks: {} });
  assert.equal(recycledBytes(), 0, "a run with hooks recycles nothing");
  assert.notEqual(zeros("int16", [300]).data, x.data);
});
