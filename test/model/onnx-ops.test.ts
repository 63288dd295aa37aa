// Issue 21: what real exporters emit. Shape subgraphs fold away at import; every node the importer
// cannot take is listed in one error (refusals with the reason and the fix); composed and table ops
// agree with onnxruntime-node fp32 within the conformance tolerance.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as ort from "onnxruntime-node";
import { importOnnx } from "../../src/model/import.ts";
import { hostTensor, onnx, readTensor, type HostTensor } from "../../src/model/onnx.ts";
import { OnnxUnsupportedOpsError } from "../../src/model/onnx-ops.ts";
import { runOnnx } from "../../src/model/onnx-run.ts";
import { OPS_BY_CODE } from "../../src/engine/registry.ts";
import { ShapeMismatchError } from "../../src/engine/errors.ts";
import { buildModel, maxRelError, randomFloats, type NodeSpec } from "./onnx-builder.ts";

async function ortRun(bytes: Uint8Array, inputs: Record<string, HostTensor>, output = "y"): Promise<HostTensor> {
  const session = await ort.InferenceSession.create(bytes);
  const feeds = Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, new ort.Tensor("float32", Float32Array.from(t.data), t.shape)]));
  const out = (await session.run(feeds))[output]!;
  return hostTensor("float32", [...out.dims], Array.from(out.data as Float32Array));
}


const I64 = true;

test("a shape subgraph (Shape, Size, Gather, ConstantOfShape, Range, CastLike, Equal/Where, Expand, Concat) folds away", async () => {
  // torch.onnx style: the target shape of a Reshape computed from the input's own shape.
  const bytes = buildModel({
    inputs: [{ name: "x", shape: [2, 3, 4] }],
    outputs: [{ name: "y", shape: [2, 12] }],
    nodes: [
      { op: "Shape", inputs: ["x"], outputs: ["s"] },
      { op: "Gather", inputs: ["s", "zero"], outputs: ["b"], attrs: { axis: 0 } },
      { op: "Size", inputs: ["x"], outputs: ["n"] },
      { op: "Div", inputs: ["n", "b"], outputs: ["rest"] },
      { op: "Unsqueeze", inputs: ["b", "axes0"], outputs: ["b1"] },
      { op: "Unsqueeze", inputs: ["rest", "axes0"], outputs: ["r1"] },
      { op: "Concat", inputs: ["b1", "r1"], outputs: ["target"], attrs: { axis: 0 } },
      // A mask built from shapes: Range, Equal, Where, ConstantOfShape, CastLike, Expand — all constant.
      { op: "Range", inputs: ["zero", "twelve", "one"], outputs: ["idx"] },
      { op: "Equal", inputs: ["idx", "idx"], outputs: ["eq"] },
      { op: "ConstantOfShape", inputs: ["target"], outputs: ["ones"], attrs: {} },
      { op: "CastLike", inputs: ["ones", "x"], outputs: ["onesf"] },
      { op: "Where", inputs: ["eq", "onesf", "onesf"], outputs: ["w"] },
      { op: "Expand", inputs: ["w", "target"], outputs: ["we"] },
      { op: "Reshape", inputs: ["x", "target"], outputs: ["xr"] },
      { op: "Add", inputs: ["xr", "we"], outputs: ["y"] },
    ],
    initializers: [
      { name: "zero", shape: [], data: [0], int64: I64 },
      { name: "one", shape: [], data: [1], int64: I64 },
      { name: "twelve", shape: [], data: [12], int64: I64 },
      { name: "axes0", shape: [1], data: [0], int64: I64 },
    ],
  });
  const g = importOnnx(bytes);
  assert.deepEqual(g.nodes.map((n) => n.op), ["Reshape", "Add"], "only the run-time work is left");
  const x = hostTensor("float32", [2, 3, 4], randomFloats(24, 3));
  const { outputs } = await runOnnx(bytes, [x]);
  const ref = await ortRun(bytes, { x });
  assert.ok(maxRelError(outputs[0]!, ref) < 0.02, `error ${maxRelError(outputs[0]!, ref)}`);
});

