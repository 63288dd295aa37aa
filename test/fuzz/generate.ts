// Input generators for the precompile and RPC fuzzer (scripts/fuzz.ts): random tensors and shapes
// (small ones that run, and ones at the limits), engine attributes drawn from each op's own attribute
// list, single-op calls and programs that pass shape inference (kept in pools, then mutated one field
// at a time), and byte-level mutations of tensor, program and ABI encodings, canonical or not.
// Everything is drawn from one seeded xorshift32 (test/xorshift.ts): a seed reproduces an input.
import { encodeAbiParameters, hexToBytes, bytesToHex, type AbiParameter, type Hex } from "viem";
import { rng } from "../xorshift.ts";
import { OPS_BY_CODE, OPS_BY_NAME, type RegisteredOp } from "../../src/engine/registry.ts";
import { DTYPE_MAX, DTYPE_MIN, MAX_ELEMENTS, MAX_RANK, type DType, type Tensor, type TensorMeta } from "../../src/engine/tensor.ts";
import type { AttrValue, Attrs } from "../../src/engine/op.ts";
import { encodeTensor } from "../../src/codec/tensor.ts";
import { DYNAMIC_DIM, encodeProgram, type Program, type ProgramNode, type ValueDecl } from "../../src/codec/program.ts";
import { inferProgram } from "../../src/codec/program-infer.ts";

