// TF.js graph-model reader and float executor on small hand-built model.json files: weights are
// sliced from concatenated shards in manifest order, attributes decode, every unsupported op is
// reported at once, and the executor's kernels match hand-computed results.
import { test } from "node:test";
import assert from "node:assert/strict";
import { AivmError } from "../../src/engine/errors.ts";
import { TfjsFormatError, TfjsUnsupportedOpsError, checkTfjsOps, parseTfjsModel } from "../../src/model/tfjs.ts";
import { SUPPORTED_TFJS_OPS, runTfjsGraph, tfjsTensor } from "../../src/model/tfjs-exec.ts";

const F32 = { type: 1 };
const I32 = { type: 3 };

function constNode(name: string, dtype = F32) {
  return { name, op: "Const", attr: { dtype, value: { tensor: {} } } };
}

/** x [2,3] · w [3,2] + b, ReLU, softmax; w/b float32 and an int32 axis constant, split over two shards. */
function smallModel() {
  const w = new Float32Array([1, -1, 2, 0, -3, 1]);
  const b = new Float32Array([0.5, -0.5]);
  const axis = new Int32Array([-1]);
  const bytes = new Uint8Array([...new Uint8Array(w.buffer), ...new Uint8Array(b.buffer), ...new Uint8Array(axis.buffer)]);
  const json = {
    modelTopology: {
      node: [
        { name: "x", op: "Placeholder", attr: { dtype: F32 } },
        constNode("w"),
        constNode("b"),
        constNode("axis", I32),
        { name: "mm", op: "MatMul", input: ["x", "w"], attr: { transpose_a: { b: false }, transpose_b: { b: false } } },
        { name: "ba", op: "BiasAdd", input: ["mm", "b", "^x"], attr: { data_format: { s: [78, 72, 87, 67] } } },
        { name: "relu", op: "Relu", input: ["ba"] },
        { name: "sum", op: "Sum", input: ["relu", "axis"], attr: { keep_dims: { b: true } } },
        { name: "soft", op: "Softmax", input: ["relu"] },
      ],
    },
    weightsManifest: [
      {
        paths: ["s1", "s2"],
        weights: [
          { name: "w", shape: [3, 2], dtype: "float32" },
          { name: "b", shape: [2], dtype: "float32" },
          { name: "axis", shape: [1], dtype: "int32" },
        ],
      },
    ],
  };
  // An odd split point: weights straddle shard boundaries.
  return { json, shards: [bytes.slice(0, 11), bytes.slice(11)] };
}

test("reader: slices float32 and int32 weights from concatenated shards in manifest order", () => {
  const { json, shards } = smallModel();
  const g = parseTfjsModel(json, shards);
  assert.deepEqual(Array.from(g.weights.get("w")!.data), [1, -1, 2, 0, -3, 1]);
  assert.deepEqual(g.weights.get("w")!.shape, [3, 2]);
  assert.deepEqual(Array.from(g.weights.get("b")!.data), [0.5, -0.5]);
  assert.equal(g.weights.get("axis")!.dtype, "int32");
  assert.deepEqual(Array.from(g.weights.get("axis")!.data), [-1]);
  assert.deepEqual(g.inputs, ["x"]);
  assert.deepEqual(g.outputs.sort(), ["soft", "sum"]);
});

test("reader: decodes attributes (bool, int, byte-array string) and drops control inputs", () => {
  const { json, shards } = smallModel();
  const g = parseTfjsModel(json, shards);
  const ba = g.nodes.find((n) => n.name === "ba")!;
  assert.equal(ba.attrs.data_format, "NHWC");
  assert.deepEqual(ba.inputs, ["mm", "b"]);
  assert.equal(g.nodes.find((n) => n.name === "sum")!.attrs.keep_dims, true);
  assert.equal(g.nodes.find((n) => n.name === "axis")!.attrs.dtype, "int32");
});

test("reader: shard bytes that disagree with the manifest are a TfjsFormatError", () => {
  const { json, shards } = smallModel();
  assert.throws(() => parseTfjsModel(json, [shards[0]!]), (e: unknown) => e instanceof TfjsFormatError && /ends at byte/.test((e as Error).message));
  assert.throws(() => parseTfjsModel(json, [...shards, new Uint8Array(4)]), (e: unknown) => e instanceof TfjsFormatError && /shards hold 40/.test((e as Error).message));
  const quantized = structuredClone(json);
  (quantized.weightsManifest[0]!.weights[0] as Record<string, unknown>).quantization = { dtype: "uint8" };
  assert.throws(() => parseTfjsModel(quantized, shards), /quantized/);
  assert.throws(() => parseTfjsModel({ format: "layers-model" }, []), /modelTopology\.node is missing/);
});

test("reader: a Const node without a manifest entry is named in the error", () => {
  const { json, shards } = smallModel();
  const extra = structuredClone(json);
  extra.modelTopology.node.push(constNode("orphan") as never);
  assert.throws(() => parseTfjsModel(extra, shards), /Const node "orphan" has no entry/);
});

test("unsupported ops: one error lists every unsupported type with all of its nodes", () => {
  const { json, shards } = smallModel();
  const g = parseTfjsModel(json, shards);
  g.nodes.push(
    { name: "lstm1", op: "LSTMBlockCell", inputs: ["x"], attrs: {} },
    { name: "fft", op: "FFT", inputs: ["x"], attrs: {} },
    { name: "lstm2", op: "LSTMBlockCell", inputs: ["x"], attrs: {} },
  );
  let caught: unknown;
  try {
    checkTfjsOps(g, SUPPORTED_TFJS_OPS);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof TfjsUnsupportedOpsError);
  assert.ok(caught instanceof AivmError);
  assert.deepEqual([...caught.unsupported.keys()], ["LSTMBlockCell", "FFT"]);
  assert.deepEqual(caught.unsupported.get("LSTMBlockCell"), ["lstm1", "lstm2"]);
  assert.match(caught.message, /2 unsupported op type\(s\): LSTMBlockCell, FFT/);
  assert.match(caught.message, /LSTMBlockCell: lstm1, lstm2/);
  // runTfjsGraph refuses the graph up front rather than failing midway.
  assert.throws(() => runTfjsGraph(g, new Map(), ["soft"]), TfjsUnsupportedOpsError);
});

