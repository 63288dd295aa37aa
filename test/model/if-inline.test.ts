// An ONNX If whose condition is known before the import runs anything (an initializer, a Constant,
// an input frozen from the first sample) is replaced by the branch it takes (inlineKnownIfs in
// src/model/import.ts); one whose condition is computed at run time is refused, naming the node.
import assert from "node:assert/strict";
import { test } from "node:test";
import { importOnnx, staticInputNames } from "../../src/model/import.ts";
import { hostTensor, onnx } from "../../src/model/onnx.ts";
import { runOnnx } from "../../src/model/onnx-run.ts";
import { OnnxUnsupportedOpsError } from "../../src/model/onnx-ops.ts";
import { randomFloats } from "./onnx-builder.ts";

const F = 1;
const BOOL = 9;
const info = (name: string, shape: number[], elemType = F) => ({ name, type: { tensorType: { elemType, shape: { dim: shape.map((d) => ({ dimValue: d })) } } } });
const node = (opType: string, input: string[], output: string[], attribute: object[] = []) => ({ opType, name: `${opType}_${output[0]}`, input, output, attribute });
const branch = (attr: "then_branch" | "else_branch", name: string, nodes: object[], out: string, initializer: object[] = []) => ({ type: 5, name: attr, g: { name, node: nodes, output: [info(out, [2, 3])], initializer } });

/**
 * y = If(cond) then Relu(x) + a then-branch weight (with an inner If on a Constant true: Identity)
 * else Neg(x). `cond` is an initializer (constant: true/false), a graph input, or Greater(sum(x), 0).
 */
function ifModel(cond: "true" | "false" | "input" | "computed"): Uint8Array {
  const inner = node("If", ["inner_c"], ["inner_y"], [branch("then_branch", "inner_then", [node("Identity", ["r"], ["inner_t"])], "inner_t"), branch("else_branch", "inner_else", [node("Neg", ["r"], ["inner_e"])], "inner_e")]);
  const thenNodes = [
    node("Relu", ["x"], ["r"]),
    node("Constant", [], ["inner_c"], [{ name: "value", type: 4, t: { dims: [], dataType: BOOL, int32Data: [1] } }]),
    inner,
    node("Add", ["inner_y", "w"], ["t_out"]),
  ];
  const w = { name: "w", dims: [2, 3], dataType: F, floatData: [0.5, 0, 0, 0, 0, -0.5] };
  const nodes: object[] = [];
  const inputs = [info("x", [2, 3])];
  const initializer: object[] = [];
  if (cond === "true" || cond === "false") initializer.push({ name: "c", dims: [], dataType: BOOL, int32Data: [cond === "true" ? 1 : 0] });
  if (cond === "input") inputs.push(info("c", [], BOOL));
  if (cond === "computed") {
    nodes.push(node("ReduceSum", ["x"], ["s"], [{ name: "keepdims", type: 2, i: 0 }]));
    initializer.push({ name: "zero", dims: [], dataType: F, floatData: [0] });
    nodes.push(node("Greater", ["s", "zero"], ["c"]));
  }
  nodes.push(node("If", ["c"], ["y"], [branch("then_branch", "then", thenNodes, "t_out", [w]), branch("else_branch", "else", [node("Neg", ["x"], ["e_out"])], "e_out")]));
  return onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: "", version: 17 }], graph: { name: "if", node: nodes, input: inputs, output: [info("y", [2, 3])], initializer } }).finish();
}

const x = hostTensor("float32", [2, 3], randomFloats(6, 7));
const relu = (v: number) => Math.max(0, v);

test("an If on a constant condition runs the branch it takes, nested Ifs and branch initializers included", async () => {
  const expectedThen = Array.from(x.data, (v, i) => relu(v) + [0.5, 0, 0, 0, 0, -0.5][i]!);
  const yThen = (await runOnnx(ifModel("true"), [x])).outputs[0]!;
  yThen.data.forEach((v, i) => assert.ok(Math.abs(v - expectedThen[i]!) < 0.02, `then[${i}]: ${v} vs ${expectedThen[i]}`));
  const yElse = (await runOnnx(ifModel("false"), [x])).outputs[0]!;
  yElse.data.forEach((v, i) => assert.ok(Math.abs(v + x.data[i]!) < 0.02, `else[${i}]: ${v} vs ${-x.data[i]!}`));
  // No If is left in the graph.
  assert.ok(importOnnx(ifModel("true")).nodes.every((n) => n.op !== "If"));
});

test("an If on a graph input freezes that input from the sample (reported as frozen) and takes its branch", async () => {
  const bytes = ifModel("input");
  assert.deepEqual(staticInputNames(bytes), ["c"]);
  const { outputs, prepared } = await runOnnx(bytes, [x, hostTensor("bool", [], [0])]);
  assert.deepEqual([...prepared.frozen], ["c"]);
  outputs[0]!.data.forEach((v, i) => assert.ok(Math.abs(v + x.data[i]!) < 0.02));
});

test("an If whose condition is computed at run time is refused, naming the node and why", () => {
  assert.throws(
    () => importOnnx(ifModel("computed")),
    (e: unknown) => e instanceof OnnxUnsupportedOpsError && e.problems.some((p) => p.op === "If" && p.node === "If_y" && /computed at run time/.test(p.reason)),
  );
});