test("every node the importer cannot take is listed in one error, refusals with reason and fix", () => {
  const bytes = buildModel({
    inputs: [{ name: "x", shape: [2, 4] }],
    outputs: [{ name: "y", shape: [2, 4] }],
    nodes: [
      { op: "RandomUniformLike", name: "noise", inputs: ["x"], outputs: ["r"] },
      { op: "Relu", name: "act", inputs: ["x"], outputs: ["a"] },
      { op: "Det", name: "det1", inputs: ["a"], outputs: ["d1"] },
      { op: "Det", name: "det2", inputs: ["a"], outputs: ["d2"] },
      { op: "Unique", name: "uniq", inputs: ["a"], outputs: ["u"] },
      { op: "Add", name: "sum", inputs: ["a", "r"], outputs: ["y"] },
    ],
  });
  assert.throws(() => importOnnx(bytes), (e: unknown) => {
    assert.ok(e instanceof OnnxUnsupportedOpsError);
    assert.equal(e.code, "UNSUPPORTED_OP");
    assert.deepEqual(e.problems.map((p) => [p.node, p.op, p.refused]), [
      ["noise", "RandomUniformLike", true],
      ["det1", "Det", false],
      ["det2", "Det", false],
      ["uniq", "Unique", true],
    ]);
    assert.deepEqual([...e.unsupported], [["RandomUniformLike", ["noise"]], ["Det", ["det1", "det2"]], ["Unique", ["uniq"]]]);
    assert.match(e.shortMessage, /4 nodes use ops the importer cannot run: RandomUniformLike \("noise"\), Det \("det1", "det2"\), Unique \("uniq"\)/);
    assert.match(e.message, /node "noise" \(RandomUniformLike\): it draws random numbers.* Fix: /);
    assert.match(e.message, /node "uniq" \(Unique\): its output shape depends on the run-time data/);
    return true;
  });
});

test("ops that only fold, and forms the quantizer refuses (a run-time Conv weight), are listed all at once", () => {
  const bytes = buildModel({
    inputs: [{ name: "x", shape: [4] }, { name: "x3", shape: [1, 2, 2, 2] }, { name: "w3", shape: [1, 2, 1, 1] }],
    outputs: [{ name: "y", shape: [4] }, { name: "z", shape: [1, 4] }, { name: "cv", shape: [1, 1, 2, 2] }],
    nodes: [
      { op: "Less", name: "lt", inputs: ["x", "zero"], outputs: ["c"] },
      { op: "Where", name: "pick", inputs: ["c", "x", "zero"], outputs: ["y"] },
      { op: "Conv", name: "conv", inputs: ["x3", "w3"], outputs: ["cv"], attrs: { kernel_shape: [1, 1] } },
      { op: "NonZero", name: "nz", inputs: ["x"], outputs: ["z"] },
    ],
    initializers: [{ name: "zero", shape: [], data: [0] }],
  });
  assert.throws(() => importOnnx(bytes), (e: unknown) => {
    assert.ok(e instanceof OnnxUnsupportedOpsError);
    assert.deepEqual(e.problems.map((p) => [p.node, p.op]), [["lt", "Less"], ["conv", "Conv"], ["nz", "NonZero"]]);
    assert.match(e.message, /node "conv" \(Conv\): the weight must be constant/);
    assert.match(e.message, /node "lt" \(Less\): its inputs are not constant at import: comparisons of float values run only on constants/);
    assert.match(e.message, /node "nz" \(NonZero\): its inputs are not constant at import: its output shape depends on the run-time data/);
    return true;
  });
});

