// top_k (33) and sample (34): choosing elements by rank. top_k keeps the k best of every last-axis
// row (ties go to the lower index); sample draws one token from integer logits with temperature,
// top-k and top-p, using a counter-based hash of a seed. Exact integer semantics:
// docs/ops-nonlinear.md#top_k-33-and-sample-34.
import { attrInt, checkAttrNames } from "../attrs.ts";
import { InvalidArgumentError, ShapeMismatchError } from "../errors.ts";
import { EXP_ARG_CAP_Q16, expNegQ24, floorDiv } from "../intmath.ts";
import type { Attrs, OpDef } from "../op.ts";
import { allocate, checkShape, numElements, sameShape, type DType, type IntArray, type TensorMeta } from "../tensor.ts";
import { attrScale, expectDType, expectInputCount } from "./normalize.ts";

const INT_DTYPES: readonly DType[] = ["int8", "int16", "int32"];

/** ceil(log2(n)) for n ≥ 1: the bit length of n − 1. */
export function ceilLog2(n: number): number {
  let bits = 0;
  for (let m = n - 1; m > 0; m = Math.floor(m / 2)) bits++;
  return bits;
}

// ---------------------------------------------------------------------------------------------
// top_k

interface TopKPlan {
  x: TensorMeta;
  n: number;
  k: number;
  largest: boolean;
  outShape: number[];
}

function planTopK(metas: readonly TensorMeta[], a: Attrs): TopKPlan {
  const op = "top_k";
  checkAttrNames(op, a, ["k", "largest"]);
  expectInputCount(op, metas, 1, 1);
  const x = metas[0]!;
  expectDType(op, "x", x, INT_DTYPES);
  checkShape(x.shape);
  if (x.shape.length === 0) throw new ShapeMismatchError(op, "x", "rank ≥ 1", x.shape);
  const n = x.shape[x.shape.length - 1]!;
  const k = attrInt(op, a, "k");
  if (k < 1 || k > n) throw new InvalidArgumentError(op, 'attribute "k"', `must be in [1, ${n}], the last dimension of x`);
  const largest = attrInt(op, a, "largest", 1);
  if (largest !== 0 && largest !== 1) throw new InvalidArgumentError(op, 'attribute "largest"', "must be 0 (smallest) or 1 (largest)");
  return { x, n, k, largest: largest === 1, outShape: [...x.shape.slice(0, -1), k] };
}

/**
 * Positions (0 … n−1) of the k best elements of data[base … base+n−1], best first; "best" is the
 * larger value (or the smaller with largest = false), ties to the lower position. A heap of the k
 * best so far, rooted at the worst of them: O(n log k), no sort of the whole row.
 */
export function topKRowHeap(data: ArrayLike<number>, base: number, n: number, k: number, largest: boolean, out: Int32Array): void {
  const sign = largest ? 1 : -1;
  const heap = new Int32Array(k);
  // beats(i, j): element i ranks before element j.
  const beats = (i: number, j: number) => {
    const vi = sign * data[base + i]!;
    const vj = sign * data[base + j]!;
    return vi > vj || (vi === vj && i < j);
  };
  const siftDown = (size: number) => {
    let p = 0;
    for (;;) {
      const l = 2 * p + 1;
      if (l >= size) return;
      const r = l + 1;
      const worse = r < size && beats(heap[l]!, heap[r]!) ? r : l;
      if (!beats(heap[p]!, heap[worse]!)) return;
      const t = heap[p]!;
      heap[p] = heap[worse]!;
      heap[worse] = t;
      p = worse;
    }
  };
  for (let i = 0; i < k; i++) {
    // Sift up: a parent must be worse than its children.
    let c = i;
    heap[c] = i;
    while (c > 0) {
      const p = (c - 1) >> 1;
      if (!beats(heap[p]!, heap[c]!)) break;
      const t = heap[p]!;
      heap[p] = heap[c]!;
      heap[c] = t;
      c = p;
    }
  }
  // A later element must be strictly better than the worst kept: on a tie the kept one has the lower index.
  for (let i = k; i < n; i++) {
    if (beats(i, heap[0]!)) {
      heap[0] = i;
      siftDown(k);
    }
  }
  for (let size = k; size > 0; size--) {
    out[size - 1] = heap[0]!;
    heap[0] = heap[size - 1]!;
    siftDown(size - 1);
  }
}

/** The readable reference (tests): a stable comparison sort of the whole row, first k positions. */
export function topKRowSort(data: ArrayLike<number>, base: number, n: number, k: number, largest: boolean, out: Int32Array): void {
  const sign = largest ? 1 : -1;
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((i, j) => sign * (data[base + j]! - data[base + i]!) || i - j);
  for (let j = 0; j < k; j++) out[j] = order[j]!;
}

