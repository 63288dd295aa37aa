// The tensor wire format (docs/spec.md#tensor-wire-format): a big-endian header that Solidity can
// write with abi.encodePacked, followed by little-endian element data. Every field is validated
// before anything proportional to the declared size is allocated.
import {
  DTypeMismatchError,
  ElementCountError,
  InvalidArgumentError,
  MalformedEncodingError,
  RankLimitError,
} from "../engine/errors.ts";
import {
  DTYPE_BYTES,
  DTYPE_MAX,
  DTYPE_MIN,
  MAX_RANK,
  allocate,
  checkShape,
  dtypeOf,
  type DType,
  type QuantParams,
  type Tensor,
  type TensorMeta,
} from "../engine/tensor.ts";

/** "AIVT" */
export const TENSOR_MAGIC = 0x41495654;
export const TENSOR_VERSION = 1;
/** magic(4) version(1) dtype(1) rank(1) quantMode(1) dataLength(4) */
export const TENSOR_FIXED_HEADER_BYTES = 12;
/** multiplier u32, shift u32, zeroPoint i32 */
export const QUANT_ENTRY_BYTES = 12;

/** Typed arrays use the host byte order; on a little-endian host the wire bytes can be copied as is. */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export const DTYPE_CODES: Readonly<Record<DType, number>> = { int8: 1, int16: 2, int32: 3 };
export const DTYPE_BY_CODE: ReadonlyMap<number, DType> = new Map(
  (Object.entries(DTYPE_CODES) as [DType, number][]).map(([d, c]) => [c, d]),
);

export const QUANT_NONE = 0;
export const QUANT_PER_TENSOR = 1;
export const QUANT_PER_CHANNEL = 2;

/** Everything the header says, read without touching the element data. */
export interface TensorHeader extends TensorMeta {
  quant?: QuantParams;
  /** Number of elements implied by the shape. */
  elements: number;
  /** Byte offset of the element data, relative to the start of the encoding. */
  dataOffset: number;
  /** Byte length of the element data (= elements · dtype size). */
  dataLength: number;
  /** Total encoded length (header + data); the next tensor in a stream starts here. */
  encodedLength: number;
}

const WHAT = "tensor encoding";

function malformed(reason: string): MalformedEncodingError {
  return new MalformedEncodingError(WHAT, reason);
}

function need(bytes: Uint8Array, offset: number, count: number, field: string): void {
  if (offset + count > bytes.length) throw malformed(`truncated in ${field} (needs ${offset + count} bytes, has ${bytes.length})`);
}

// Header fields are read and written byte by byte rather than through a DataView: V8 keeps typed
// arrays of up to 64 bytes inside the JS heap, and the first read of `.buffer` (which a DataView
// needs) moves them out, about 1 µs each. Small tensors and their headers are that size.
/** Arrays larger than this live outside the JS heap, where `.buffer` costs nothing. */
const IN_HEAP_MAX_BYTES = 64;

function readU32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

function readI32(b: Uint8Array, o: number): number {
  return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
}

function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

/** Validates one quantization entry; the same rules apply to encode and decode. */
function checkQuantEntry(dtype: DType, multiplier: number, shift: number, zeroPoint: number): void {
  if (!Number.isInteger(multiplier) || multiplier < 0 || multiplier > 0x7fffffff) {
    throw new InvalidArgumentError("tensor", "quant multiplier", "must be an integer in [0, 2^31)");
  }
  if (!Number.isInteger(shift) || shift < 0 || shift > 62) {
    throw new InvalidArgumentError("tensor", "quant shift", "must be an integer in [0, 62]");
  }
  if (!Number.isInteger(zeroPoint) || zeroPoint < DTYPE_MIN[dtype] || zeroPoint > DTYPE_MAX[dtype]) {
    throw new InvalidArgumentError("tensor", "quant zero point", `must be an integer in the ${dtype} range`);
  }
}

/** Number of quantization entries a tensor of this shape needs for a given axis (−1 = per tensor). */
function quantEntryCount(shape: readonly number[], axis: number): number {
  if (axis === -1) return 1;
  if (!Number.isInteger(axis) || axis < 0 || axis >= shape.length) {
    throw new InvalidArgumentError("tensor", "quant axis", `${axis} is out of range for rank ${shape.length}`);
  }
  return shape[axis]!;
}

function checkQuant(dtype: DType, shape: readonly number[], quant: QuantParams): void {
  const n = quantEntryCount(shape, quant.axis);
  if (quant.multiplier.length !== n || quant.shift.length !== n || quant.zeroPoint.length !== n) {
    throw new InvalidArgumentError("tensor", "quant params", `axis ${quant.axis} needs ${n} entries per array`);
  }
  for (let i = 0; i < n; i++) checkQuantEntry(dtype, quant.multiplier[i]!, quant.shift[i]!, quant.zeroPoint[i]!);
}

