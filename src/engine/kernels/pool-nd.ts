// max_pool and avg_pool over any number of spatial dimensions, one axis at a time. A box window is
// separable: its max is the max along the last axis of maxes along the others, and its sum likewise,
// so each pass reduces one spatial axis of the whole tensor with a 1-D window (taps outside the input
// skipped), reading runs of `inner` consecutive elements. Sums are numbers (the consensus path has no
// float typed arrays), exact when the caller says kernel taps · max|x| < 2^53: every partial sum adds fewer taps. They must match the
// generic N-D kernel in ops/pool.ts bit for bit (test/engine/pool.test.ts pins them against it).
import { roundDivAway } from "../intmath.ts";
import { allocate, DTYPE_BYTES, MAX_ELEMENTS, type DType, type IntArray } from "../tensor.ts";
import { axisTaps, type AxisTaps } from "./pool2d.ts";

export interface PoolNdGeometry {
  /** N·C planes. */
  planes: number;
  /** Per spatial axis: input size, output size and the window's attributes. */
  size: readonly number[];
  out: readonly number[];
  kernel: readonly number[];
  strides: readonly number[];
  dilations: readonly number[];
  padBegin: readonly number[];
  padEnd: readonly number[];
}

/** Elements after each pass: pass d has reduced axes 0..d to their output sizes. */
function passSizes(g: PoolNdGeometry): number[] {
  const sizes: number[] = [];
  for (let d = 0; d < g.size.length; d++) {
    let n = g.planes;
    for (let i = 0; i < g.size.length; i++) n *= i <= d ? g.out[i]! : g.size[i]!;
    sizes.push(n);
  }
  return sizes;
}

/** Pass d writes buffer d mod 2, so a pass never reads the buffer it writes; max_pool's last pass writes the output instead. */
function bufferLengths(g: PoolNdGeometry, lastIntoOutput: boolean): [number, number] {
  const sizes = passSizes(g);
  const lengths: [number, number] = [0, 0];
  const passes = lastIntoOutput ? sizes.length - 1 : sizes.length;
  for (let d = 0; d < passes; d++) lengths[d % 2] = Math.max(lengths[d % 2]!, sizes[d]!);
  return lengths;
}

/**
 * Whether the kernels' allocations beyond the output fit in `boundBytes`: the two pass buffers (the
 * dtype's width for max_pool, 8-byte numbers for avg_pool's sums), three Int32 tap tables per axis
 * and avg_pool's Int32 divisor per output position of a plane. A sum buffer also holds no more bytes
 * than the largest int32 tensor, which keeps it below V8's longest array of numbers (2^27 − 2).
 */
export function poolNdFits(op: "max_pool" | "avg_pool", g: PoolNdGeometry, dtype: DType, boundBytes: number): boolean {
  const [a, b] = bufferLengths(g, op === "max_pool");
  if (op === "avg_pool" && Math.max(a, b) > MAX_ELEMENTS / 2) return false;
  let n = (a + b) * (op === "max_pool" ? DTYPE_BYTES[dtype] : 8);
  let outPlane = 1;
  for (const o of g.out) {
    n += 12 * o;
    outPlane *= o;
  }
  return (op === "avg_pool" ? n + 4 * outPlane : n) <= boundBytes;
}

function tapsOf(g: PoolNdGeometry, d: number): AxisTaps {
  return axisTaps(g.out[d]!, g.size[d]!, g.kernel[d]!, g.strides[d]!, g.dilations[d]!, g.padBegin[d]!, g.padEnd[d]!);
}

/** The [outer, size, inner] view of the tensor before pass d: `outer` counts planes and the reduced axes. */
function passView(g: PoolNdGeometry, d: number): { outer: number; size: number; inner: number } {
  let outer = g.planes;
  for (let i = 0; i < d; i++) outer *= g.out[i]!;
  let inner = 1;
  for (let i = d + 1; i < g.size.length; i++) inner *= g.size[i]!;
  return { outer, size: g.size[d]!, inner };
}

type Numbers = IntArray | number[];

