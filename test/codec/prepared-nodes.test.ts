// A program run many times with one inference (a cached call's, every TSTREAM step) prepares each
// node once (OpDef.prepare, codec/program-run.ts). These check that the kept work holds nothing of
// an earlier run's data: every run gives what the ops give run one by one on that run's inputs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { inferProgram } from "../../src/codec/program-infer.ts";
import { runProgram } from "../../src/codec/program-run.ts";
import type { Program } from "../../src/codec/program.ts";
import type { Attrs, OpDef } from "../../src/engine/op.ts";
import { getOp, OP_CODES } from "../../src/engine/registry.ts";
import { tensor, type Tensor } from "../../src/engine/tensor.ts";
import { Rng } from "./rng.ts";

const rng = new Rng(77);
const ints = (n: number, lo: number, span: number) => Array.from({ length: n }, () => lo + rng.int(span));
const W1 = tensor("int8", [16, 8], ints(128, -128, 256));
const B1 = tensor("int32", [8], ints(8, -2000, 4000));
const GAMMA = tensor("int8", [8], ints(8, -100, 200));

const ADD_RESCALED = { leftShift: 20, aMultiplier: 1 << 30, aShift: 31, bMultiplier: 1 << 30, bShift: 31, outMultiplier: 1 << 30, outShift: 50, zeroPoint: 2 };
const MUL = { multiplier: 1 << 30, shift: 37 };
const REQUANTIZE = { axis: 2, multiplier: Array.from({ length: 16 }, (_, c) => (1 << 30) + c * 1000), shift: Array.from({ length: 16 }, () => 26), outDtype: 1 };
const MATMUL = { outDtype: 0, multiplier: Array.from({ length: 8 }, (_, c) => (1 << 30) + c * 5000), shift: Array.from({ length: 8 }, () => 44), zeroPoint: -3 };
const RMS = { epsilon: 1, multiplier: 1642707649, shift: 45, outDtype: 0 };

/** Every op below except argmax has `prepare`; argmax runs through its `run`. */
function program(): Program {
  return {
    stateCount: 0,
    values: [
      { kind: "input", dtype: "int8", shape: [2, 1, 16] }, // 0 x
      { kind: "input", dtype: "int8", shape: [1, 16] }, // 1 y, broadcast
      { kind: "input", dtype: "int8", shape: [2, 1] }, // 2 row mask
      { kind: "const", tensor: W1 }, // 3
      { kind: "const", tensor: B1 }, // 4
      { kind: "const", tensor: GAMMA }, // 5
    ],
    nodes: [
      { op: OP_CODES.add, inputs: [0, 1], outputs: 1, attrs: {} }, // 6
      { op: OP_CODES.add, inputs: [0, 1], outputs: 1, attrs: ADD_RESCALED }, // 7
      { op: OP_CODES.mul, inputs: [6, 7], outputs: 1, attrs: MUL }, // 8
      { op: OP_CODES.requantize, inputs: [8], outputs: 1, attrs: REQUANTIZE }, // 9: int16
      { op: OP_CODES.relu, inputs: [9], outputs: 1, attrs: {} }, // 10
      { op: OP_CODES.reshape, inputs: [10], outputs: 1, attrs: { shape: [2, 16] } }, // 11
      { op: OP_CODES.matmul, inputs: [11, 3, 4], outputs: 1, attrs: MATMUL }, // 12: int8 [2,8]
      { op: OP_CODES.rms_norm, inputs: [12, 5], outputs: 1, attrs: RMS }, // 13
      { op: OP_CODES.where, inputs: [2, 12, 13], outputs: 1, attrs: {} }, // 14
      { op: OP_CODES.argmax, inputs: [14], outputs: 1, attrs: { axis: 1, keepdims: 0 } }, // 15
    ],
    outputs: [14, 15, 7, 8],
  };
}

function byHand([x, y, mask]: Tensor[]): Tensor[] {
  const run = (name: string, ins: Tensor[], attrs: Attrs) => getOp(name).run(ins, attrs)[0]!;
  const sum = run("add", [x!, y!], {});
  const rescaled = run("add", [x!, y!], ADD_RESCALED);
  const product = run("mul", [sum, rescaled], MUL);
  const wide = run("relu", [run("requantize", [product], REQUANTIZE)], {});
  const h = run("matmul", [run("reshape", [wide], { shape: [2, 16] }), W1, B1], MATMUL);
  const picked = run("where", [mask!, h, run("rms_norm", [h, GAMMA], RMS)], {});
  return [picked, run("argmax", [picked], { axis: 1, keepdims: 0 }), rescaled, product];
}

const noHandles = () => {
  throw new Error("no handles");
};

test("a program run 25 times with one inference gives, every time, what its ops give run one by one", () => {
  const p = program();
  let prepared = 0;
  let runs = 0;
  // The engine's ops, counting the preparations made and the runs through `run`.
  const lookup = (code: number): OpDef => {
    const op = getOp(code);
    const prepare = op.prepare;
    return {
      ...op,
      prepare: prepare && ((metas, attrs) => (prepared++, prepare(metas, attrs))),
      run: (ins, attrs) => (runs++, op.run(ins, attrs)),
    };
  };
  const info = inferProgram(p, undefined, lookup);
  const results: { got: Tensor[]; want: Tensor[] }[] = [];
  for (let i = 0; i < 25; i++) {
    const inputs = [tensor("int8", [2, 1, 16], ints(32, -128, 256)), tensor("int8", [1, 16], ints(16, -128, 256)), tensor("int8", [2, 1], ints(2, 0, 2))];
    results.push({ got: runProgram(p, inputs, noHandles, { info, lookup }), want: byHand(inputs) });
  }
  // Compared once all have run, so an output a later run wrote over would show too.
  results.forEach(({ got, want }, i) => {
    got.forEach((t, j) => {
      assert.equal(t.dtype, want[j]!.dtype, `output ${j}, run ${i}`);
      assert.deepEqual(t.shape, want[j]!.shape, `output ${j}, run ${i}`);
      assert.deepEqual([...t.data], [...want[j]!.data], `output ${j}, run ${i}`);
    });
  });
  assert.equal(prepared, 9, "each node with `prepare` is prepared once, at its first run");
  assert.equal(runs, 25, "argmax, which has no `prepare`, runs through `run` at every run");
});

test("a new inference of the same program prepares its nodes again", () => {
  const p = program();
  const inputs = [tensor("int8", [2, 1, 16], ints(32, -128, 256)), tensor("int8", [1, 16], ints(16, -128, 256)), tensor("int8", [2, 1], [1, 0])];
  const first = runProgram(p, inputs, noHandles);
  const second = runProgram(p, inputs, noHandles, { info: inferProgram(p) });
  second.forEach((t, j) => assert.deepEqual([...t.data], [...first[j]!.data]));
});
