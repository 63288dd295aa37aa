// Tensors, dtypes and the hard limits every layer checks before it allocates.
import {
  DTypeMismatchError,
  ElementCountError,
  ElementLimitError,
  InvalidDimensionError,
  RankLimitError,
} from "./errors.ts";
import { takeRecycled } from "./recycle.ts";

export type DType = "int8" | "int16" | "int32";
export const DTYPES: readonly DType[] = ["int8", "int16", "int32"];
export type IntArray = Int8Array | Int16Array | Int32Array;

export const DTYPE_BYTES: Record<DType, number> = { int8: 1, int16: 2, int32: 4 };
export const DTYPE_MIN: Record<DType, number> = { int8: -128, int16: -32768, int32: -2147483648 };
export const DTYPE_MAX: Record<DType, number> = { int8: 127, int16: 32767, int32: 2147483647 };

/** Hard limits. Checked on declared shapes, before any allocation. */
export const MAX_RANK = 8;
/** 2^27 elements: an int32 tensor of this size is exactly the per-transaction memory budget. */
export const MAX_ELEMENTS = 2 ** 27;
/** 512 MiB of tensor memory per transaction. */
export const TX_MEMORY_LIMIT_BYTES = 512 * 1024 * 1024;

/**
 * Quantization parameters: real = (q − zeroPoint) · multiplier / 2^shift.
 * Per tensor when `axis` is −1 (the arrays hold one entry), per channel along `axis` otherwise.
 * All integers; float scales exist only in offline tools.
 */
export interface QuantParams {
  axis: number;
  multiplier: readonly number[];
  shift: readonly number[];
  zeroPoint: readonly number[];
}

export interface TensorMeta {
  dtype: DType;
  shape: readonly number[];
}

export interface Tensor extends TensorMeta {
  data: IntArray;
  quant?: QuantParams;
}

/**
 * Validates a declared shape and returns its element count. Throws before anything is allocated:
 * rank above MAX_RANK, a non-integer or negative dimension, or a product above MAX_ELEMENTS.
 */
export function checkShape(shape: readonly number[]): number {
  if (shape.length > MAX_RANK) throw new RankLimitError(shape.length, MAX_RANK);
  let count = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    if (!Number.isInteger(d) || d < 0 || d > 0x7fffffff) throw new InvalidDimensionError(shape);
    count *= d;
    // Stop as soon as the running product passes the cap, so it never leaves exact integer range.
    if (count > MAX_ELEMENTS) throw new ElementLimitError(shape, MAX_ELEMENTS);
  }
  return count;
}

export function numElements(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i]!;
  return n;
}

export function byteSize(meta: TensorMeta): number {
  return numElements(meta.shape) * DTYPE_BYTES[meta.dtype];
}

export function allocate(dtype: DType, count: number): IntArray {
  // A dead program value's array when one of this size is kept (recycle.ts), zeroed as a new one is.
  const reused = takeRecycled(dtype, count);
  if (reused !== undefined) return reused.fill(0);
  switch (dtype) {
    case "int8":
      return new Int8Array(count);
    case "int16":
      return new Int16Array(count);
    case "int32":
      return new Int32Array(count);
  }
}

export function dtypeOf(data: IntArray): DType {
  if (data instanceof Int8Array) return "int8";
  if (data instanceof Int16Array) return "int16";
  return "int32";
}

/** Builds a tensor after validating shape against the data. Copies nothing. */
export function tensor(dtype: DType, shape: readonly number[], data: IntArray | readonly number[], quant?: QuantParams): Tensor {
  const count = checkShape(shape);
  let typed: IntArray;
  if (ArrayBuffer.isView(data)) {
    if (dtypeOf(data) !== dtype) throw new DTypeMismatchError("tensor", "data", [dtype], dtypeOf(data));
    typed = data;
  } else {
    if (data.length !== count) throw new ElementCountError(shape, count, data.length);
    typed = allocate(dtype, count);
    for (let i = 0; i < count; i++) typed[i] = data[i]!;
  }
  if (typed.length !== count) throw new ElementCountError(shape, count, typed.length);
  const t: Tensor = { dtype, shape: [...shape], data: typed };
  if (quant) t.quant = quant;
  return t;
}

export function zeros(dtype: DType, shape: readonly number[]): Tensor {
  return { dtype, shape: [...shape], data: allocate(dtype, checkShape(shape)) };
}

/** Bytes from which `unfilled` skips the zero fill: below, it costs less than the call around it. */
export const UNFILLED_MIN_BYTES = 64 * 1024;

/** Node's Buffer, where there is one (the engine names no Node module). */
const nodeBuffer = (globalThis as { Buffer?: { allocUnsafeSlow(size: number): { buffer: ArrayBuffer } } }).Buffer;

/**
 * A tensor for a kernel that writes every one of its elements. From UNFILLED_MIN_BYTES its memory
 * is not zeroed first (Node's Buffer.allocUnsafeSlow), which saves a pass over it as long as the
 * kernel's own writes: 1 MiB took 52–65 µs to allocate zeroed here, about 1 µs unfilled. Each caller's
 * tests fill the output with a sentinel first and check that the kernel wrote every element, so no
 * earlier memory can show through. Zeroed where Node's Buffer is missing.
 */
export function unfilled(dtype: DType, shape: readonly number[]): Tensor {
  const count = checkShape(shape);
  const bytes = count * DTYPE_BYTES[dtype];
  if (bytes < UNFILLED_MIN_BYTES || nodeBuffer === undefined) return zeros(dtype, shape);
  const reused = takeRecycled(dtype, count);
  if (reused !== undefined) return { dtype, shape: [...shape], data: reused };
  const buffer = nodeBuffer.allocUnsafeSlow(bytes).buffer;
  const data = dtype === "int8" ? new Int8Array(buffer, 0, count) : dtype === "int16" ? new Int16Array(buffer, 0, count) : new Int32Array(buffer, 0, count);
  return { dtype, shape: [...shape], data };
}

/** Row-major strides. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Saturates an exact integer to a dtype's range. */
export function saturate(v: number, dtype: DType): number {
  const lo = DTYPE_MIN[dtype];
  const hi = DTYPE_MAX[dtype];
  return v < lo ? lo : v > hi ? hi : v;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
