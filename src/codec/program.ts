// The tensor-program (op-graph) format used by TGRAPH, TCUSTOM and TSTREAM and produced by the ONNX
// compiler (docs/spec.md#programs). A program is static: declared inputs, constants and handles
// carry their shapes, so every value's meta and every node's FLOPs follow before anything runs.
import { InvalidArgumentError, MalformedEncodingError } from "../engine/errors.ts";
import { MAX_RANK, checkShape, type DType, type TensorMeta, type Tensor } from "../engine/tensor.ts";
import type { AttrValue, Attrs } from "../engine/op.ts";
import { DTYPE_BY_CODE, DTYPE_CODES, decodeTensorAt, encodeTensor, encodedTensorLength } from "./tensor.ts";

/** "AIVP" */
export const PROGRAM_MAGIC = 0x41495650;
export const PROGRAM_VERSION = 1;

export const MAX_PROGRAM_NODES = 4096;
/** Declared values plus node outputs. */
export const MAX_PROGRAM_VALUES = 8192;
export const MAX_PROGRAM_OUTPUTS = 256;
export const MAX_NODE_INPUTS = 16;
export const MAX_NODE_OUTPUTS = 8;
export const MAX_NODE_ATTRS = 16;
export const MAX_ATTR_NAME_BYTES = 32;
/** Per-channel requantization lists hold one entry per output channel: room for wide layers. */
export const MAX_ATTR_INTS = 4096;
export const MAX_STREAM_STEPS = 4096;
/** A declared input dimension that takes its size from the actual input (wire value 0xFFFFFFFF). */
export const DYNAMIC_DIM = -1;

export const VALUE_INPUT = 1;
export const VALUE_CONST = 2;
export const VALUE_HANDLE = 3;

const ATTR_INT = 0;
const ATTR_INTS = 1;
const ATTR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * An attribute name a program (or an op call) may use: 1 … MAX_ATTR_NAME_BYTES chars of
 * [A-Za-z0-9_], not starting with a digit, and not `__proto__`. Attributes live in plain objects,
 * where assigning `__proto__` sets the prototype instead of adding a key: the name would vanish on
 * decoding, and one program would have two encodings, hence two content ids.
 */
export function isAttrName(name: string): boolean {
  return name.length <= MAX_ATTR_NAME_BYTES && ATTR_NAME.test(name) && name !== "__proto__";
}

/** A call input: the caller passes a tensor of this dtype and shape (DYNAMIC_DIM = any size). */
export interface InputDecl {
  kind: "input";
  dtype: DType;
  shape: readonly number[];
}
/** A constant carried inline in the program. */
export interface ConstDecl {
  kind: "const";
  tensor: Tensor;
}
/** A constant in the persistent store, by 32-byte content id, with its declared meta (for static gas). */
export interface HandleDecl {
  kind: "handle";
  id: Uint8Array;
  dtype: DType;
  shape: readonly number[];
}
export type ValueDecl = InputDecl | ConstDecl | HandleDecl;

export interface ProgramNode {
  /** Op code from OP_CODES (src/engine/registry.ts). */
  op: number;
  /** Value ids; each must be defined before this node. */
  inputs: readonly number[];
  /** Number of outputs; they receive the next free value ids in order. */
  outputs: number;
  attrs: Attrs;
}

export interface Program {
  /**
   * For TSTREAM step programs: the first `stateCount` inputs are the state, and the first
   * `stateCount` outputs are the next state fed to those inputs at the next step. 0 otherwise.
   */
  stateCount: number;
  values: readonly ValueDecl[];
  nodes: readonly ProgramNode[];
  outputs: readonly number[];
}

const WHAT = "program encoding";
const malformed = (reason: string) => new MalformedEncodingError(WHAT, reason);
const invalid = (argument: string, reason: string) => new InvalidArgumentError("program", argument, reason);

/** Value ids of the declared inputs, in call order. */
export function programInputIds(p: Program): number[] {
  const ids: number[] = [];
  p.values.forEach((v, i) => {
    if (v.kind === "input") ids.push(i);
  });
  return ids;
}

/** Total number of values: declarations followed by every node's outputs. */
export function programValueCount(p: Program): number {
  return p.values.length + p.nodes.reduce((a, n) => a + n.outputs, 0);
}

/**
 * Structural validation shared by encode and decode: limits, value ids defined before use (so the
 * graph is acyclic), attribute names and sizes, the state convention. Op semantics are checked by
 * inferProgram.
 */