test("logic, comparisons and arithmetic on integer and bool tensors run exactly at run time", async () => {
  const bytes = buildModel({
    inputs: [{ name: "a", shape: [8], elemType: 7 }, { name: "b", shape: [8], elemType: 7 }],
    outputs: [{ name: "y", shape: [8], elemType: 9 }, { name: "s", shape: [8], elemType: 7 }],
    nodes: [
      { op: "Greater", inputs: ["a", "b"], outputs: ["g"] },
      { op: "Equal", inputs: ["a", "b"], outputs: ["e"] },
      { op: "Or", inputs: ["g", "e"], outputs: ["ge"] },
      { op: "Xor", inputs: ["ge", "g"], outputs: ["x"] },
      { op: "Not", inputs: ["ge"], outputs: ["lt"] },
      { op: "And", inputs: ["lt", "x"], outputs: ["none"] },
      { op: "Or", inputs: ["none", "lt"], outputs: ["y"] },
      { op: "Mul", inputs: ["a", "b"], outputs: ["m"] },
      { op: "Sub", inputs: ["m", "a"], outputs: ["s"] },
    ],
  });
  const a = hostTensor("int64", [8], [5, -3, 40000, 7, 0, -250, 9, 1]);
  const b = hostTensor("int64", [8], [5, 4, 39999, -7, 0, -251, 10, 300]); // products stay below 2^31: the engine's integers are int32
  const { outputs } = await runOnnx(bytes, [a, b]);
  const session = await ort.InferenceSession.create(bytes);
  const t = (h: HostTensor) => new ort.Tensor("int64", BigInt64Array.from(h.data, (v) => BigInt(v)), h.shape);
  const ref = await session.run({ a: t(a), b: t(b) });
  assert.deepEqual(Array.from(outputs[0]!.data), Array.from(ref.y!.data as Uint8Array, Number), "y = a < b");
  assert.deepEqual(Array.from(outputs[1]!.data), Array.from(ref.s!.data as BigInt64Array, Number), "s = a·b − a");
});

test("float16, int16/uint16 and uint32/uint64 tensors are read, widened to float32, int32 and int64", () => {
  const raw = (bytes: number[]) => Uint8Array.from(bytes);
  const half = readTensor(onnx.TensorProto.create({ dims: [5], dataType: 10, rawData: raw([0x00, 0x3c, 0x00, 0xc0, 0x55, 0x35, 0x00, 0x7c, 0x01, 0x00]) }));
  assert.equal(half.dtype, "float32");
  assert.deepEqual(Array.from(half.data), [1, -2, 0.333251953125, Infinity, 2 ** -24]);
  const i16 = readTensor(onnx.TensorProto.create({ dims: [2], dataType: 5, rawData: raw([0xff, 0xff, 0x00, 0x80]) }));
  assert.deepEqual([i16.dtype, ...i16.data], ["int32", -1, -32768]);
  const u16 = readTensor(onnx.TensorProto.create({ dims: [2], dataType: 4, int32Data: [65535, 7] }));
  assert.deepEqual([u16.dtype, ...u16.data], ["int32", 65535, 7]);
  const u32 = readTensor(onnx.TensorProto.create({ dims: [1], dataType: 12, rawData: raw([0xff, 0xff, 0xff, 0xff]) }));
  assert.deepEqual([u32.dtype, ...u32.data], ["int64", 4294967295]);
});

test("aivm onnx run with a wrong input shape fails at once with a ShapeMismatchError naming the input", async () => {
  const bytes = buildModel({
    inputs: [{ name: "x", shape: [1, 8] }],
    outputs: [{ name: "y", shape: [1, 4] }],
    nodes: [{ op: "Gemm", inputs: ["x", "w"], outputs: ["y"], attrs: { transB: 1 } }],
    initializers: [{ name: "w", shape: [4, 8], data: randomFloats(32, 81) }],
  });
  const bad = hostTensor("float32", [1, 9], new Array<number>(9).fill(0.123456));
  await assert.rejects(runOnnx(bytes, [bad]), (e: unknown) => {
    assert.ok(e instanceof ShapeMismatchError);
    assert.match(e.message, /input "x" has shape \[1,9\], expected \[1,8\]/);
    assert.doesNotMatch(e.message, /0\.123/);
    return true;
  });
});