/** dst[a, o, i] = max over o's in-input taps t of src[a, t, i]; `lo` when o has none. */
function maxAlongAxis(src: IntArray, dst: IntArray, outer: number, size: number, inner: number, taps: AxisTaps, dilation: number, lo: number): void {
  const { first, count } = taps;
  const step = dilation * inner;
  let w = 0;
  for (let a = 0; a < outer; a++) {
    const base = a * size * inner;
    for (let o = 0; o < first.length; o++, w += inner) {
      const n = count[o]!;
      if (n === 0) {
        dst.fill(lo, w, w + inner);
        continue;
      }
      let r = base + first[o]! * inner;
      for (let i = 0; i < inner; i++) dst[w + i] = src[r + i]!;
      for (let j = 1; j < n; j++) {
        r += step;
        for (let i = 0; i < inner; i++) {
          const v = src[r + i]!;
          if (v > dst[w + i]!) dst[w + i] = v;
        }
      }
    }
  }
}

/** dst[a, o, i] = sum over o's in-input taps t of src[a, t, i]; 0 when o has none. */
function sumAlongAxis(src: Numbers, dst: number[], outer: number, size: number, inner: number, taps: AxisTaps, dilation: number): void {
  const { first, count } = taps;
  const step = dilation * inner;
  let w = 0;
  for (let a = 0; a < outer; a++) {
    const base = a * size * inner;
    for (let o = 0; o < first.length; o++, w += inner) {
      const n = count[o]!;
      if (n === 0) {
        dst.fill(0, w, w + inner);
        continue;
      }
      let r = base + first[o]! * inner;
      for (let i = 0; i < inner; i++) dst[w + i] = src[r + i]!;
      for (let j = 1; j < n; j++) {
        r += step;
        for (let i = 0; i < inner; i++) dst[w + i] += src[r + i]!;
      }
    }
  }
}

/** y = max over each window's in-input taps; the dtype minimum `lo` for a window wholly in the padding. */
export function maxPoolNd(x: IntArray, y: IntArray, g: PoolNdGeometry, dtype: DType, lo: number): void {
  const [a, b] = bufferLengths(g, true);
  const buffers = [allocate(dtype, a), allocate(dtype, b)];
  const k = g.size.length;
  let src: IntArray = x;
  for (let d = 0; d < k; d++) {
    const dst = d === k - 1 ? y : buffers[d % 2]!;
    const { outer, size, inner } = passView(g, d);
    maxAlongAxis(src, dst, outer, size, inner, tapsOf(g, d), g.dilations[d]!, lo);
    src = dst;
  }
}

/**
 * y = round-half-away(window sum / divisor), the divisor being the product over axes of the in-input
 * taps or (countIncludePad) of the taps inside the padded extent; 0 when the divisor is 0. The caller
 * guarantees the double sums are exact.
 */
export function avgPoolNd(x: IntArray, y: IntArray, g: PoolNdGeometry, countIncludePad: boolean): void {
  const [a, b] = bufferLengths(g, false);
  const buffers = [new Array<number>(a).fill(0), new Array<number>(b).fill(0)];
  const k = g.size.length;
  let outPlane = 1;
  for (const o of g.out) outPlane *= o;
  // The divisor table over one plane's output positions, grown one axis at a time in place (from the back, so no unread entry is overwritten).
  const divisor = new Int32Array(outPlane);
  if (outPlane > 0) divisor[0] = 1;
  let filled = 1;
  let src: Numbers = x;
  for (let d = 0; d < k; d++) {
    const taps = tapsOf(g, d);
    const { outer, size, inner } = passView(g, d);
    const dst = buffers[d % 2]!;
    sumAlongAxis(src, dst, outer, size, inner, taps, g.dilations[d]!);
    src = dst;
    const factor = countIncludePad ? taps.padded : taps.count;
    const n = factor.length;
    for (let t = filled - 1; t >= 0; t--) {
      const v = divisor[t]!;
      for (let o = n - 1; o >= 0; o--) divisor[t * n + o] = v * factor[o]!;
    }
    filled *= n;
  }
  for (let i = 0, t = 0; i < y.length; i++, t = t + 1 === outPlane ? 0 : t + 1) {
    const div = divisor[t]!;
    y[i] = div === 0 ? 0 : roundDivAway(src[i]!, div);
  }
}
