// Selection by run-time integer indices (Gather, GatherElements, the losses' label pick) from the
// engine's existing ops: the index is compared exactly with the positions 0…n−1 along a new axis
// (integers carried exactly in int32), then where(hit, x, 0) summed over that axis picks the one
// element. The only rounding is the sum's one requantization. Cost: one element per index and
// position (n times the output size), so it suits label-sized axes, not vocabulary-sized ones.
import type { Rewriter } from "./compose.ts";
import { hostTensor, type HostTensor } from "./onnx.ts";

const isFloat = (d: HostTensor["dtype"]) => d === "float32" || d === "float64";

/**
 * 0/1 integer tensor: `idx` (integer, shape `is`) compared with the positions 0…depth−1 along a new
 * axis inserted at `at`. With `wrap`, a negative index counts from the end (idx + depth·[idx < 0]).
 */
export function indexHit(r: Rewriter, idx: string, is: readonly number[], depth: number, at: number, wrap: boolean): string {
  const int = (base: string, shape: number[], data: number[]) => r.konst(base, hostTensor("int64", shape, data));
  const step = (p: string, q: string) => r.add("Clip", [r.add("Sub", [p, q])], { min: 0, max: 1 }); // [p > q]
  let i = idx;
  if (wrap) i = r.add("Add", [idx, r.add("Mul", [step(int("zero", [], [0]), idx), int("depth", [], [depth])])]);
  const expanded = r.add("Unsqueeze", [i, int("axes", [1], [at])]);
  const iotaShape = [...is.slice(0, at).map(() => 1), depth, ...is.slice(at).map(() => 1)];
  const iota = int("positions", iotaShape, Array.from({ length: depth }, (_, k) => k));
  return r.add("Sub", [int("one", [], [1]), r.add("Add", [step(expanded, iota), step(iota, expanded)])]);
}

/** where(hit, x, 0) summed over `axis` (dropped): the element each hit row selects. */
export function pickHits(r: Rewriter, hit: string, x: string, dtype: HostTensor["dtype"], axis: number, out?: string): string {
  const zero = r.konst("zero", hostTensor(isFloat(dtype) ? "float32" : "int64", [], [0]));
  const picked = r.add("Where", [hit, x, zero]);
  return r.add("ReduceSum", [picked, r.konst("axes", hostTensor("int64", [1], [axis]))], { keepdims: 0 }, out);
}

function reshapeTo(r: Rewriter, x: string, shape: readonly number[]): string {
  return r.add("Reshape", [x, r.konst("shape", hostTensor("int64", [shape.length], [...shape]))]);
}

/** Gather(x, idx, axis) with run-time integer indices: out = x.shape[:axis] + idx.shape + x.shape[axis+1:]. */
export function gatherRuntime(r: Rewriter, x: string, xs: readonly number[], dtype: HostTensor["dtype"], idx: string, is: readonly number[], axis: number, out: string): void {
  const n = xs[axis]!;
  const hit = indexHit(r, idx, is, n, is.length, true); // is + [n]
  const hitShape = [...xs.slice(0, axis).map(() => 1), ...is, n, ...xs.slice(axis + 1).map(() => 1)];
  const xShape = [...xs.slice(0, axis), ...is.map(() => 1), n, ...xs.slice(axis + 1)];
  pickHits(r, reshapeTo(r, hit, hitShape), reshapeTo(r, x, xShape), dtype, axis + is.length, out);
}

/** GatherElements(x, idx, axis) with run-time integer indices (idx no larger than x on the other axes). */
export function gatherElementsRuntime(r: Rewriter, x: string, xs: readonly number[], dtype: HostTensor["dtype"], idx: string, is: readonly number[], axis: number, out: string): void {
  let src = x;
  const cut = is.flatMap((d, k) => (k !== axis && d !== xs[k] ? [k] : []));
  if (cut.length) {
    const ints = (v: number[]) => r.konst("i", hostTensor("int64", [v.length], v));
    src = r.add("Slice", [x, ints(cut.map(() => 0)), ints(cut.map((k) => is[k]!)), ints(cut)]);
  }
  const n = xs[axis]!;
  const hit = indexHit(r, idx, is, n, axis + 1, true); // is with n inserted after the axis
  const xShape = [...is.slice(0, axis), 1, n, ...is.slice(axis + 1)];
  pickHits(r, hit, reshapeTo(r, src, xShape), dtype, axis + 1, out);
}
