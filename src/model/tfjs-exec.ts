// Float reference executor for TF.js graph models: runs the GraphDef ops one by one in float32
// (intermediates in doubles), so the importer can fold shape subgraphs for a fixed length and
// calibrate activations. Offline only; it is the reference the integer program is measured against.
import { InvalidArgumentError } from "../engine/errors.ts";
import { stridesOf } from "../engine/tensor.ts";
import { checkTfjsOps, type TfjsAttr, type TfjsDType, type TfjsGraph, type TfjsNode, type TfjsTensor } from "./tfjs.ts";

type Kernel = (inputs: TfjsTensor[], attrs: Record<string, TfjsAttr>, node: TfjsNode) => TfjsTensor[];

const size = (shape: readonly number[]) => shape.reduce((a, d) => a * d, 1);

function make(dtype: TfjsDType, shape: number[], values: ArrayLike<number>): TfjsTensor {
  const data = dtype === "float32" ? Float32Array.from(values) : Int32Array.from(values);
  return { dtype, shape, data };
}

function fail(node: TfjsNode, reason: string): never {
  throw new InvalidArgumentError(`tfjs ${node.op}`, `node "${node.name}"`, reason);
}

function axisOf(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** numpy broadcasting of two tensors through f. */
function broadcast(a: TfjsTensor, b: TfjsTensor, dtype: TfjsDType, f: (x: number, y: number) => number, node: TfjsNode): TfjsTensor {
  const rank = Math.max(a.shape.length, b.shape.length);
  const pa = [...new Array(rank - a.shape.length).fill(1), ...a.shape];
  const pb = [...new Array(rank - b.shape.length).fill(1), ...b.shape];
  const out = pa.map((d, i) => {
    const e = pb[i]!;
    if (d !== e && d !== 1 && e !== 1) fail(node, `shapes [${a.shape}] and [${b.shape}] do not broadcast`);
    return d === 1 ? e : d;
  });
  const sa = stridesOf(pa).map((s, i) => (pa[i] === 1 ? 0 : s));
  const sb = stridesOf(pb).map((s, i) => (pb[i] === 1 ? 0 : s));
  const n = size(out);
  const values = new Float64Array(n);
  const idx = new Array<number>(rank).fill(0);
  for (let k = 0; k < n; k++) {
    let ia = 0, ib = 0;
    for (let d = 0; d < rank; d++) {
      ia += idx[d]! * sa[d]!;
      ib += idx[d]! * sb[d]!;
    }
    values[k] = f(a.data[ia]!, b.data[ib]!);
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < out[d]!) break;
      idx[d] = 0;
    }
  }
  return make(dtype, out, values);
}

function binary(f: (x: number, y: number) => number, boolOut = false): Kernel {
  return ([a, b], _attrs, node) => [broadcast(a!, b!, boolOut ? "bool" : a!.dtype, f, node)];
}

function unary(f: (x: number) => number, dtype?: TfjsDType): Kernel {
  return ([x]) => [make(dtype ?? x!.dtype, [...x!.shape], Array.from(x!.data, f))];
}

function listOf(t: TfjsTensor): number[] {
  return Array.from(t.data);
}

function reduce(init: number, f: (acc: number, v: number) => number, finish?: (acc: number, count: number) => number): Kernel {
  return ([x, axesT], attrs) => {
    const rank = x!.shape.length;
    const axes = new Set(listOf(axesT!).map((a) => axisOf(a, rank)));
    const outShape: number[] = [];
    const keep = attrs.keep_dims === true;
    x!.shape.forEach((d, i) => {
      if (!axes.has(i)) outShape.push(d);
      else if (keep) outShape.push(1);
    });
    const reducedCount = x!.shape.reduce((a, d, i) => (axes.has(i) ? a * d : a), 1);
    const accs = new Float64Array(size(outShape)).fill(init);
    const strides = x!.shape.map((_, i) => i);
    const keptDims = strides.filter((i) => !axes.has(i));
    const keptStrides = stridesOf(keptDims.map((i) => x!.shape[i]!));
    const idx = new Array<number>(rank).fill(0);
    for (let k = 0; k < x!.data.length; k++) {
      let o = 0;
      keptDims.forEach((d, j) => (o += idx[d]! * keptStrides[j]!));
      accs[o] = f(accs[o]!, x!.data[k]!);
      for (let d = rank - 1; d >= 0; d--) {
        if (++idx[d]! < x!.shape[d]!) break;
        idx[d] = 0;
      }
    }
    const values = finish ? Array.from(accs, (a) => finish(a, reducedCount)) : accs;
    return [make(x!.dtype, outShape, values)];
  };
}

