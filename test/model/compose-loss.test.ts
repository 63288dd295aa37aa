// The losses and the run-time index selections (src/model/compose-loss.ts, compose-select.ts): labels
// and indices are run-time int64 inputs, so one imported program must give onnxruntime's answer for
// every label set, not only the one it was imported with.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as ort from "onnxruntime-node";
import { hostTensor, type HostTensor } from "../../src/model/onnx.ts";
import { executePrepared, prepareOnnx } from "../../src/model/onnx-run.ts";
import { buildModel, maxRelError, randomFloats, type NodeSpec } from "./onnx-builder.ts";

const feed = (t: HostTensor) =>
  t.dtype === "int64" ? new ort.Tensor("int64", BigInt64Array.from(t.data, (v) => BigInt(v)), t.shape) : new ort.Tensor("float32", Float32Array.from(t.data), t.shape);

async function ortRun(bytes: Uint8Array, inputs: Record<string, HostTensor>): Promise<HostTensor> {
  const session = await ort.InferenceSession.create(bytes);
  const out = (await session.run(Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, feed(t)])))).y!;
  const data = out.type === "int64" ? Array.from(out.data as BigInt64Array, Number) : Array.from(out.data as Float32Array);
  return hostTensor(out.type === "int64" ? "int64" : "float32", [...out.dims], data);
}


interface Case {
  name: string;
  node: NodeSpec;
  x: number[];
  /** Shape of the int64 input "t" and two label/index sets, both run through the one imported program. */
  t: number[];
  labels: [number[], number[]];
  y: number[];
  yType?: number;
  initializers?: { name: string; shape: number[]; data: number[]; int64?: boolean }[];
}

const CASES: Case[] = [
  {
    name: "SoftmaxCrossEntropyLoss, mean, class weights, ignore_index",
    node: { op: "SoftmaxCrossEntropyLoss", inputs: ["x", "t64", "w"], outputs: ["y"], attrs: { reduction: "mean", ignore_index: 2 } },
    x: [4, 5, 3], t: [4, 3], labels: [[0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1], [4, 4, 2, 0, 0, 1, 3, 3, 2, 2, 1, 0]], y: [],
    initializers: [{ name: "w", shape: [5], data: [0.5, 1, 2, 1.5, 0.25] }],
  },
  {
    name: "NegativeLogLikelihoodLoss, none, negative ignore_index",
    node: { op: "NegativeLogLikelihoodLoss", inputs: ["x", "t64"], outputs: ["y"], attrs: { reduction: "none", ignore_index: -1 } },
    x: [3, 4, 2], t: [3, 2], labels: [[0, 1, 2, 3, -1, 0], [3, -1, -1, 2, 1, 1]], y: [3, 2],
  },
  {
    name: "NegativeLogLikelihoodLoss, sum",
    node: { op: "NegativeLogLikelihoodLoss", inputs: ["x", "t64"], outputs: ["y"], attrs: { reduction: "sum" } },
    x: [6, 3], t: [6], labels: [[0, 1, 2, 0, 1, 2], [2, 2, 2, 1, 0, 1]], y: [],
  },
  {
    name: "Gather along axis 1 with run-time indices (negative ones count from the end)",
    // Through a Cast: a Gather reading a graph input directly has that input frozen (staticInputNames).
    node: { op: "Gather", inputs: ["x", "t64"], outputs: ["y"], attrs: { axis: 1 } },
    x: [2, 5, 3], t: [2, 2], labels: [[0, 4, -1, 2], [3, 3, -5, 1]], y: [2, 2, 2, 3],
  },
  {
    name: "GatherElements along axis 0 with run-time indices",
    node: { op: "GatherElements", inputs: ["x", "t64"], outputs: ["y"], attrs: { axis: 0 } },
    x: [4, 3], t: [2, 3], labels: [[0, 3, -1, 2, 1, 0], [1, 1, 1, -4, 2, 3]], y: [2, 3],
  },
];

for (const c of CASES) {
  test(`run-time labels/indices agree with onnxruntime within 2 % for two label sets through one imported program: ${c.name}`, async () => {
    const bytes = buildModel({
      inputs: [{ name: "x", shape: c.x }, { name: "t", shape: c.t, elemType: 7 }],
      outputs: [{ name: "y", shape: c.y, elemType: c.yType }],
      nodes: [{ op: "Cast", inputs: ["t"], outputs: ["t64"], attrs: { to: 7 } }, c.node],
      initializers: c.initializers,
      opset: 13,
    });
    const n = c.x.reduce((p, q) => p * q, 1);
    const x = hostTensor("float32", c.x, randomFloats(n, 11 + n).map((v) => 3 * v));
    const [first, second] = c.labels.map((l) => hostTensor("int64", c.t, l));
    // Calibrated on both label sets (output ranges come from calibration); imported once.
    const prepared = prepareOnnx(bytes, [x, first!], { calibration: [[x, first!], [x, second!]] });
    assert.ok(!prepared.frozen.has("t"), "labels stay a run-time input");
    for (const t of [first!, second!]) {
      const [y] = await executePrepared(prepared, [x, t]);
      const ref = await ortRun(bytes, { x, t });
      const e = maxRelError(y!, ref);
      assert.ok(e <= 0.02, `labels [${Array.from(t.data)}]: error ${e}`);
    }
  });
}
