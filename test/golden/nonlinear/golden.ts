// Golden-vector format for the non-linear, reduction, pooling, movement and attention ops: one JSON
// file per op under test/golden/nonlinear/, written once by test/golden/generate-nonlinear.ts.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { getOp } from "../../../src/engine/registry.ts";
import type { Attrs } from "../../../src/engine/op.ts";
import { allocate, type DType, type Tensor } from "../../../src/engine/tensor.ts";

export interface GoldenTensor {
  dtype: DType;
  shape: number[];
  data: number[];
}

export interface GoldenCase {
  name: string;
  attrs: Attrs;
  inputs: GoldenTensor[];
  outputs: GoldenTensor[];
  /** Decimal string: FLOPs are bigint. */
  flops: string;
}

export interface GoldenFile {
  op: string;
  cases: GoldenCase[];
}

export const GOLDEN_DIR = new URL("./", import.meta.url);

export function toTensor(g: GoldenTensor): Tensor {
  const data = allocate(g.dtype, g.data.length);
  g.data.forEach((v, i) => (data[i] = v));
  return { dtype: g.dtype, shape: g.shape, data };
}

export function fromTensor(t: Tensor): GoldenTensor {
  return { dtype: t.dtype, shape: [...t.shape], data: Array.from(t.data) };
}

/** Runs one case through the registered op: outputs, inferred metadata and FLOPs. */
export function evaluate(op: string, attrs: Attrs, inputs: GoldenTensor[]): { outputs: GoldenTensor[]; flops: string } {
  const def = getOp(op);
  const ts = inputs.map(toTensor);
  const outputs = def.run(ts, attrs).map(fromTensor);
  const metas = def.infer(ts, attrs);
  assert.deepEqual(metas.map((m) => ({ dtype: m.dtype, shape: [...m.shape] })), outputs.map((o) => ({ dtype: o.dtype, shape: o.shape })), `${op}: infer disagrees with run`);
  return { outputs, flops: def.flops(ts, attrs).toString() };
}

export function readGolden(op: string): GoldenFile {
  return JSON.parse(readFileSync(new URL(`${op}.json`, GOLDEN_DIR), "utf8")) as GoldenFile;
}

/** Re-runs every case of an op's golden file and requires identical outputs and FLOPs. */
export function checkGolden(op: string): number {
  const file = readGolden(op);
  assert.equal(file.op, op);
  assert.ok(file.cases.length > 0, `${op}: golden file has no cases`);
  for (const c of file.cases) {
    const got = evaluate(op, c.attrs, c.inputs);
    assert.deepEqual(got.outputs, c.outputs, `${op} golden "${c.name}"`);
    assert.equal(got.flops, c.flops, `${op} golden "${c.name}" FLOPs`);
  }
  return file.cases.length;
}