/** A seeded source of random choices. */
export class Rand {
  private readonly next: (n: number) => number;
  constructor(seed: number) {
    this.next = rng(seed);
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 1 ? 0 : this.next(n);
  }
  /** True one time in `n`. */
  oneIn(n: number): boolean {
    return this.int(n) === 0;
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

/** One 32-bit seed per (run seed, target, index): any single input can be regenerated on its own. */
export function inputSeed(seed: number, target: number, index: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(target + 1, 0xc2b2ae35) ^ Math.imul(index + 0x632be5ab, 0x27d4eb2f);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0 || 1;
}

const DTYPES: readonly DType[] = ["int8", "int16", "int32"];
/** Integers where limits and overflow live. */
export const BOUNDARY_INTS = [0, 1, -1, 2, 3, 7, 8, 15, 16, 31, 32, 33, 52, 53, 62, 63, 64, 127, 128, 255, 256, 1023, 1024, 4096, 4097, 32767, 32768, 65535, 65536, 2 ** 24, 2 ** 27, 2 ** 27 + 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 48, 2 ** 53 - 1, -(2 ** 31), -(2 ** 53 - 1)];
/** Dimensions at the limits: empty, one, the element limit, and the wire format's widest values. */
const LIMIT_DIMS = [0, 1, 2, 255, 256, 4096, 65536, MAX_ELEMENTS, MAX_ELEMENTS + 1, 2 ** 31 - 1, 2 ** 32 - 1];

/** A small dimension (most), or one at the limits. */
export function randomDim(r: Rand, limits = false): number {
  if (limits && r.oneIn(3)) return r.pick(LIMIT_DIMS);
  if (r.oneIn(12)) return 0;
  if (r.oneIn(10)) return r.range(8, 64);
  return r.range(1, 5);
}

export function randomShape(r: Rand, maxElements = 4096): number[] {
  const rank = r.oneIn(25) ? r.range(5, MAX_RANK) : r.int(5);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(randomDim(r));
  // Keep inline tensors small: the large cases come from headers and declared shapes, not from data.
  while (shape.reduce((a, b) => a * b, 1) > maxElements) shape[r.int(shape.length)] = r.range(1, 3);
  return shape;
}

export function randomData(r: Rand, dtype: DType, n: number): Int32Array {
  const out = new Int32Array(n);
  const lo = DTYPE_MIN[dtype];
  const span = DTYPE_MAX[dtype] - lo + 1;
  const mode = r.int(4);
  for (let i = 0; i < n; i++) {
    // Extremes, small values (indices, counts), or anything in range.
    out[i] = mode === 0 ? (r.oneIn(2) ? DTYPE_MIN[dtype] : DTYPE_MAX[dtype]) : mode === 1 ? r.range(-2, 5) : lo + r.int(span);
  }
  return out;
}

/** An empty shape with a huge dimension beside its zero: no data, but every per-axis scratch sized by that dimension. */
function emptyHugeShape(r: Rand): number[] {
  const shape = Array.from({ length: r.range(2, 4) }, () => r.range(1, 4));
  const zero = r.int(shape.length);
  shape[zero] = 0;
  shape[(zero + 1 + r.int(shape.length - 1)) % shape.length] = r.pick([1 << 16, 1 << 24, MAX_ELEMENTS, 2 ** 31 - 1]);
  return shape;
}

export function randomTensor(r: Rand, meta?: TensorMeta, maxElements = 4096): Tensor {
  const dtype = meta?.dtype ?? r.pick(DTYPES);
  const shape = meta ? [...meta.shape] : r.oneIn(40) ? emptyHugeShape(r) : randomShape(r, maxElements);
  const n = shape.reduce((a, b) => a * b, 1);
  const ints = randomData(r, dtype, n);
  const data = dtype === "int8" ? Int8Array.from(ints) : dtype === "int16" ? Int16Array.from(ints) : ints;
  const t: Tensor = { dtype, shape, data };
  if (r.oneIn(6)) t.quant = { axis: -1, multiplier: [r.range(1, 2 ** 31 - 1)], shift: [r.int(40)], zeroPoint: [r.range(-128, 127)] };
  return t;
}

/** The wire encoding of a tensor; a quantization the codec refuses is dropped, a shape it refuses (rank 9) is written raw. */
export function wire(t: Tensor): Uint8Array {
  try {
    return encodeTensor(t);
  } catch {
    try {
      return encodeTensor({ dtype: t.dtype, shape: t.shape, data: t.data });
    } catch {
      return rawWire(t);
    }
  }
}

/** The wire layout written without the codec's checks (docs/spec.md#tensor-wire-format): what an attacker can send. */
function rawWire(t: Tensor): Uint8Array {
  const size = DTYPE_SIZE[t.dtype];
  const out = new Uint8Array(12 + 4 * t.shape.length + t.data.length * size);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x41495654);
  out.set([1, DTYPE_CODE[t.dtype], t.shape.length & 0xff, 0], 4);
  view.setUint32(8, (t.data.length * size) >>> 0);
  t.shape.forEach((d, i) => view.setUint32(12 + 4 * i, d >>> 0));
  let o = 12 + 4 * t.shape.length;
  for (const v of t.data) {
    if (size === 1) view.setInt8(o, v);
    else if (size === 2) view.setInt16(o, v, true);
    else view.setInt32(o, v, true);
    o += size;
  }
  return out;
}
const DTYPE_SIZE: Record<DType, number> = { int8: 1, int16: 2, int32: 4 };
const DTYPE_CODE: Record<DType, number> = { int8: 1, int16: 2, int32: 3 };

// ───────────────────────────── attributes ─────────────────────────────

/** Attributes that hold one integer per dimension (or per spatial dimension). */
const LIST_ATTRS = new Set(["axes", "perm", "kernel_shape", "strides", "pads", "dilations", "shape", "starts", "ends", "steps"]);

/** A plausible value for attribute `name` of an op on inputs of rank `rank`, sometimes a boundary value. */
export function randomAttr(r: Rand, name: string, rank: number): AttrValue {
  if (r.oneIn(10)) return r.oneIn(3) ? Array.from({ length: r.int(4) }, () => r.pick(BOUNDARY_INTS)) : r.pick(BOUNDARY_INTS);
  if (LIST_ATTRS.has(name)) {
    const n = r.oneIn(4) ? r.int(2 * rank + 2) : name === "pads" ? 2 * Math.max(rank - 2, 1) : name === "perm" || name === "shape" ? rank : Math.max(rank - 2, 1);
    if (name === "perm") {
      const perm = Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = r.int(i + 1);
        [perm[i], perm[j]] = [perm[j]!, perm[i]!];
      }
      return perm;
    }
    return Array.from({ length: n }, () => (name === "pads" || name === "starts" ? r.range(-1, 2) : r.range(-1, 3)));
  }
  switch (name) {
    case "axis":
      return r.range(-rank - 1, rank);
    case "multiplier":
    case "aMultiplier":
    case "bMultiplier":
    case "outMultiplier":
    case "alphaMultiplier":
    case "scoreMultiplier":
      return r.oneIn(3) ? r.range(1, 2 ** 31 - 1) : r.range(1, 1 << 16);
    case "shift":
    case "aShift":
    case "bShift":
    case "outShift":
    case "alphaShift":
    case "scoreShift":
    case "leftShift":
      return r.oneIn(4) ? r.range(40, 64) : r.int(32);
    case "zeroPoint":
    case "aZero":
    case "bZero":
    case "xZero":
    case "inZero":
      return r.range(-128, 127);
    case "outDtype":
      return r.oneIn(8) ? r.range(3, 4) : r.range(0, 2);
    case "k":
      return r.range(0, 6);
    case "q_num_heads":
    case "kv_num_heads":
      return r.range(0, 4);
    case "epsilon":
      return r.int(1000);
    case "six":
    case "min":
    case "max":
      return r.range(-200, 200);
    case "groups":
      return r.range(0, 3);
    default:
      return r.range(0, 2);
  }
}

