// DFT and STFT of static length are constant linear maps: the cos/sin matrix (times the window, per
// frame) is built offline and run as one matmul with an int8 weight. MelWeightMatrix has only size
// inputs and folds at import (float reference below, as the ONNX reference).
import type { Rewriter } from "./compose.ts";
import type { FloatNode } from "./graph.ts";
import { OnnxFormatError, hostTensor, type HostTensor } from "./onnx.ts";

/** A linear map from `rows` input values to `cols` output values, row-major [rows, cols]. */
interface LinearMap {
  rows: number;
  cols: number;
  w: Float64Array;
}

/** Adds x (complex sample n, real/imag channels) · e^(∓iθ) into output bin (re, im) columns. */
function addTerm(m: LinearMap, row0: number, channels: number, col0: number, theta: number, scale: number, inverse: boolean): void {
  const c = Math.cos(theta) * scale, s = Math.sin(theta) * scale;
  // forward: (a + ib)(cos − i sin); inverse: (a + ib)(cos + i sin)
  const sg = inverse ? 1 : -1;
  m.w[row0 * m.cols + col0] += c;
  m.w[row0 * m.cols + col0 + 1] += sg * s;
  if (channels === 2) {
    m.w[(row0 + 1) * m.cols + col0] += -sg * s;
    m.w[(row0 + 1) * m.cols + col0 + 1] += c;
  }
}

interface DftPlan {
  axis: number;
  map: LinearMap;
  bins: number;
}

/** The DFT axis: the input (opset ≥ 20), else the attribute, else opset 17's default 1. */
export function dftAxisGiven(node: FloatNode, constInput: (i: number) => HostTensor | undefined): boolean {
  return constInput(2) !== undefined || typeof node.attrs.axis === "number";
}

export function planDft(node: FloatNode, xs: readonly number[], constInput: (i: number) => HostTensor | undefined): DftPlan {
  const rank = xs.length;
  const axis0 = constInput(2)?.data[0] ?? (typeof node.attrs.axis === "number" ? node.attrs.axis : 1);
  const axis = ((axis0 % rank) + rank) % rank;
  if (axis === rank - 1) throw new OnnxFormatError(node.name, "DFT along the real/imaginary axis");
  const inverse = node.attrs.inverse === 1, onesided = node.attrs.onesided === 1;
  if (inverse && onesided) throw new OnnxFormatError(node.name, "an inverse one-sided DFT (irfft) is not supported");
  const N = xs[axis]!, C = xs[rank - 1]!;
  const L = constInput(1)?.data[0] ?? N;
  const bins = onesided ? Math.floor(L / 2) + 1 : L;
  const map: LinearMap = { rows: N * C, cols: bins * 2, w: new Float64Array(N * C * bins * 2) };
  for (let n = 0; n < Math.min(N, L); n++) for (let k = 0; k < bins; k++) addTerm(map, n * C, C, k * 2, (2 * Math.PI * k * n) / L, inverse ? 1 / L : 1, inverse);
  return { axis, map, bins };
}

interface StftPlan {
  frames: number;
  map: LinearMap;
  bins: number;
}

export function planStft(node: FloatNode, xs: readonly number[], constInput: (i: number) => HostTensor | undefined): StftPlan {
  const [, T, C] = xs as [number, number, number];
  const step = constInput(1)!.data[0]!;
  const window = constInput(2);
  const L = constInput(3)?.data[0] ?? window?.data.length ?? T;
  const onesided = node.attrs.onesided !== 0;
  const frames = 1 + Math.floor((T - L) / step);
  const bins = onesided ? Math.floor(L / 2) + 1 : L;
  const map: LinearMap = { rows: T * C, cols: frames * bins * 2, w: new Float64Array(T * C * frames * bins * 2) };
  for (let f = 0; f < frames; f++)
    for (let n = 0; n < L && f * step + n < T; n++)
      for (let k = 0; k < bins; k++) addTerm(map, (f * step + n) * C, C, (f * bins + k) * 2, (2 * Math.PI * k * n) / L, window ? window.data[n]! : 1, false);
  return { frames, map, bins };
}

function applyMap(x: Float64Array | number[], outer: number, m: LinearMap): Float64Array {
  const y = new Float64Array(outer * m.cols);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < m.rows; i++) {
      const v = x[o * m.rows + i]!;
      if (v !== 0) for (let j = 0; j < m.cols; j++) y[o * m.cols + j] += v * m.w[i * m.cols + j]!;
    }
  return y;
}

/** Moves `axis` to just before the last (real/imag) axis; the permutation is its own inverse. */
function dftPerm(rank: number, axis: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[axis] = rank - 2;
  perm[rank - 2] = axis;
  return perm;
}

