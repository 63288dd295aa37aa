// Movement ops: reshape, transpose, concat, slice, gather, flatten, squeeze, unsqueeze, where.
// They work for every dtype and compute nothing, so their FLOPs are 0: the gas layer charges
// their bytes (copy and hash) instead. Semantics follow the ONNX ops of the same names.
import { attrInt, attrInts, checkAttrNames, normAxis } from "../attrs.ts";
import { DTypeMismatchError, InvalidArgumentError, ShapeMismatchError, formatShape } from "../errors.ts";
import { floorDiv } from "../intmath.ts";
import type { Attrs, OpDef, PreparedRun } from "../op.ts";
import { allocate, checkShape, numElements, stridesOf, type IntArray, type Tensor, type TensorMeta } from "../tensor.ts";
import { expectDType, expectInputCount } from "./normalize.ts";

/** Builds a movement OpDef from a shape planner and a data mover; FLOPs are always 0. */
function movementOp<P extends { out: TensorMeta }>(
  name: string,
  inputs: readonly string[],
  attrs: readonly string[],
  plan: (metas: readonly TensorMeta[], a: Attrs) => P,
  move: (inputs: readonly Tensor[], p: P) => Tensor["data"],
): OpDef {
  const checked = (metas: readonly TensorMeta[], a: Attrs): P => {
    checkAttrNames(name, a, attrs);
    for (const m of metas) checkShape(m.shape);
    const p = plan(metas, a);
    checkShape(p.out.shape);
    return p;
  };
  // A plan holds the op's attributes and per-axis tables: bounded by the rank, never by the elements.
  const prepare = (metas: readonly TensorMeta[], a: Attrs): PreparedRun => {
    const p = checked(metas, a);
    return (ins) => [{ dtype: p.out.dtype, shape: [...p.out.shape], data: move(ins, p) }];
  };
  return {
    name,
    inputs,
    attrs,
    infer: (metas, a) => [checked(metas, a).out],
    flops: (metas, a) => {
      checked(metas, a);
      return 0n;
    },
    prepare,
    run: (ins, a) => prepare(ins, a)(ins),
  };
}

/** Runs shorter than this are copied element by element: below it a subarray view per run costs more. */
const SHORT_RUN = 64;

/** Copies the data unchanged (reshape, flatten, squeeze, unsqueeze): outputs never alias inputs. */
const copyData = (ins: readonly Tensor[]) => ins[0]!.data.slice();

/**
 * Gathers `x` through a strided view: output element at multi-index i reads
 * x[offset + Σ i_d · strides[d]] (strides may be negative or 0).
 */