test("OneHot of run-time integer indices (negative ones wrapped) puts on/off exactly where onnxruntime does", async () => {
  const bytes = buildModel({
    inputs: [{ name: "i", shape: [2, 3], elemType: 7 }],
    outputs: [{ name: "y", shape: [2, 5, 3] }],
    nodes: [{ op: "OneHot", inputs: ["i", "depth", "values"], outputs: ["y"], attrs: { axis: 1 } }],
    initializers: [{ name: "depth", shape: [], data: [5], int64: I64 }, { name: "values", shape: [2], data: [-0.5, 2] }],
  });
  const i = hostTensor("int64", [2, 3], [0, 4, -1, 2, -5, 3]);
  const { outputs } = await runOnnx(bytes, [i]);
  const session = await ort.InferenceSession.create(bytes);
  const ref = (await session.run({ i: new ort.Tensor("int64", BigInt64Array.from(i.data, (v) => BigInt(v)), i.shape) })).y!;
  assert.deepEqual(outputs[0]!.shape, [...ref.dims]);
  const refData = Array.from(ref.data as Float32Array);
  assert.deepEqual(Array.from(outputs[0]!.data, (v) => v > 0.75), refData.map((v) => v === 2), "on positions");
  // The on/off values themselves are carried at the output's int16 scale: within one step.
  assert.ok(Array.from(outputs[0]!.data).every((v, k) => Math.abs(v - refData[k]!) <= 2 / 32767));
});

test("a QDQ model imports: weight DequantizeLinear folds, activation QuantizeLinear/DequantizeLinear pairs are removed", async () => {
  // The format onnxruntime's quantize_static writes: int8 weights with per-channel scales, Q/DQ on activations.
  const wq = randomFloats(3 * 2 * 9, 91).map((v) => Math.round(127 * v));
  const bytes = buildModel({
    inputs: [{ name: "x", shape: [1, 2, 5, 5] }],
    outputs: [{ name: "y", shape: [1, 3, 3, 3] }],
    nodes: [
      { op: "QuantizeLinear", inputs: ["x", "xs", "xz"], outputs: ["xq"] },
      { op: "DequantizeLinear", inputs: ["xq", "xs", "xz"], outputs: ["xd"] },
      { op: "DequantizeLinear", inputs: ["wq", "ws", "wz"], outputs: ["w"], attrs: { axis: 0 } },
      { op: "Conv", inputs: ["xd", "w"], outputs: ["c"], attrs: { kernel_shape: [3, 3] } },
      { op: "Relu", inputs: ["c"], outputs: ["y"] },
    ],
    initializers: [
      { name: "xs", shape: [], data: [0.008] }, { name: "xz", shape: [], data: [0], dataType: 3 },
      { name: "wq", shape: [3, 2, 3, 3], data: wq, dataType: 3 },
      { name: "ws", shape: [3], data: [0.01, 0.02, 0.005] }, { name: "wz", shape: [3], data: [0, 0, 0], dataType: 3 },
    ],
    opset: 13,
  });
  assert.deepEqual(importOnnx(bytes).nodes.map((n) => n.op), ["Conv", "Relu"]);
  const x = hostTensor("float32", [1, 2, 5, 5], randomFloats(50, 92));
  const { outputs } = await runOnnx(bytes, [x]);
  const ref = await ortRun(bytes, { x });
  assert.ok(maxRelError(outputs[0]!, ref) < 0.02, `error ${maxRelError(outputs[0]!, ref)}`);
});

test("a bounded table's output range covers its whole input grid: sigmoid calibrated on negatives still reaches 0.99", async () => {
  const bytes = buildModel({ inputs: [{ name: "x", shape: [1, 8] }], outputs: [{ name: "y", shape: [1, 8] }], nodes: [{ op: "Sigmoid", inputs: ["x"], outputs: ["y"] }] });
  const negatives = hostTensor("float32", [1, 8], [-6, -5, -4, -3, -2.5, -2, -1.5, -1]);
  const x = hostTensor("float32", [1, 8], [-6, -3, -1, 0, 0.5, 1.3, 3, 6]);
  const { outputs } = await runOnnx(bytes, [x], { calibration: [[negatives]] });
  const ref = hostTensor("float32", [1, 8], Array.from(x.data, (v) => 1 / (1 + Math.exp(-v))));
  assert.ok(maxRelError(outputs[0]!, ref) < 0.02, `error ${maxRelError(outputs[0]!, ref)}`);
});

interface Case {
  name: string;
  nodes: NodeSpec[];
  inShape: number[];
  outShape: number[];
  outType?: number;
  opset?: number;
  initializers?: { name: string; shape: number[]; data: number[]; int64?: boolean }[];
  /** Input values in [lo, hi]. */
  range?: [number, number];
  /** Engine ops the program may contain (data-movement compositions must not do arithmetic). */
  onlyOps?: string[];
}

const MOVE = ["gather", "reshape", "slice", "transpose", "concat"];