/** Attributes an op cannot do without: present in nine calls out of ten. */
const REQUIRED_ATTRS: Readonly<Record<string, readonly string[]>> = {
  requantize: ["multiplier", "shift", "outDtype"],
  attention: ["scoreMultiplier", "scoreShift"],
  layer_norm: ["multiplier", "shift"],
  rms_norm: ["multiplier", "shift"],
  max_pool: ["kernel_shape"],
  avg_pool: ["kernel_shape"],
};

export function randomAttrs(r: Rand, op: RegisteredOp, rank: number): Attrs {
  const attrs: Record<string, AttrValue> = {};
  const required = r.oneIn(10) ? [] : (REQUIRED_ATTRS[op.name] ?? []);
  for (const name of op.attrs) if (required.includes(name) || r.oneIn(3)) attrs[name] = randomAttr(r, name, rank);
  // Now and then an attribute the op does not know (rejected by name).
  if (r.oneIn(20)) attrs[r.pick(["bogus", "Axis", "x", "_"])] = r.int(3);
  return attrs;
}

// ───────────────────────────── single-op calls ─────────────────────────────

/** One engine op on concrete inputs. */
export interface OpCall {
  op: RegisteredOp;
  inputs: Tensor[];
  attrs: Attrs;
}

const same = (t: Tensor): TensorMeta => ({ dtype: t.dtype, shape: t.shape });

