// Pow with a tensor of integer exponents, ReduceProd, ReverseSequence, MeanVarianceNormalization, LRN
// (src/model/compose-arith.ts), GridSample with a constant grid (compose-grid-sample.ts), DFT and STFT
// (compose-spectral.ts) composed from engine ops agree with onnxruntime-node fp32.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as ort from "onnxruntime-node";
import { hostTensor } from "../../src/model/onnx.ts";
import { runOnnx } from "../../src/model/onnx-run.ts";
import { buildModel, randomFloats, type NodeSpec } from "./onnx-builder.ts";

interface Case {
  name: string;
  node: NodeSpec;
  x: number[];
  y: number[];
  /** Input range (default [−2, 2]). */
  range?: [number, number];
  initializers?: { name: string; shape: number[]; data: number[]; int64?: boolean }[];
  opset?: number;
}

const CASES: Case[] = [
  {
    name: "Pow by a constant tensor of integer exponents 0…4 (one where per exponent)",
    node: { op: "Pow", inputs: ["x", "e"], outputs: ["y"] }, x: [2, 5], y: [2, 5],
    initializers: [{ name: "e", shape: [5], data: [0, 1, 2, 3, 4] }],
  },
  {
    name: "ReduceProd over two axes (pairwise halves, odd lengths padded with ones)",
    node: { op: "ReduceProd", inputs: ["x"], outputs: ["y"], attrs: { axes: [1, 2], keepdims: 0 } }, x: [2, 3, 2], y: [2], range: [0.5, 1.5],
  },
  {
    name: "ReverseSequence (time axis 0, batch axis 1)",
    node: { op: "ReverseSequence", inputs: ["x", "lens"], outputs: ["y"], attrs: { time_axis: 0, batch_axis: 1 } }, x: [4, 3, 2], y: [4, 3, 2],
    initializers: [{ name: "lens", shape: [3], data: [4, 1, 3], int64: true }],
  },
  {
    name: "MeanVarianceNormalization over N, H, W",
    node: { op: "MeanVarianceNormalization", inputs: ["x"], outputs: ["y"] }, x: [2, 3, 2, 2], y: [2, 3, 2, 2],
  },
  {
    name: "LRN over a window of 3 channels",
    node: { op: "LRN", inputs: ["x"], outputs: ["y"], attrs: { size: 3, alpha: 0.002, beta: 0.5, bias: 1.5 } }, x: [1, 5, 3, 3], y: [1, 5, 3, 3],
  },
  {
    name: "GridSample, bilinear, reflection padding, constant grid (a constant matmul per batch item)",
    node: { op: "GridSample", inputs: ["x", "grid"], outputs: ["y"], attrs: { mode: "bilinear", padding_mode: "reflection" } }, x: [2, 2, 3, 4], y: [2, 2, 2, 3],
    initializers: [{ name: "grid", shape: [2, 2, 3, 2], data: randomFloats(24, 3).map((v) => 1.3 * v) }],
  },
  {
    name: "ScatterND with reduction add and duplicate indices (layers of gathered updates added to the data)",
    node: { op: "ScatterND", inputs: ["x", "idx", "u"], outputs: ["y"], attrs: { reduction: "add" } }, x: [4, 3], y: [4, 3], opset: 16,
    initializers: [{ name: "idx", shape: [3, 1], data: [2, 0, 2], int64: true }, { name: "u", shape: [3, 3], data: [0.5, -1, 1.5, 1, 1, -0.5, 0.25, 0.75, -1] }],
  },
  {
    name: "DFT of a real signal along axis 1, one-sided (a constant cos/sin matmul)",
    node: { op: "DFT", inputs: ["x"], outputs: ["y"], attrs: { axis: 1, onesided: 1 } }, x: [2, 8, 1], y: [2, 5, 2],
  },
  {
    name: "STFT with a window, frame step 4 (one constant framed, windowed DFT matmul)",
    node: { op: "STFT", inputs: ["x", "step", "window"], outputs: ["y"] }, x: [1, 24, 1], y: [1, 3, 9, 2],
    initializers: [{ name: "step", shape: [], data: [4], int64: true }, { name: "window", shape: [16], data: Array.from({ length: 16 }, (_, n) => 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / 16)) }],
  },
];

for (const c of CASES) {
  test(`composed op agrees with onnxruntime within 2 %: ${c.name}`, async () => {
    const bytes = buildModel({ inputs: [{ name: "x", shape: c.x }], outputs: [{ name: "y", shape: c.y }], nodes: [c.node], initializers: c.initializers, opset: c.opset ?? 17 });
    const [lo, hi] = c.range ?? [-2, 2];
    const n = c.x.reduce((p, q) => p * q, 1);
    const x = hostTensor("float32", c.x, randomFloats(n, 5 + n).map((v) => lo + ((v + 1) / 2) * (hi - lo)));
    const { outputs } = await runOnnx(bytes, [x]);
    const session = await ort.InferenceSession.create(bytes);
    const ref = (await session.run({ x: new ort.Tensor("float32", Float32Array.from(x.data), x.shape) })).y!;
    const want = Array.from(ref.data as Float32Array);
    assert.deepEqual(outputs[0]!.shape, [...ref.dims]);
    const mx = Math.max(...want.map(Math.abs));
    const err = Math.max(...want.map((v, i) => Math.abs(outputs[0]!.data[i]! - v)));
    assert.ok(err <= 0.02 * mx, `error ${err / mx} of max|y_ref|`);
  });
}

test("Mod on run-time int64 operands of mixed signs equals onnxruntime exactly (fmod 0 and 1), integer Div, BitShift LEFT and RIGHT too", async () => {
  const a = [-4, 7, 5, 4, -7, 8, 0, 1000003, -255, 96];
  const b = [2, -3, 8, -2, 3, 5, 7, 97, -16, 1];
  const run = async (node: NodeSpec, xa: number[], xb: number[], uint8 = false) => {
    const elemType = uint8 ? 2 : 7;
    const bytes = buildModel({ inputs: [{ name: "a", shape: [xa.length], elemType }, { name: "b", shape: [xb.length], elemType }], outputs: [{ name: "y", shape: [xa.length], elemType }], nodes: [node], opset: 13 });
    const host = uint8 ? "uint8" : "int64";
    const { outputs } = await runOnnx(bytes, [hostTensor(host, [xa.length], xa), hostTensor(host, [xb.length], xb)]);
    const session = await ort.InferenceSession.create(bytes);
    const feed = (v: number[]) => (uint8 ? new ort.Tensor("uint8", Uint8Array.from(v), [v.length]) : new ort.Tensor("int64", BigInt64Array.from(v, (x) => BigInt(x)), [v.length]));
    const ref = (await session.run({ a: feed(xa), b: feed(xb) })).y!;
    assert.deepEqual(Array.from(outputs[0]!.data), Array.from(ref.data as ArrayLike<number | bigint>, Number));
  };
  await run({ op: "Mod", inputs: ["a", "b"], outputs: ["y"] }, a, b);
  await run({ op: "Mod", inputs: ["a", "b"], outputs: ["y"], attrs: { fmod: 1 } }, a, b);
  await run({ op: "Div", inputs: ["a", "b"], outputs: ["y"] }, a, b);
  await run({ op: "BitShift", inputs: ["a", "b"], outputs: ["y"], attrs: { direction: "LEFT" } }, [1, 3, 15, 7], [0, 4, 3, 5], true);
  await run({ op: "BitShift", inputs: ["a", "b"], outputs: ["y"], attrs: { direction: "RIGHT" } }, [255, 3, 200, 7], [0, 1, 3, 5], true);
});
