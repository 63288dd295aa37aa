// Programs over the engine's real ops: a two-layer quantized MLP, checked against the same ops run
// by hand, and its quote against the per-op quotes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeProgram, encodeProgram, type Program } from "../../src/codec/program.ts";
import { inferProgram } from "../../src/codec/program-infer.ts";
import { runProgram } from "../../src/codec/program-run.ts";
import { getOp, OP_CODES } from "../../src/engine/registry.ts";
import { tensor, type Tensor } from "../../src/engine/tensor.ts";
import { MULTIPLIER_ONE, NODE_BASE_GAS, commitGas, computeGas, programOverheadGas, quoteProgram, tensorBytesGas, weightedFlops, writeGas } from "../../src/gas/index.ts";
import { Rng } from "./rng.ts";

const rng = new Rng(31);
const ints = (n: number, lo: number, span: number) => Array.from({ length: n }, () => lo + rng.int(span));
const W1 = tensor("int8", [16, 8], ints(128, -128, 256));
const B1 = tensor("int32", [8], ints(8, -2000, 4000));
const W2 = tensor("int8", [8, 4], ints(32, -128, 256));
const L1 = { outDtype: 0, multiplier: [1 << 30], shift: [38], zeroPoint: -3 };

function mlp(): Program {
  return {
    stateCount: 0,
    values: [
      { kind: "input", dtype: "int8", shape: [1, 16] },
      { kind: "const", tensor: W1 },
      { kind: "const", tensor: B1 },
      { kind: "const", tensor: W2 },
    ],
    nodes: [
      { op: OP_CODES.matmul, inputs: [0, 1, 2], outputs: 1, attrs: L1 }, // 4: int8 [1,8]
      { op: OP_CODES.relu, inputs: [4], outputs: 1, attrs: { zeroPoint: -3 } }, // 5
      { op: OP_CODES.reshape, inputs: [5], outputs: 1, attrs: { shape: [1, 8] } }, // 6
      { op: OP_CODES.matmul, inputs: [6, 3], outputs: 1, attrs: {} }, // 7: int32 [1,4]
      { op: OP_CODES.argmax, inputs: [7], outputs: 1, attrs: { axis: 1, keepdims: 0 } }, // 8
    ],
    outputs: [7, 8],
  };
}

function byHand(x: Tensor): Tensor[] {
  const [h] = getOp("matmul").run([x, W1, B1], L1);
  const [r] = getOp("relu").run([h!], { zeroPoint: -3 });
  const [s] = getOp("reshape").run([r!], { shape: [1, 8] });
  const [logits] = getOp("matmul").run([s!, W2], {});
  const [arg] = getOp("argmax").run([logits!], { axis: 1, keepdims: 0 });
  return [logits!, arg!];
}

test("a quantized MLP program gives exactly what running its ops by hand gives", () => {
  const p = decodeProgram(encodeProgram(mlp()));
  for (let i = 0; i < 20; i++) {
    const x = tensor("int8", [1, 16], ints(16, -128, 256));
    const got = runProgram(p, [x], () => {
      throw new Error("no handles");
    });
    const want = byHand(x);
    assert.equal(got.length, 2);
    got.forEach((t, j) => {
      assert.equal(t.dtype, want[j]!.dtype);
      assert.deepEqual(t.shape, want[j]!.shape);
      assert.deepEqual([...t.data], [...want[j]!.data]);
    });
  }
});

test("the MLP's quote is its nodes' weighted compute, dispatch and writes, plus the program overhead, its inline input and its output commits", () => {
  const p = mlp();
  const info = inferProgram(p);
  const m = MULTIPLIER_ONE;
  let sum = 0n;
  info.nodes.forEach((n) => {
    sum += computeGas(weightedFlops(n.op.name, n.inputs, n.outputs, n.flops), m) + NODE_BASE_GAS + n.outputs.reduce((w, t) => w + writeGas(t), 0n);
  });
  const q = quoteProgram(p, undefined, m);
  const input = info.values[0]!;
  const outputs = info.outputs.reduce((g, t) => g + commitGas(t), 0n);
  assert.equal(q.gas, sum + programOverheadGas(encodeProgram(p).length, info.nodes.length) + tensorBytesGas(input) + outputs);
  assert.equal(q.flops, info.flops);
  assert.ok(info.flops >= 2n * 16n * 8n + 2n * 8n * 4n, "both matmuls' multiply-adds are counted");
});