/** Inputs shaped the way the op usually wants them, so that many calls get past inference. */
function templateInputs(r: Rand, op: RegisteredOp): Tensor[] | undefined {
  const d = () => r.range(1, 6);
  const int8 = (shape: number[]) => randomTensor(r, { dtype: r.oneIn(4) ? "int16" : "int8", shape });
  switch (op.name) {
    case "matmul": {
      const [m, k, n] = [d(), d(), d()];
      const batch = r.oneIn(3) ? [d()] : [];
      const ins = [int8([...batch, m, k]), randomTensor(r, { dtype: "int8", shape: r.oneIn(2) ? [k, n] : [...batch, k, n] })];
      if (r.oneIn(3)) ins.push(randomTensor(r, { dtype: "int32", shape: [n] }));
      return ins;
    }
    case "conv2d": {
      const [c, o, kh, kw] = [d(), d(), r.range(1, 3), r.range(1, 3)];
      return [int8([1, c, kh + d(), kw + d()]), randomTensor(r, { dtype: "int8", shape: [o, c, kh, kw] })];
    }
    case "lut":
      return [randomTensor(r, { dtype: "int8", shape: randomShape(r, 256) }), randomTensor(r, { dtype: r.oneIn(2) ? "int8" : "int16", shape: [256] })];
    case "layer_norm":
    case "rms_norm": {
      const x = randomTensor(r, { dtype: r.pick(DTYPES), shape: [d(), d()] });
      return [x, randomTensor(r, { dtype: r.oneIn(4) ? "int16" : "int8", shape: [x.shape[1]!] })];
    }
    case "max_pool":
    case "avg_pool":
      return [int8([1, d(), d() + 1, d() + 1])];
    case "gather": {
      const data = randomTensor(r, { dtype: r.pick(DTYPES), shape: [d(), d()] });
      return [data, randomTensor(r, { dtype: "int32", shape: [d()] })];
    }
    case "where": {
      const shape = randomShape(r, 64);
      return [randomTensor(r, { dtype: "int8", shape }), randomTensor(r, { dtype: "int8", shape }), randomTensor(r, { dtype: "int8", shape })];
    }
    case "attention": {
      const [b, h, s, t, dh] = [1, r.range(1, 2), d(), d(), r.range(0, 4)];
      return [int8([b, h, s, dh]), int8([b, h, t, dh]), int8([b, h, t, dh])];
    }
    case "sample": {
      const config = randomTensor(r, { dtype: "int32", shape: [4] });
      config.data.set([r.range(0, 1 << 17), r.range(0, 4), r.range(0, 1 << 16), 0]);
      return [randomTensor(r, { dtype: "int32", shape: [d() * 4] }), randomTensor(r, { dtype: "int32", shape: [8] }), randomTensor(r, { dtype: "int32", shape: [1] }), config];
    }
    case "concat":
    case "add":
    case "sub":
    case "mul": {
      const a = randomTensor(r, undefined, 256);
      // Equal shapes, or a broadcast of two small factors into a large product (little input, much work).
      if (r.oneIn(4)) {
        const [m, n] = [r.range(1, 512), r.range(1, 512)];
        return [randomTensor(r, { dtype: "int8", shape: [m, 1] }), randomTensor(r, { dtype: "int8", shape: [1, n] })];
      }
      return [a, randomTensor(r, same(a))];
    }
    default:
      return undefined;
  }
}

/** A random call of `op` (shaped by its template half the time). */
export function randomOpCall(r: Rand, op: RegisteredOp): OpCall {
  let inputs = r.oneIn(2) ? templateInputs(r, op) : undefined;
  if (inputs === undefined) {
    const required = op.inputs.filter((n) => !n.endsWith("?")).length;
    const count = Math.min(op.inputs.length, required + (r.oneIn(3) ? r.int(op.inputs.length - required + 1) : 0));
    const first = randomTensor(r);
    inputs = [first];
    for (let i = 1; i < count; i++) inputs.push(r.oneIn(2) ? randomTensor(r, same(first)) : randomTensor(r));
  }
  return { op, inputs, attrs: randomAttrs(r, op, inputs[0]?.shape.length ?? 1) };
}

/** Whether the op's shape inference accepts the call (it would get past planning). */
export function infers(c: OpCall): boolean {
  try {
    c.op.infer(c.inputs, c.attrs);
    return true;
  } catch {
    return false;
  }
}

/** Calls that passed inference, per op: the seeds that mutations change one field of. */
export class Pool<T> {
  private readonly items: T[] = [];
  constructor(private readonly cap = 48) {}
  add(r: Rand, item: T): void {
    if (this.items.length < this.cap) this.items.push(item);
    else this.items[r.int(this.cap)] = item;
  }
  pick(r: Rand): T | undefined {
    return this.items.length === 0 ? undefined : r.pick(this.items);
  }
  get size(): number {
    return this.items.length;
  }
}