function stridedCopy(x: Tensor, outShape: readonly number[], offset: number, strides: readonly number[]): Tensor["data"] {
  const total = numElements(outShape);
  const y = allocate(x.dtype, total);
  const rank = outShape.length;
  if (total === 0) return y;
  const idx = new Array<number>(rank).fill(0);
  let src = offset;
  const inner = rank === 0 ? 1 : outShape[rank - 1]!;
  const innerStride = rank === 0 ? 0 : strides[rank - 1]!;
  for (let o = 0; o < total; o += inner) {
    for (let j = 0, s = src; j < inner; j++, s += innerStride) y[o + j] = x.data[s]!;
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]!++;
      src += strides[d]!;
      if (idx[d]! < outShape[d]!) break;
      src -= strides[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  return y;
}

const reshape = movementOp(
  "reshape",
  ["x"],
  ["shape", "allowzero"],
  (metas, a) => {
    expectInputCount("reshape", metas, 1, 1);
    const x = metas[0]!;
    const spec = attrInts("reshape", a, "shape");
    const allowZeroAttr = attrInt("reshape", a, "allowzero", 0);
    if (allowZeroAttr !== 0 && allowZeroAttr !== 1) throw new InvalidArgumentError("reshape", 'attribute "allowzero"', "must be 0 or 1");
    const allowZero = allowZeroAttr === 1;
    const shape: number[] = [];
    let infer = -1;
    let known = 1;
    spec.forEach((d, i) => {
      if (d === -1) {
        if (infer >= 0) throw new InvalidArgumentError("reshape", 'attribute "shape"', "has more than one -1");
        infer = i;
        shape.push(1);
        return;
      }
      if (d < -1) throw new InvalidArgumentError("reshape", 'attribute "shape"', `entry ${d} is negative`);
      const v = d === 0 && !allowZero ? x.shape[i] : d;
      if (v === undefined) throw new InvalidArgumentError("reshape", 'attribute "shape"', `entry ${i} is 0 but the input has rank ${x.shape.length}`);
      shape.push(v);
      known *= v;
    });
    const count = numElements(x.shape);
    if (infer >= 0) {
      if (known === 0 || count % known !== 0) {
        throw new ShapeMismatchError("reshape", "x", `a multiple of ${known} elements to fill ${formatShape(spec)}`, x.shape);
      }
      shape[infer] = count / known;
    } else if (known !== count) {
      throw new ShapeMismatchError("reshape", "x", `${known} elements for ${formatShape(spec)}`, x.shape);
    }
    return { out: { dtype: x.dtype, shape } };
  },
  copyData,
);

const transpose = movementOp(
  "transpose",
  ["x"],
  ["perm"],
  (metas, a) => {
    expectInputCount("transpose", metas, 1, 1);
    const x = metas[0]!;
    const rank = x.shape.length;
    const perm = attrInts("transpose", a, "perm", x.shape.map((_, i) => rank - 1 - i));
    const seen = new Set(perm);
    if (perm.length !== rank || seen.size !== rank || perm.some((p) => p < 0 || p >= rank)) {
      throw new InvalidArgumentError("transpose", 'attribute "perm"', `must be a permutation of 0..${rank - 1}`);
    }
    const inStrides = stridesOf(x.shape);
    return { out: { dtype: x.dtype, shape: perm.map((p) => x.shape[p]!) }, strides: perm.map((p) => inStrides[p]!) };
  },
  (ins, p) => stridedCopy(ins[0]!, p.out.shape, 0, p.strides),
);

/** Inputs must agree on dtype, rank and every dimension except `axis`. */
function planConcat(metas: readonly TensorMeta[], a: Attrs) {
  if (metas.length === 0) throw new InvalidArgumentError("concat", "input count", "got 0, expected at least 1");
  const first = metas[0]!;
  const rank = first.shape.length;
  if (rank === 0) throw new ShapeMismatchError("concat", "x0", "rank ≥ 1", first.shape);
  const axis = normAxis("concat", attrInt("concat", a, "axis"), rank);
  let total = 0;
  metas.forEach((m, i) => {
    if (m.dtype !== first.dtype) throw new DTypeMismatchError("concat", `x${i}`, [first.dtype], m.dtype);
    const same = m.shape.length === rank && m.shape.every((d, j) => j === axis || d === first.shape[j]);
    if (!same) {
      const want = first.shape.map((d, j) => (j === axis ? "*" : String(d))).join(",");
      throw new ShapeMismatchError("concat", `x${i}`, `[${want}]`, m.shape, `all inputs must match except on axis ${axis}`);
    }
    total += m.shape[axis]!;
  });
  const shape = [...first.shape];
  shape[axis] = total;
  return { out: { dtype: first.dtype, shape }, axis };
}

/** Up to 16 inputs (the program format's MAX_NODE_INPUTS), declared as optionals so arity checks need no variadic rule. */
export const CONCAT_INPUTS: readonly string[] = ["x0", ...Array.from({ length: 15 }, (_, i) => `x${i + 1}?`)];

const concat = movementOp("concat", CONCAT_INPUTS, ["axis"], planConcat, (ins, p) => {
  const { out, axis } = p;
  const y = allocate(out.dtype, numElements(out.shape));
  const outer = numElements(out.shape.slice(0, axis));
  const inner = numElements(out.shape.slice(axis + 1));
  const rowOut = out.shape[axis]! * inner;
  let col = 0;
  for (const t of ins) {
    const rowIn = t.shape[axis]! * inner;
    const d = t.data;
    if (rowIn < SHORT_RUN) {
      // Short runs: a subarray view per run costs more than copying its elements.
      for (let o = 0; o < outer; o++) for (let i = 0, src = o * rowIn, dst = o * rowOut + col; i < rowIn; i++) y[dst + i] = d[src + i]!;
    } else {
      for (let o = 0; o < outer; o++) y.set(d.subarray(o * rowIn, (o + 1) * rowIn), o * rowOut + col);
    }
    col += rowIn;
  }
  return y;
});

const slice = movementOp(
  "slice",
  ["x"],
  ["starts", "ends", "axes", "steps"],
  (metas, a) => {
    expectInputCount("slice", metas, 1, 1);
    const x = metas[0]!;
    const rank = x.shape.length;
    const starts = attrInts("slice", a, "starts");
    const ends = attrInts("slice", a, "ends");
    const axes = attrInts("slice", a, "axes", starts.map((_, i) => i));
    const steps = attrInts("slice", a, "steps", starts.map(() => 1));
    if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
      throw new InvalidArgumentError("slice", "attributes", '"starts", "ends", "axes" and "steps" must have the same length');
    }
    const shape = [...x.shape];
    const inStrides = stridesOf(x.shape);
    const strides = [...inStrides];
    let offset = 0;
    const seen = new Set<number>();
    for (let i = 0; i < starts.length; i++) {
      const ax = normAxis("slice", axes[i]!, rank);
      if (seen.has(ax)) throw new InvalidArgumentError("slice", 'attribute "axes"', `axis ${axes[i]} is listed twice`);
      seen.add(ax);
      const dim = x.shape[ax]!;
      const step = steps[i]!;
      if (step === 0) throw new InvalidArgumentError("slice", 'attribute "steps"', "entries must be non-zero");
      let start = starts[i]! < 0 ? starts[i]! + dim : starts[i]!;
      let end = ends[i]! < 0 ? ends[i]! + dim : ends[i]!;
      // ONNX clamping: [0, dim] going forward, [−1, dim − 1] going backward.
      if (step > 0) {
        start = Math.min(Math.max(start, 0), dim);
        end = Math.min(Math.max(end, 0), dim);
      } else {
        start = Math.min(Math.max(start, -1), dim - 1);
        end = Math.min(Math.max(end, -1), dim - 1);
      }
      const len = step > 0 ? Math.max(0, floorDiv(end - start + step - 1, step)) : Math.max(0, floorDiv(start - end - step - 1, -step));
      shape[ax] = len;
      strides[ax] = inStrides[ax]! * step;
      if (len > 0) offset += start * inStrides[ax]!;
    }
    return { out: { dtype: x.dtype, shape }, offset, strides };
  },
  (ins, p) => stridedCopy(ins[0]!, p.out.shape, p.offset, p.strides),
);