export function validateProgram(p: Program): void {
  if (p.nodes.length > MAX_PROGRAM_NODES) throw invalid("node count", `${p.nodes.length} exceeds ${MAX_PROGRAM_NODES}`);
  if (p.values.length > MAX_PROGRAM_VALUES) throw invalid("value count", `${p.values.length} exceeds ${MAX_PROGRAM_VALUES}`);
  for (const v of p.values) {
    if (v.kind === "const") continue;
    if (v.shape.length > MAX_RANK) throw invalid("declared shape", `rank ${v.shape.length} exceeds ${MAX_RANK}`);
    const dyn = v.shape.filter((d) => d === DYNAMIC_DIM).length;
    if (v.kind === "handle") {
      if (!(v.id instanceof Uint8Array) || v.id.length !== 32) throw invalid("handle", "content id must be 32 bytes");
      if (dyn) throw invalid("handle shape", "a stored tensor has a fixed shape");
    }
    checkShape(v.shape.map((d) => (d === DYNAMIC_DIM ? 1 : d)));
  }
  let defined = p.values.length;
  for (let i = 0; i < p.nodes.length; i++) {
    const n = p.nodes[i]!;
    if (!Number.isInteger(n.op) || n.op < 0 || n.op > 0xffff) throw invalid(`node ${i} op`, "must be a u16 op code");
    if (n.inputs.length > MAX_NODE_INPUTS) throw invalid(`node ${i} inputs`, `more than ${MAX_NODE_INPUTS}`);
    if (!Number.isInteger(n.outputs) || n.outputs < 1 || n.outputs > MAX_NODE_OUTPUTS) {
      throw invalid(`node ${i} outputs`, `must be 1 … ${MAX_NODE_OUTPUTS}`);
    }
    for (const id of n.inputs) {
      if (!Number.isInteger(id) || id < 0 || id >= defined) throw invalid(`node ${i} input`, `value ${id} is not defined before the node`);
    }
    const names = Object.keys(n.attrs);
    if (names.length > MAX_NODE_ATTRS) throw invalid(`node ${i} attrs`, `more than ${MAX_NODE_ATTRS}`);
    for (const name of names) checkAttr(i, name, n.attrs[name]!);
    defined += n.outputs;
    if (defined > MAX_PROGRAM_VALUES) throw invalid("value count", `exceeds ${MAX_PROGRAM_VALUES}`);
  }
  if (p.outputs.length < 1 || p.outputs.length > MAX_PROGRAM_OUTPUTS) throw invalid("outputs", `must be 1 … ${MAX_PROGRAM_OUTPUTS}`);
  for (const id of p.outputs) {
    if (!Number.isInteger(id) || id < 0 || id >= defined) throw invalid("output", `value ${id} is not defined`);
  }
  const inputs = programInputIds(p).length;
  if (!Number.isInteger(p.stateCount) || p.stateCount < 0 || p.stateCount > inputs || p.stateCount > p.outputs.length) {
    throw invalid("stateCount", `${p.stateCount} must be ≤ the number of inputs (${inputs}) and outputs (${p.outputs.length})`);
  }
}