test("executor: MatMul, BiasAdd, Relu, Sum(keep_dims) and Softmax match hand-computed values", () => {
  const { json, shards } = smallModel();
  const g = parseTfjsModel(json, shards);
  const x = tfjsTensor("float32", [2, 3], [1, 2, 3, -1, 0, 1]);
  const out = runTfjsGraph(g, new Map([["x", x]]), ["relu", "sum", "soft"]);
  // row 0: [1·1 + 2·2 + 3·(−3), 1·(−1) + 0 + 3·1] + b = [−4 + 0.5, 2 − 0.5]; row 1: [−1 − 3, 1 + 1] + b
  assert.deepEqual(Array.from(out.get("relu")!.data), [0, 1.5, 0, 1.5]);
  assert.deepEqual(out.get("sum")!.shape, [2, 1]);
  assert.deepEqual(Array.from(out.get("sum")!.data), [1.5, 1.5]);
  const e = Math.exp(1.5);
  const p0 = 1 / (1 + e);
  const soft = Array.from(out.get("soft")!.data);
  [p0, 1 - p0, p0, 1 - p0].forEach((v, i) => assert.ok(Math.abs(soft[i]! - v) < 1e-6));
});

test("executor: Where, GatherNd and ScatterNd round-trip the valid rows of a padded batch", () => {
  const json = {
    modelTopology: {
      node: [
        { name: "mask", op: "Placeholder", attr: { dtype: { type: 10 } } },
        { name: "x", op: "Placeholder", attr: { dtype: F32 } },
        { name: "where", op: "Where", input: ["mask"] },
        { name: "cast", op: "Cast", input: ["where"], attr: { SrcT: { type: 9 }, DstT: I32 } },
        { name: "rows", op: "GatherNd", input: ["x", "cast"] },
        { name: "shape", op: "Shape", input: ["x"] },
        { name: "back", op: "ScatterNd", input: ["cast", "rows", "shape"] },
      ],
    },
    weightsManifest: [],
  };
  const g = parseTfjsModel(json, []);
  const mask = tfjsTensor("bool", [1, 3], [1, 0, 1]);
  const x = tfjsTensor("float32", [1, 3, 2], [1, 2, 3, 4, 5, 6]);
  const out = runTfjsGraph(g, new Map([["mask", mask], ["x", x]]), ["where", "rows", "back"]);
  assert.deepEqual(Array.from(out.get("where")!.data), [0, 0, 0, 2]);
  assert.deepEqual(out.get("rows")!.shape, [2, 2]);
  assert.deepEqual(Array.from(out.get("rows")!.data), [1, 2, 5, 6]);
  assert.deepEqual(Array.from(out.get("back")!.data), [1, 2, 0, 0, 5, 6]);
});

test("executor: StridedSlice with begin/end/shrink masks and SplitV outputs addressed as node:k", () => {
  const vals = new Int32Array([0, 1, 0, 2, 1, 1, 1, 2]); // begin, end, strides, split sizes
  const json = {
    modelTopology: {
      node: [
        { name: "x", op: "Placeholder", attr: { dtype: F32 } },
        constNode("begin", I32),
        constNode("end", I32),
        constNode("strides", I32),
        constNode("sizes", I32),
        { name: "ss", op: "StridedSlice", input: ["x", "begin", "end", "strides"], attr: { begin_mask: { i: "1" }, end_mask: { i: "1" }, shrink_axis_mask: { i: "2" }, ellipsis_mask: { i: "0" }, new_axis_mask: { i: "0" } } },
        { name: "split", op: "SplitV", input: ["x", "sizes", "one"], attr: { num_split: { i: "2" } } },
        constNode("one", I32),
      ],
    },
    weightsManifest: [{ paths: ["s"], weights: [
      { name: "begin", shape: [2], dtype: "int32" },
      { name: "end", shape: [2], dtype: "int32" },
      { name: "strides", shape: [2], dtype: "int32" },
      { name: "sizes", shape: [2], dtype: "int32" },
    ] }],
  };
  const g = parseTfjsModel({ ...json, weightsManifest: [{ ...json.weightsManifest[0]!, weights: [...json.weightsManifest[0]!.weights, { name: "one", shape: [], dtype: "int32" }] }] }, [new Uint8Array([...new Uint8Array(vals.buffer), 1, 0, 0, 0])]);
  const x = tfjsTensor("float32", [2, 3], [1, 2, 3, 4, 5, 6]);
  const out = runTfjsGraph(g, new Map([["x", x]]), ["ss", "split:0", "split:1"]);
  // x[:, 1] (begin/end masked on axis 0, axis 1 shrunk at index 1)
  assert.deepEqual(out.get("ss")!.shape, [2]);
  assert.deepEqual(Array.from(out.get("ss")!.data), [2, 5]);
  assert.deepEqual(Array.from(out.get("split:0")!.data), [1, 4]);
  assert.deepEqual(Array.from(out.get("split:1")!.data), [2, 3, 5, 6]);
  assert.throws(() => runTfjsGraph(g, new Map([["x", x]]), ["split:2"]), /no such output/);
  assert.throws(() => runTfjsGraph(g, new Map(), ["ss"]), /input "x".*was not fed/);
});