/** Changes one field of a valid call: an input's dtype, one dimension, one attribute, or the input count. */
export function mutateOpCall(r: Rand, c: OpCall): { call: OpCall; change: string } {
  const inputs = [...c.inputs];
  const attrs: Record<string, AttrValue> = { ...c.attrs };
  const i = r.int(inputs.length);
  switch (r.int(5)) {
    case 0: {
      const dtype = r.pick(DTYPES);
      inputs[i] = randomTensor(r, { dtype, shape: inputs[i]!.shape });
      return { call: { ...c, inputs }, change: `input ${i} dtype → ${dtype}` };
    }
    case 1: {
      const t = inputs[i]!;
      const shape = [...t.shape];
      if (shape.length === 0 || r.oneIn(4)) shape.splice(r.int(shape.length + 1), 0, randomDim(r));
      else shape[r.int(shape.length)] = r.oneIn(3) ? 0 : randomDim(r);
      if (shape.reduce((a, b) => a * b, 1) > 1 << 16) return { call: c, change: "none" };
      inputs[i] = randomTensor(r, { dtype: t.dtype, shape });
      return { call: { ...c, inputs }, change: `input ${i} shape → [${shape.join(",")}]` };
    }
    case 2: {
      const name = r.pick(c.op.attrs.length > 0 ? c.op.attrs : ["axis"]);
      attrs[name] = r.oneIn(2) ? r.pick(BOUNDARY_INTS) : randomAttr(r, name, inputs[0]?.shape.length ?? 1);
      return { call: { ...c, attrs }, change: `attribute ${name} → ${JSON.stringify(attrs[name])}` };
    }
    case 3: {
      const name = Object.keys(attrs)[0];
      if (name === undefined) return { call: c, change: "none" };
      delete attrs[name];
      return { call: { ...c, attrs }, change: `attribute ${name} removed` };
    }
    default:
      if (r.oneIn(2) && inputs.length > 0) {
        inputs.pop();
        return { call: { ...c, inputs }, change: "last input dropped" };
      }
      inputs.push(randomTensor(r, inputs[0] ? same(inputs[0]) : undefined));
      return { call: { ...c, inputs }, change: "one more input" };
  }
}

/** The op call's attributes as the TMATMUL/TEWOP ABI lists. */
export function attrLists(attrs: Attrs): [string[], bigint[][]] {
  const names = Object.keys(attrs);
  return [names, names.map((n) => {
    const v = attrs[n]!;
    return (typeof v === "number" ? [v] : v).map((x) => BigInt(x));
  })];
}

// ───────────────────────────── programs ─────────────────────────────

const UNARY = ["relu", "relu6", "clip", "requantize", "reshape", "flatten", "softmax", "reduce_sum", "transpose"].map((n) => OPS_BY_NAME.get(n)!);

/** A program from a valid op call: its inputs become program inputs (or constants), then a short chain of unary ops. */
export function programFromCall(r: Rand, c: OpCall, handles: readonly { id: Uint8Array; meta: TensorMeta }[]): { program: Program; inputs: Tensor[] } {
  const values: ValueDecl[] = [];
  const inputs: Tensor[] = [];
  for (const t of c.inputs) {
    const h = handles.find((x) => x.meta.dtype === t.dtype && x.meta.shape.length === t.shape.length && x.meta.shape.every((d, i) => d === t.shape[i]));
    if (h && r.oneIn(2)) values.push({ kind: "handle", id: h.id, dtype: h.meta.dtype, shape: h.meta.shape });
    else if (r.oneIn(4)) values.push({ kind: "const", tensor: t });
    else {
      values.push({ kind: "input", dtype: t.dtype, shape: r.oneIn(5) && t.shape.length > 0 ? [DYNAMIC_DIM, ...t.shape.slice(1)] : t.shape });
      inputs.push(t);
    }
  }
  const nodes: ProgramNode[] = [{ op: c.op.code, inputs: values.map((_, i) => i), outputs: 1, attrs: c.attrs }];
  let last = values.length;
  for (let n = r.int(4); n > 0; n--) {
    const op = r.pick(UNARY);
    nodes.push({ op: op.code, inputs: [last], outputs: 1, attrs: r.oneIn(2) ? {} : randomAttrs(r, op, 2) });
    last++;
  }
  const outputs = r.oneIn(4) ? [values.length, last] : [last];
  return { program: { stateCount: 0, values, nodes, outputs }, inputs };
}

/** Whether a program passes static inference on its declared inputs. */
export function programInfers(p: Program): boolean {
  try {
    encodeProgram(p);
    inferProgram(p);
    return true;
  } catch {
    return false;
  }
}

