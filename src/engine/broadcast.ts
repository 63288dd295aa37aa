// numpy-style broadcasting: shapes align from the right and a dimension of 1 stretches to match.
import { ShapeMismatchError, formatShape } from "./errors.ts";

/** The broadcast result of two shapes; throws naming `op` and the second input when they clash. */
export function broadcastShapes(
  op: string,
  names: readonly [string, string],
  a: readonly number[],
  b: readonly number[],
): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = i - (rank - a.length) >= 0 ? a[i - (rank - a.length)]! : 1;
    const db = i - (rank - b.length) >= 0 ? b[i - (rank - b.length)]! : 1;
    if (da === db || db === 1) out[i] = da;
    else if (da === 1) out[i] = db;
    else {
      throw new ShapeMismatchError(op, names[1], `a shape broadcastable with "${names[0]}" ${formatShape(a)}`, b,
        `dimension ${i - rank} is ${db} but "${names[0]}" has ${da}; sizes must match or one must be 1`);
    }
  }
  return out;
}

/** Strides of `shape` laid over `outShape` (right-aligned), 0 on every stretched dimension. */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const rank = outShape.length;
  const strides = new Array<number>(rank).fill(0);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const o = i + rank - shape.length;
    strides[o] = shape[i] === 1 && outShape[o] !== 1 ? 0 : acc;
    acc *= shape[i]!;
  }
  return strides;
}

/**
 * Iteration plan for a broadcast binary op: the output is `rows` contiguous runs of `rowLength`
 * elements; row r reads input a from `rowOffsetA[r]` stepping `strideA` (0 or 1), same for b.
 * Dimensions are coalesced first, so the per-row table stays small for common shapes.
 */
export interface BroadcastPlan {
  rows: number;
  rowLength: number;
  rowOffsetA: Int32Array;
  rowOffsetB: Int32Array;
  strideA: number;
  strideB: number;
}

/** Plans kept by shapes, since a program's nodes broadcast the same shapes at every call and step. */
const KEPT_PLANS = 256;
/** Plans with more rows than this are not kept (their tables are as large as the shapes make them). */
const KEPT_PLAN_MAX_ROWS = 1024;
const keptPlans = new Map<string, BroadcastPlan>();

/** The plan for broadcasting `a` and `b` to `outShape`; shared between calls, so callers only read it. */
export function broadcastPlan(a: readonly number[], b: readonly number[], outShape: readonly number[]): BroadcastPlan {
  const key = `${a.join()}|${b.join()}|${outShape.join()}`;
  const kept = keptPlans.get(key);
  if (kept !== undefined) return kept;
  const plan = Object.freeze(planBroadcast(a, b, outShape));
  if (plan.rows <= KEPT_PLAN_MAX_ROWS) {
    if (keptPlans.size >= KEPT_PLANS) keptPlans.clear();
    keptPlans.set(key, plan);
  }
  return plan;
}

/** Rows up to which a prepared node keeps its own plan (its tables: 8 bytes a row). */
export const NODE_PLAN_MAX_ROWS = 64;

/**
 * For a prepared node (OpDef.prepare): the plan for these shapes, planned at the first call and then
 * kept by the node when it has at most NODE_PLAN_MAX_ROWS rows (others come from broadcastPlan at
 * every call, as above), so what a node keeps is bounded whatever its shapes.
 */
export function broadcastPlanOnce(a: readonly number[], b: readonly number[], outShape: readonly number[]): () => BroadcastPlan {
  let kept: BroadcastPlan | undefined;
  return () => {
    if (kept !== undefined) return kept;
    const plan = broadcastPlan(a, b, outShape);
    if (plan.rows <= NODE_PLAN_MAX_ROWS) kept = plan;
    return plan;
  };
}

function planBroadcast(a: readonly number[], b: readonly number[], outShape: readonly number[]): BroadcastPlan {
  let dims = [...outShape];
  let sa = broadcastStrides(a, outShape);
  let sb = broadcastStrides(b, outShape);
  // Size-1 output dimensions never move an index: drop them.
  const keep = dims.map((d) => d !== 1);
  dims = dims.filter((_, i) => keep[i]);
  sa = sa.filter((_, i) => keep[i]);
  sb = sb.filter((_, i) => keep[i]);
  // Merge dimension i into i+1 when both inputs walk them as one contiguous (or stretched) run.
  const cd: number[] = [];
  const ca: number[] = [];
  const cb: number[] = [];
  for (let i = 0; i < dims.length; i++) {
    const n = cd.length - 1;
    if (n >= 0 && ca[n] === sa[i]! * dims[i]! && cb[n] === sb[i]! * dims[i]!) {
      cd[n] = cd[n]! * dims[i]!;
      ca[n] = sa[i]!;
      cb[n] = sb[i]!;
    } else {
      cd.push(dims[i]!);
      ca.push(sa[i]!);
      cb.push(sb[i]!);
    }
  }
  if (cd.length === 0) {
    return { rows: 1, rowLength: 1, rowOffsetA: new Int32Array(1), rowOffsetB: new Int32Array(1), strideA: 0, strideB: 0 };
  }
  const last = cd.length - 1;
  const rowLength = cd[last]!;
  let rows = 1;
  for (let i = 0; i < last; i++) rows *= cd[i]!;
  const rowOffsetA = new Int32Array(rows);
  const rowOffsetB = new Int32Array(rows);
  const idx = new Array<number>(last).fill(0);
  let offA = 0;
  let offB = 0;
  for (let r = 0; r < rows; r++) {
    rowOffsetA[r] = offA;
    rowOffsetB[r] = offB;
    // Odometer over the outer dimensions.
    for (let d = last - 1; d >= 0; d--) {
      idx[d]!++;
      offA += ca[d]!;
      offB += cb[d]!;
      if (idx[d]! < cd[d]!) break;
      offA -= ca[d]! * cd[d]!;
      offB -= cb[d]! * cd[d]!;
      idx[d] = 0;
    }
  }
  return { rows, rowLength, rowOffsetA, rowOffsetB, strideA: ca[last]!, strideB: cb[last]! };
}

/** The index table of a rank-0 grid (a matmul with no batch dimensions): read only. */
const SCALAR_INDEX = new Int32Array(1);

/**
 * For each flat index of `outShape`, the flat index into `shape` it reads (used for small batch
 * grids). Callers only read it (a rank-0 grid's table is shared).
 */
export function broadcastIndex(shape: readonly number[], outShape: readonly number[]): Int32Array {
  if (outShape.length === 0) return SCALAR_INDEX;
  const plan = broadcastPlan(shape, shape, outShape);
  const out = new Int32Array(plan.rows * plan.rowLength);
  for (let r = 0, o = 0; r < plan.rows; r++) {
    const base = plan.rowOffsetA[r]!;
    for (let j = 0; j < plan.rowLength; j++) out[o++] = base + j * plan.strideA;
  }
  return out;
}
