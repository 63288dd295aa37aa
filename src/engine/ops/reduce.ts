// reduce_sum, reduce_mean, reduce_max and argmax over axes (ONNX ReduceSum/Mean/Max, ArgMax).
// Sums are exact (BigInt when a double could not hold them); mean rounds half away from zero.
import { attrInt, attrInts, checkAttrNames, normAxis } from "../attrs.ts";
import { InvalidArgumentError, ShapeMismatchError } from "../errors.ts";
import { roundDivAway, roundDivAwayBig } from "../intmath.ts";
import type { Attrs, OpDef } from "../op.ts";
import { saturateInt32 } from "../requant.ts";
import { allocate, checkShape, DTYPE_MIN, numElements, stridesOf, type DType, type IntArray, type TensorMeta } from "../tensor.ts";
import { expectDType, expectInputCount, splitAt } from "./normalize.ts";

const INT_DTYPES: readonly DType[] = ["int8", "int16", "int32"];
const MAX_ABS: Readonly<Record<DType, number>> = { int8: 128, int16: 32768, int32: 2 ** 31 };

interface ReducePlan {
  x: TensorMeta;
  /** reduced[d] is true when axis d is reduced. */
  reduced: boolean[];
  outShape: number[];
  /** Elements folded into each output element. */
  count: number;
}

function planReduce(op: string, metas: readonly TensorMeta[], attrs: Attrs, allowEmpty: boolean): ReducePlan {
  checkAttrNames(op, attrs, ["axes", "keepdims", "noop_with_empty_axes"]);
  expectInputCount(op, metas, 1, 1);
  const x = metas[0]!;
  expectDType(op, "x", x, INT_DTYPES);
  checkShape(x.shape);
  const rank = x.shape.length;
  const axesAttr = attrInts(op, attrs, "axes", []);
  const noop = attrInt(op, attrs, "noop_with_empty_axes", 0);
  if (noop !== 0 && noop !== 1) throw new InvalidArgumentError(op, 'attribute "noop_with_empty_axes"', "must be 0 or 1");
  // ONNX: empty axes reduce everything, unless noop_with_empty_axes makes the op an identity.
  const reduced = new Array<boolean>(rank).fill(axesAttr.length === 0 && noop === 0);
  const seen = new Set<number>();
  for (const a of axesAttr) {
    const ax = normAxis(op, a, rank);
    if (seen.has(ax)) throw new InvalidArgumentError(op, 'attribute "axes"', `axis ${a} is listed twice`);
    seen.add(ax);
    reduced[ax] = true;
  }
  const keepdims = attrInt(op, attrs, "keepdims", 1);
  if (keepdims !== 0 && keepdims !== 1) throw new InvalidArgumentError(op, 'attribute "keepdims"', "must be 0 or 1");
  const outShape: number[] = [];
  let count = 1;
  for (let d = 0; d < rank; d++) {
    if (reduced[d]) {
      count *= x.shape[d]!;
      if (keepdims) outShape.push(1);
    } else outShape.push(x.shape[d]!);
  }
  if (!allowEmpty && count === 0 && numElements(outShape) > 0) {
    throw new ShapeMismatchError(op, "x", "non-empty reduced dimensions", x.shape, `${op} of zero elements is undefined`);
  }
  return { x, reduced, outShape, count };
}

/**
 * Walks the input one innermost row at a time: `visit(inStart, outStart, outStep, length)` where
 * input elements inStart … inStart+length−1 fold into outputs outStart + i·outStep (outStep is 0
 * when the innermost axis is reduced). No per-element index table is allocated.
 */
function forEachRow(x: readonly number[], reduced: readonly boolean[], visit: (inStart: number, outStart: number, outStep: number, length: number) => void): void {
  const rank = x.length;
  if (rank === 0) {
    visit(0, 0, 0, 1);
    return;
  }
  const keptShape = x.map((d, i) => (reduced[i] ? 1 : d));
  const keptStrides = stridesOf(keptShape).map((st, i) => (reduced[i] ? 0 : st));
  const len = x[rank - 1]!;
  const total = numElements(x);
  if (total === 0) return;
  const idx = new Array<number>(rank - 1).fill(0);
  let off = 0;
  for (let start = 0; start < total; start += len) {
    visit(start, off, keptStrides[rank - 1]!, len);
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]!++;
      off += keptStrides[d]!;
      if (idx[d]! < x[d]!) break;
      off -= keptStrides[d]! * x[d]!;
      idx[d] = 0;
    }
  }
}

/** Exact sums per output element: doubles when count·max|x| < 2^53, BigInt otherwise. */
function exactSums(data: IntArray, p: ReducePlan, outCount: number): number[] | bigint[] {
  if (p.count * MAX_ABS[p.x.dtype] < 2 ** 53) {
    const s = new Array<number>(outCount).fill(0);
    forEachRow(p.x.shape, p.reduced, (i0, o0, step, len) => {
      for (let j = 0; j < len; j++) s[o0 + j * step]! += data[i0 + j]!;
    });
    return s;
  }
  const s = new Array<bigint>(outCount).fill(0n);
  forEachRow(p.x.shape, p.reduced, (i0, o0, step, len) => {
    for (let j = 0; j < len; j++) s[o0 + j * step]! += BigInt(data[i0 + j]!);
  });
  return s;
}

