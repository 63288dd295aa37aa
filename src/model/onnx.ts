// Reading and writing ONNX protobufs (ModelProto, TensorProto) through onnx-proto. Offline tooling:
// float data lives in Float64Array here (every float32 and every int64 below 2^53 is exact in it).
import onnxProto from "onnx-proto";
import { AivmError, formatShape } from "../engine/errors.ts";

export const { onnx } = onnxProto;
export type ModelProto = onnxProto.onnx.ModelProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;

/** The ONNX element types the toolchain understands. */
export type HostDType = "float32" | "int64" | "int32" | "int8" | "uint8" | "bool" | "float64";

/** A host-side tensor: ONNX dtype, shape, and every element as a double. */
export interface HostTensor {
  dtype: HostDType;
  shape: number[];
  data: Float64Array;
}

/**
 * ONNX element type → host type. Types without a host type of their own are widened on reading:
 * float16 and bfloat16 to float32, int16/uint16 to int32, uint32/uint64 to int64 (exact below 2^53).
 */
const DATA_TYPE_TO_HOST: Record<number, HostDType> = {
  1: "float32", 2: "uint8", 3: "int8", 4: "int32", 5: "int32", 6: "int32", 7: "int64", 9: "bool", 10: "float32", 11: "float64", 12: "int64", 13: "int64", 16: "float32",
};
/** Bytes per element of raw_data, by ONNX element type. */
const RAW_WIDTH: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 };

/** IEEE 754 half precision bits → number. */
function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** bfloat16 bits → number (the high half of a float32). */
function bfloat16ToNumber(h: number): number {
  const v = new DataView(new ArrayBuffer(4));
  v.setUint32(0, h << 16);
  return v.getFloat32(0);
}
const HOST_TO_DATA_TYPE: Record<HostDType, number> = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float64: 11 };

/** The ONNX file cannot be read or uses a feature the toolchain does not handle. */
export class OnnxFormatError extends AivmError {
  override name = "OnnxFormatError";
  override readonly code = "ONNX_FORMAT";
  constructor(what: string, reason: string) {
    super(`ONNX ${what}: ${reason}.`, { docsPath: "onnx-ops.md" });
  }
}

export function hostTensor(dtype: HostDType, shape: readonly number[], data?: Float64Array | readonly number[]): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = data === undefined ? new Float64Array(n) : Float64Array.from(data);
  if (out.length !== n) throw new OnnxFormatError("tensor", `shape ${formatShape(shape)} needs ${n} elements, got ${out.length}`);
  return { dtype, shape: [...shape], data: out };
}

export function decodeModel(bytes: Uint8Array): ModelProto {
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new OnnxFormatError("model", `not a ModelProto (${(e as Error).message})`);
  }
}

function toNumber(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === "number" ? v : v.toNumber();
}

/** Decodes a TensorProto (raw_data little-endian or the typed repeated fields) into a HostTensor. */
export function readTensor(t: TensorProto, label = t.name ?? "tensor"): HostTensor {
  const code = t.dataType ?? 0;
  const dtype = DATA_TYPE_TO_HOST[code];
  if (!dtype) throw new OnnxFormatError(`tensor "${label}"`, `element type ${t.dataType} is not supported (numeric types and bool are; strings and complex numbers are not)`);
  if (t.dataLocation === 1) throw new OnnxFormatError(`tensor "${label}"`, "external data is not supported; save the model with weights inline");
  const shape = (t.dims ?? []).map(toNumber);
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n);
  const raw = t.rawData;
  if (raw && raw.length > 0) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const width = RAW_WIDTH[code]!;
    if (raw.length !== n * width) throw new OnnxFormatError(`tensor "${label}"`, `raw_data holds ${raw.length} bytes, shape ${formatShape(shape)} needs ${n * width}`);
    for (let i = 0; i < n; i++) {
      switch (code) {
        case 1: out[i] = view.getFloat32(4 * i, true); break;
        case 11: out[i] = view.getFloat64(8 * i, true); break;
        case 7: out[i] = Number(view.getBigInt64(8 * i, true)); break;
        case 13: out[i] = Number(view.getBigUint64(8 * i, true)); break;
        case 6: out[i] = view.getInt32(4 * i, true); break;
        case 12: out[i] = view.getUint32(4 * i, true); break;
        case 5: out[i] = view.getInt16(2 * i, true); break;
        case 4: out[i] = view.getUint16(2 * i, true); break;
        case 10: out[i] = halfToNumber(view.getUint16(2 * i, true)); break;
        case 16: out[i] = bfloat16ToNumber(view.getUint16(2 * i, true)); break;
        case 3: out[i] = view.getInt8(i); break;
        default: out[i] = view.getUint8(i); break;
      }
    }
    return { dtype, shape, data: out };
  }
  // Typed fields: float16/bfloat16 bits and the small integers travel in int32_data, uint32/uint64 in uint64_data.
  const field: readonly (number | { toNumber(): number })[] =
    code === 1 ? (t.floatData ?? []) : code === 11 ? (t.doubleData ?? []) : code === 7 ? (t.int64Data ?? []) : code === 12 || code === 13 ? (t.uint64Data ?? []) : (t.int32Data ?? []);
  if (field.length !== n) throw new OnnxFormatError(`tensor "${label}"`, `holds ${field.length} elements, shape ${formatShape(shape)} needs ${n}`);
  const decode = code === 10 ? halfToNumber : code === 16 ? bfloat16ToNumber : (v: number) => v;
  for (let i = 0; i < n; i++) out[i] = decode(toNumber(field[i]));
  return { dtype, shape, data: out };
}

