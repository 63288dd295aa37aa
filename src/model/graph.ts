// The float graph the importer builds: ONNX nodes after constant folding and fusion. Offline only;
// calibration runs it in float, and quantize.ts lowers each node onto the integer engine ops.
import type { HostTensor, OnnxAttr } from "./onnx.ts";

export interface FloatNode {
  /** An ONNX op type ("Conv", "Softmax"...) or a fused op ("aivm.Linear", "aivm.LayerNorm", "aivm.Gelu"). */
  op: string;
  /** ONNX node name (or op#index when the exporter left it empty), for errors and reports. */
  name: string;
  /** Value names; "" marks an omitted optional input. */
  inputs: string[];
  outputs: string[];
  attrs: Record<string, OnnxAttr>;
}

export interface FloatGraph {
  nodes: FloatNode[];
  /** Runtime inputs, in call order, with their static shapes. */
  inputs: { name: string; dtype: HostTensor["dtype"]; shape: number[] }[];
  outputs: string[];
  /** Initializers and folded constants. */
  constants: Map<string, HostTensor>;
  /** Opset of the default domain (some ops changed semantics across opsets). */
  opset: number;
  /** Quantization an already-quantized model (QDQ, QLinear*) fixes for a value: taken as is, not calibrated (qdq.ts). */
  fixedQuant?: Map<string, FixedQuant>;
}

/** real = (q − zeroPoint[c]) · scale[c], c the index along `axis` (one entry: per tensor). */
export interface FixedQuant {
  /** The ONNX integer type of q. */
  dtype: "int8" | "uint8" | "int16" | "uint16" | "int32";
  scale: number[];
  zeroPoint: number[];
  axis: number;
}

export function nodeLabel(n: FloatNode): string {
  return `node "${n.name}" (${n.op})`;
}
