// Builds small ONNX models in memory with onnx-proto, for importer tests, and compares their outputs.
import assert from "node:assert/strict";
import { onnx, type HostTensor } from "../../src/model/onnx.ts";

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attrs?: Record<string, number | number[] | string>;
}

function attribute(name: string, v: number | number[] | string) {
  if (typeof v === "string") return { name, type: 3, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: 7, ints: v };
  return Number.isInteger(v) ? { name, type: 2, i: v } : { name, type: 1, f: v };
}

function valueInfo(name: string, shape: number[], elemType = 1) {
  return { name, type: { tensorType: { elemType, shape: { dim: shape.map((d) => ({ dimValue: d })) } } } };
}

export function buildModel(spec: {
  inputs: { name: string; shape: number[]; elemType?: number }[];
  /** elemType: ONNX TensorProto data type (default 1, float32; 7 is int64). */
  outputs: { name: string; shape: number[]; elemType?: number }[];
  nodes: NodeSpec[];
  /** dataType: an ONNX element type carried in int32_data (e.g. 3 for int8, 2 for uint8). */
  initializers?: { name: string; shape: number[]; data: number[]; int64?: boolean; dataType?: number }[];
  opset?: number;
}): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: "", version: spec.opset ?? 17 }],
    graph: {
      name: "test",
      node: spec.nodes.map((n, i) => ({ opType: n.op, name: n.name ?? `${n.op}_${i}`, input: n.inputs, output: n.outputs, attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)) })),
      input: spec.inputs.map((i) => valueInfo(i.name, i.shape, i.elemType)),
      output: spec.outputs.map((o) => valueInfo(o.name, o.shape, o.elemType)),
      initializer: (spec.initializers ?? []).map((t) =>
        t.dataType ? { name: t.name, dims: t.shape, dataType: t.dataType, int32Data: t.data }
        : t.int64 ? { name: t.name, dims: t.shape, dataType: 7, int64Data: t.data }
        : { name: t.name, dims: t.shape, dataType: 1, floatData: t.data }),
    },
  }).finish();
}

/** Deterministic pseudo-random floats in [-1, 1) (tests only). */
export function randomFloats(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

/** max |y − ref| over max |ref|, shapes required equal (tests only). */
export function maxRelError(y: HostTensor, ref: HostTensor): number {
  assert.deepEqual(y.shape, ref.shape);
  let mx = 0, e = 0;
  for (let i = 0; i < ref.data.length; i++) {
    mx = Math.max(mx, Math.abs(ref.data[i]!));
    e = Math.max(e, Math.abs(y.data[i]! - ref.data[i]!));
  }
  return e / mx;
}