/** Changes one field of a program: a node's op, an input id, its output count, an attribute, a declared dim or dtype, an output id, stateCount. */
export function mutateProgram(r: Rand, p: Program): { program: Program; change: string } {
  const nodes = p.nodes.map((n) => ({ ...n, inputs: [...n.inputs], attrs: { ...n.attrs } }));
  const values = [...p.values];
  const outputs = [...p.outputs];
  const total = values.length + nodes.reduce((a, n) => a + n.outputs, 0);
  const k = r.int(nodes.length);
  const n = nodes[k]!;
  let change: string;
  switch (r.int(8)) {
    case 0:
      n.op = r.oneIn(4) ? r.pick([0, 35, 999, 0xffff]) : r.pick([...OPS_BY_CODE.keys()]);
      change = `node ${k} op → ${n.op}`;
      break;
    case 1:
      if (n.inputs.length === 0) n.inputs.push(0);
      n.inputs[r.int(n.inputs.length)] = r.oneIn(4) ? r.pick([total, 2 ** 32 - 1]) : r.int(total);
      change = `node ${k} input → ${JSON.stringify(n.inputs)}`;
      break;
    case 2:
      n.outputs = r.range(0, 9);
      change = `node ${k} outputs → ${n.outputs}`;
      break;
    case 3: {
      const op = OPS_BY_CODE.get(n.op);
      const name = op && op.attrs.length > 0 ? r.pick(op.attrs) : "axis";
      n.attrs[name] = r.oneIn(2) ? r.pick(BOUNDARY_INTS) : randomAttr(r, name, 3);
      change = `node ${k} attribute ${name} → ${JSON.stringify(n.attrs[name])}`;
      break;
    }
    case 4: {
      const i = r.int(values.length);
      const v = values[i]!;
      if (v.kind === "const") {
        values[i] = { kind: "input", dtype: v.tensor.dtype, shape: v.tensor.shape };
        change = `value ${i} const → input`;
      } else {
        const shape = [...v.shape];
        if (shape.length === 0 || r.oneIn(4)) shape.push(randomDim(r, true));
        else shape[r.int(shape.length)] = randomDim(r, true);
        values[i] = { ...v, shape };
        change = `value ${i} shape → [${shape.join(",")}]`;
      }
      break;
    }
    case 5: {
      const i = r.int(values.length);
      const v = values[i]!;
      const dtype = r.pick(DTYPES);
      values[i] = v.kind === "const" ? { kind: "const", tensor: randomTensor(r, { dtype, shape: v.tensor.shape }) } : { ...v, dtype };
      change = `value ${i} dtype → ${dtype}`;
      break;
    }
    case 6:
      outputs[r.int(outputs.length)] = r.int(total + 1);
      change = `outputs → ${JSON.stringify(outputs)}`;
      break;
    default:
      return { program: { ...p, stateCount: r.range(0, 2), values, nodes, outputs }, change: "stateCount changed" };
  }
  return { program: { ...p, values, nodes, outputs }, change };
}

// ───────────────────────────── byte-level mutations ─────────────────────────────

const WORD_VALUES = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

/** One byte-level change: a byte, a big-endian u32 at a 1- or 4-aligned offset set to a limit value, an insertion, a deletion or a truncation. */
export function mutateBytes(r: Rand, bytes: Uint8Array, headerBias = 0): { bytes: Uint8Array; change: string } {
  if (bytes.length === 0) return { bytes: r.bytes(r.int(64)), change: "random bytes" };
  // Most changes fall in the first `headerBias` bytes (the header fields) when one is given.
  const at = headerBias > 0 && !r.oneIn(4) ? r.int(Math.min(headerBias, bytes.length)) : r.int(bytes.length);
  const out = bytes.slice();
  switch (r.int(6)) {
    case 0:
      out[at] = r.pick([0, 1, 0x7f, 0x80, 0xff, r.int(256)]);
      return { bytes: out, change: `byte ${at} → ${out[at]}` };
    case 1:
    case 2: {
      const p = r.oneIn(2) ? at & ~3 : at;
      if (p + 4 > out.length) return { bytes: out.subarray(0, p), change: `truncated at ${p}` };
      const v = r.pick(WORD_VALUES);
      new DataView(out.buffer).setUint32(p, v);
      return { bytes: out, change: `u32 at ${p} → 0x${v.toString(16)}` };
    }
    case 3: {
      const ins = r.oneIn(2) ? new Uint8Array(r.range(1, 64)) : r.bytes(r.range(1, 64));
      const res = new Uint8Array(out.length + ins.length);
      res.set(out.subarray(0, at));
      res.set(ins, at);
      res.set(out.subarray(at), at + ins.length);
      return { bytes: res, change: `${ins.length} bytes inserted at ${at}` };
    }
    case 4: {
      const n = r.range(1, Math.min(64, out.length - at));
      const res = new Uint8Array(out.length - n);
      res.set(out.subarray(0, at));
      res.set(out.subarray(at + n), at);
      return { bytes: res, change: `${n} bytes deleted at ${at}` };
    }
    default:
      return { bytes: out.subarray(0, at), change: `truncated to ${at} bytes` };
  }
}