/**
 * The same order by a stable LSD radix sort of the row (8-bit digits) on the key "distance from the
 * row's best value", which fits 32 bits: O(n) per pass, only as many passes as the row's value range
 * needs. Positions start ascending, so equal values keep the lower position first.
 */
export function topKRowRadix(data: ArrayLike<number>, base: number, n: number, k: number, largest: boolean, out: Int32Array): void {
  let lo = data[base]!;
  let hi = lo;
  for (let i = 1; i < n; i++) {
    const x = data[base + i]!;
    if (x < lo) lo = x;
    else if (x > hi) hi = x;
  }
  const keys = new Uint32Array(n);
  for (let i = 0; i < n; i++) keys[i] = largest ? hi - data[base + i]! : data[base + i]! - lo;
  let src = new Int32Array(n);
  let dst = new Int32Array(n);
  for (let i = 0; i < n; i++) src[i] = i;
  const buckets = new Int32Array(256);
  // Keys are below hi − lo + 1 ≤ 2^32: digits at or above its bit length are all 0.
  for (let shift = 0; shift < 32 && hi - lo >= 2 ** shift; shift += 8) {
    buckets.fill(0);
    for (let j = 0; j < n; j++) buckets[(keys[src[j]!]! >>> shift) & 255]!++;
    for (let b = 0, at = 0; b < 256; b++) {
      const c = buckets[b]!;
      buckets[b] = at;
      at += c;
    }
    for (let j = 0; j < n; j++) dst[buckets[(keys[src[j]!]! >>> shift) & 255]!++] = src[j]!;
    [src, dst] = [dst, src];
  }
  for (let j = 0; j < k; j++) out[j] = src[j]!;
}

/** The heap wins when k is small against the row; otherwise the radix sort of the whole row. */
const HEAP_MAX_K_FRACTION = 8;

const topK: OpDef = {
  name: "top_k",
  inputs: ["x"],
  attrs: ["k", "largest"],
  infer(inputs, a) {
    const p = planTopK(inputs, a);
    return [
      { dtype: p.x.dtype, shape: p.outShape },
      { dtype: "int32", shape: p.outShape },
    ];
  },
  flops(inputs, a) {
    const p = planTopK(inputs, a);
    return BigInt(numElements(p.x.shape)) * BigInt(1 + ceilLog2(p.k + 1));
  },
  run(inputs, a) {
    const p = planTopK(inputs, a);
    const data = inputs[0]!.data;
    const rows = p.n === 0 ? 0 : data.length / p.n;
    const values = allocate(p.x.dtype, rows * p.k);
    const indices = new Int32Array(rows * p.k);
    // No rows, no row buffer: an empty tensor may still declare k up to a 2^31 − 1 long axis.
    if (rows === 0) return [{ dtype: p.x.dtype, shape: p.outShape, data: values }, { dtype: "int32", shape: p.outShape, data: indices }];
    const pos = new Int32Array(p.k);
    const select = p.k * HEAP_MAX_K_FRACTION <= p.n ? topKRowHeap : topKRowRadix;
    for (let r = 0; r < rows; r++) {
      const base = r * p.n;
      select(data, base, p.n, p.k, p.largest, pos);
      for (let j = 0; j < p.k; j++) {
        values[r * p.k + j] = data[base + pos[j]!]!;
        indices[r * p.k + j] = pos[j]!;
      }
    }
    return [
      { dtype: p.x.dtype, shape: p.outShape, data: values },
      { dtype: "int32", shape: p.outShape, data: indices },
    ];
  },
};

// ---------------------------------------------------------------------------------------------
// sample

/** Largest vocabulary sample accepts: Σ e ≤ 2^44 stays an exact double. */
export const SAMPLE_MAX_VOCAB = 2 ** 20;
/** FLOPs per logit for the distance and the exp (the sort is charged separately). */
export const SAMPLE_FLOPS_PER_LOGIT = 20n;
/** 1.0 in the Q16 config fields. */
const ONE_Q16 = 65536;
const TWO24 = 2 ** 24;