function reduceOp(name: "reduce_sum" | "reduce_mean" | "reduce_max"): OpDef {
  const outDType = (x: TensorMeta): DType => (name === "reduce_sum" ? "int32" : x.dtype);
  return {
    name,
    inputs: ["x"],
    attrs: ["axes", "keepdims", "noop_with_empty_axes"],
    infer(inputs, a) {
      const p = planReduce(name, inputs, a, name === "reduce_sum");
      return [{ dtype: outDType(p.x), shape: p.outShape }];
    },
    flops(inputs, a) {
      const p = planReduce(name, inputs, a, name === "reduce_sum");
      const extra = name === "reduce_mean" ? BigInt(numElements(p.outShape)) : 0n;
      return BigInt(numElements(p.x.shape)) + extra;
    },
    // One exact sum per output: a number, or a BigInt (heap object and slot) on the wide path.
    scratchBytes(inputs, a) {
      return 40 * numElements(planReduce(name, inputs, a, name === "reduce_sum").outShape);
    },
    run(inputs, a) {
      const p = planReduce(name, inputs, a, name === "reduce_sum");
      const data = inputs[0]!.data;
      const outCount = numElements(p.outShape);
      const dtype = outDType(p.x);
      const y = allocate(dtype, outCount);
      if (name === "reduce_max") {
        y.fill(DTYPE_MIN[dtype]);
        forEachRow(p.x.shape, p.reduced, (i0, o0, step, len) => {
          for (let j = 0; j < len; j++) if (data[i0 + j]! > y[o0 + j * step]!) y[o0 + j * step] = data[i0 + j]!;
        });
      } else {
        const sums = exactSums(data, p, outCount);
        for (let o = 0; o < outCount; o++) {
          const s = sums[o]!;
          if (name === "reduce_sum") {
            y[o] = typeof s === "bigint" ? (s > 2147483647n ? 2147483647 : s < -2147483648n ? -2147483648 : Number(s)) : saturateInt32(s);
          } else {
            // Mean of values of one dtype stays inside that dtype.
            y[o] = typeof s === "bigint" ? Number(roundDivAwayBig(s, BigInt(p.count))) : roundDivAway(s, p.count);
          }
        }
      }
      return [{ dtype, shape: p.outShape, data: y }];
    },
  };
}

function planArgmax(metas: readonly TensorMeta[], attrs: Attrs) {
  const op = "argmax";
  checkAttrNames(op, attrs, ["axis", "keepdims", "select_last_index"]);
  expectInputCount(op, metas, 1, 1);
  const x = metas[0]!;
  expectDType(op, "x", x, INT_DTYPES);
  checkShape(x.shape);
  if (x.shape.length === 0) throw new ShapeMismatchError(op, "x", "rank ≥ 1", x.shape);
  const axis = normAxis(op, attrInt(op, attrs, "axis", 0), x.shape.length);
  const keepdims = attrInt(op, attrs, "keepdims", 1);
  const last = attrInt(op, attrs, "select_last_index", 0);
  if (keepdims !== 0 && keepdims !== 1) throw new InvalidArgumentError(op, 'attribute "keepdims"', "must be 0 or 1");
  if (last !== 0 && last !== 1) throw new InvalidArgumentError(op, 'attribute "select_last_index"', "must be 0 or 1");
  const outShape = x.shape.flatMap((d, i) => (i === axis ? (keepdims ? [1] : []) : [d]));
  if (x.shape[axis] === 0 && numElements(outShape) > 0) {
    throw new ShapeMismatchError(op, "x", `a non-empty axis ${axis}`, x.shape, "argmax of zero elements is undefined");
  }
  return { x, axis, outShape, last: last === 1 };
}

const argmaxOp: OpDef = {
  name: "argmax",
  inputs: ["x"],
  attrs: ["axis", "keepdims", "select_last_index"],
  infer(inputs, a) {
    return [{ dtype: "int32", shape: planArgmax(inputs, a).outShape }];
  },
  flops(inputs, a) {
    return BigInt(numElements(planArgmax(inputs, a).x.shape));
  },
  run(inputs, a) {
    const { x, axis, outShape, last } = planArgmax(inputs, a);
    const data = inputs[0]!.data;
    const { outer, n, inner } = splitAt(x.shape, axis);
    const y = new Int32Array(outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < inner; k++) {
        const base = o * n * inner + k;
        let best = 0;
        let bestV = data[base]!;
        for (let i = 1; i < n; i++) {
          const v = data[base + i * inner]!;
          if (v > bestV || (last && v === bestV)) {
            best = i;
            bestV = v;
          }
        }
        y[o * inner + k] = best;
      }
    }
    return [{ dtype: "int32", shape: outShape, data: y }];
  },
};

export const reduceOps: readonly OpDef[] = [
  reduceOp("reduce_sum"),
  reduceOp("reduce_mean"),
  reduceOp("reduce_max"),
  argmaxOp,
];
