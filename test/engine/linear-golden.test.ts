// Golden vectors for matmul and conv2d (generated once from the BigInt oracle): the engine must
// reproduce each expected output exactly, with both the fast and the reference kernels.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { getOp } from "../../src/engine/registry.ts";
import { tensor } from "../../src/engine/tensor.ts";
import { runConv2d, runMatmul } from "../../src/engine/ops/linear.ts";
import { matmulReference } from "../../src/engine/kernels/matmul-reference.ts";
import { conv2dReference } from "../../src/engine/kernels/conv2d-reference.ts";
import type { GoldenCase } from "../golden/generate-linear.ts";

for (const op of ["matmul", "conv2d"] as const) {
  test(`${op} reproduces every golden vector in test/golden/linear/${op}.json exactly`, () => {
    const file = JSON.parse(readFileSync(new URL(`../golden/linear/${op}.json`, import.meta.url), "utf8")) as { cases: GoldenCase[] };
    assert.ok(file.cases.length >= 40);
    for (const c of file.cases) {
      const ts = c.inputs.map((t) => tensor(t.dtype, t.shape, t.data));
      const fast = getOp(op).run(ts, c.attrs)[0]!;
      const ref = op === "matmul" ? runMatmul(ts, c.attrs, matmulReference) : runConv2d(ts, c.attrs, conv2dReference);
      for (const got of [fast, ref]) {
        assert.equal(got.dtype, c.expected.dtype, c.name);
        assert.deepEqual(got.shape, c.expected.shape, c.name);
        assert.deepEqual(Array.from(got.data), c.expected.data, c.name);
      }
    }
  });
}