function planSample(metas: readonly TensorMeta[], a: Attrs): { v: number; multiplier: number; shift: number } {
  const op = "sample";
  checkAttrNames(op, a, ["multiplier", "shift"]);
  expectInputCount(op, metas, 4, 4);
  const [logits, seed, counter, config] = metas as [TensorMeta, TensorMeta, TensorMeta, TensorMeta];
  expectDType(op, "logits", logits, ["int16", "int32"]);
  checkShape(logits.shape);
  const s = logits.shape;
  const v = s.length === 1 ? s[0]! : s.length === 2 && s[0] === 1 ? s[1]! : 0;
  if (v < 1 || v > SAMPLE_MAX_VOCAB) throw new ShapeMismatchError(op, "logits", "[V] or [1, V] with 1 ≤ V ≤ 2^20", s);
  for (const [name, meta, len] of [["seed", seed, 8], ["counter", counter, 1], ["config", config, 4]] as const) {
    expectDType(op, name, meta, ["int32"]);
    if (!sameShape(meta.shape, [len])) throw new ShapeMismatchError(op, name, [len], meta.shape);
  }
  return { v, ...attrScale(op, a, "multiplier", "shift") };
}

/** The run-time config: [temperatureQ16, topK, topPQ16, reserved]. */
export interface SampleConfig {
  temperatureQ16: number;
  topK: number;
  topPQ16: number;
}

/** Validates the config tensor's data (it is data, so this happens at run time). */
export function readSampleConfig(config: ArrayLike<number>): SampleConfig {
  const names = ["config[0] (temperatureQ16)", "config[1] (topK)", "config[2] (topPQ16)"];
  for (let i = 0; i < 3; i++) if (config[i]! < 0) throw new InvalidArgumentError("sample", names[i]!, "must be ≥ 0");
  if (config[3] !== 0) throw new InvalidArgumentError("sample", "config[3]", "is reserved and must be 0");
  return { temperatureQ16: config[0]!, topK: config[1]!, topPQ16: config[2]! };
}

/**
 * The draw u: MurmurHash3 x86_32 with seed 0 of the 36 bytes seed[0] … seed[7], counter, each a
 * little-endian 32-bit word. 32-bit integer operations only.
 */