function transpose(x: TfjsTensor, perm: readonly number[]): TfjsTensor {
  const outShape = perm.map((p) => x.shape[p]!);
  const inStrides = stridesOf(x.shape);
  const n = x.data.length;
  const values = new Float64Array(n);
  const idx = new Array<number>(perm.length).fill(0);
  for (let k = 0; k < n; k++) {
    let src = 0;
    for (let d = 0; d < perm.length; d++) src += idx[d]! * inStrides[perm[d]!]!;
    values[k] = x.data[src]!;
    for (let d = perm.length - 1; d >= 0; d--) {
      if (++idx[d]! < outShape[d]!) break;
      idx[d] = 0;
    }
  }
  return make(x.dtype, outShape, values);
}

// Weights are read by every run: their double copies are kept per tensor.
const doubles = new WeakMap<Float32Array | Int32Array, Float64Array>();
function asDoubles(t: TfjsTensor): Float64Array {
  let d = doubles.get(t.data);
  if (!d) doubles.set(t.data, (d = Float64Array.from(t.data)));
  return d;
}

/** Batched a·b over the last two dims with broadcasting of equal-rank batch dims. */
function batchMatMul(a: TfjsTensor, b: TfjsTensor, adjA: boolean, adjB: boolean, node: TfjsNode): TfjsTensor {
  const ra = a.shape.length, rb = b.shape.length;
  if (ra !== rb || ra < 2) fail(node, `ranks ${ra} and ${rb}: equal ranks ≥ 2 are supported`);
  const A = adjA ? transpose(a, [...a.shape.keys()].map((i) => (i === ra - 2 ? ra - 1 : i === ra - 1 ? ra - 2 : i))) : a;
  const B = adjB ? transpose(b, [...b.shape.keys()].map((i) => (i === rb - 2 ? rb - 1 : i === rb - 1 ? rb - 2 : i))) : b;
  const m = A.shape[ra - 2]!, k = A.shape[ra - 1]!, n = B.shape[rb - 1]!;
  if (B.shape[rb - 2] !== k) fail(node, `inner dimensions ${k} and ${B.shape[rb - 2]} differ`);
  const batch = size(A.shape.slice(0, -2));
  if (batch !== size(B.shape.slice(0, -2))) fail(node, "batch dimensions differ");
  const out = new Float64Array(batch * m * n);
  const a64 = asDoubles(A), b64 = asDoubles(B);
  for (let t = 0; t < batch; t++) {
    for (let i = 0; i < m; i++) {
      const o = t * m * n + i * n;
      for (let p = 0; p < k; p++) {
        const av = a64[t * m * k + i * k + p]!;
        if (av === 0) continue;
        const bRow = t * k * n + p * n;
        for (let j = 0; j < n; j++) out[o + j]! += av * b64[bRow + j]!;
      }
    }
  }
  return make("float32", [...A.shape.slice(0, -2), m, n], out);
}

function stridedSlice([x, beginT, endT, stridesT]: TfjsTensor[], attrs: Record<string, TfjsAttr>, node: TfjsNode): TfjsTensor[] {
  if (attrs.ellipsis_mask || attrs.new_axis_mask) fail(node, "ellipsis_mask and new_axis_mask are not supported");
  const begin = listOf(beginT!), end = listOf(endT!), steps = listOf(stridesT!);
  const bm = Number(attrs.begin_mask ?? 0), em = Number(attrs.end_mask ?? 0), sm = Number(attrs.shrink_axis_mask ?? 0);
  const ranges: number[][] = x!.shape.map((dim, d) => {
    if (d >= begin.length) return [...Array(dim).keys()];
    const step = steps[d]!;
    if (step === 0) fail(node, "a stride is 0");
    const clampI = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v < 0 ? v + dim : v));
    if (sm & (1 << d)) return [clampI(begin[d]!, 0, dim - 1)];
    const b = bm & (1 << d) ? (step > 0 ? 0 : dim - 1) : clampI(begin[d]!, step > 0 ? 0 : -1, step > 0 ? dim : dim - 1);
    const e = em & (1 << d) ? (step > 0 ? dim : -1) : clampI(end[d]!, step > 0 ? 0 : -1, step > 0 ? dim : dim - 1);
    const r: number[] = [];
    for (let i = b; step > 0 ? i < e : i > e; i += step) r.push(i);
    return r;
  });
  const strides = stridesOf(x!.shape);
  const values: number[] = [];
  const walk = (d: number, off: number) => {
    if (d === ranges.length) return void values.push(x!.data[off]!);
    for (const i of ranges[d]!) walk(d + 1, off + i * strides[d]!);
  };
  walk(0, 0);
  const shape = ranges.map((r) => r.length).filter((_, d) => !(sm & (1 << d)));
  return [make(x!.dtype, shape, values)];
}

