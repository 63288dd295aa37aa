// The ONNX quantized operators (QLinearMatMul, QLinearConv, MatMulInteger, ConvInteger) written as
// what their specification says they compute: DequantizeLinear of each integer operand, the float
// MatMul or Conv, then QuantizeLinear (QLinear*) or the exact int32 result (…Integer). The importer
// rewrites them this way (qdq.ts takes the scales and zero points as fixed quantization), and the
// float executor runs the same rewrite as their reference. No imports of float-exec: it imports this.
import type { FloatNode } from "./graph.ts";
import { hostTensor, type HostTensor } from "./onnx.ts";

export const QUANTIZED_ONNX_OPS: readonly string[] = ["QLinearMatMul", "QLinearConv", "MatMulInteger", "ConvInteger"];

/**
 * A QuantizeLinear → DequantizeLinear pair on an activation (QDQ format), as one node: in float it
 * rounds onto the file's grid (so the float reference keeps what the pair does, such as a ReLU made
 * by a zero point at the bottom of the range); in the program the value already carries that grid.
 */
export const FAKE_QUANT_OP = "aivm.FakeQuant";

/** Ops whose float reference is their rewrite here. */
export const QDQ_FLOAT_OPS: readonly string[] = [...QUANTIZED_ONNX_OPS, FAKE_QUANT_OP];

/** Inputs that must be constant at import: scales, zero points and weights (the first operand runs). */
export const QUANTIZED_CONSTANT_INPUTS: Readonly<Record<string, readonly number[]>> = {
  QLinearMatMul: [1, 2, 3, 4, 5, 6, 7],
  QLinearConv: [1, 2, 3, 4, 5, 6, 7, 8],
  MatMulInteger: [1, 2, 3],
  ConvInteger: [1, 2, 3],
};

export interface QuantizedExpansion {
  nodes: FloatNode[];
  constants: Map<string, HostTensor>;
  /** Float values that hold the …Integer ops' int32 results: exact integers, scale 1. */
  exactIntegers: string[];
}

/**
 * The rewrite of one quantized op. `fresh` names new values; `rankOf` gives an operand's rank
 * (per-row / per-column zero points and scales need the axis they run along).
 */
export function expandQuantizedOp(node: FloatNode, fresh: (base: string) => string, rankOf: (value: string) => number): QuantizedExpansion {
  const nodes: FloatNode[] = [];
  const constants = new Map<string, HostTensor>();
  const exactIntegers: string[] = [];
  const add = (op: string, inputs: string[], attrs: FloatNode["attrs"] = {}, out = fresh(op)) => {
    nodes.push({ op, name: `${node.name}/${op}${nodes.length}`, inputs, outputs: [out], attrs });
    return out;
  };
  const konst = (base: string, t: HostTensor) => {
    const name = fresh(base);
    constants.set(name, t);
    return name;
  };
  const dq = (x: string, scale: string, zero: string | undefined, axis?: number) =>
    add("DequantizeLinear", zero ? [x, scale, zero] : [x, scale], axis === undefined ? {} : { axis });
  const i = node.inputs;
  const y = node.outputs[0]!;
  switch (node.op) {
    case "QLinearMatMul": {
      // b's scale and zero point may be per column (the last axis of b).
      const a = dq(i[0]!, i[1]!, i[2] || undefined);
      const b = dq(i[3]!, i[4]!, i[5] || undefined, rankOf(i[3]!) - 1);
      add("QuantizeLinear", [add("MatMul", [a, b]), i[6]!, i[7] || ""].filter(Boolean), {}, y);
      break;
    }
    case "QLinearConv": {
      const x = dq(i[0]!, i[1]!, i[2] || undefined);
      const w = dq(i[3]!, i[4]!, i[5] || undefined, 0);
      const inputs = [x, w];
      // The int32 bias has scale x_scale · w_scale (per output channel) and zero point 0.
      if (i[8]) inputs.push(dq(i[8], add("Mul", [i[1]!, i[4]!]), undefined, 0));
      add("QuantizeLinear", [add("Conv", inputs, node.attrs), i[6]!, i[7] || ""].filter(Boolean), {}, y);
      break;
    }
    case "MatMulInteger": case "ConvInteger": {
      const one = konst("one", hostTensor("float32", [], [1]));
      const isConv = node.op === "ConvInteger";
      // MatMulInteger: a per-row a_zero_point runs along A's second-last axis, a per-column b_zero_point along B's last.
      const a = dq(i[0]!, one, i[2] || undefined, isConv ? undefined : Math.max(0, rankOf(i[0]!) - 2));
      const b = dq(i[1]!, one, i[3] || undefined, isConv ? 0 : rankOf(i[1]!) - 1);
      const acc = add(isConv ? "Conv" : "MatMul", [a, b], isConv ? node.attrs : {});
      exactIntegers.push(acc);
      add("aivm.Cast", [acc], { to: 6 }, y);
      break;
    }
    case FAKE_QUANT_OP:
      add("DequantizeLinear", [add("QuantizeLinear", i), ...i.slice(1)], {}, y);
      break;
    default:
      throw new Error(`expandQuantizedOp: ${node.op} is not a quantized op`);
  }
  return { nodes, constants, exactIntegers };
}

/** The float reference of a quantized op: its rewrite, run node by node with `run` (runFloatNode). */
export function runQuantizedOpFloat(node: FloatNode, env: ReadonlyMap<string, HostTensor>, run: (n: FloatNode, env: Map<string, HostTensor>) => HostTensor[]): HostTensor[] {
  const sub = new Map(env);
  let k = 0;
  const e = expandQuantizedOp(node, (base) => `${node.name}__q${k++}_${base}`, (v) => sub.get(v)?.shape.length ?? 2);
  for (const [name, t] of e.constants) sub.set(name, t);
  for (const n of e.nodes) run(n, sub).forEach((t, j) => n.outputs[j] && sub.set(n.outputs[j]!, t));
  return node.outputs.map((o) => sub.get(o)!);
}
