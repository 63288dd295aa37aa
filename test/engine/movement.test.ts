// Movement ops: goldens, the ONNX backend cases (exact: these ops only move values), per-op
// semantics (ONNX slice clamping, reshape 0/-1, negative gather indices, 3-way where broadcast),
// zero FLOPs, no aliasing, and bad input.
import assert from "node:assert/strict";
import { test } from "node:test";
import { AivmError, DTypeMismatchError, InvalidArgumentError, ShapeMismatchError } from "../../src/engine/errors.ts";
import type { Attrs } from "../../src/engine/op.ts";
import { getOp } from "../../src/engine/registry.ts";
import { tensor, type DType, type Tensor } from "../../src/engine/tensor.ts";
import { checkGolden } from "../golden/nonlinear/golden.ts";
import { listOnnxCases, loadOnnxCase } from "../golden/nonlinear/onnx-cases.ts";
import { prng } from "../golden/nonlinear/prng.ts";

const MOVEMENT = ["reshape", "transpose", "concat", "slice", "gather", "flatten", "squeeze", "unsqueeze", "where"];
const run = (op: string, inputs: Tensor[], attrs: Attrs = {}) => getOp(op).run(inputs, attrs)[0]!;
const iota = (dtype: DType, shape: number[]) => tensor(dtype, shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i));

test("golden vectors: every movement op", () => {
  for (const op of MOVEMENT) assert.ok(checkGolden(op) >= 1);
});

const ONNX_TO_OP: Record<string, string> = {
  Reshape: "reshape", Transpose: "transpose", Concat: "concat", Slice: "slice", Gather: "gather",
  Flatten: "flatten", Squeeze: "squeeze", Unsqueeze: "unsqueeze",
};

test("ONNX backend movement cases match exactly (tensor-valued inputs become attributes)", { skip: listOnnxCases(/^test_slice/).length === 0 }, () => {
  const names = listOnnxCases(/^test_(reshape|transpose|concat|slice|gather|flatten|squeeze|unsqueeze)_?/);
  assert.ok(names.length >= 35, `found ${names.length}`);
  for (const name of names) {
    const c = loadOnnxCase(name);
    const op = ONNX_TO_OP[c.opType]!;
    const ints = (k: number) => Array.from(c.inputs[k]?.data ?? [], Number);
    const attrs: Record<string, number | number[]> = { ...(c.attrs as Record<string, number | number[]>) };
    const scaled = (k: number) => tensor("int32", c.inputs[k]!.shape, Array.from(c.inputs[k]!.data, (v) => Math.round(v * 4096)));
    let inputs: Tensor[];
    if (op === "concat") inputs = c.inputs.map((_, k) => scaled(k));
    else if (op === "gather") inputs = [scaled(0), tensor("int32", c.inputs[1]!.shape, ints(1))];
    else inputs = [scaled(0)];
    if (op === "reshape") attrs["shape"] = ints(1);
    if ((op === "squeeze" || op === "unsqueeze") && c.inputs[1]) attrs["axes"] = ints(1);
    if (op === "slice") {
      attrs["starts"] = ints(1);
      attrs["ends"] = ints(2);
      if (c.inputs[3]) attrs["axes"] = ints(3);
      if (c.inputs[4]) attrs["steps"] = ints(4);
    }
    const y = run(op, inputs, attrs);
    const ref = c.outputs[0]!;
    assert.deepEqual(y.shape, ref.shape, `${name}: shape`);
    assert.deepEqual(Array.from(y.data), Array.from(ref.data, (v) => Math.round(v * 4096) + 0), name);
  }
});