function concat(parts: TfjsTensor[], axis: number): TfjsTensor {
  const rank = parts[0]!.shape.length;
  const ax = axisOf(axis, rank);
  const outer = size(parts[0]!.shape.slice(0, ax));
  const shape = [...parts[0]!.shape];
  shape[ax] = parts.reduce((a, p) => a + p.shape[ax]!, 0);
  const values: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const p of parts) {
      const inner = size(p.shape.slice(ax));
      for (let i = 0; i < inner; i++) values.push(p.data[o * inner + i]!);
    }
  }
  return make(parts[0]!.dtype, shape, values);
}

const KERNELS: Record<string, Kernel> = {
  Identity: ([x]) => [x!],
  Add: binary((x, y) => x + y),
  AddV2: binary((x, y) => x + y),
  BiasAdd: binary((x, y) => x + y),
  Sub: binary((x, y) => x - y),
  Mul: binary((x, y) => x * y),
  RealDiv: binary((x, y) => x / y),
  Maximum: binary((x, y) => Math.max(x, y)),
  Less: binary((x, y) => (x < y ? 1 : 0), true),
  Greater: binary((x, y) => (x > y ? 1 : 0), true),
  LogicalNot: unary((x) => (x ? 0 : 1), "bool"),
  Square: unary((x) => x * x),
  Rsqrt: unary((x) => 1 / Math.sqrt(x)),
  Relu: unary((x) => Math.max(0, x)),
  Tanh: unary(Math.tanh),
  Sin: unary(Math.sin),
  Cos: unary(Math.cos),
  Cast: ([x], attrs) => [make((attrs.DstT as TfjsDType) ?? "float32", [...x!.shape], Array.from(x!.data, (v) => (attrs.DstT === "bool" ? (v ? 1 : 0) : attrs.DstT === "int32" ? Math.trunc(v) : v)))],
  Shape: ([x]) => [make("int32", [x!.shape.length], x!.shape)],
  Reshape: ([x, s], _a, node) => {
    const target = listOf(s!);
    const known = target.reduce((a, d) => (d === -1 ? a : a * d), 1);
    const shape = target.map((d) => (d === -1 ? x!.data.length / known : d));
    if (size(shape) !== x!.data.length) fail(node, `cannot reshape [${x!.shape}] to [${target}]`);
    return [{ ...x!, shape }];
  },
  ExpandDims: ([x, dimT]) => {
    const shape = [...x!.shape];
    const d = listOf(dimT!)[0]!;
    shape.splice(d < 0 ? shape.length + 1 + d : d, 0, 1);
    return [{ ...x!, shape }];
  },
  Squeeze: ([x], attrs) => {
    const dims = (attrs.squeeze_dims as number[] | undefined) ?? [];
    const rank = x!.shape.length;
    const drop = new Set(dims.length ? dims.map((d) => axisOf(d, rank)) : x!.shape.flatMap((d, i) => (d === 1 ? [i] : [])));
    return [{ ...x!, shape: x!.shape.filter((_, i) => !drop.has(i)) }];
  },
  Transpose: ([x, p]) => [transpose(x!, listOf(p!))],
  Pack: (parts, attrs) => {
    const axis = Number(attrs.axis ?? 0);
    const expanded = parts.map((p) => {
      const shape = [...p.shape];
      shape.splice(axisOf(axis, shape.length + 1), 0, 1);
      return { ...p, shape };
    });
    return [concat(expanded, axis)];
  },
  ConcatV2: (parts) => {
    const axis = listOf(parts[parts.length - 1]!)[0]!;
    return [concat(parts.slice(0, -1), axis)];
  },
  GatherV2: ([params, indices, axisT], _a, node) => {
    const axis = axisOf(listOf(axisT!)[0]!, params!.shape.length);
    const outer = size(params!.shape.slice(0, axis));
    const dim = params!.shape[axis]!;
    const inner = size(params!.shape.slice(axis + 1));
    const values: number[] = [];
    for (let o = 0; o < outer; o++) {
      for (const i of indices!.data) {
        if (i < 0 || i >= dim) fail(node, `index outside [0, ${dim})`);
        for (let k = 0; k < inner; k++) values.push(params!.data[(o * dim + i) * inner + k]!);
      }
    }
    return [make(params!.dtype, [...params!.shape.slice(0, axis), ...indices!.shape, ...params!.shape.slice(axis + 1)], values)];
  },
  GatherNd: ([params, indices]) => {
    const depth = indices!.shape[indices!.shape.length - 1]!;
    const strides = stridesOf(params!.shape);
    const inner = size(params!.shape.slice(depth));
    const rows = indices!.data.length / depth;
    const values: number[] = [];
    for (let r = 0; r < rows; r++) {
      let off = 0;
      for (let d = 0; d < depth; d++) off += indices!.data[r * depth + d]! * strides[d]!;
      for (let k = 0; k < inner; k++) values.push(params!.data[off + k]!);
    }
    return [make(params!.dtype, [...indices!.shape.slice(0, -1), ...params!.shape.slice(depth)], values)];
  },
  ScatterNd: ([indices, updates, shapeT]) => {
    const shape = listOf(shapeT!);
    const depth = indices!.shape[indices!.shape.length - 1]!;
    const strides = stridesOf(shape);
    const inner = size(shape.slice(depth));
    const out = new Float64Array(size(shape));
    const rows = indices!.data.length / depth;
    for (let r = 0; r < rows; r++) {
      let off = 0;
      for (let d = 0; d < depth; d++) off += indices!.data[r * depth + d]! * strides[d]!;
      for (let k = 0; k < inner; k++) out[off + k]! += updates!.data[r * inner + k]!;
    }
    return [make(updates!.dtype, shape, out)];
  },
  SparseToDense: ([indices, shapeT, values, dflt]) => {
    const shape = listOf(shapeT!);
    const strides = stridesOf(shape);
    const out = new Float64Array(size(shape)).fill(dflt!.data[0]!);
    const depth = indices!.shape.length === 2 ? indices!.shape[1]! : 1;
    const rows = indices!.data.length / depth;
    for (let r = 0; r < rows; r++) {
      let off = 0;
      for (let d = 0; d < depth; d++) off += indices!.data[r * depth + d]! * strides[d]!;
      out[off] = values!.data.length === 1 ? values!.data[0]! : values!.data[r]!;
    }
    return [make(values!.dtype, shape, out)];
  },
  Where: ([cond]) => {
    const strides = stridesOf(cond!.shape);
    const coords: number[] = [];
    let count = 0;
    cond!.data.forEach((v, k) => {
      if (!v) return;
      count++;
      let rest = k;
      for (const s of strides) {
        coords.push(Math.floor(rest / s));
        rest %= s;
      }
    });
    return [make("int32", [count, cond!.shape.length], coords)];
  },
  Range: ([start, limit, delta]) => {
    const values: number[] = [];
    const s = start!.data[0]!, l = limit!.data[0]!, d = delta!.data[0]!;
    for (let v = s; d > 0 ? v < l : v > l; v += d) values.push(v);
    return [make(start!.dtype, [values.length], values)];
  },
  Slice: ([x, beginT, sizeT]) => {
    const begin = listOf(beginT!), sizes = listOf(sizeT!);
    const ends = x!.shape.map((d, i) => (sizes[i] === -1 ? d : begin[i]! + sizes[i]!));
    return stridedSlice([x!, make("int32", [begin.length], begin), make("int32", [ends.length], ends), make("int32", [ends.length], ends.map(() => 1))], {}, { name: "", op: "Slice", inputs: [], attrs: {} });
  },
  SplitV: ([x, sizesT, axisT]) => {
    const axis = axisOf(listOf(axisT!)[0]!, x!.shape.length);
    const dim = x!.shape[axis]!;
    const sizes = listOf(sizesT!);
    const known = sizes.reduce((a, s) => (s === -1 ? a : a + s), 0);
    let at = 0;
    return sizes.map((s) => {
      const len = s === -1 ? dim - known : s;
      const begin = x!.shape.map((_, i) => (i === axis ? at : 0));
      const end = x!.shape.map((d, i) => (i === axis ? at + len : d));
      at += len;
      const ones = x!.shape.map(() => 1);
      return stridedSlice([x!, make("int32", [begin.length], begin), make("int32", [end.length], end), make("int32", [ones.length], ones)], {}, { name: "", op: "SplitV", inputs: [], attrs: {} })[0]!;
    });
  },
  StridedSlice: stridedSlice,
  Sum: reduce(0, (a, v) => a + v),
  Prod: reduce(1, (a, v) => a * v),
  Max: reduce(-Infinity, (a, v) => Math.max(a, v)),
  Mean: reduce(0, (a, v) => a + v, (a, n) => a / n),
  MatMul: ([a, b], attrs, node) => [batchMatMul(a!, b!, attrs.transpose_a === true, attrs.transpose_b === true, node)],
  BatchMatMul: ([a, b], attrs, node) => [batchMatMul(a!, b!, attrs.adj_x === true, attrs.adj_y === true, node)],
  BatchMatMulV2: ([a, b], attrs, node) => [batchMatMul(a!, b!, attrs.adj_x === true, attrs.adj_y === true, node)],
  Conv2D: ([x, w], attrs, node) => {
    // Pointwise (1×1, stride 1) NHWC convolutions only: a matmul over the channel dimension.
    const strides = (attrs.strides as number[] | undefined) ?? [1, 1, 1, 1];
    if (w!.shape[0] !== 1 || w!.shape[1] !== 1 || strides.some((s) => s !== 1) || (attrs.data_format ?? "NHWC") !== "NHWC") {
      fail(node, "only 1×1, stride-1 NHWC convolutions are supported");
    }
    const [n, h, wd, c] = x!.shape as [number, number, number, number];
    const flat = { ...x!, shape: [n * h * wd, c] };
    const kernel = { ...w!, shape: [w!.shape[2]!, w!.shape[3]!] };
    const y = batchMatMul(flat, kernel, false, false, node);
    return [{ ...y, shape: [n, h, wd, w!.shape[3]!] }];
  },
  Softmax: ([x]) => {
    const n = x!.shape[x!.shape.length - 1]!;
    const out = new Float64Array(x!.data.length);
    for (let r = 0; r < x!.data.length; r += n) {
      let m = -Infinity;
      for (let i = 0; i < n; i++) m = Math.max(m, x!.data[r + i]!);
      let s = 0;
      for (let i = 0; i < n; i++) s += out[r + i] = Math.exp(x!.data[r + i]! - m);
      for (let i = 0; i < n; i++) out[r + i]! /= s;
    }
    return [make("float32", [...x!.shape], out)];
  },
};

