// Reads ONNX backend node cases (/work/shared/conformance/onnx-node) for the exact-semantics checks of
// the movement, reduction and pooling ops: float inputs are scaled to integers, which these ops
// commute with (exactly for movement and max, within rounding for sums and means).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { decodeModel, decodeTensorFile, readAttributes, type HostTensor, type OnnxAttr } from "../../../src/model/onnx.ts";

export const CONFORMANCE_DIR = path.resolve(import.meta.dirname, "../../../../shared/conformance/onnx-node");

export interface OnnxCase {
  name: string;
  opType: string;
  attrs: Record<string, OnnxAttr>;
  /** Inputs in node order; an omitted optional input is undefined. */
  inputs: (HostTensor | undefined)[];
  outputs: HostTensor[];
}

export function listOnnxCases(pattern: RegExp): string[] {
  if (!existsSync(CONFORMANCE_DIR)) return [];
  return readdirSync(CONFORMANCE_DIR).filter((d) => pattern.test(d)).sort();
}

export function loadOnnxCase(name: string): OnnxCase {
  const dir = path.join(CONFORMANCE_DIR, name);
  const model = decodeModel(readFileSync(path.join(dir, "model.onnx")));
  const node = model.graph!.node![0]!;
  const read = (prefix: string, k: number) => decodeTensorFile(readFileSync(path.join(dir, "test_data_set_0", `${prefix}_${k}.pb`))).tensor;
  const graphInputs = (model.graph!.input ?? []).map((v) => v.name);
  const inputs = (node.input ?? []).map((n) => {
    const k = graphInputs.indexOf(n);
    return n === "" || k < 0 ? undefined : read("input", k);
  });
  const outputs: HostTensor[] = [];
  for (let k = 0; existsSync(path.join(dir, "test_data_set_0", `output_${k}.pb`)); k++) outputs.push(read("output", k));
  return { name, opType: node.opType ?? "", attrs: readAttributes(node), inputs, outputs };
}