const gather = movementOp(
  "gather",
  ["data", "indices"],
  ["axis"],
  (metas, a) => {
    expectInputCount("gather", metas, 2, 2);
    const [x, ind] = [metas[0]!, metas[1]!];
    expectDType("gather", "indices", ind, ["int32"]);
    if (x.shape.length === 0) throw new ShapeMismatchError("gather", "data", "rank ≥ 1", x.shape);
    const axis = normAxis("gather", attrInt("gather", a, "axis", 0), x.shape.length);
    const shape = [...x.shape.slice(0, axis), ...ind.shape, ...x.shape.slice(axis + 1)];
    return { out: { dtype: x.dtype, shape }, axis };
  },
  (ins, p) => {
    const [x, ind] = [ins[0]!, ins[1]!];
    const dim = x.shape[p.axis]!;
    const outer = numElements(x.shape.slice(0, p.axis));
    const inner = numElements(x.shape.slice(p.axis + 1));
    const k = ind.data.length;
    for (let j = 0; j < k; j++) {
      const v = ind.data[j]!;
      if (v < -dim || v >= dim) throw new InvalidArgumentError("gather", "indices", `an entry is outside [-${dim}, ${dim}) for axis ${p.axis}`);
    }
    const y = allocate(x.dtype, outer * k * inner);
    const xd = x.data;
    const short = inner < SHORT_RUN;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < k; j++) {
        const v = ind.data[j]!;
        const src = (o * dim + (v < 0 ? v + dim : v)) * inner;
        const dst = (o * k + j) * inner;
        if (short) for (let i = 0; i < inner; i++) y[dst + i] = xd[src + i]!;
        else y.set(xd.subarray(src, src + inner), dst);
      }
    }
    return y;
  },
);