/** Float references (DFT, STFT, MelWeightMatrix), the same maps as the compositions. */
export function spectralReference(node: FloatNode, input: (i: number) => HostTensor | undefined): HostTensor {
  if (node.op === "MelWeightMatrix") return melWeightMatrix(input);
  const x = input(0)!;
  if (node.op === "STFT") {
    const p = planStft(node, x.shape, input);
    return hostTensor("float32", [x.shape[0]!, p.frames, p.bins, 2], Array.from(applyMap(x.data, x.shape[0]!, p.map)));
  }
  const p = planDft(node, x.shape, input);
  const rank = x.shape.length, perm = dftPerm(rank, p.axis);
  const moved = perm.map((d) => x.shape[d]!);
  const strides = x.shape.map((_, i) => x.shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const movedData = new Float64Array(x.data.length);
  const ms = moved.map((_, i) => moved.slice(i + 1).reduce((a, b) => a * b, 1));
  for (let k = 0; k < movedData.length; k++) movedData[k] = x.data[perm.reduce((off, d, i) => off + (Math.floor(k / ms[i]!) % moved[i]!) * strides[d]!, 0)]!;
  const outer = movedData.length / p.map.rows;
  const y = applyMap(movedData, outer, p.map);
  const yMoved = [...moved.slice(0, rank - 2), p.bins, 2];
  const out = perm.map((d) => yMoved[d]!);
  const ys = yMoved.map((_, i) => yMoved.slice(i + 1).reduce((a, b) => a * b, 1));
  const os = out.map((_, i) => out.slice(i + 1).reduce((a, b) => a * b, 1));
  const t = hostTensor("float32", out);
  for (let k = 0; k < y.length; k++) {
    const coord = yMoved.map((d, i) => Math.floor(k / ys[i]!) % d);
    t.data[perm.reduce((off, d, i) => off + coord[i]! * os[d]!, 0)] = y[k]!;
  }
  return t;
}

function melWeightMatrix(input: (i: number) => HostTensor | undefined): HostTensor {
  const [bins, dftLength, rate, lo, hi] = [0, 1, 2, 3, 4].map((i) => input(i)!.data[0]!) as [number, number, number, number, number];
  const spectrogramBins = Math.floor(dftLength / 2) + 1;
  const toMel = (hz: number) => (2595 * Math.log1p(hz / 700)) / Math.log(10);
  const loMel = toMel(lo), step = (toMel(hi) - loMel) / (bins + 2);
  const edges = Array.from({ length: bins + 2 }, (_, i) => Math.trunc(Math.floor(((dftLength + 1) * 700 * Math.expm1(((i * step + loMel) / 2595) * Math.log(10))) / rate)));
  const out = hostTensor("float32", [spectrogramBins, bins]);
  for (let i = 0; i < bins; i++) {
    const [l, c, h] = [edges[i]!, edges[i + 1]!, edges[i + 2]!];
    if (c - l === 0) out.data[c * bins + i] = 1;
    else for (let j = l; j <= c; j++) out.data[j * bins + i] = (j - l) / (c - l);
    if (h - c > 0) for (let j = c; j < h; j++) out.data[j * bins + i] = (h - j) / (h - c);
  }
  return out;
}

/** DFT: axis moved before the real/imag axis, flattened to rows, one matmul by the constant map, back. */
export function composeDft(r: Rewriter, node: FloatNode, xs: readonly number[], constInput: (i: number) => HostTensor | undefined): void {
  const p = planDft(node, xs, constInput);
  const rank = xs.length, perm = dftPerm(rank, p.axis);
  const ints = (v: number[]) => r.konst("i", hostTensor("int64", [v.length], v));
  const moved = perm.map((d) => xs[d]!);
  const x = perm.every((d, i) => d === i) ? node.inputs[0]! : r.add("Transpose", [node.inputs[0]!], { perm });
  const rows = r.add("Reshape", [x, ints([-1, p.map.rows])]);
  const y = r.add("aivm.Linear", [rows, r.konst("dft", hostTensor("float32", [p.map.rows, p.map.cols], Array.from(p.map.w))), ""]);
  const back = r.add("Reshape", [y, ints([...moved.slice(0, rank - 2), p.bins, 2])], {}, perm.every((d, i) => d === i) ? node.outputs[0]! : undefined);
  if (!perm.every((d, i) => d === i)) r.add("Transpose", [back], { perm }, node.outputs[0]!);
}

/** STFT: the signal flattened per batch item, one matmul by the constant framed, windowed DFT map. */
export function composeStft(r: Rewriter, node: FloatNode, xs: readonly number[], constInput: (i: number) => HostTensor | undefined): void {
  const p = planStft(node, xs, constInput);
  const ints = (v: number[]) => r.konst("i", hostTensor("int64", [v.length], v));
  const rows = r.add("Reshape", [node.inputs[0]!, ints([xs[0]!, p.map.rows])]);
  const y = r.add("aivm.Linear", [rows, r.konst("stft", hostTensor("float32", [p.map.rows, p.map.cols], Array.from(p.map.w))), ""]);
  r.add("Reshape", [y, ints([xs[0]!, p.frames, p.bins, 2])], {}, node.outputs[0]!);
}