export function sampleDraw(seed: ArrayLike<number>, counter: number): number {
  let h = 0;
  for (let j = 0; j < 9; j++) {
    let k = j < 8 ? seed[j]! | 0 : counter | 0;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= 36;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function gcdBig(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/**
 * R(d) = min(2^22, floor((d·M·2^32 + h) / (2^t·T))), h = floor(2^t·T/2), for 0 ≤ d < 2^32. That
 * equals floor((2·d·a + b) / (2b)) with a/b = M·2^32 / (2^t·T) in lowest terms. Below
 * dCap = ceil((2^23 − 1)·b / (2a)) the value is under the cap; when 2·dCap·a + b < 2^53 every
 * intermediate is an exact double, otherwise each distinct d is computed once in BigInt.
 */
export function temperatureDistance(multiplier: number, shift: number, temperatureQ16: number): (d: number) => number {
  const cap = EXP_ARG_CAP_Q16;
  const numerator = BigInt(multiplier) << 32n;
  const den = BigInt(temperatureQ16) << BigInt(shift);
  if (numerator === 0n) return () => 0; // M = 0: every distance is 0
  const g = gcdBig(numerator, den);
  const a = numerator / g;
  const b = den / g;
  const capBig = ((2n * BigInt(cap) - 1n) * b + 2n * a - 1n) / (2n * a);
  const dCap = capBig > 2n ** 32n ? 2 ** 32 : Number(capBig);
  if (2n * capBig * a + b < 2n ** 53n) {
    const an = Number(a);
    const bn = Number(b);
    return (d) => (d >= dCap ? cap : floorDiv(2 * d * an + bn, 2 * bn));
  }
  const memo = new Map<number, number>();
  return (d) => {
    if (d >= dCap) return cap;
    let r = memo.get(d);
    if (r === undefined) {
      r = Number((2n * BigInt(d) * a + b) / (2n * b));
      memo.set(d, r);
    }
    return r;
  };
}

/** Radix of the two counting-sort passes over the 25-bit key 2^24 − e. */
const RADIX_BITS = 13;
const RADIX = 2 ** RADIX_BITS;

/**
 * Candidates (indices with e > 0) ordered by e descending, ties by lower index: a stable LSD radix
 * sort of indices already in ascending order on the key 2^24 − e (two 13-bit passes, O(V)).
 */
function orderByExp(exps: Int32Array, v: number): Int32Array {
  let count = 0;
  for (let i = 0; i < v; i++) if (exps[i]! > 0) count++;
  let src = new Int32Array(count);
  let dst = new Int32Array(count);
  for (let i = 0, j = 0; i < v; i++) if (exps[i]! > 0) src[j++] = i;
  const buckets = new Int32Array(RADIX);
  for (const pass of [0, RADIX_BITS]) {
    buckets.fill(0);
    for (let j = 0; j < count; j++) buckets[((TWO24 - exps[src[j]!]!) >>> pass) & (RADIX - 1)]!++;
    for (let b = 0, at = 0; b < RADIX; b++) {
      const n = buckets[b]!;
      buckets[b] = at;
      at += n;
    }
    for (let j = 0; j < count; j++) dst[buckets[((TWO24 - exps[src[j]!]!) >>> pass) & (RADIX - 1)]!++] = src[j]!;
    [src, dst] = [dst, src];
  }
  return src;
}

/** Index of the first maximum of logits[0 … v−1]. */
function firstMax(logits: ArrayLike<number>, v: number): number {
  let best = 0;
  for (let i = 1; i < v; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}

/** The whole sampling procedure (docs/ops-nonlinear.md#sample-34) on one row of logits. */
export function sampleToken(
  logits: ArrayLike<number>,
  v: number,
  seed: ArrayLike<number>,
  counter: number,
  config: SampleConfig,
  multiplier: number,
  shift: number,
): number {
  if (config.temperatureQ16 === 0) return firstMax(logits, v);
  const m = logits[firstMax(logits, v)]!;
  let lo = m;
  for (let i = 0; i < v; i++) if (logits[i]! < lo) lo = logits[i]!;
  const distance = temperatureDistance(multiplier, shift, config.temperatureQ16);
  const exps = new Int32Array(v);
  if (m - lo < v) {
    // Narrow logits (int16 rows, usually): one exp per distinct distance, then lookups.
    const byDistance = new Int32Array(m - lo + 1);
    for (let d = 0; d <= m - lo; d++) {
      byDistance[d] = expNegQ24(distance(d));
      if (byDistance[d] === 0) break; // e is non-increasing in d: the rest stay 0
    }
    for (let i = 0; i < v; i++) exps[i] = byDistance[m - logits[i]!]!;
  } else {
    for (let i = 0; i < v; i++) exps[i] = expNegQ24(distance(m - logits[i]!));
  }
  // e = 0 adds nothing and is dropped; the maximum has R = 0, e = 2^24, so something always remains.
  const order = orderByExp(exps, v);
  const kept = config.topK >= 1 && config.topK < order.length ? order.subarray(0, config.topK) : order;
  let n = kept.length;
  if (config.topPQ16 > 0 && config.topPQ16 < ONE_Q16) {
    let s = 0;
    for (let j = 0; j < kept.length; j++) s += exps[kept[j]!]!;
    // prefix·65536 ≥ P·S ⇔ prefix ≥ ceil(P·S / 65536); P·S reaches 2^60.
    const threshold = Number((BigInt(config.topPQ16) * BigInt(s) + BigInt(ONE_Q16 - 1)) / BigInt(ONE_Q16));
    let prefix = 0;
    for (n = 0; n < kept.length && prefix < threshold; n++) prefix += exps[kept[n]!]!;
  }
  let sn = 0;
  for (let j = 0; j < n; j++) sn += exps[kept[j]!]!;
  const r = Number((BigInt(sampleDraw(seed, counter)) * BigInt(sn)) >> 32n);
  let running = 0;
  for (let j = 0; j < n; j++) {
    running += exps[kept[j]!]!;
    if (running > r) return kept[j]!;
  }
  // Unreachable: r < S_n, the last running sum. An invariant, not bad input.
  throw new Error("sample: the draw fell outside the kept mass");
}

const sample: OpDef = {
  name: "sample",
  inputs: ["logits", "seed", "counter", "config"],
  attrs: ["multiplier", "shift"],
  infer(inputs, a) {
    planSample(inputs, a);
    return [{ dtype: "int32", shape: [1] }];
  },
  flops(inputs, a) {
    const { v } = planSample(inputs, a);
    return SAMPLE_FLOPS_PER_LOGIT * BigInt(v) + BigInt(v) * BigInt(ceilLog2(v));
  },
  // Per row of V logits: the exp values, the distance table (at most V), the two radix index
  // arrays, and the radix buckets.
  scratchBytes(inputs) {
    const v = inputs[0]!.shape[inputs[0]!.shape.length - 1] ?? 0;
    return 16 * v + 4 * RADIX;
  },
  run(inputs, a) {
    const { v, multiplier, shift } = planSample(inputs, a);
    const [logits, seed, counter, config] = inputs.map((t) => t.data) as [IntArray, IntArray, IntArray, IntArray];
    const token = sampleToken(logits, v, seed, counter[0]!, readSampleConfig(config), multiplier, shift);
    return [{ dtype: "int32", shape: [1], data: Int32Array.of(token) }];
  },
};

export const selectOps: readonly OpDef[] = [topK, sample];