const flatten = movementOp(
  "flatten",
  ["x"],
  ["axis"],
  (metas, a) => {
    expectInputCount("flatten", metas, 1, 1);
    const x = metas[0]!;
    const rank = x.shape.length;
    const raw = attrInt("flatten", a, "axis", 1);
    const axis = raw < 0 ? raw + rank : raw;
    if (axis < 0 || axis > rank) throw new InvalidArgumentError("flatten", "axis", `${raw} is out of range for rank ${rank} (accepted: [-${rank}, ${rank}])`);
    return { out: { dtype: x.dtype, shape: [numElements(x.shape.slice(0, axis)), numElements(x.shape.slice(axis))] } };
  },
  copyData,
);

const squeeze = movementOp(
  "squeeze",
  ["x"],
  ["axes"],
  (metas, a) => {
    expectInputCount("squeeze", metas, 1, 1);
    const x = metas[0]!;
    const rank = x.shape.length;
    const drop = new Set<number>();
    if (a["axes"] === undefined) x.shape.forEach((d, i) => d === 1 && drop.add(i));
    for (const ax of attrInts("squeeze", a, "axes", [])) {
      const n = normAxis("squeeze", ax, rank);
      if (x.shape[n] !== 1) throw new ShapeMismatchError("squeeze", "x", `size 1 on axis ${ax}`, x.shape);
      if (drop.has(n)) throw new InvalidArgumentError("squeeze", 'attribute "axes"', `axis ${ax} is listed twice`);
      drop.add(n);
    }
    return { out: { dtype: x.dtype, shape: x.shape.filter((_, i) => !drop.has(i)) } };
  },
  copyData,
);

const unsqueeze = movementOp(
  "unsqueeze",
  ["x"],
  ["axes"],
  (metas, a) => {
    expectInputCount("unsqueeze", metas, 1, 1);
    const x = metas[0]!;
    const axes = attrInts("unsqueeze", a, "axes");
    const rank = x.shape.length + axes.length;
    const add = new Set<number>();
    for (const ax of axes) {
      const n = normAxis("unsqueeze", ax, rank);
      if (add.has(n)) throw new InvalidArgumentError("unsqueeze", 'attribute "axes"', `axis ${ax} is listed twice`);
      add.add(n);
    }
    const shape: number[] = [];
    for (let i = 0, j = 0; i < rank; i++) shape.push(add.has(i) ? 1 : x.shape[j++]!);
    return { out: { dtype: x.dtype, shape } };
  },
  copyData,
);

/** numpy broadcasting of several shapes; throws naming the input that does not fit. */
export function broadcastAll(op: string, names: readonly string[], shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  shapes.forEach((s, k) => {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i]!;
      if (d === out[o] || d === 1) continue;
      if (out[o] === 1) out[o] = d;
      else throw new ShapeMismatchError(op, names[k]!, `a shape broadcastable to ${formatShape(out)}`, s, `dimension ${i} is ${d}, expected ${out[o]} or 1`);
    }
  });
  return out;
}

/** Strides of `shape` read through `outShape` (right-aligned), 0 on stretched dimensions. */
export function broadcastStridesOf(shape: readonly number[], outShape: readonly number[]): number[] {
  const own = stridesOf(shape);
  return outShape.map((_, o) => {
    const i = o - (outShape.length - shape.length);
    return i < 0 || shape[i] === 1 ? 0 : own[i]!;
  });
}