/** Op types the float executor runs (Const and Placeholder are read, not run). */
export const SUPPORTED_TFJS_OPS: readonly string[] = ["Const", "Placeholder", ...Object.keys(KERNELS)].sort();

/**
 * Runs the graph on `feeds` (placeholder name → tensor) and returns the requested values
 * ("node" or "node:k"). Only the nodes the fetches depend on run.
 */
export function runTfjsGraph(graph: TfjsGraph, feeds: ReadonlyMap<string, TfjsTensor>, fetches: readonly string[]): Map<string, TfjsTensor> {
  checkTfjsOps(graph, SUPPORTED_TFJS_OPS);
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  const done = new Map<string, TfjsTensor[]>();
  const valueOf = (ref: string): TfjsTensor => {
    const [name, k] = ref.split(":") as [string, string | undefined];
    const outs = evaluate(name);
    const t = outs[k === undefined ? 0 : Number(k)];
    if (!t) throw new InvalidArgumentError("tfjs graph", `value "${ref}"`, "the node has no such output");
    return t;
  };
  const evaluate = (name: string): TfjsTensor[] => {
    const hit = done.get(name);
    if (hit) return hit;
    const node = byName.get(name);
    if (!node) throw new InvalidArgumentError("tfjs graph", `value "${name}"`, "no node has this name");
    let outs: TfjsTensor[];
    if (node.op === "Const") outs = [graph.weights.get(name)!];
    else if (node.op === "Placeholder") {
      const fed = feeds.get(name);
      if (!fed) throw new InvalidArgumentError("tfjs graph", `input "${name}"`, "was not fed");
      outs = [fed];
    } else outs = KERNELS[node.op]!(node.inputs.map(valueOf), node.attrs, node);
    done.set(name, outs);
    return outs;
  };
  return new Map(fetches.map((f) => [f, valueOf(f)]));
}

/** A float32 / int32 tensor from plain numbers. */
export function tfjsTensor(dtype: TfjsDType, shape: number[], values: ArrayLike<number>): TfjsTensor {
  return make(dtype, shape, values);
}