const CASES: Case[] = [
  { name: "Neg", nodes: [{ op: "Neg", inputs: ["x"], outputs: ["y"] }], inShape: [3, 5], outShape: [3, 5] },
  { name: "Abs", nodes: [{ op: "Abs", inputs: ["x"], outputs: ["y"] }], inShape: [3, 5], outShape: [3, 5] },
  {
    name: "Max/Min/Sum/Mean of several inputs (run-time and constant operands)",
    nodes: [
      { op: "Relu", inputs: ["x"], outputs: ["r"] },
      { op: "Max", inputs: ["x", "c", "r"], outputs: ["m"] },
      { op: "Min", inputs: ["m", "half"], outputs: ["n"] },
      { op: "Mean", inputs: ["n", "x", "c"], outputs: ["s"] },
      { op: "Sum", inputs: ["s", "x"], outputs: ["y"] },
    ],
    inShape: [2, 6], outShape: [2, 6],
    initializers: [{ name: "c", shape: [6], data: [-0.5, -0.2, 0, 0.1, 0.3, 0.6] }, { name: "half", shape: [], data: [0.5] }],
  },
  { name: "PRelu (per-channel slope)", nodes: [{ op: "PRelu", inputs: ["x", "s"], outputs: ["y"] }], inShape: [2, 3, 4], outShape: [2, 3, 4], initializers: [{ name: "s", shape: [3, 1], data: [0.1, -0.3, 0.7] }] },
  { name: "LeakyRelu with a negative slope", nodes: [{ op: "LeakyRelu", inputs: ["x"], outputs: ["y"], attrs: { alpha: -0.25 } }], inShape: [4, 4], outShape: [4, 4] },
  { name: "HardSigmoid", nodes: [{ op: "HardSigmoid", inputs: ["x"], outputs: ["y"], attrs: { alpha: 0.3, beta: 0.45 } }], inShape: [4, 4], outShape: [4, 4], range: [-4, 4] },
  { name: "HardSwish", nodes: [{ op: "HardSwish", inputs: ["x"], outputs: ["y"] }], inShape: [4, 4], outShape: [4, 4], range: [-5, 5] },
  { name: "Softplus", nodes: [{ op: "Softplus", inputs: ["x"], outputs: ["y"] }], inShape: [4, 4], outShape: [4, 4], range: [-3, 3] },
  { name: "Elu", nodes: [{ op: "Elu", inputs: ["x"], outputs: ["y"], attrs: { alpha: 0.8 } }], inShape: [4, 4], outShape: [4, 4], range: [-3, 3] },
  { name: "Log on positive inputs", nodes: [{ op: "Log", inputs: ["x"], outputs: ["y"] }], inShape: [4, 4], outShape: [4, 4], range: [1, 8] },
  { name: "Pow with a constant exponent 3", nodes: [{ op: "Pow", inputs: ["x", "e"], outputs: ["y"] }], inShape: [4, 4], outShape: [4, 4], initializers: [{ name: "e", shape: [], data: [3] }] },
  {
    name: "Expand (exact gather)", nodes: [{ op: "Expand", inputs: ["x", "shape"], outputs: ["y"] }], inShape: [3, 1], outShape: [2, 3, 4],
    initializers: [{ name: "shape", shape: [3], data: [2, 3, 4], int64: I64 }], onlyOps: MOVE,
  },
  { name: "Tile (exact gather)", nodes: [{ op: "Tile", inputs: ["x", "reps"], outputs: ["y"] }], inShape: [2, 3], outShape: [4, 9], initializers: [{ name: "reps", shape: [2], data: [2, 3], int64: I64 }], onlyOps: MOVE },
  {
    name: "Pad reflect (exact gather)", nodes: [{ op: "Pad", inputs: ["x", "pads"], outputs: ["y"], attrs: { mode: "reflect" } }], inShape: [3, 4], outShape: [5, 7],
    initializers: [{ name: "pads", shape: [4], data: [1, 2, 1, 1], int64: I64 }], onlyOps: MOVE,
  },
  {
    name: "Pad constant", nodes: [{ op: "Pad", inputs: ["x", "pads", "v"], outputs: ["y"] }], inShape: [1, 2, 3], outShape: [1, 4, 4],
    initializers: [{ name: "pads", shape: [6], data: [0, 1, 0, 0, 1, 1], int64: I64 }, { name: "v", shape: [], data: [0.25] }],
  },
  {
    name: "Split into slices (exact)",
    nodes: [
      { op: "Split", inputs: ["x", "parts"], outputs: ["a", "b"], attrs: { axis: 1 } },
      { op: "Concat", inputs: ["b", "a"], outputs: ["y"], attrs: { axis: 1 } },
    ],
    inShape: [2, 5], outShape: [2, 5], initializers: [{ name: "parts", shape: [2], data: [2, 3], int64: I64 }], onlyOps: MOVE,
  },
  { name: "Trilu (upper, k = 1)", nodes: [{ op: "Trilu", inputs: ["x", "k"], outputs: ["y"] }], inShape: [4, 5], outShape: [4, 5], initializers: [{ name: "k", shape: [], data: [1], int64: I64 }] },
  { name: "DepthToSpace CRD (exact)", nodes: [{ op: "DepthToSpace", inputs: ["x"], outputs: ["y"], attrs: { blocksize: 2, mode: "CRD" } }], inShape: [1, 8, 2, 3], outShape: [1, 2, 4, 6], onlyOps: MOVE },
  { name: "CumSum (reverse)", nodes: [{ op: "CumSum", inputs: ["x", "axis"], outputs: ["y"], attrs: { reverse: 1 } }], inShape: [3, 6], outShape: [3, 6], initializers: [{ name: "axis", shape: [], data: [1], int64: I64 }] },
  { name: "ReduceMin", nodes: [{ op: "ReduceMin", inputs: ["x"], outputs: ["y"], attrs: { axes: [1], keepdims: 0 } }], inShape: [3, 6], outShape: [3] },
  { name: "ReduceLogSumExp", nodes: [{ op: "ReduceLogSumExp", inputs: ["x"], outputs: ["y"], attrs: { axes: [1], keepdims: 1 } }], inShape: [3, 6], outShape: [3, 1], range: [-4, 4] },
  { name: "ArgMin", nodes: [{ op: "ArgMin", inputs: ["x"], outputs: ["y"], attrs: { axis: 1, keepdims: 0 } }], inShape: [3, 6], outShape: [3], outType: 7 },
  {
    name: "Resize linear, half_pixel, 2× upsample (per-axis matmul)",
    nodes: [{ op: "Resize", inputs: ["x", "", "scales"], outputs: ["y"], attrs: { mode: "linear" } }], inShape: [1, 2, 3, 4], outShape: [1, 2, 6, 8],
    initializers: [{ name: "scales", shape: [4], data: [1, 1, 2, 2] }],
  },
  {
    name: "Resize cubic, align_corners, to sizes",
    nodes: [{ op: "Resize", inputs: ["x", "", "", "sizes"], outputs: ["y"], attrs: { mode: "cubic", coordinate_transformation_mode: "align_corners" } }], inShape: [1, 1, 4, 4], outShape: [1, 1, 7, 3],
    initializers: [{ name: "sizes", shape: [4], data: [1, 1, 7, 3], int64: I64 }],
  },
  {
    name: "Resize nearest (exact gather)",
    nodes: [{ op: "Resize", inputs: ["x", "", "", "sizes"], outputs: ["y"], attrs: { mode: "nearest", coordinate_transformation_mode: "asymmetric", nearest_mode: "floor" } }],
    inShape: [1, 2, 3, 3], outShape: [1, 2, 7, 5], initializers: [{ name: "sizes", shape: [4], data: [1, 2, 7, 5], int64: I64 }], onlyOps: MOVE,
  },
  {
    name: "Conv 1-D (stride 2, dilation 2, pads) as a 2-D conv over height 1",
    nodes: [{ op: "Conv", inputs: ["x", "w", "b"], outputs: ["y"], attrs: { kernel_shape: [3], strides: [2], dilations: [2], pads: [2, 1] } }],
    inShape: [2, 3, 16], outShape: [2, 4, 8],
    initializers: [{ name: "w", shape: [4, 3, 3], data: randomFloats(36, 41) }, { name: "b", shape: [4], data: [0.1, -0.2, 0.3, 0] }],
  },
  {
    name: "LSTM bidirectional, unrolled over 5 steps (Y)",
    nodes: [{ op: "LSTM", inputs: ["x", "W", "R", "B"], outputs: ["y"], attrs: { hidden_size: 4, direction: "bidirectional" } }],
    inShape: [5, 2, 3], outShape: [5, 2, 2, 4],
    initializers: [
      { name: "W", shape: [2, 16, 3], data: randomFloats(96, 51).map((v) => 0.6 * v) },
      { name: "R", shape: [2, 16, 4], data: randomFloats(128, 52).map((v) => 0.6 * v) },
      { name: "B", shape: [2, 32], data: randomFloats(64, 53).map((v) => 0.2 * v) },
    ],
  },
  {
    name: "GRU with linear_before_reset, unrolled over 4 steps (Y_h)",
    nodes: [{ op: "GRU", inputs: ["x", "W", "R", "B"], outputs: ["", "y"], attrs: { hidden_size: 3, linear_before_reset: 1 } }],
    inShape: [4, 2, 5], outShape: [1, 2, 3],
    initializers: [
      { name: "W", shape: [1, 9, 5], data: randomFloats(45, 54).map((v) => 0.6 * v) },
      { name: "R", shape: [1, 9, 3], data: randomFloats(27, 55).map((v) => 0.6 * v) },
      { name: "B", shape: [1, 18], data: randomFloats(18, 56).map((v) => 0.2 * v) },
    ],
  },
  {
    name: "ConvTranspose 2-D (stride 2, pads, output_padding, group 2) as spread + conv2d",
    nodes: [{ op: "ConvTranspose", inputs: ["x", "w", "b"], outputs: ["y"], attrs: { strides: [2, 2], pads: [1, 0, 0, 1], output_padding: [1, 0], group: 2 } }],
    inShape: [1, 4, 3, 3], outShape: [1, 6, 7, 6],
    initializers: [{ name: "w", shape: [4, 3, 3, 3], data: randomFloats(108, 61).map((v) => 0.5 * v) }, { name: "b", shape: [6], data: [0.1, -0.1, 0.2, 0, 0.05, -0.3] }],
  },
  {
    name: "ConvTranspose 1-D (stride 3, dilation 2)",
    nodes: [{ op: "ConvTranspose", inputs: ["x", "w"], outputs: ["y"], attrs: { strides: [3], dilations: [2] } }],
    inShape: [2, 2, 5], outShape: [2, 3, 17],
    initializers: [{ name: "w", shape: [2, 3, 3], data: randomFloats(18, 62) }],
  },
  {
    name: "InstanceNormalization as layer_norm per (n, c) and a per-channel affine",
    nodes: [{ op: "InstanceNormalization", inputs: ["x", "s", "b"], outputs: ["y"], attrs: { epsilon: 0.001 } }], inShape: [2, 3, 4, 5], outShape: [2, 3, 4, 5],
    initializers: [{ name: "s", shape: [3], data: [1.5, -0.5, 0.8] }, { name: "b", shape: [3], data: [0.1, 0.2, -0.3] }],
  },
  {
    name: "GroupNormalization (opset 21, per-channel scale)",
    nodes: [{ op: "GroupNormalization", inputs: ["x", "s", "b"], outputs: ["y"], attrs: { num_groups: 2, epsilon: 0.001 } }], inShape: [2, 4, 3, 3], outShape: [2, 4, 3, 3], opset: 21,
    initializers: [{ name: "s", shape: [4], data: [1.5, -0.5, 0.8, 1.1] }, { name: "b", shape: [4], data: [0.1, 0.2, -0.3, 0] }],
  },
  { name: "Hardmax (axis 1) via argmax and an exact integer compare", nodes: [{ op: "Hardmax", inputs: ["x"], outputs: ["y"], attrs: { axis: 1 } }], inShape: [4, 6], outShape: [4, 6], opset: 13 },
  { name: "Shrink", nodes: [{ op: "Shrink", inputs: ["x"], outputs: ["y"], attrs: { lambd: 0.7, bias: 0.2 } }], inShape: [4, 6], outShape: [4, 6] },
  {
    name: "Einsum bij,jk->bki (transpose → matmul → transpose)",
    nodes: [{ op: "Einsum", inputs: ["x", "w"], outputs: ["y"], attrs: { equation: "bij,jk->bki" } }], inShape: [2, 3, 4], outShape: [2, 5, 3], opset: 13,
    initializers: [{ name: "w", shape: [4, 5], data: randomFloats(20, 71) }],
  },
  { name: "Einsum ij->j (sum)", nodes: [{ op: "Einsum", inputs: ["x"], outputs: ["y"], attrs: { equation: "ij->j" } }], inShape: [5, 4], outShape: [4], opset: 13 },
  {
    name: "ScatterND of a run-time update into constant data (concat to one scale, then a gather)",
    nodes: [{ op: "ScatterND", inputs: ["data", "idx", "x"], outputs: ["y"] }], inShape: [2, 4], outShape: [4, 4], onlyOps: [...MOVE, "requantize"],
    initializers: [{ name: "data", shape: [4, 4], data: randomFloats(16, 95) }, { name: "idx", shape: [2, 1], data: [3, 0], int64: I64 }],
  },
  {
    name: "ScatterElements along axis 1 (concat to one scale, then a gather)",
    nodes: [{ op: "ScatterElements", inputs: ["data", "idx", "x"], outputs: ["y"], attrs: { axis: 1 } }], inShape: [2, 2], outShape: [2, 5], onlyOps: [...MOVE, "requantize"],
    initializers: [{ name: "data", shape: [2, 5], data: randomFloats(10, 96) }, { name: "idx", shape: [2, 2], data: [4, 0, 1, -1], int64: I64 }],
  },
  {
    name: "TopK values along a middle axis (moved last for the engine's top_k)",
    nodes: [{ op: "TopK", inputs: ["x", "k"], outputs: ["y", "i"], attrs: { axis: 1 } }], inShape: [3, 6, 2], outShape: [3, 2, 2],
    initializers: [{ name: "k", shape: [1], data: [2], int64: I64 }],
  },
  {
    name: "TopK indices, smallest (int64, exact)",
    nodes: [{ op: "TopK", inputs: ["x", "k"], outputs: ["v", "y"], attrs: { largest: 0 } }], inShape: [4, 7], outShape: [4, 3], outType: 7,
    initializers: [{ name: "k", shape: [1], data: [3], int64: I64 }],
  },
  { name: "GlobalMaxPool (exact)", nodes: [{ op: "GlobalMaxPool", inputs: ["x"], outputs: ["y"] }], inShape: [1, 3, 4, 4], outShape: [1, 3, 1, 1], onlyOps: ["reduce_max"] },
];