function checkAttr(node: number, name: string, v: AttrValue): void {
  if (!isAttrName(name)) {
    throw invalid(`node ${node} attribute name`, `must be 1 … ${MAX_ATTR_NAME_BYTES} chars of [A-Za-z0-9_], not starting with a digit, and not __proto__`);
  }
  const list = typeof v === "number" ? [v] : v;
  if (list.length > MAX_ATTR_INTS) throw invalid(`node ${node} attribute "${name}"`, `more than ${MAX_ATTR_INTS} integers`);
  for (const x of list) {
    if (!Number.isSafeInteger(x)) throw invalid(`node ${node} attribute "${name}"`, "must hold safe integers only");
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding

/** A growable big-endian byte writer; sizes are small and bounded by the program limits. */
class Writer {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  length = 0;
  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.reserve(1);
    this.view.setUint8(this.length, v);
    this.length += 1;
  }
  u16(v: number): void {
    this.reserve(2);
    this.view.setUint16(this.length, v);
    this.length += 2;
  }
  u32(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, v);
    this.length += 4;
  }
  i64(v: number): void {
    this.reserve(8);
    this.view.setBigInt64(this.length, BigInt(v));
    this.length += 8;
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function writeMeta(w: Writer, dtype: DType, shape: readonly number[]): void {
  w.u8(DTYPE_CODES[dtype]);
  w.u8(shape.length);
  for (const d of shape) w.u32(d === DYNAMIC_DIM ? 0xffffffff : d);
}

/** Encodes a program canonically (attributes sorted by name). Validates it first. */
export function encodeProgram(p: Program): Uint8Array {
  validateProgram(p);
  const w = new Writer();
  w.u32(PROGRAM_MAGIC);
  w.u8(PROGRAM_VERSION);
  w.u8(p.stateCount);
  w.u16(0);
  w.u32(p.values.length);
  w.u32(p.nodes.length);
  w.u32(p.outputs.length);
  for (const v of p.values) {
    if (v.kind === "input") {
      w.u8(VALUE_INPUT);
      writeMeta(w, v.dtype, v.shape);
    } else if (v.kind === "const") {
      w.u8(VALUE_CONST);
      w.bytes(encodeTensor(v.tensor));
    } else {
      w.u8(VALUE_HANDLE);
      w.bytes(v.id);
      writeMeta(w, v.dtype, v.shape);
    }
  }
  for (const n of p.nodes) {
    const names = Object.keys(n.attrs).sort();
    w.u16(n.op);
    w.u8(n.inputs.length);
    w.u8(n.outputs);
    w.u8(names.length);
    for (const id of n.inputs) w.u32(id);
    writeAttrs(w, n.attrs, names);
  }
  for (const id of p.outputs) w.u32(id);
  return w.result();
}

function writeAttrs(w: Writer, attrs: Attrs, sortedNames: readonly string[]): void {
  for (const name of sortedNames) {
    const v = attrs[name]!;
    w.u8(name.length);
    for (let i = 0; i < name.length; i++) w.u8(name.charCodeAt(i));
    if (typeof v === "number") {
      w.u8(ATTR_INT);
      w.i64(v);
    } else {
      w.u8(ATTR_INTS);
      w.u16(v.length);
      for (const x of v) w.i64(x);
    }
  }
}

/**
 * Canonical bytes of one op call's parameters: `op u16 ‖ attrCount u8 ‖ attrs` exactly as a program
 * node writes them (names ascending). What a receipt's paramsHash is computed over for single ops.
 */
export function encodeOpParams(op: number, attrs: Attrs): Uint8Array {
  const names = Object.keys(attrs).sort();
  if (!Number.isInteger(op) || op < 0 || op > 0xffff) throw invalid("op", "must be a u16 op code");
  if (names.length > MAX_NODE_ATTRS) throw invalid("attrs", `more than ${MAX_NODE_ATTRS}`);
  for (const name of names) checkAttr(0, name, attrs[name]!);
  const w = new Writer();
  w.u16(op);
  w.u8(names.length);
  writeAttrs(w, attrs, names);
  return w.result();
}

class Reader {
  private readonly view: DataView;
  offset = 0;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(n: number, field: string): void {
    if (this.offset + n > this.bytes.length) throw malformed(`truncated in ${field} at byte ${this.offset}`);
  }
  u8(field: string): number {
    this.need(1, field);
    return this.view.getUint8(this.offset++);
  }
  u16(field: string): number {
    this.need(2, field);
    const v = this.view.getUint16(this.offset);
    this.offset += 2;
    return v;
  }
  u32(field: string): number {
    this.need(4, field);
    const v = this.view.getUint32(this.offset);
    this.offset += 4;
    return v;
  }
  i64(field: string): number {
    this.need(8, field);
    const v = this.view.getBigInt64(this.offset);
    this.offset += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw malformed(`${field} is not a safe integer`);
    return Number(v);
  }
  take(n: number, field: string): Uint8Array {
    this.need(n, field);
    const b = this.bytes.slice(this.offset, this.offset + n);
    this.offset += n;
    return b;
  }
}

function readMeta(r: Reader, allowDynamic: boolean): { dtype: DType; shape: number[] } {
  const code = r.u8("dtype");
  const dtype = DTYPE_BY_CODE.get(code);
  if (!dtype) throw malformed(`unknown dtype code ${code}`);
  const rank = r.u8("rank");
  if (rank > MAX_RANK) throw malformed(`declared rank ${rank} exceeds ${MAX_RANK}`);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) {
    const d = r.u32("shape");
    if (d === 0xffffffff && allowDynamic) shape.push(DYNAMIC_DIM);
    else shape.push(d);
  }
  return { dtype, shape };
}

/** Decodes and validates a program; every failure is a typed AivmError. */
export function decodeProgram(bytes: Uint8Array): Program {
  const r = new Reader(bytes);
  const magic = r.u32("magic");
  if (magic !== PROGRAM_MAGIC) throw malformed(`bad magic 0x${magic.toString(16).padStart(8, "0")}, expected 0x41495650 ("AIVP")`);
  const version = r.u8("version");
  if (version !== PROGRAM_VERSION) throw malformed(`unsupported version ${version}, expected ${PROGRAM_VERSION}`);
  const stateCount = r.u8("stateCount");
  if (r.u16("reserved") !== 0) throw malformed("reserved field must be zero");
  const valueCount = r.u32("valueCount");
  const nodeCount = r.u32("nodeCount");
  const outputCount = r.u32("outputCount");
  // Counts are checked before any loop or array depends on them.
  if (valueCount > MAX_PROGRAM_VALUES) throw malformed(`${valueCount} values exceed ${MAX_PROGRAM_VALUES}`);
  if (nodeCount > MAX_PROGRAM_NODES) throw malformed(`${nodeCount} nodes exceed ${MAX_PROGRAM_NODES}`);
  if (outputCount > MAX_PROGRAM_OUTPUTS) throw malformed(`${outputCount} outputs exceed ${MAX_PROGRAM_OUTPUTS}`);

  const values: ValueDecl[] = [];
  for (let i = 0; i < valueCount; i++) {
    const kind = r.u8("value kind");
    if (kind === VALUE_INPUT) {
      values.push({ kind: "input", ...readMeta(r, true) });
    } else if (kind === VALUE_CONST) {
      const { tensor, end } = decodeTensorAt(bytes, r.offset);
      r.offset = end;
      values.push({ kind: "const", tensor });
    } else if (kind === VALUE_HANDLE) {
      const id = r.take(32, "handle id");
      values.push({ kind: "handle", id, ...readMeta(r, false) });
    } else {
      throw malformed(`unknown value kind ${kind} at value ${i}`);
    }
  }
  const nodes: ProgramNode[] = [];
  for (let i = 0; i < nodeCount; i++) {
    const op = r.u16("op");
    const inputCount = r.u8("input count");
    const outputs = r.u8("output count");
    const attrCount = r.u8("attr count");
    if (inputCount > MAX_NODE_INPUTS || attrCount > MAX_NODE_ATTRS) throw malformed(`node ${i} exceeds input or attribute limits`);
    const inputs: number[] = [];
    for (let j = 0; j < inputCount; j++) inputs.push(r.u32("input id"));
    const attrs: Record<string, AttrValue> = {};
    let previous = "";
    for (let j = 0; j < attrCount; j++) {
      const len = r.u8("attr name length");
      if (len === 0 || len > MAX_ATTR_NAME_BYTES) throw malformed(`node ${i} attribute name length ${len}`);
      const raw = r.take(len, "attr name");
      const name = String.fromCharCode(...raw);
      if (!isAttrName(name)) throw malformed(`node ${i} attribute name is not an identifier [A-Za-z_][A-Za-z0-9_]* other than __proto__`);
      // Canonical: strictly ascending names, so one program has one encoding (and one hash).
      if (name <= previous) throw malformed(`node ${i} attributes not in strictly ascending order`);
      previous = name;
      const tag = r.u8("attr tag");
      if (tag === ATTR_INT) attrs[name] = r.i64("attr value");
      else if (tag === ATTR_INTS) {
        const n = r.u16("attr length");
        if (n > MAX_ATTR_INTS) throw malformed(`node ${i} attribute "${name}" has more than ${MAX_ATTR_INTS} integers`);
        const list: number[] = [];
        for (let k = 0; k < n; k++) list.push(r.i64("attr value"));
        attrs[name] = list;
      } else throw malformed(`node ${i} attribute "${name}" has unknown tag ${tag}`);
    }
    nodes.push({ op, inputs, outputs, attrs });
  }
  const outputs: number[] = [];
  for (let i = 0; i < outputCount; i++) outputs.push(r.u32("output id"));
  if (r.offset !== bytes.length) throw malformed(`${bytes.length - r.offset} trailing bytes`);
  const program: Program = { stateCount, values, nodes, outputs };
  try {
    validateProgram(program);
  } catch (e) {
    if (e instanceof InvalidArgumentError) throw malformed(e.shortMessage);
    throw e;
  }
  return program;
}

/** Byte length of a program's encoding without building it (what calldata copying is priced on). */
export function encodedProgramLength(p: Program): number {
  let n = 20;
  for (const v of p.values) {
    if (v.kind === "input") n += 3 + 4 * v.shape.length;
    else if (v.kind === "const") n += 1 + encodedTensorLength(v.tensor, v.tensor.quant);
    else n += 1 + 32 + 2 + 4 * v.shape.length;
  }
  for (const node of p.nodes) {
    n += 5 + 4 * node.inputs.length;
    for (const [name, v] of Object.entries(node.attrs)) n += 2 + name.length + (typeof v === "number" ? 8 : 2 + 8 * v.length);
  }
  return n + 4 * p.outputs.length;
}

/** The meta of a declared value (constants carry theirs). */
export function declaredMeta(v: ValueDecl): TensorMeta {
  return v.kind === "const" ? { dtype: v.tensor.dtype, shape: v.tensor.shape } : { dtype: v.dtype, shape: v.shape };
}