export function decodeTensorFile(bytes: Uint8Array, label = "tensor file"): { name: string; tensor: HostTensor } {
  let t: TensorProto;
  try {
    t = onnx.TensorProto.decode(bytes);
  } catch (e) {
    throw new OnnxFormatError(label, `not a TensorProto (${(e as Error).message})`);
  }
  return { name: t.name ?? "", tensor: readTensor(t, label) };
}

/** Encodes a HostTensor as a TensorProto with little-endian raw_data (how ONNX's test data is stored). */
export function encodeTensorFile(name: string, t: HostTensor): Uint8Array {
  const n = t.data.length;
  const width = { float32: 4, float64: 8, int64: 8, int32: 4, int8: 1, uint8: 1, bool: 1 }[t.dtype];
  const raw = new Uint8Array(n * width);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < n; i++) {
    const v = t.data[i]!;
    switch (t.dtype) {
      case "float32": view.setFloat32(4 * i, v, true); break;
      case "float64": view.setFloat64(8 * i, v, true); break;
      case "int64": view.setBigInt64(8 * i, BigInt(Math.round(v)), true); break;
      case "int32": view.setInt32(4 * i, v, true); break;
      case "int8": view.setInt8(i, v); break;
      case "uint8": case "bool": view.setUint8(i, v); break;
    }
  }
  return onnx.TensorProto.encode({ name, dims: t.shape, dataType: HOST_TO_DATA_TYPE[t.dtype], rawData: raw }).finish();
}

export type OnnxAttr = number | number[] | string | string[] | HostTensor;

/** A node's attributes as plain values (floats stay floats here: the importer turns them into integers). */
export function readAttributes(node: NodeProto): Record<string, OnnxAttr> {
  const out: Record<string, OnnxAttr> = {};
  for (const a of node.attribute ?? []) {
    const name = a.name ?? "";
    switch (a.type) {
      case 1: out[name] = a.f ?? 0; break;
      case 2: out[name] = toNumber(a.i); break;
      case 3: out[name] = new TextDecoder().decode(a.s ?? new Uint8Array()); break;
      case 4: out[name] = readTensor(a.t ?? {}, `${node.name ?? node.opType} attribute ${name}`); break;
      case 6: out[name] = [...(a.floats ?? [])]; break;
      case 7: out[name] = (a.ints ?? []).map(toNumber); break;
      case 8: out[name] = (a.strings ?? []).map((b) => new TextDecoder().decode(b)); break;
      default:
        throw new OnnxFormatError(`node "${node.name || node.opType}"`, `attribute "${name}" has type ${a.type}, which is not supported`);
    }
  }
  return out;
}

/** Declared shape of a graph input/output; symbolic or missing dimensions come back as -1. */
export function declaredShape(v: onnxProto.onnx.IValueInfoProto): { dtype: HostDType | undefined; shape: number[] } {
  const tt = v.type?.tensorType;
  const dims = tt?.shape?.dim ?? [];
  return {
    dtype: DATA_TYPE_TO_HOST[tt?.elemType ?? 0],
    shape: dims.map((d) => (d.dimValue !== undefined && d.dimValue !== null && !d.dimParam ? toNumber(d.dimValue) : -1)),
  };
}

export function dataTypeCode(dtype: HostDType): number {
  return HOST_TO_DATA_TYPE[dtype];
}