test("slice follows ONNX clamping for out-of-range starts/ends and negative steps", () => {
  const x = iota("int8", [10]);
  const s = (starts: number[], ends: number[], steps?: number[]) => Array.from(run("slice", [x], { starts, ends, ...(steps ? { steps } : {}) }).data);
  assert.deepEqual(s([-3], [2 ** 40]), [7, 8, 9]);
  assert.deepEqual(s([2 ** 40], [-(2 ** 40)], [-3]), [9, 6, 3, 0]);
  assert.deepEqual(s([-1], [-11], [-1]), [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  assert.deepEqual(s([5], [2]), []);
  assert.deepEqual(s([20], [30]), []);
  assert.deepEqual(run("slice", [iota("int16", [3, 4])], { starts: [-1, 1], ends: [-4, 1000], axes: [0, -1], steps: [-2, 2] }).data, new Int16Array([9, 11, 1, 3]));
});

test("reshape copies dims with 0, infers -1, and keeps 0 literal with allowzero", () => {
  const x = iota("int32", [2, 3, 4]);
  assert.deepEqual(run("reshape", [x], { shape: [0, -1] }).shape, [2, 12]);
  assert.deepEqual(run("reshape", [x], { shape: [-1, 0, 2] }).shape, [4, 3, 2]);
  assert.deepEqual(run("reshape", [iota("int8", [0, 3])], { shape: [3, 0], allowzero: 1 }).shape, [3, 0]);
});

test("gather takes negative indices from the end and accepts a scalar index", () => {
  const x = iota("int16", [3, 4]);
  assert.deepEqual(Array.from(run("gather", [x, tensor("int32", [2], [-1, 0])], { axis: 1 }).data), [3, 0, 7, 4, 11, 8]);
  const row = run("gather", [x, tensor("int32", [], [-2])], {});
  assert.deepEqual(row.shape, [4]);
  assert.deepEqual(Array.from(row.data), [4, 5, 6, 7]);
});

test("where matches a direct per-element reference over random 3-way broadcasts, ranks 0-4", () => {
  const r = prng(29);
  for (let c = 0; c < 300; c++) {
    const rank = r.int(0, 4);
    const out = Array.from({ length: rank }, () => r.int(1, 4));
    // each input: a right-aligned suffix of the output shape with some dims stretched to 1
    const shapeOf = () => out.slice(r.int(0, rank)).map((d) => (r.int(0, 2) === 0 ? 1 : d));
    const [sc, sx, sy] = [shapeOf(), shapeOf(), shapeOf()];
    const fill = (dt: DType, shape: number[], lo: number, hi: number) => tensor(dt, shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.int(lo, hi)));
    const cond = fill("int8", sc, 0, 1);
    const x = fill("int16", sx, -30000, 30000);
    const y = fill("int16", sy, -30000, 30000);
    // numpy broadcasting of the three shapes, right-aligned
    const rankOut = Math.max(sc.length, sx.length, sy.length);
    const dims = Array.from({ length: rankOut }, (_, i) => Math.max(...[sc, sx, sy].map((sh) => sh[sh.length - rankOut + i] ?? 1)));
    const want: number[] = [];
    const total = dims.reduce((a, b) => a * b, 1);
    const at = (t: Tensor, idx: number[]) => {
      let off = 0;
      const k = t.shape.length;
      for (let i = 0; i < k; i++) off = off * t.shape[i]! + (t.shape[i] === 1 ? 0 : idx[idx.length - k + i]!);
      return t.data[off]!;
    };
    for (let e = 0; e < total; e++) {
      const idx: number[] = [];
      for (let d = dims.length - 1, rest = e; d >= 0; d--) {
        idx.unshift(rest % dims[d]!);
        rest = Math.floor(rest / dims[d]!);
      }
      want.push(at(cond, idx) !== 0 ? at(x, idx) : at(y, idx));
    }
    const got = run("where", [cond, x, y]);
    assert.deepEqual([...got.data], want, `cond ${JSON.stringify(sc)} x ${JSON.stringify(sx)} y ${JSON.stringify(sy)}`);
  }
});

test("where broadcasts condition, x and y together", () => {
  const cond = tensor("int8", [2, 1], [1, 0]);
  const y = run("where", [cond, tensor("int32", [3], [1, 2, 3]), tensor("int32", [], [-9])]);
  assert.deepEqual(y.shape, [2, 3]);
  assert.deepEqual(Array.from(y.data), [1, 2, 3, -9, -9, -9]);
});

test("transpose then inverse transpose is the identity; concat then slice recovers each part", () => {
  const x = iota("int8", [2, 3, 4, 2]);
  const t = run("transpose", [x], { perm: [2, 0, 3, 1] });
  assert.deepEqual(run("transpose", [t], { perm: [1, 3, 0, 2] }), x);
  const a = iota("int16", [2, 2]);
  const b = tensor("int16", [2, 3], [9, 8, 7, 6, 5, 4]);
  const c = run("concat", [a, b], { axis: 1 });
  assert.deepEqual(run("slice", [c], { starts: [2], ends: [5], axes: [1] }), b);
});

test("movement ops have zero FLOPs, work for every dtype and never alias their input", () => {
  for (const dtype of ["int8", "int16", "int32"] as const) {
    const x = iota(dtype, [1, 2, 3]);
    const cases: [string, Tensor[], Attrs][] = [
      ["reshape", [x], { shape: [6] }], ["transpose", [x], {}], ["concat", [x, x], { axis: 0 }],
      ["slice", [x], { starts: [0], ends: [1], axes: [1] }], ["gather", [x, tensor("int32", [1], [0])], { axis: 2 }],
      ["flatten", [x], {}], ["squeeze", [x], {}], ["unsqueeze", [x], { axes: [0] }],
      ["where", [tensor("int8", [1], [1]), x, x], {}],
    ];
    for (const [op, inputs, attrs] of cases) {
      assert.equal(getOp(op).flops(inputs, attrs), 0n, op);
      const y = run(op, inputs, attrs);
      assert.equal(y.dtype, dtype, op);
      assert.notEqual(y.data.buffer, x.data.buffer, `${op} aliases its input`);
    }
  }
});

test("bad input: typed errors naming the op", () => {
  const x = iota("int8", [2, 3]);
  const cases: [string, Tensor[], Attrs, new (...a: any[]) => AivmError][] = [
    ["reshape", [x], { shape: [4, -1] }, ShapeMismatchError],
    ["reshape", [x], { shape: [-1, -1] }, InvalidArgumentError],
    ["reshape", [x], { shape: [7] }, ShapeMismatchError],
    ["reshape", [x], { shape: [2, 3, 0] }, InvalidArgumentError],
    ["reshape", [x], {}, InvalidArgumentError],
    ["reshape", [x], { shape: [6], allowzero: 2 }, InvalidArgumentError],
    ["transpose", [x], { perm: [0, 0] }, InvalidArgumentError],
    ["transpose", [x], { perm: [0] }, InvalidArgumentError],
    ["concat", [x, iota("int8", [3, 3])], { axis: 1 }, ShapeMismatchError],
    ["concat", [x, iota("int16", [2, 3])], { axis: 0 }, DTypeMismatchError],
    ["concat", [], { axis: 0 }, InvalidArgumentError],
    ["concat", [x], { axis: 2 }, InvalidArgumentError],
    ["slice", [x], { starts: [0], ends: [1], steps: [0] }, InvalidArgumentError],
    ["slice", [x], { starts: [0, 0], ends: [1] }, InvalidArgumentError],
    ["slice", [x], { starts: [0, 0], ends: [1, 1], axes: [1, -1] }, InvalidArgumentError],
    ["gather", [x, tensor("int8", [1], [0])], {}, DTypeMismatchError],
    ["gather", [x, tensor("int32", [1], [0])], { axis: 2 }, InvalidArgumentError],
    ["flatten", [x], { axis: 3 }, InvalidArgumentError],
    ["squeeze", [x], { axes: [0] }, ShapeMismatchError],
    ["unsqueeze", [x], { axes: [0, 0] }, InvalidArgumentError],
    ["unsqueeze", [x], { axes: [4] }, InvalidArgumentError],
    ["where", [tensor("int16", [1], [1]), x, x], {}, DTypeMismatchError],
    ["where", [tensor("int8", [1], [1]), x, iota("int16", [2, 3])], {}, DTypeMismatchError],
    ["where", [tensor("int8", [4], [1, 1, 1, 1]), x, x], {}, ShapeMismatchError],
  ];
  for (const [op, inputs, attrs, cls] of cases) {
    assert.throws(() => getOp(op).infer(inputs, attrs), (e: unknown) => e instanceof cls && (e as AivmError).message.includes(op), `${op} ${JSON.stringify(attrs)}`);
    assert.throws(() => getOp(op).run(inputs, attrs), cls);
  }
  // Out-of-range gather indices are a run-time error that does not echo the index value.
  assert.throws(() => run("gather", [x, tensor("int32", [2], [0, 77])], {}), (e: unknown) => e instanceof InvalidArgumentError && !e.message.includes("77"));
});
