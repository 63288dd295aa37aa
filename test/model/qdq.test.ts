// Already-quantized models (issue 21): files written by onnxruntime's quantize_static (QDQ, per
// tensor and per channel; scripts/quantize_static.py) import with their own scales and zero points
// and agree with onnxruntime-node running the same int8 file; the quantized-op lowerings against an
// integer oracle (…Integer ops) or onnxruntime (QLinear* rounding).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import * as ort from "onnxruntime-node";
import { encodeProgram } from "../../src/codec/program.ts";
import { calibrate } from "../../src/model/calibrate.ts";
import { loadFashionMnist } from "../../src/model/fashion-mnist.ts";
import { importOnnx } from "../../src/model/import.ts";
import { decodeModel, hostTensor, readTensor, type HostTensor } from "../../src/model/onnx.ts";
import { runOnnx } from "../../src/model/onnx-run.ts";
import { OnnxUnsupportedOpsError } from "../../src/model/onnx-ops.ts";
import { compareWithOnnxruntime, importQdqFashion } from "../../src/model/qdq-compare.ts";
import { OPS_BY_CODE } from "../../src/engine/registry.ts";
import { buildModel, randomFloats } from "./onnx-builder.ts";

const FIXTURES = path.resolve(import.meta.dirname, "../fixtures");
const QDQ_FILES = [
  { file: "fashion_cnn_qdq.onnx", which: "cnn" },
  { file: "fashion_cnn_qdq_per_channel.onnx", which: "cnn" },
  { file: "fashion_mlp_qdq.onnx", which: "mlp" },
] as const;

const train = loadFashionMnist("train");
const testSet = loadFashionMnist("test");

/** The bound docs/models.md states: see "Models already quantized (QDQ)". */
const MIN_ARGMAX_AGREEMENT = 0.999;
const MIN_IDENTICAL = 0.999;
const MAX_STEPS = 1;

for (const { file, which } of QDQ_FILES) {
  test(`${file}: every QuantizeLinear's scale and zero point is the program's quantization of that value, whatever the calibration images`, () => {
    const bytes = readFileSync(path.join(FIXTURES, file));
    const g = decodeModel(bytes).graph!;
    const init = new Map((g.initializer ?? []).map((t) => [t.name ?? "", readTensor(t)]));
    const m = importQdqFashion(path.join(FIXTURES, file), which, train).calibration.model;
    const qNodes = (g.node ?? []).filter((n) => n.opType === "QuantizeLinear");
    assert.ok(qNodes.length >= 3);
    for (const n of qNodes) {
      const scale = init.get(n.input![1]!)!.data[0]!, zero = init.get(n.input![2]!)!.data[0]!;
      const dq = (g.node ?? []).find((d) => d.opType === "DequantizeLinear" && d.input![0] === n.output![0]);
      // The value may carry either name after the Q→DQ pair is removed.
      const t = m.tensors.get(n.input![0]!) ?? m.tensors.get(dq!.output![0]!);
      assert.ok(t, `value ${n.input![0]} is in the program`);
      assert.deepEqual(t.quant, { dtype: "int8", scale, zeroPoint: zero, fixed: true }, n.input![0]!);
    }
    // Calibrating on one black image instead of four training images changes nothing: nothing was calibrated.
    const black = hostTensor("float32", which === "cnn" ? [1, 1, 28, 28] : [1, 784]);
    const other = calibrate(importOnnx(bytes), [[black]]).model;
    assert.deepEqual(encodeProgram(other.program), encodeProgram(m.program));
    // The weights are the file's int8 integers.
    const programInts = m.program.values.flatMap((v) => (v.kind === "const" ? [Array.from(v.tensor.data).join()] : []));
    for (const [name, t] of init) {
      if (!name.endsWith("weight_quantized")) continue;
      // Gemm (transB) weights are stored [K, N] in the program.
      const [r, c] = [t.shape[0]!, t.data.length / t.shape[0]!];
      const transposed = Array.from({ length: t.data.length }, (_, k) => t.data[(k % r) * c + Math.floor(k / r)]!);
      assert.ok(programInts.includes(Array.from(t.data).join()) || programInts.includes(transposed.join()), `${name} is a program constant`);
    }
  });

  test(`${file}: each activation Q→DQ pair is one fake-quantization node, so the float reference matches the program on the file's grid`, () => {
    const bytes = readFileSync(path.join(FIXTURES, file));
    const pairs = (decodeModel(bytes).graph!.node ?? []).filter((n) => n.opType === "QuantizeLinear" && n.input![0] !== "input").length;
    assert.equal(importOnnx(bytes).nodes.filter((n) => n.op === "aivm.FakeQuant").length, pairs);
    const { report } = importQdqFashion(path.join(FIXTURES, file), which, train).calibration;
    const dqOutputs = report.filter((l) => l.node.includes("DequantizeLinear") || l.tensor.endsWith("_DequantizeLinear_Output"));
    assert.ok(dqOutputs.length >= pairs - 1);
    for (const l of dqOutputs) assert.ok(l.relError <= 0.01, `${l.tensor}: ${l.relError}`);
  });

  test(`${file}: AIVM's output integers agree with onnxruntime-node on the same int8 file (1,000 test images)`, async () => {
    const m = importQdqFashion(path.join(FIXTURES, file), which, train);
    const r = await compareWithOnnxruntime(path.join(FIXTURES, file), m, testSet, 0, 1000);
    assert.ok(r.argmaxAgree / r.images >= MIN_ARGMAX_AGREEMENT, JSON.stringify(r));
    assert.ok(r.identical / r.elements >= MIN_IDENTICAL, JSON.stringify(r));
    assert.ok(r.maxDiff <= MAX_STEPS, JSON.stringify(r));
  });
}

