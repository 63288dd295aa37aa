// No engine op writes to its inputs. The precompiles rely on it: a stored tensor (model weights) is
// decoded once and the same object feeds every later call (precompiles/call.ts), and a tensor's
// commit is memoised per object. Every golden case of every op runs once, and each input's data
// must be exactly as it was. Nor does an output share a buffer with an input: runProgram recycles
// a dead value's array (engine/recycle.ts), which a view of it kept as an output would see change.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { OPS_BY_NAME, getOp } from "../../src/engine/registry.ts";
import { tensor, type DType, type QuantParams } from "../../src/engine/tensor.ts";
import type { Attrs } from "../../src/engine/op.ts";

interface Case {
  name: string;
  inputs: { dtype: DType; shape: number[]; data: number[]; quant?: QuantParams }[];
  attrs?: Attrs;
}

test("every op leaves its inputs' data untouched on every golden case", () => {
  const seen = new Set<string>();
  for (const dir of ["linear", "elementwise", "nonlinear"]) {
    const folder = new URL(`../golden/${dir}/`, import.meta.url);
    for (const file of readdirSync(folder).filter((f) => f.endsWith(".json"))) {
      const { op, cases } = JSON.parse(readFileSync(new URL(file, folder), "utf8")) as { op: string; cases: Case[] };
      if (!OPS_BY_NAME.has(op)) continue;
      seen.add(op);
      for (const c of cases) {
        const inputs = c.inputs.map((t) => tensor(t.dtype, t.shape, t.data, t.quant));
        const before = inputs.map((t) => Array.from(t.data));
        let outputs: { data: { buffer: ArrayBufferLike } }[] = [];
        try {
          outputs = getOp(op).run(inputs, c.attrs ?? {});
        } catch {
          // Error cases are fine: what matters is that nothing was written first.
        }
        inputs.forEach((t, i) => assert.deepEqual(Array.from(t.data), before[i], `${op} / ${c.name}: input ${i}`));
        outputs.forEach((o, j) => inputs.forEach((t, i) => assert.notEqual(o.data.buffer, t.data.buffer, `${op} / ${c.name}: output ${j} shares input ${i}'s buffer`)));
      }
    }
  }
  assert.ok(seen.size >= 25, `golden cases cover ${seen.size} ops`);
});
