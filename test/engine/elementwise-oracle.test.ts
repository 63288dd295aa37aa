// Every element-wise op against its BigInt oracle over seeded random cases: broadcasting, all
// dtypes, zero points at the dtype edges, multipliers and shifts across their whole ranges.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Attrs } from "../../src/engine/op.ts";
import { getOp } from "../../src/engine/registry.ts";
import { tensor, type DType } from "../../src/engine/tensor.ts";
import { ELEMENTWISE_OPS, elementwiseCase } from "../golden/elementwise/cases.ts";
import { elementwiseOracle } from "../golden/elementwise/oracle.ts";
import { plain, rng, values } from "../golden/linear/cases.ts";
import type { PlainTensor } from "../golden/linear/oracle.ts";

const count = (shape: number[]): number => shape.reduce((x, y) => x * y, 1);

for (const [i, op] of ELEMENTWISE_OPS.entries()) {
  test(`${op} matches the BigInt oracle on 400 random cases`, () => {
    const r = rng(100 + i);
    for (let n = 0; n < 400; n++) {
      const c = elementwiseCase(r, op);
      const want = elementwiseOracle(op, c.inputs, c.attrs);
      const def = getOp(op);
      const ts = c.inputs.map((t) => tensor(t.dtype, t.shape, t.data));
      const ctx = `case ${n}: ${JSON.stringify(c.inputs.map((t) => [t.dtype, t.shape]))} ${JSON.stringify(c.attrs)}`;
      assert.deepEqual(def.infer(ts, c.attrs), [{ dtype: want.dtype, shape: want.shape }], ctx);
      const got = def.run(ts, c.attrs)[0]!;
      assert.equal(got.dtype, want.dtype, ctx);
      assert.deepEqual(got.shape, want.shape, ctx);
      assert.deepEqual(Array.from(got.data), want.data, ctx);
    }
  });
}

// The loops (kernels/elementwise-loops.ts and the binary ops' paths) on larger tensors, every dtype,
// broadcast shapes the plan walks as one or a few long runs (same shape, row, column, scalar) and as
// many short ones (a middle axis stretched on both sides), all in one process so each loop sees
// every dtype.
const DTYPES: DType[] = ["int8", "int16", "int32"];
const BROADCASTS: [string, number[], number[]][] = [
  ["same shape", [3, 5, 37], [3, 5, 37]],
  ["row broadcast", [15, 37], [37]],
  ["column broadcast", [15, 1], [1, 37]],
  ["scalar b", [3, 5, 37], []],
  ["scalar a", [1], [15, 37]],
  ["middle axis on both sides", [3, 1, 37], [1, 5, 1]],
  ["inner axis stretched", [3, 5, 1], [3, 5, 37]],
];
const BINARY_ATTRS: Record<string, Attrs[]> = {
  add: [{}, { zeroPoint: 5 }, { aZero: 3, bZero: -2, leftShift: 20, aMultiplier: 1 << 30, aShift: 31, bMultiplier: 1 << 30, bShift: 31, outMultiplier: 1 << 30, outShift: 50, outDtype: 0 }, { aMultiplier: 1 << 30, aShift: 58, bMultiplier: 3, bShift: 1, outMultiplier: 1 << 30, outShift: 12 }],
  sub: [{}, { aMultiplier: 1 << 30, aShift: 31, bMultiplier: 1 << 30, bShift: 31, outMultiplier: 1 << 30, outShift: 30, zeroPoint: -7 }],
  mul: [{}, { multiplier: 1 << 30, shift: 38, outDtype: 0 }, { aZero: 7, bZero: -3, multiplier: 1234567, shift: 20 }, { multiplier: 1 << 30, shift: 58, outDtype: 2 }],
};
const UNARY_ATTRS: Record<string, (dt: DType) => Attrs[]> = {
  relu: (dt): Attrs[] => [{}, { zeroPoint: dt === "int8" ? -5 : 300 }],
  relu6: (dt): Attrs[] => [{ six: 60 }, { zeroPoint: -20, six: dt === "int8" ? 100 : 1000 }],
  clip: (dt): Attrs[] => [{ min: -100, max: 100 }, { min: dt === "int8" ? -128 : -30000, max: dt === "int8" ? 127 : 30000 }],
  // A zero point ≤ 0 takes the split rescale on int32 too, a positive one multiplyShiftRound.
  leaky_relu: (): Attrs[] => [
    { alphaMultiplier: 1 << 17, alphaShift: 20 }, { zeroPoint: 3, alphaMultiplier: (1 << 30) + 12345, alphaShift: 60 }, { alphaMultiplier: 3, alphaShift: 2 },
    { zeroPoint: -40, alphaMultiplier: 2147483647, alphaShift: 33 }, { alphaMultiplier: (1 << 30) + 12345, alphaShift: 60 },
  ],
};