// ---------------------------------------------------------------- lowerings, golden vectors

const U8 = 2, I8 = 3, I32 = 6;

/** Deterministic integers in [lo, hi]. */
function ints(n: number, seed: number, lo: number, hi: number): number[] {
  return randomFloats(n, seed).map((v) => lo + Math.floor(((v + 1) / 2) * (hi - lo + 1)));
}

async function ortInts(bytes: Uint8Array, feeds: Record<string, { data: number[]; shape: number[]; type: "uint8" | "int8" }>): Promise<number[]> {
  const session = await ort.InferenceSession.create(bytes);
  const f = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor(v.type, v.type === "uint8" ? Uint8Array.from(v.data) : Int8Array.from(v.data), v.shape)]));
  const out = await session.run(f);
  return Array.from(out.y!.data as ArrayLike<number>, Number);
}

function matmuls(bytes: Uint8Array, inputs: HostTensor[]): Promise<{ y: HostTensor; matmulNodes: number }> {
  return runOnnx(bytes, inputs).then(({ outputs, prepared }) => ({
    y: outputs[0]!,
    matmulNodes: prepared.calibration.model.program.nodes.filter((n) => OPS_BY_CODE.get(n.op)?.name === "matmul" || OPS_BY_CODE.get(n.op)?.name === "conv2d").length,
  }));
}

test("MatMulInteger with uint8 weights spanning 9 bits (b − zb up to 255) is exact: 2·(A·high) + A·low against a BigInt oracle", async () => {
  const [M, K, N] = [3, 7, 4];
  const a = ints(M * K, 1, 0, 255), b = ints(K * N, 2, 0, 255);
  b[0] = 255;
  b[1] = 0;
  const za = 7, zb = 0;
  const bytes = buildModel({
    inputs: [{ name: "a", shape: [M, K], elemType: U8 }],
    outputs: [{ name: "y", shape: [M, N], elemType: I32 }],
    nodes: [{ op: "MatMulInteger", inputs: ["a", "b", "za", "zb"], outputs: ["y"] }],
    initializers: [
      { name: "b", shape: [K, N], data: b, dataType: U8 },
      { name: "za", shape: [], data: [za], dataType: U8 },
      { name: "zb", shape: [], data: [zb], dataType: U8 },
    ],
    opset: 13,
  });
  const { y, matmulNodes } = await matmuls(bytes, [hostTensor("uint8", [M, K], a)]);
  const want: number[] = [];
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let acc = 0n;
      for (let k = 0; k < K; k++) acc += BigInt(a[i * K + k]! - za) * BigInt(b[k * N + j]! - zb);
      want.push(Number(acc));
    }
  assert.equal(y.dtype, "int32");
  assert.deepEqual(Array.from(y.data), want);
  assert.equal(matmulNodes, 2, "the 9-bit weight runs as two int8 passes");
});