const where = movementOp(
  "where",
  ["cond", "x", "y"],
  [],
  (metas) => {
    expectInputCount("where", metas, 3, 3);
    const [c, x, y] = [metas[0]!, metas[1]!, metas[2]!];
    expectDType("where", "cond", c, ["int8"]);
    if (y.dtype !== x.dtype) throw new DTypeMismatchError("where", "y", [x.dtype], y.dtype);
    const shape = broadcastAll("where", ["cond", "x", "y"], [c.shape, x.shape, y.shape]);
    return { out: { dtype: x.dtype, shape } };
  },
  (ins, p) => {
    const shape = p.out.shape;
    const [sc, sx, sy] = ins.map((t) => broadcastStridesOf(t.shape, shape));
    const total = numElements(shape);
    const out = allocate(p.out.dtype, total);
    const rank = shape.length;
    // A condition constant along the last axis (a KV-cache slot mask) picks whole rows: copy them.
    if (rank > 0 && sc![rank - 1] === 0 && total > 0) {
      whereRows(out, ins[0]!.data, ins[1]!.data, ins[2]!.data, shape, sc!, sx!, sy!);
      return out;
    }
    const [c, x, y] = [ins[0]!.data, ins[1]!.data, ins[2]!.data];
    if (rank === 0) {
      out[0] = c[0]! !== 0 ? x[0]! : y[0]!;
      return out;
    }
    // The last axis is walked by its three strides; an odometer moves the outer axes once per row.
    const idx = new Array<number>(rank).fill(0);
    const inner = shape[rank - 1]!;
    const [ic, ix, iy] = [sc![rank - 1]!, sx![rank - 1]!, sy![rank - 1]!];
    let oc = 0;
    let ox = 0;
    let oy = 0;
    for (let e = 0; e < total; e += inner) {
      // Any non-zero condition selects x (the documented inputs are 0/1).
      for (let j = 0, pc = oc, px = ox, py = oy; j < inner; j++, pc += ic, px += ix, py += iy) out[e + j] = c[pc]! !== 0 ? x[px]! : y[py]!;
      for (let d = rank - 2; d >= 0; d--) {
        idx[d]!++;
        oc += sc![d]!;
        ox += sx![d]!;
        oy += sy![d]!;
        if (idx[d]! < shape[d]!) break;
        oc -= sc![d]! * shape[d]!;
        ox -= sx![d]! * shape[d]!;
        oy -= sy![d]! * shape[d]!;
        idx[d] = 0;
      }
    }
    return out;
  },
);

/**
 * where() when cond's last-axis stride is 0: each output row (last axis) comes whole from x or from
 * y, as the element loop would pick it element by element. Consecutive rows read from one source at
 * consecutive offsets are copied as one run: the decoder's KV-cache write copies each head's cache
 * in three runs (the rows before the new one, the new one, the rows after), not row by row.
 */
function whereRows(out: IntArray, c: IntArray, x: IntArray, y: IntArray, shape: readonly number[], sc: readonly number[], sx: readonly number[], sy: readonly number[]): void {
  const rank = shape.length;
  const n = shape[rank - 1]!;
  const rows = n === 0 ? 0 : numElements(shape) / n;
  const idx = new Array<number>(rank - 1).fill(0);
  let oc = 0;
  let ox = 0;
  let oy = 0;
  // The pending run: runLength elements of runSource from runStart, to out from runOut.
  let runSource = x;
  let runStart = 0;
  let runOut = 0;
  let runLength = 0;
  const flush = () => {
    if (runLength > 0) out.set(runSource.subarray(runStart, runStart + runLength), runOut);
    runLength = 0;
  };
  for (let r = 0, o = 0; r < rows; r++, o += n) {
    const fromX = c[oc]! !== 0;
    const source = fromX ? x : y;
    const start = fromX ? ox : oy;
    if ((fromX ? sx : sy)[rank - 1]! !== 1) {
      // A source broadcast along the row: one value repeated.
      flush();
      out.fill(source[start]!, o, o + n);
    } else if (runLength > 0 && source === runSource && start === runStart + runLength) {
      runLength += n;
    } else {
      flush();
      runSource = source;
      runStart = start;
      runOut = o;
      runLength = n;
    }
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]!++;
      oc += sc[d]!;
      ox += sx[d]!;
      oy += sy[d]!;
      if (idx[d]! < shape[d]!) break;
      oc -= sc[d]! * shape[d]!;
      ox -= sx[d]! * shape[d]!;
      oy -= sy[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
  flush();
}

export const movementOps: readonly OpDef[] = [reshape, transpose, concat, slice, gather, flatten, squeeze, unsqueeze, where];
