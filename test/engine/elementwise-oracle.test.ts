// Every element-wise op against its BigInt oracle over seeded random cases: broadcasting, all
// dtypes, zero points at the dtype edges, multipliers and shifts across their whole ranges.
import { test } from "node:test";
import assert from "node:assert/strict";
import { getOp } from "../../src/engine/registry.ts";
import { tensor } from "../../src/engine/tensor.ts";
import { ELEMENTWISE_OPS, elementwiseCase } from "../golden/elementwise/cases.ts";
import { elementwiseOracle } from "../golden/elementwise/oracle.ts";
import { rng } from "../golden/linear/cases.ts";

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