test("ConvInteger pads with the input zero point (exact against a BigInt oracle), asymmetric uint8 weights", async () => {
  const [C, H, W, O] = [2, 5, 5, 3];
  const x = ints(C * H * W, 3, 0, 255), w = ints(O * C * 9, 4, 0, 255);
  const zx = 100, zw = 128;
  const bytes = buildModel({
    inputs: [{ name: "x", shape: [1, C, H, W], elemType: U8 }],
    outputs: [{ name: "y", shape: [1, O, H, W], elemType: I32 }],
    nodes: [{ op: "ConvInteger", inputs: ["x", "w", "zx", "zw"], outputs: ["y"], attrs: { pads: [1, 1, 1, 1], kernel_shape: [3, 3] } }],
    initializers: [
      { name: "w", shape: [O, C, 3, 3], data: w, dataType: U8 },
      { name: "zx", shape: [], data: [zx], dataType: U8 },
      { name: "zw", shape: [], data: [zw], dataType: U8 },
    ],
    opset: 13,
  });
  const { y } = await matmuls(bytes, [hostTensor("uint8", [1, C, H, W], x)]);
  const want: number[] = [];
  for (let o = 0; o < O; o++)
    for (let i = 0; i < H; i++)
      for (let j = 0; j < W; j++) {
        let acc = 0n;
        for (let c = 0; c < C; c++)
          for (let ky = 0; ky < 3; ky++)
            for (let kx = 0; kx < 3; kx++) {
              const r = i + ky - 1, s = j + kx - 1;
              const xv = r < 0 || r >= H || s < 0 || s >= W ? zx : x[(c * H + r) * W + s]!;
              acc += BigInt(xv - zx) * BigInt(w[((o * C + c) * 3 + ky) * 3 + kx]! - zw);
            }
        want.push(Number(acc));
      }
  assert.deepEqual(Array.from(y.data), want);
});

test("QLinearMatMul (uint8, zero points on both operands) gives onnxruntime's integers", async () => {
  const [M, K, N] = [4, 16, 8];
  const a = ints(M * K, 5, 0, 255), b = ints(K * N, 6, 0, 255);
  const bytes = buildModel({
    inputs: [{ name: "a", shape: [M, K], elemType: U8 }],
    outputs: [{ name: "y", shape: [M, N], elemType: U8 }],
    nodes: [{ op: "QLinearMatMul", inputs: ["a", "sa", "za", "b", "sb", "zb", "sy", "zy"], outputs: ["y"] }],
    initializers: [
      { name: "sa", shape: [], data: [0.0123] }, { name: "za", shape: [], data: [120], dataType: U8 },
      { name: "b", shape: [K, N], data: b, dataType: U8 },
      { name: "sb", shape: [], data: [0.0071] }, { name: "zb", shape: [], data: [131], dataType: U8 },
      { name: "sy", shape: [], data: [0.071] }, { name: "zy", shape: [], data: [97], dataType: U8 },
    ],
    opset: 13,
  });
  const { y } = await matmuls(bytes, [hostTensor("uint8", [M, K], a)]);
  assert.deepEqual(Array.from(y.data), await ortInts(bytes, { a: { data: a, shape: [M, K], type: "uint8" } }));
});

