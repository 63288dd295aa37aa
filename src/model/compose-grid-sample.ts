// GridSample (2-D) with a constant grid: every output pixel is a fixed weighted sum of input pixels, so
// the op is one constant linear map per batch item, built offline by the ONNX reference's rules
// (denormalisation, align_corners, nearest/bilinear/bicubic, zeros/border/reflection padding) and run
// as a matmul with an int8 weight, like linear Resize.
import type { Rewriter } from "./compose.ts";
import type { FloatNode } from "./graph.ts";
import { OnnxFormatError, hostTensor, type HostTensor } from "./onnx.ts";

function reflect(x: number, lo: number, hi: number): number {
  const range = hi - lo;
  if (x < lo) {
    const dx = lo - x, n = Math.trunc(dx / range), r = dx - n * range;
    return n % 2 === 0 ? lo + r : hi - r;
  }
  if (x > hi) {
    const dx = x - hi, n = Math.trunc(dx / range), r = dx - n * range;
    return n % 2 === 0 ? hi - r : lo + r;
  }
  return x;
}

function cubicCoeffs(t: number): number[] {
  const a = -0.75, x = Math.abs(t);
  return [
    ((a * (x + 1) - 5 * a) * (x + 1) + 8 * a) * (x + 1) - 4 * a,
    ((a + 2) * x - (a + 3)) * x * x + 1,
    ((a + 2) * (1 - x) - (a + 3)) * (1 - x) * (1 - x) + 1,
    ((a * (2 - x) - 5 * a) * (2 - x) + 8 * a) * (2 - x) - 4 * a,
  ];
}

/** Round half to even (numpy's rint). */
function rint(x: number): number {
  const f = Math.floor(x), d = x - f;
  return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
}

/** Per batch item, the map W ([H·W, Ho·Wo], row-major) with y[c] = x[c] · W. */
export function gridSampleMaps(xs: readonly number[], grid: HostTensor, attrs: FloatNode["attrs"], where: string): { maps: Float64Array[]; outHW: [number, number] } {
  if (xs.length !== 4 || grid.shape.length !== 4 || grid.shape[3] !== 2) throw new OnnxFormatError(where, "only 2-D GridSample (4-D input, grid [N, Ho, Wo, 2]) is supported");
  const [N, , H, W] = xs as [number, number, number, number];
  const [, Ho, Wo] = grid.shape as [number, number, number];
  const mode = ({ bilinear: "linear", bicubic: "cubic" } as Record<string, string>)[String(attrs.mode ?? "bilinear")] ?? String(attrs.mode);
  const padding = String(attrs.padding_mode ?? "zeros");
  const align = attrs.align_corners === 1;
  const dims = [H, W];
  const lo = dims.map(() => (align ? 0 : -0.5)), hi = dims.map((d) => (align ? d - 1 : d - 0.5));
  /** The input index a tap reads along dimension k, or −1 for a zero (padding "zeros"). */
  const tap = (i: number, k: number) => {
    const d = dims[k]!;
    if (padding === "zeros") return i >= 0 && i < d ? i : -1;
    if (padding === "border") return Math.min(d - 1, Math.max(0, i));
    return Math.trunc(reflect(i, lo[k]!, hi[k]!));
  };
  const maps: Float64Array[] = [];
  for (let n = 0; n < N; n++) {
    const map = new Float64Array(H * W * Ho * Wo);
    for (let o = 0; o < Ho * Wo; o++) {
      const g = (n * Ho * Wo + o) * 2;
      const normalized = [grid.data[g + 1]!, grid.data[g]!]; // grid holds (x, y); dims are (H, W)
      let p = normalized.map((v, k) => (align ? ((v + 1) / 2) * (dims[k]! - 1) : ((v + 1) * dims[k]! - 1) / 2));
      if (mode === "nearest") p = p.map(rint);
      p = p.map((v, k) => (v >= lo[k]! && v <= hi[k]! ? v : padding === "border" ? Math.min(dims[k]! - 1, Math.max(0, v)) : padding === "reflection" ? reflect(v, lo[k]!, hi[k]!) : v));
      // Taps and weights along each dimension.
      const taps = p.map((v, k) => {
        if (mode === "nearest") return [{ i: tap(Math.trunc(v), k), w: 1 }];
        const f = Math.floor(v);
        if (mode === "linear") return [{ i: tap(f, k), w: 1 - (v - f) }, { i: tap(f + 1, k), w: v - f }];
        if (mode === "cubic") return cubicCoeffs(v - f).map((w, j) => ({ i: tap(f - 1 + j, k), w }));
        throw new OnnxFormatError(where, `GridSample mode "${mode}" is not supported`);
      });
      for (const r of taps[0]!) for (const c of taps[1]!) if (r.i >= 0 && c.i >= 0) map[(r.i * W + c.i) * Ho * Wo + o] += r.w * c.w;
    }
    maps.push(map);
  }
  return { maps, outHW: [Ho, Wo] };
}

/** The float reference: y[n, c] = x[n, c] · W_n. */
export function gridSampleReference(x: HostTensor, grid: HostTensor, attrs: FloatNode["attrs"], where: string): HostTensor {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const { maps, outHW } = gridSampleMaps(x.shape, grid, attrs, where);
  const O = outHW[0] * outHW[1];
  const y = hostTensor("float32", [N, C, ...outHW]);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let i = 0; i < H * W; i++) {
        const v = x.data[(n * C + c) * H * W + i]!;
        if (v === 0) continue;
        for (let o = 0; o < O; o++) y.data[(n * C + c) * O + o] += v * maps[n]![i * O + o]!;
      }
  return y;
}

/** Rewrites a GridSample node with a constant grid into reshape → matmul(W_n) → reshape per batch item. */
export function composeGridSample(r: Rewriter, node: FloatNode, xs: readonly number[], grid: HostTensor): void {
  const [N, C, H, W] = xs as [number, number, number, number];
  const { maps, outHW } = gridSampleMaps(xs, grid, node.attrs, node.name);
  const O = outHW[0] * outHW[1];
  const ints = (v: number[]) => r.konst("i", hostTensor("int64", [v.length], v));
  const x = node.inputs[0]!, out = node.outputs[0]!;
  const parts = maps.map((map, n) => {
    const item = N === 1 ? x : r.add("Slice", [x, ints([n]), ints([n + 1]), ints([0])]);
    const rows = r.add("Reshape", [item, ints([C, H * W])]);
    const y = r.add("aivm.Linear", [rows, r.konst("grid_map", hostTensor("float32", [H * W, O], Array.from(map))), ""]);
    return r.add("Reshape", [y, ints([1, C, ...outHW])], {}, N === 1 ? out : undefined);
  });
  if (N > 1) r.add("Concat", parts, { axis: 0 }, out);
}