function assertMatchesOracle(op: string, inputs: PlainTensor[], attrs: Attrs, ctx: string): void {
  const want = elementwiseOracle(op, inputs, attrs);
  const got = getOp(op).run(inputs.map((t) => tensor(t.dtype, t.shape, t.data)), attrs)[0]!;
  assert.equal(got.dtype, want.dtype, ctx);
  assert.deepEqual(got.shape, want.shape, ctx);
  assert.deepEqual(Array.from(got.data), want.data, ctx);
}

for (const op of Object.keys(BINARY_ATTRS)) {
  test(`${op}'s loops match the BigInt oracle for every dtype pair, with and without a direct-loop broadcast`, () => {
    const r = rng(700);
    for (const [name, sa, sb] of BROADCASTS) {
      for (const da of DTYPES) {
        for (const db of DTYPES) {
          for (const attrs of BINARY_ATTRS[op]!) {
            const za = attrs["aZero"] as number | undefined;
            const zb = attrs["bZero"] as number | undefined;
            // add/sub refuse what would leave ±2^31: an int32 input with a zero point, leftShift 20 past int8.
            if ((za !== undefined && da === "int32" && op !== "mul") || (zb !== undefined && db === "int32" && op !== "mul")) continue;
            if (attrs["leftShift"] !== undefined && (da !== "int8" || db !== "int8")) continue;
            const a = plain(da, sa, values(r, da, count(sa)));
            const b = plain(db, sb, values(r, db, count(sb)));
            assertMatchesOracle(op, [a, b], attrs, `${name} ${da}×${db} ${JSON.stringify(attrs)}`);
          }
        }
      }
    }
  });
}

for (const op of Object.keys(UNARY_ATTRS)) {
  test(`${op}'s loop matches the BigInt oracle on 1000 random elements of every dtype`, () => {
    const r = rng(800);
    for (const dt of DTYPES) {
      for (const attrs of UNARY_ATTRS[op]!(dt)) assertMatchesOracle(op, [plain(dt, [8, 125], values(r, dt, 1000))], attrs, `${dt} ${JSON.stringify(attrs)}`);
    }
  });
}

test("requantize's loop matches the BigInt oracle per tensor and per channel, every dtype, with and without an input zero point", () => {
  const r = rng(1000);
  const shape = [4, 50, 7];
  const perChannel = { axis: 1, multiplier: Array.from({ length: 50 }, (_, c) => (1 << 30) + c * 99991), shift: Array.from({ length: 50 }, (_, c) => 12 + c) };
  for (const dt of DTYPES) {
    for (const attrs of [{ multiplier: [1 << 30], shift: [38], outDtype: 0 }, { multiplier: [1 << 30], shift: [58], outDtype: 1, inZero: dt === "int8" ? 100 : 1000 }, { ...perChannel, outDtype: 2, zeroPoint: -5 }, { ...perChannel, outDtype: 0, inZero: -100 }] as Attrs[]) {
      assertMatchesOracle("requantize", [plain(dt, shape, values(r, dt, count(shape)))], attrs, `${dt} ${JSON.stringify(attrs)}`);
    }
  }
});

test("lut matches the BigInt oracle on every int8 input, int8 and int16 tables", () => {
  const r = rng(900);
  const x = plain("int8", [2, 256], Array.from({ length: 512 }, (_, i) => (i % 256) - 128));
  for (const dt of ["int8", "int16"] as DType[]) assertMatchesOracle("lut", [x, plain(dt, [256], values(r, dt, 256))], {}, dt);
});