test("QLinearConv (int8, per-channel weight scales, int32 bias, padding) gives onnxruntime's integers", async () => {
  const [C, H, W, O] = [3, 6, 6, 4];
  const x = ints(C * H * W, 7, -128, 127), w = ints(O * C * 9, 8, -127, 127), bias = ints(O, 9, -3000, 3000);
  const bytes = buildModel({
    inputs: [{ name: "x", shape: [1, C, H, W], elemType: I8 }],
    outputs: [{ name: "y", shape: [1, O, H, W], elemType: I8 }],
    nodes: [{ op: "QLinearConv", inputs: ["x", "sx", "zx", "w", "sw", "zw", "sy", "zy", "B"], outputs: ["y"], attrs: { pads: [1, 1, 1, 1], kernel_shape: [3, 3] } }],
    initializers: [
      { name: "sx", shape: [], data: [0.02] }, { name: "zx", shape: [], data: [-5], dataType: I8 },
      { name: "w", shape: [O, C, 3, 3], data: w, dataType: I8 },
      { name: "sw", shape: [O], data: [0.003, 0.0041, 0.0057, 0.0022] }, { name: "zw", shape: [O], data: [0, 0, 0, 0], dataType: I8 },
      { name: "sy", shape: [], data: [0.09] }, { name: "zy", shape: [], data: [3], dataType: I8 },
      { name: "B", shape: [O], data: bias, dataType: I32 },
    ],
    opset: 13,
  });
  const { y } = await matmuls(bytes, [hostTensor("int8", [1, C, H, W], x)]);
  assert.deepEqual(Array.from(y.data), await ortInts(bytes, { x: { data: x, shape: [1, C, H, W], type: "int8" } }));
});

test("QuantizeLinear per axis on a graph input runs on the host as ONNX defines it (half to even), DequantizeLinear per axis in the program", async () => {
  const scales = [0.5, 2, 0.25], zeros = [10, 128, 250];
  const xs = [...randomFloats(9, 10).map((v) => v * 60), 1.25, 3, -0.375];
  const bytes = buildModel({
    inputs: [{ name: "x", shape: [1, 3, 4] }],
    outputs: [{ name: "q", shape: [1, 3, 4], elemType: U8 }, { name: "y", shape: [1, 3, 4] }],
    nodes: [
      { op: "QuantizeLinear", inputs: ["x", "s", "z"], outputs: ["q"], attrs: { axis: 1 } },
      { op: "DequantizeLinear", inputs: ["q", "s", "z"], outputs: ["y"], attrs: { axis: 1 } },
    ],
    initializers: [{ name: "s", shape: [3], data: scales }, { name: "z", shape: [3], data: zeros, dataType: U8 }],
    opset: 13,
  });
  const x = hostTensor("float32", [1, 3, 4], xs);
  const { outputs } = await runOnnx(bytes, [x]);
  const session = await ort.InferenceSession.create(bytes);
  const ref = await session.run({ x: new ort.Tensor("float32", Float32Array.from(xs), [1, 3, 4]) });
  assert.deepEqual(Array.from(outputs[0]!.data), Array.from(ref.q!.data as Uint8Array));
  const yRef = Array.from(ref.y!.data as Float32Array);
  outputs[1]!.data.forEach((v, i) => assert.ok(Math.abs(v - yRef[i]!) <= 1e-6 * Math.max(1, Math.abs(yRef[i]!)), `y[${i}] ${v} vs ${yRef[i]}`));
});

test("a fixed activation zero point is honoured by Relu (clamps at the zero point, not at integer 0)", async () => {
  // DQ(Q(x)) with zero point −100 → Relu → Q → DQ: Relu must clamp at −100.
  const bytes = buildModel({
    inputs: [{ name: "x", shape: [1, 8] }],
    outputs: [{ name: "y", shape: [1, 8] }],
    nodes: [
      { op: "QuantizeLinear", inputs: ["x", "s", "z"], outputs: ["xq"] },
      { op: "DequantizeLinear", inputs: ["xq", "s", "z"], outputs: ["xd"] },
      { op: "Relu", inputs: ["xd"], outputs: ["r"] },
      { op: "QuantizeLinear", inputs: ["r", "s", "z"], outputs: ["rq"] },
      { op: "DequantizeLinear", inputs: ["rq", "s", "z"], outputs: ["y"] },
    ],
    initializers: [{ name: "s", shape: [], data: [0.05] }, { name: "z", shape: [], data: [-100], dataType: I8 }],
    opset: 13,
  });
  const xs = [-3, -1, -0.05, 0, 0.05, 1, 2.5, 5];
  const { outputs } = await runOnnx(bytes, [hostTensor("float32", [1, 8], xs)]);
  const session = await ort.InferenceSession.create(bytes);
  const ref = Array.from((await session.run({ x: new ort.Tensor("float32", Float32Array.from(xs), [1, 8]) })).y!.data as Float32Array);
  outputs[0]!.data.forEach((v, i) => assert.ok(Math.abs(v - ref[i]!) < 1e-6, `y[${i}] ${v} vs ${ref[i]}`));
});