/** Length in bytes of the encoding of a tensor with this meta, without building it. */
export function encodedTensorLength(meta: TensorMeta, quant?: QuantParams): number {
  const count = checkShape(meta.shape);
  let quantBytes = 0;
  if (quant) quantBytes = (quant.axis === -1 ? 0 : 4) + QUANT_ENTRY_BYTES * quantEntryCount(meta.shape, quant.axis);
  return TENSOR_FIXED_HEADER_BYTES + 4 * meta.shape.length + quantBytes + count * DTYPE_BYTES[meta.dtype];
}

function checkTensor(t: Tensor): number {
  const count = checkShape(t.shape);
  if (dtypeOf(t.data) !== t.dtype) throw new DTypeMismatchError("encodeTensor", "data", [t.dtype], dtypeOf(t.data));
  if (t.data.length !== count) throw new ElementCountError(t.shape, count, t.data.length);
  if (t.quant) checkQuant(t.dtype, t.shape, t.quant);
  return count;
}

/** Encodes a tensor; validates shape, data length and quantization parameters first. */
export function encodeTensor(t: Tensor): Uint8Array {
  checkTensor(t);
  const out = new Uint8Array(encodedTensorLength(t, t.quant));
  writeData(out, writeHeader(out, t), t.data, t.dtype);
  return out;
}

/** Only the header bytes of `encodeTensor(t)` (everything before the element data). */
export function encodeTensorHeader(t: Tensor): Uint8Array {
  checkTensor(t);
  const out = new Uint8Array(encodedTensorLength(t, t.quant) - t.data.byteLength);
  writeHeader(out, t);
  return out;
}

/**
 * The element data exactly as it appears on the wire (little-endian). On a little-endian host this
 * is a view of the tensor's own buffer, not a copy: callers must not write to it.
 */
export function tensorDataBytes(t: Tensor): Uint8Array {
  checkTensor(t);
  if (t.data.byteLength > IN_HEAP_MAX_BYTES && (HOST_LITTLE_ENDIAN || t.dtype === "int8")) {
    return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  }
  const out = new Uint8Array(t.data.byteLength);
  writeData(out, 0, t.data, t.dtype);
  return out;
}

/** Writes the header of `t` at the start of `out`; returns the offset of the data. */
function writeHeader(out: Uint8Array, t: Tensor): number {
  const count = t.data.length;
  const dataLength = count * DTYPE_BYTES[t.dtype];
  writeU32(out, 0, TENSOR_MAGIC);
  out[4] = TENSOR_VERSION;
  out[5] = DTYPE_CODES[t.dtype];
  out[6] = t.shape.length;
  out[7] = !t.quant ? QUANT_NONE : t.quant.axis === -1 ? QUANT_PER_TENSOR : QUANT_PER_CHANNEL;
  writeU32(out, 8, dataLength);
  let o = TENSOR_FIXED_HEADER_BYTES;
  for (const d of t.shape) {
    writeU32(out, o, d);
    o += 4;
  }
  if (t.quant) {
    if (t.quant.axis !== -1) {
      writeU32(out, o, t.quant.axis);
      o += 4;
    }
    for (let i = 0; i < t.quant.multiplier.length; i++) {
      writeU32(out, o, t.quant.multiplier[i]!);
      writeU32(out, o + 4, t.quant.shift[i]!);
      writeU32(out, o + 8, t.quant.zeroPoint[i]! >>> 0);
      o += QUANT_ENTRY_BYTES;
    }
  }
  return o;
}

function readData(bytes: Uint8Array, start: number, dtype: DType, elements: number): Tensor["data"] {
  const byteLength = elements * DTYPE_BYTES[dtype];
  if (dtype === "int8") return new Int8Array(bytes.subarray(start, start + byteLength));
  if (HOST_LITTLE_ENDIAN && byteLength > IN_HEAP_MAX_BYTES) {
    // slice() copies into a fresh, aligned buffer, so the result never aliases the input.
    const copy = bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + start + byteLength) as ArrayBuffer;
    return dtype === "int16" ? new Int16Array(copy) : new Int32Array(copy);
  }
  const data = allocate(dtype, elements);
  if (dtype === "int16") for (let i = 0, o = start; i < elements; i++, o += 2) data[i] = ((bytes[o]! | (bytes[o + 1]! << 8)) << 16) >> 16;
  else for (let i = 0, o = start; i < elements; i++, o += 4) data[i] = bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) | (bytes[o + 3]! << 24);
  return data;
}

function writeData(out: Uint8Array, offset: number, data: Tensor["data"], dtype: DType): void {
  const n = data.length;
  const byteLength = n * DTYPE_BYTES[dtype];
  if (dtype === "int8") {
    // A typed-array set converts each int8 to its two's-complement byte.
    out.set(data, offset);
    return;
  }
  if (HOST_LITTLE_ENDIAN && byteLength > IN_HEAP_MAX_BYTES) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, byteLength), offset);
    return;
  }
  if (dtype === "int16") {
    for (let i = 0, o = offset; i < n; i++, o += 2) {
      const v = data[i]!;
      out[o] = v;
      out[o + 1] = v >> 8;
    }
    return;
  }
  for (let i = 0, o = offset; i < n; i++, o += 4) {
    const v = data[i]!;
    out[o] = v;
    out[o + 1] = v >> 8;
    out[o + 2] = v >> 16;
    out[o + 3] = v >> 24;
  }
}