// ───────────────────────────── ABI layouts ─────────────────────────────

/** abi.encode(params…) as bytes (canonical: viem writes the canonical layout). */
export function abi(params: readonly AbiParameter[], values: readonly unknown[]): Uint8Array {
  const hexify = (v: unknown): unknown => (v instanceof Uint8Array ? bytesToHex(v) : Array.isArray(v) ? v.map(hexify) : v);
  return hexToBytes(encodeAbiParameters(params, values.map(hexify) as never) as Hex);
}

const isDynamicType = (t: string) => t === "bytes" || t === "string" || t.endsWith("[]");

/**
 * A layout a lenient ABI decoder accepts but the canonical one must reject: a gap before a tail (offsets
 * shifted), two heads aliasing one tail, trailing bytes, dirty padding of a small integer, or an
 * offset or length word set to a limit value.
 */
export function nonCanonical(r: Rand, params: readonly AbiParameter[], encoded: Uint8Array): { bytes: Uint8Array; change: string } {
  const dyn = params.map((p, i) => (isDynamicType(p.type) ? i : -1)).filter((i) => i >= 0);
  const word = (b: Uint8Array, at: number) => Number(new DataView(b.buffer, b.byteOffset).getBigUint64(at + 24));
  const setWord = (b: Uint8Array, at: number, v: number) => {
    b.fill(0, at, at + 24);
    new DataView(b.buffer, b.byteOffset).setBigUint64(at + 24, BigInt(v));
  };
  const out = encoded.slice();
  switch (r.int(5)) {
    case 0: {
      if (dyn.length === 0) break;
      const head = 32 * params.length;
      const gap = 32 * r.range(1, 3);
      const res = new Uint8Array(out.length + gap);
      res.set(out.subarray(0, head));
      res.set(out.subarray(head), head + gap);
      for (const i of dyn) setWord(res, 32 * i, word(out, 32 * i) + gap);
      return { bytes: res, change: `${gap}-byte gap before the tails` };
    }
    case 1: {
      if (dyn.length < 2) break;
      const [a, b] = [r.pick(dyn), r.pick(dyn)];
      setWord(out, 32 * b, word(out, 32 * a));
      return { bytes: out, change: `head ${b} aliases the tail of head ${a}` };
    }
    case 2: {
      const extra = r.range(1, 64);
      const res = new Uint8Array(out.length + extra);
      res.set(out);
      return { bytes: res, change: `${extra} trailing bytes` };
    }
    case 3: {
      const small = params.map((p, i) => (/^u?int(8|16|32)$/.test(p.type) ? i : -1)).filter((i) => i >= 0);
      if (small.length === 0) break;
      const i = r.pick(small);
      out[32 * i + r.int(28)] = r.range(1, 255);
      return { bytes: out, change: `dirty padding in head ${i} (${params[i]!.type})` };
    }
    default:
      break;
  }
  if (dyn.length === 0 || out.length < 32 * params.length) return mutateBytes(r, out);
  const i = r.pick(dyn);
  const target = r.oneIn(2) ? 32 * i : Math.min(word(out, 32 * i), out.length - 32);
  setWord(out, target, r.pick([0, 32, 2 ** 32, 2 ** 48 - 1, out.length, out.length + 32, r.int(out.length)]));
  return { bytes: out, change: `${target === 32 * i ? "offset" : "length"} word of head ${i} set to a limit` };
}