test("dynamic quantization (DynamicQuantizeLinear feeding MatMulInteger's zero point) is refused at import, naming the node and the fix", () => {
  const bytes = buildModel({
    inputs: [{ name: "x", shape: [1, 4] }],
    outputs: [{ name: "y", shape: [1, 2], elemType: I32 }],
    nodes: [
      { op: "DynamicQuantizeLinear", inputs: ["x"], outputs: ["xq", "xs", "xz"] },
      { op: "MatMulInteger", name: "fc", inputs: ["xq", "w", "xz"], outputs: ["y"] },
    ],
    initializers: [{ name: "w", shape: [4, 2], data: [1, -2, 3, -4, 5, -6, 7, -8], dataType: I8 }],
    opset: 13,
  });
  assert.throws(() => importOnnx(bytes), (e: unknown) => {
    assert.ok(e instanceof OnnxUnsupportedOpsError);
    assert.deepEqual(e.problems.map((p) => [p.node, p.op]), [["fc", "MatMulInteger"]]);
    assert.match(e.problems[0]!.reason, /input 2 must be constant/);
    assert.match(e.problems[0]!.fix ?? "", /quantize_static/);
    return true;
  });
});

test("DynamicQuantizeLinear written out (its ONNX function body) is recognised and made static: the integers of the calibrated range", async () => {
  const f = (n: string) => `dql_${n}`;
  const bytes = buildModel({
    inputs: [{ name: "x", shape: [6] }],
    outputs: [{ name: "y", shape: [6], elemType: U8 }, { name: "y_scale", shape: [] }, { name: "y_zero_point", shape: [], elemType: U8 }],
    nodes: [
      { op: "ReduceMin", inputs: ["x"], outputs: [f("min")], attrs: { keepdims: 0 } },
      { op: "Min", inputs: [f("min"), "qmin"], outputs: [f("min_adj")] },
      { op: "ReduceMax", inputs: ["x"], outputs: [f("max")], attrs: { keepdims: 0 } },
      { op: "Max", inputs: [f("max"), "qmin"], outputs: [f("max_adj")] },
      { op: "Sub", inputs: [f("max_adj"), f("min_adj")], outputs: [f("range")] },
      { op: "Div", inputs: [f("range"), "qmax"], outputs: [f("scale")] },
      { op: "Div", inputs: [f("min_adj"), f("scale")], outputs: [f("min_scaled")] },
      { op: "Sub", inputs: ["qmin", f("min_scaled")], outputs: [f("zp_fp")] },
      { op: "Clip", inputs: [f("zp_fp"), "qmin", "qmax"], outputs: [f("zp_clipped")] },
      { op: "Round", inputs: [f("zp_clipped")], outputs: [f("zp_rounded")] },
      { op: "Cast", inputs: [f("zp_rounded")], outputs: [f("zp")], attrs: { to: 2 } },
      { op: "Identity", inputs: [f("scale")], outputs: ["y_scale"] },
      { op: "Identity", inputs: [f("zp")], outputs: ["y_zero_point"] },
      { op: "QuantizeLinear", inputs: ["x", f("scale"), f("zp")], outputs: ["y"] },
    ],
    initializers: [{ name: "qmin", shape: [], data: [0] }, { name: "qmax", shape: [], data: [255] }],
    opset: 13,
  });
  assert.deepEqual(importOnnx(bytes).nodes.map((n) => n.op), ["DynamicQuantizeLinear"]);
  const xs = [0, 2, -3, -2.5, 1.34, 0.5];
  const { outputs } = await runOnnx(bytes, [hostTensor("float32", [6], xs)]);
  const session = await ort.InferenceSession.create(bytes);
  const ref = await session.run({ x: new ort.Tensor("float32", Float32Array.from(xs), [6]) });
  assert.deepEqual(Array.from(outputs[0]!.data), Array.from(ref.y!.data as Uint8Array));
  assert.deepEqual(Array.from(outputs[2]!.data), Array.from(ref.y_zero_point!.data as Uint8Array));
  assert.ok(Math.abs(outputs[1]!.data[0]! - (ref.y_scale!.data as Float32Array)[0]!) < 1e-7);
});