/**
 * Reads and validates the header at `offset` (default 0). Cheap: reads no element data, and
 * allocates only the shape and the quantization arrays, each bounded by bytes actually present.
 * Used to compute gas before the data is touched. Does not require the data to be present.
 */
export function decodeTensorHeader(bytes: Uint8Array, offset = 0): TensorHeader {
  need(bytes, offset, TENSOR_FIXED_HEADER_BYTES, "fixed header");
  const magic = readU32(bytes, offset);
  if (magic !== TENSOR_MAGIC) throw malformed(`bad magic 0x${magic.toString(16).padStart(8, "0")}, expected 0x41495654 ("AIVT")`);
  const version = bytes[offset + 4]!;
  if (version !== TENSOR_VERSION) throw malformed(`unsupported version ${version}, expected ${TENSOR_VERSION}`);
  const dtypeCode = bytes[offset + 5]!;
  const dtype = DTYPE_BY_CODE.get(dtypeCode);
  if (!dtype) throw malformed(`unknown dtype code ${dtypeCode}, expected 1 (int8), 2 (int16) or 3 (int32)`);
  const rank = bytes[offset + 6]!;
  if (rank > MAX_RANK) throw new RankLimitError(rank, MAX_RANK);
  const quantMode = bytes[offset + 7]!;
  if (quantMode > QUANT_PER_CHANNEL) throw malformed(`unknown quant mode ${quantMode}, expected 0, 1 or 2`);
  const dataLength = readU32(bytes, offset + 8);
  need(bytes, offset + TENSOR_FIXED_HEADER_BYTES, 4 * rank, "shape");
  let o = offset + TENSOR_FIXED_HEADER_BYTES;
  const shape: number[] = [];
  for (let i = 0; i < rank; i++, o += 4) shape.push(readU32(bytes, o));
  const elements = checkShape(shape);
  const expectedLength = elements * DTYPE_BYTES[dtype];
  if (dataLength !== expectedLength) {
    throw new ElementCountError(shape, elements, Math.floor(dataLength / DTYPE_BYTES[dtype]));
  }
  let quant: QuantParams | undefined;
  if (quantMode !== QUANT_NONE) {
    let axis = -1;
    if (quantMode === QUANT_PER_CHANNEL) {
      need(bytes, o, 4, "quant axis");
      axis = readU32(bytes, o);
      o += 4;
      if (axis >= rank) throw malformed(`quant axis ${axis} out of range for rank ${rank}`);
    }
    const n = axis === -1 ? 1 : shape[axis]!;
    need(bytes, o, n * QUANT_ENTRY_BYTES, "quant params");
    const multiplier: number[] = [];
    const shift: number[] = [];
    const zeroPoint: number[] = [];
    for (let i = 0; i < n; i++, o += QUANT_ENTRY_BYTES) {
      const m = readU32(bytes, o);
      const s = readU32(bytes, o + 4);
      const z = readI32(bytes, o + 8);
      if (m > 0x7fffffff || s > 62 || z < DTYPE_MIN[dtype] || z > DTYPE_MAX[dtype]) {
        throw malformed(`quant entry ${i} out of range (multiplier < 2^31, shift ≤ 62, zero point within ${dtype})`);
      }
      multiplier.push(m);
      shift.push(s);
      zeroPoint.push(z);
    }
    quant = { axis, multiplier, shift, zeroPoint };
  }
  const header: TensorHeader = {
    dtype,
    shape,
    elements,
    dataOffset: o - offset,
    dataLength,
    encodedLength: o - offset + dataLength,
  };
  if (quant) header.quant = quant;
  return header;
}

/**
 * Decodes one tensor at `offset` and returns it with the offset just past it, so that several
 * tensors can be read back to back. The data must be fully present.
 */
export function decodeTensorAt(bytes: Uint8Array, offset = 0): { tensor: Tensor; end: number } {
  const h = decodeTensorHeader(bytes, offset);
  const start = offset + h.dataOffset;
  const available = bytes.length - start;
  if (available < h.dataLength) {
    throw new ElementCountError(h.shape, h.elements, Math.floor(available / DTYPE_BYTES[h.dtype]));
  }
  // Allocation happens only here, after the header and the byte count have been checked.
  const data = readData(bytes, start, h.dtype, h.elements);
  const tensor: Tensor = { dtype: h.dtype, shape: h.shape, data };
  if (h.quant) tensor.quant = h.quant;
  return { tensor, end: start + h.dataLength };
}

/** Decodes exactly one tensor; trailing bytes are an error. */
export function decodeTensor(bytes: Uint8Array): Tensor {
  const { tensor, end } = decodeTensorAt(bytes, 0);
  if (end !== bytes.length) throw malformed(`${bytes.length - end} trailing bytes after the tensor data`);
  return tensor;
}