for (const c of CASES) {
  test(`composed op agrees with onnxruntime within 2 %: ${c.name}`, async () => {
    const bytes = buildModel({ inputs: [{ name: "x", shape: c.inShape }], outputs: [{ name: "y", shape: c.outShape, elemType: c.outType }], nodes: c.nodes, initializers: c.initializers, opset: c.opset });
    const [lo, hi] = c.range ?? [-2, 2];
    const n = c.inShape.reduce((p, q) => p * q, 1);
    const x = hostTensor("float32", c.inShape, randomFloats(n, 7 + n).map((v) => lo + ((v + 1) / 2) * (hi - lo)));
    const { outputs, prepared } = await runOnnx(bytes, [x]);
    const session = await ort.InferenceSession.create(bytes);
    const out = (await session.run({ x: new ort.Tensor("float32", Float32Array.from(x.data), x.shape) })).y!;
    if (out.type === "int64") {
      assert.deepEqual(Array.from(outputs[0]!.data), Array.from(out.data as BigInt64Array, Number));
      return;
    }
    const ref = hostTensor("float32", [...out.dims], Array.from(out.data as Float32Array));
    assert.ok(maxRelError(outputs[0]!, ref) <= 0.02, `error ${maxRelError(outputs[0]!, ref)}`);
    if (c.onlyOps) {
      const used = prepared.calibration.model.program.nodes.map((p) => OPS_BY_CODE.get(p.op)!.name);
      assert.ok(used.every((o) => c.onlyOps!.includes(o)), `program ops ${used.join(", ")}`);
    }
  });
}
