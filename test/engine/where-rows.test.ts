// where() picks whole last-axis rows when the condition is constant along that axis (the KV-cache
// write of the decoder's step program): that path must equal the element-by-element definition.
import { test } from "node:test";
import assert from "node:assert/strict";
import { getOp } from "../../src/engine/registry.ts";
import { tensor, type DType, type Tensor } from "../../src/engine/tensor.ts";
import { rng } from "../xorshift.ts";

const where = getOp("where");

/** numpy broadcasting, element by element, from the shapes alone: the op's definition. */
function reference(c: Tensor, x: Tensor, y: Tensor, shape: number[]): number[] {
  const at = (t: Tensor, idx: number[]) => {
    const off = shape.length - t.shape.length;
    let flat = 0;
    t.shape.forEach((d, i) => (flat = flat * d + (d === 1 ? 0 : idx[i + off]!)));
    return t.data[flat]!;
  };
  const total = shape.reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let e = 0; e < total; e++) {
    const idx: number[] = [];
    let r = e;
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d] = r % shape[d]!;
      r = Math.floor(r / shape[d]!);
    }
    out.push(at(c, idx) !== 0 ? at(x, idx) : at(y, idx));
  }
  return out;
}

test("where with a condition broadcast along the last axis equals the element-wise definition on 300 random shapes", () => {
  const r = rng(20261206);
  for (let trial = 0; trial < 300; trial++) {
    const rank = 1 + r(4);
    const shape = Array.from({ length: rank }, () => 1 + r(5));
    const broadcastFrom = (full: number[], forceLastOne: boolean) => {
      const keep = r(rank + 1);
      return full.slice(rank - keep).map((d, i, a) => (i === a.length - 1 && forceLastOne ? 1 : r(3) === 0 ? 1 : d));
    };
    const dtype: DType = (["int8", "int16", "int32"] as const)[r(3)]!;
    const cShape = broadcastFrom(shape, true);
    const fill = (s: number[], f: () => number) => Array.from({ length: s.reduce((a, b) => a * b, 1) }, f);
    const c = tensor("int8", cShape, fill(cShape, () => r(2)));
    const xShape = broadcastFrom(shape, false);
    const yShape = broadcastFrom(shape, false);
    const x = tensor(dtype, xShape, fill(xShape, () => r(200) - 100));
    const y = tensor(dtype, yShape, fill(yShape, () => r(200) - 100));
    const [meta] = where.infer([c, x, y], {});
    const [out] = where.run([c, x, y], {});
    assert.deepEqual([...out!.data], reference(c, x, y, [...meta!.shape]), `shapes ${JSON.stringify([cShape, xShape, yShape])}`);
  }
});

test("the KV-cache write: one slot of [1, Hkv, T, Dh] replaced by the new [1, Hkv, 1, Dh], the rest unchanged", () => {
  const T = 8, H = 2, D = 3;
  const cache = tensor("int8", [1, H, T, D], Array.from({ length: H * T * D }, (_, i) => (i % 100) - 50));
  const fresh = tensor("int8", [1, H, 1, D], [101, 102, 103, 111, 112, 113]);
  const slot = tensor("int8", [1, 1, T, 1], [0, 0, 0, 0, 0, 1, 0, 0]);
  const [out] = where.run([slot, fresh, cache], {});
  for (let h = 0; h < H; h++) {
    for (let t = 0; t < T; t++) {
      for (let d = 0; d < D; d++) {
        const i = (h * T + t) * D + d;
        assert.equal(out!.data[i], t === 5 ? fresh.data[h * D + d] : cache.data[i]);
      }
    }
  }
});
