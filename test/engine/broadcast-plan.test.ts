// broadcastPlan keeps plans by shapes: every plan, computed or kept, must read the elements numpy's
// broadcasting defines, including after the kept plans are cleared and for shapes kept before.
import assert from "node:assert/strict";
import { test } from "node:test";
import { broadcastIndex, broadcastPlan, broadcastPlanOnce, broadcastShapes, NODE_PLAN_MAX_ROWS } from "../../src/engine/broadcast.ts";
import { numElements, stridesOf } from "../../src/engine/tensor.ts";
import { prng, type Prng } from "../golden/nonlinear/prng.ts";

/** The flat index into `shape` that output element `o` of `outShape` reads (right-aligned, size-1 dimensions stretched). */
function readIndex(shape: readonly number[], outShape: readonly number[], o: number): number {
  const outStrides = stridesOf(outShape);
  const strides = stridesOf(shape);
  let index = 0;
  for (let d = 0; d < outShape.length; d++) {
    const coord = Math.floor(o / outStrides[d]!) % outShape[d]!;
    const sd = d - (outShape.length - shape.length);
    if (sd >= 0 && shape[sd] !== 1) index += coord * strides[sd]!;
  }
  return index;
}

function randomPair(r: Prng): [number[], number[]] {
  const rank = r.int(0, 4);
  const out = Array.from({ length: rank }, () => r.int(1, 4));
  const drop = (s: number[]) => s.slice(r.int(0, s.length)).map((d) => (r.int(0, 2) === 0 ? 1 : d));
  return [drop(out), drop(out)];
}

function checkPlan(a: number[], b: number[]): void {
  const out = broadcastShapes("test", ["a", "b"], a, b);
  const plan = broadcastPlan(a, b, out);
  assert.equal(plan.rows * plan.rowLength, numElements(out), `${a} ${b}`);
  for (let r = 0, o = 0; r < plan.rows; r++) {
    for (let j = 0; j < plan.rowLength; j++, o++) {
      assert.equal(plan.rowOffsetA[r]! + j * plan.strideA, readIndex(a, out, o), `a [${a}] of [${out}], element ${o}`);
      assert.equal(plan.rowOffsetB[r]! + j * plan.strideB, readIndex(b, out, o), `b [${b}] of [${out}], element ${o}`);
    }
  }
}

test("broadcast plans, computed and kept, read the elements broadcasting defines, across more shapes than are kept", () => {
  const r = prng(61);
  const pairs = Array.from({ length: 400 }, () => randomPair(r));
  // Twice over: the second pass reads kept plans (and, past 256 distinct shapes, plans computed again after a clear).
  for (let pass = 0; pass < 2; pass++) for (const [a, b] of pairs) checkPlan(a, b);
  // Shapes whose joined digits could run together are told apart.
  checkPlan([1, 12], [1, 1]);
  checkPlan([11, 2], [11, 1]);
  checkPlan([12], [1]);
});

test("a rank-0 batch grid's index table is the single index 0", () => {
  assert.deepEqual(Array.from(broadcastIndex([], [])), [0]);
  assert.deepEqual(Array.from(broadcastIndex([1, 3], [2, 3])), [0, 1, 2, 0, 1, 2]);
});

test("a prepared node keeps its broadcast plan only up to NODE_PLAN_MAX_ROWS rows: what a cached program holds does not grow with the shapes", () => {
  // [rows,1] + [1,3]: one output row per row of a.
  const small = broadcastPlanOnce([NODE_PLAN_MAX_ROWS, 1], [1, 3], [NODE_PLAN_MAX_ROWS, 3]);
  const first = small();
  assert.equal(first.rows, NODE_PLAN_MAX_ROWS);
  assert.equal(small(), first, "kept");
  const rows = 4096; // above both this bound and broadcastPlan's own
  const large = broadcastPlanOnce([rows, 1], [1, 3], [rows, 3]);
  const a = large();
  assert.equal(a.rows, rows);
  assert.notEqual(large(), a, "planned again at every call, never kept");
  assert.deepEqual(large(), a, "the same plan");
});
