// Float reference executor for the imported graph (ONNX semantics, computed in double precision).
// Offline only: it gives shapes for compilation, ranges for calibration, and the float baseline the
// quantization report compares against.
import { formatShape } from "../engine/errors.ts";
import type { FloatGraph, FloatNode } from "./graph.ts";
import { nodeLabel } from "./graph.ts";
import { erf } from "./lut.ts";
import { applyResize, resizeMaps } from "./resize.ts";
import { unrollRecurrent } from "./recurrent.ts";
import { planConvTranspose } from "./conv-transpose.ts";
import { lowerEinsum, parseEinsum } from "./einsum.ts";
import { lossReference } from "./compose-loss.ts";
import { arithReference } from "./compose-arith.ts";
import { gridSampleReference } from "./compose-grid-sample.ts";
import { spectralReference } from "./compose-spectral.ts";
import { OnnxFormatError, hostTensor, type HostDType, type HostTensor, type OnnxAttr } from "./onnx.ts";
import { QDQ_FLOAT_OPS, runQuantizedOpFloat } from "./qdq-ops.ts";

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export function broadcastShapes(a: readonly number[], b: readonly number[], where: string): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new OnnxFormatError(where, `shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Index map from an output of shape `out` into a broadcast input of shape `inp`. */
export function broadcastIndex(inp: readonly number[], out: readonly number[]): Int32Array {
  const n = sizeOf(out);
  const idx = new Int32Array(n);
  const r = out.length;
  const is = stridesOf(inp);
  const pad = r - inp.length;
  const coord = new Array<number>(r).fill(0);
  for (let k = 0; k < n; k++) {
    let off = 0;
    for (let d = pad; d < r; d++) if (inp[d - pad] !== 1) off += coord[d]! * is[d - pad]!;
    idx[k] = off;
    for (let d = r - 1; d >= 0; d--) {
      if (++coord[d]! < out[d]!) break;
      coord[d] = 0;
    }
  }
  return idx;
}

function ints(v: OnnxAttr | undefined, fallback: number[]): number[] {
  if (v === undefined) return fallback;
  if (typeof v === "number") return [v];
  if (Array.isArray(v)) return v.map(Number);
  if (typeof v === "object") return [...v.data];
  return fallback;
}
function num(v: OnnxAttr | undefined, fallback: number): number {
  return typeof v === "number" ? v : fallback;
}
function str(v: OnnxAttr | undefined, fallback: string): string {
  return typeof v === "string" ? v : fallback;
}

/** The scalar functions the engine evaluates through 256-entry lookup tables. */
export const UNARY_FUNCTIONS: Record<string, (x: number) => number> = {
  Sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  Tanh: (x) => Math.tanh(x),
  Exp: (x) => Math.exp(x),
  Erf: erf,
  Sqrt: (x) => Math.sqrt(x),
  Reciprocal: (x) => 1 / x,
  Rsqrt: (x) => 1 / Math.sqrt(x),
  Gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  GeluTanh: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))),
  Silu: (x) => x / (1 + Math.exp(-x)),
};

/** Round half to even, as ONNX Round. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Element-wise functions of one input (with their attributes) that the quantizer evaluates through a
 * 256-entry lookup table on int8 inputs; the float reference uses the same function.
 */
export function unaryFunction(node: FloatNode): ((x: number) => number) | undefined {
  const a = node.attrs;
  switch (node.op) {
    case "Sigmoid": case "Tanh": case "Exp": case "Erf": case "Sqrt": case "Reciprocal": case "Rsqrt": case "Silu":
      return UNARY_FUNCTIONS[node.op];
    case "Gelu": case "aivm.Gelu":
      return UNARY_FUNCTIONS[str(a.approximate, "none") === "tanh" ? "GeluTanh" : "Gelu"];
    case "Log": return (x) => Math.log(x);
    case "Softplus": return (x) => (x > 30 ? x : Math.log1p(Math.exp(x)));
    case "Softsign": return (x) => x / (1 + Math.abs(x));
    case "Mish": return (x) => x * Math.tanh(x > 30 ? x : Math.log1p(Math.exp(x)));
    case "Elu": {
      const alpha = num(a.alpha, 1);
      return (x) => (x < 0 ? alpha * Math.expm1(x) : x);
    }
    case "Celu": {
      const alpha = num(a.alpha, 1);
      return (x) => Math.max(0, x) + Math.min(0, alpha * Math.expm1(x / alpha));
    }
    case "Selu": {
      const alpha = num(a.alpha, 1.67326319217681884765625), gamma = num(a.gamma, 1.05070102214813232421875);
      return (x) => (x > 0 ? gamma * x : gamma * alpha * Math.expm1(x));
    }
    case "HardSigmoid": {
      const alpha = num(a.alpha, 0.2), beta = num(a.beta, 0.5);
      return (x) => Math.max(0, Math.min(1, alpha * x + beta));
    }
    case "HardSwish": return (x) => x * Math.max(0, Math.min(1, x / 6 + 0.5));
    case "ThresholdedRelu": {
      const alpha = num(a.alpha, 1);
      return (x) => (x > alpha ? x : 0);
    }
    case "Sin": return Math.sin;
    case "Cos": return Math.cos;
    case "Tan": return Math.tan;
    case "Asin": return Math.asin;
    case "Acos": return Math.acos;
    case "Atan": return Math.atan;
    case "Sinh": return Math.sinh;
    case "Cosh": return Math.cosh;
    case "Asinh": return Math.asinh;
    case "Acosh": return Math.acosh;
    case "Atanh": return Math.atanh;
    case "Floor": return Math.floor;
    case "Ceil": return Math.ceil;
    case "Round": return roundHalfEven;
    case "Sign": return Math.sign;
    case "Shrink": {
      const lambd = num(a.lambd, 0.5), bias = num(a.bias, 0);
      return (x) => (x < -lambd ? x + bias : x > lambd ? x - bias : 0);
    }
    case "LeakyRelu": {
      const alpha = num(a.alpha, 0.01);
      return (x) => (x < 0 ? alpha * x : x);
    }
    case "aivm.Pow": {
      const e = num(a.exponent, 1);
      return (x) => x ** e;
    }
    default: return undefined;
  }
}

/** Ops whose float reference is a function of one input through `unaryFunction`. */
export const TABLE_UNARY_OPS = [
  "Sigmoid", "Tanh", "Exp", "Erf", "Sqrt", "Reciprocal", "Rsqrt", "Silu", "Gelu", "aivm.Gelu", "Log", "Softplus", "Softsign", "Mish",
  "Elu", "Celu", "Selu", "HardSigmoid", "HardSwish", "ThresholdedRelu", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh",
  "Asinh", "Acosh", "Atanh", "Floor", "Ceil", "Round", "Sign", "Shrink", "aivm.Pow",
] as const;

function map(x: HostTensor, f: (v: number, i: number) => number, dtype: HostDType = x.dtype): HostTensor {
  const out = hostTensor(dtype, x.shape);
  for (let i = 0; i < out.data.length; i++) out.data[i] = f(x.data[i]!, i);
  return out;
}

function binary(a: HostTensor, b: HostTensor, f: (x: number, y: number) => number, where: string, dtype: HostDType = a.dtype): HostTensor {
  const shape = broadcastShapes(a.shape, b.shape, where);
  const ia = broadcastIndex(a.shape, shape);
  const ib = broadcastIndex(b.shape, shape);
  const out = hostTensor(dtype, shape);
  for (let i = 0; i < out.data.length; i++) out.data[i] = f(a.data[ia[i]!]!, b.data[ib[i]!]!);
  return out;
}

export function normAxis(axis: number, rank: number, where: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= Math.max(rank, 1)) throw new OnnxFormatError(where, `axis ${axis} is out of range for rank ${rank}`);
  return a;
}

export function transpose(x: HostTensor, perm: readonly number[]): HostTensor {
  const shape = perm.map((p) => x.shape[p]!);
  const xs = stridesOf(x.shape);
  const out = hostTensor(x.dtype, shape);
  const r = shape.length;
  const coord = new Array<number>(r).fill(0);
  for (let k = 0; k < out.data.length; k++) {
    let off = 0;
    for (let d = 0; d < r; d++) off += coord[d]! * xs[perm[d]!]!;
    out.data[k] = x.data[off]!;
    for (let d = r - 1; d >= 0; d--) {
      if (++coord[d]! < shape[d]!) break;
      coord[d] = 0;
    }
  }
  return out;
}

/** Batched matmul with numpy semantics (1-D operands promoted and the added axis removed). */
export function matmul(a: HostTensor, b: HostTensor, where: string): HostTensor {
  const a2 = a.shape.length === 1 ? [1, a.shape[0]!] : a.shape;
  const b2 = b.shape.length === 1 ? [b.shape[0]!, 1] : b.shape;
  const M = a2[a2.length - 2]!, K = a2[a2.length - 1]!, N = b2[b2.length - 1]!;
  if (b2[b2.length - 2] !== K) throw new OnnxFormatError(where, `MatMul of ${formatShape(a.shape)} and ${formatShape(b.shape)}: inner dimensions differ`);
  const batch = broadcastShapes(a2.slice(0, -2), b2.slice(0, -2), where);
  const ia = broadcastIndex(a2.slice(0, -2), batch);
  const ib = broadcastIndex(b2.slice(0, -2), batch);
  const nb = sizeOf(batch);
  const out = hostTensor("float32", [...batch, M, N]);
  for (let p = 0; p < nb; p++) {
    const ao = ia[p]! * M * K, bo = ib[p]! * K * N, oo = p * M * N;
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a.data[ao + i * K + k]! * b.data[bo + k * N + j]!;
        out.data[oo + i * N + j] = s;
      }
  }
  let shape = out.shape;
  if (a.shape.length === 1) shape = [...shape.slice(0, -2), shape[shape.length - 1]!];
  if (b.shape.length === 1) shape = shape.slice(0, -1);
  return { ...out, shape };
}

export interface PoolGeometry {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** begin pads then end pads, as ONNX. */
  pads: number[];
  outShape: number[];
}

/** Output size and explicit pads of a pool/conv window, resolving auto_pad and ceil_mode as ONNX does. */
export function poolGeometry(inSpatial: readonly number[], attrs: Record<string, OnnxAttr>, kernel: number[], where: string): PoolGeometry {
  const r = inSpatial.length;
  const strides = ints(attrs.strides, new Array<number>(r).fill(1));
  const dilations = ints(attrs.dilations, new Array<number>(r).fill(1));
  let pads = ints(attrs.pads, new Array<number>(2 * r).fill(0));
  const autoPad = str(attrs.auto_pad, "NOTSET");
  const ceil = num(attrs.ceil_mode, 0) === 1;
  const outShape: number[] = [];
  if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
    pads = new Array<number>(2 * r).fill(0);
    for (let d = 0; d < r; d++) {
      const o = Math.ceil(inSpatial[d]! / strides[d]!);
      const ek = (kernel[d]! - 1) * dilations[d]! + 1;
      const total = Math.max(0, (o - 1) * strides[d]! + ek - inSpatial[d]!);
      const small = Math.floor(total / 2);
      pads[d] = autoPad === "SAME_UPPER" ? small : total - small;
      pads[d + r] = total - pads[d]!;
      outShape.push(o);
    }
  } else if (autoPad === "VALID") {
    for (let d = 0; d < r; d++) {
      const ek = (kernel[d]! - 1) * dilations[d]! + 1;
      outShape.push(Math.floor((inSpatial[d]! - ek) / strides[d]!) + 1);
    }
  } else {
    if (pads.length !== 2 * r) throw new OnnxFormatError(where, `pads has ${pads.length} entries, expected ${2 * r}`);
    for (let d = 0; d < r; d++) {
      const ek = (kernel[d]! - 1) * dilations[d]! + 1;
      const span = inSpatial[d]! + pads[d]! + pads[d + r]! - ek;
      let o = (ceil ? Math.ceil(span / strides[d]!) : Math.floor(span / strides[d]!)) + 1;
      // ONNX (like PyTorch) drops a last window that would start inside the end padding.
      if (ceil && (o - 1) * strides[d]! >= inSpatial[d]! + pads[d]!) o--;
      outShape.push(o);
    }
  }
  return { kernel, strides, dilations, pads, outShape };
}

function pool(x: HostTensor, attrs: Record<string, OnnxAttr>, kind: "max" | "avg", where: string): HostTensor {
  const spatial = x.shape.slice(2);
  const r = spatial.length;
  const kernel = ints(attrs.kernel_shape, []);
  if (kernel.length !== r) throw new OnnxFormatError(where, `kernel_shape has ${kernel.length} entries for ${r} spatial dims`);
  const g = poolGeometry(spatial, attrs, kernel, where);
  const includePad = num(attrs.count_include_pad, 0) === 1;
  const [N, C] = [x.shape[0]!, x.shape[1]!];
  const out = hostTensor("float32", [N, C, ...g.outShape]);
  const inSize = sizeOf(spatial);
  const outSize = sizeOf(g.outShape);
  const is = stridesOf(spatial);
  const kSize = sizeOf(kernel);
  const oc = new Array<number>(r).fill(0);
  for (let o = 0; o < outSize; o++) {
    for (let nc = 0; nc < N * C; nc++) {
      let acc = kind === "max" ? -Infinity : 0;
      let count = 0;
      for (let k = 0; k < kSize; k++) {
        let rem = k, off = 0, inside = true, inPadded = true;
        for (let d = r - 1; d >= 0; d--) {
          const kd = rem % kernel[d]!;
          rem = Math.floor(rem / kernel[d]!);
          const pos = oc[d]! * g.strides[d]! - g.pads[d]! + kd * g.dilations[d]!;
          if (pos < 0 || pos >= spatial[d]!) inside = false;
          if (pos < -g.pads[d]! || pos >= spatial[d]! + g.pads[d + r]!) inPadded = false;
          off += pos * is[d]!;
        }
        if (inside) {
          const v = x.data[nc * inSize + off]!;
          if (kind === "max") acc = Math.max(acc, v);
          else acc += v;
          count++;
        } else if (includePad && inPadded) count++;
      }
      out.data[nc * outSize + o] = kind === "max" ? acc : acc / count;
    }
    for (let d = r - 1; d >= 0; d--) {
      if (++oc[d]! < g.outShape[d]!) break;
      oc[d] = 0;
    }
  }
  return out;
}

/** A 1-D convolution's attributes as those of the same 2-D convolution over a height of 1. */
export function conv1dAs2d(attrs: Record<string, OnnxAttr>): Record<string, OnnxAttr> {
  const out: Record<string, OnnxAttr> = { ...attrs };
  const one = (k: string) => {
    if (attrs[k] !== undefined) out[k] = [1, ...ints(attrs[k], [])];
  };
  one("kernel_shape");
  one("strides");
  one("dilations");
  if (attrs.pads !== undefined) {
    const p = ints(attrs.pads, [0, 0]);
    out.pads = [0, p[0]!, 0, p[1]!];
  }
  return out;
}

function conv(x: HostTensor, w: HostTensor, b: HostTensor | undefined, attrs: Record<string, OnnxAttr>, where: string): HostTensor {
  if (x.shape.length === 3 && w.shape.length === 3) {
    const [N, C, L] = x.shape as [number, number, number];
    const y = conv({ ...x, shape: [N, C, 1, L] }, { ...w, shape: [w.shape[0]!, w.shape[1]!, 1, w.shape[2]!] }, b, conv1dAs2d(attrs), where);
    return { ...y, shape: [y.shape[0]!, y.shape[1]!, y.shape[3]!] };
  }
  if (x.shape.length !== 4) throw new OnnxFormatError(where, `only 2-D convolution (NCHW) is supported, input is ${formatShape(x.shape)}`);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [Co, Cg, kh, kw] = w.shape as [number, number, number, number];
  const group = num(attrs.group, 1);
  const g = poolGeometry([H, W], attrs, ints(attrs.kernel_shape, [kh, kw]), where);
  const [Ho, Wo] = g.outShape as [number, number];
  const out = hostTensor("float32", [N, Co, Ho, Wo]);
  const coPerG = Co / group;
  for (let n = 0; n < N; n++)
    for (let co = 0; co < Co; co++) {
      const gi = Math.floor(co / coPerG);
      for (let oy = 0; oy < Ho; oy++)
        for (let ox = 0; ox < Wo; ox++) {
          let s = b ? b.data[co]! : 0;
          for (let ci = 0; ci < Cg; ci++)
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * g.strides[0]! - g.pads[0]! + ky * g.dilations[0]!;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * g.strides[1]! - g.pads[1]! + kx * g.dilations[1]!;
                if (ix < 0 || ix >= W) continue;
                s += x.data[((n * C + gi * Cg + ci) * H + iy) * W + ix]! * w.data[((co * Cg + ci) * kh + ky) * kw + kx]!;
              }
            }
          out.data[((n * Co + co) * Ho + oy) * Wo + ox] = s;
        }
    }
  return out;
}

/** Reduces over `axes` (sorted, normalized); returns the reduced tensor with keepdims shape. */
function reduce(x: HostTensor, axes: number[], keepdims: boolean, kind: "sum" | "mean" | "max" | "min"): HostTensor {
  const r = x.shape.length;
  const keptShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = hostTensor(x.dtype, keptShape);
  out.data.fill(kind === "max" ? -Infinity : kind === "min" ? Infinity : 0);
  const os = stridesOf(keptShape);
  const coord = new Array<number>(r).fill(0);
  for (let k = 0; k < x.data.length; k++) {
    let off = 0;
    for (let d = 0; d < r; d++) if (!axes.includes(d)) off += coord[d]! * os[d]!;
    const v = x.data[k]!;
    if (kind === "max") out.data[off] = Math.max(out.data[off]!, v);
    else if (kind === "min") out.data[off] = Math.min(out.data[off]!, v);
    else out.data[off] = out.data[off]! + v;
    for (let d = r - 1; d >= 0; d--) {
      if (++coord[d]! < x.shape[d]!) break;
      coord[d] = 0;
    }
  }
  if (kind === "mean") {
    const count = axes.reduce((a, d) => a * x.shape[d]!, 1);
    for (let i = 0; i < out.data.length; i++) out.data[i] = out.data[i]! / count;
  }
  return keepdims ? out : { ...out, shape: x.shape.filter((_, i) => !axes.includes(i)) };
}

function softmax(x: HostTensor, axis: number, log: boolean): HostTensor {
  const mx = reduce(x, [axis], true, "max");
  const e = binary(x, mx, (a, b) => Math.exp(a - b), "softmax");
  const s = reduce(e, [axis], true, "sum");
  if (!log) return binary(e, s, (a, b) => a / b, "softmax");
  return binary(binary(x, mx, (a, b) => a - b, "softmax"), s, (a, b) => a - Math.log(b), "softmax");
}

/** LayerNorm over the trailing axes from `axis` on; returns Y, Mean and InvStdDev. */
export function layerNorm(x: HostTensor, scale: HostTensor | undefined, bias: HostTensor | undefined, axis: number, eps: number): HostTensor[] {
  const axes: number[] = [];
  for (let d = axis; d < x.shape.length; d++) axes.push(d);
  const mean = reduce(x, axes, true, "mean");
  const centered = binary(x, mean, (a, b) => a - b, "layer_norm");
  const v = reduce(map(centered, (c) => c * c), axes, true, "mean");
  const inv = map(v, (q) => 1 / Math.sqrt(q + eps));
  let y = binary(centered, inv, (a, b) => a * b, "layer_norm");
  if (scale) y = binary(y, scale, (a, b) => a * b, "layer_norm");
  if (bias) y = binary(y, bias, (a, b) => a + b, "layer_norm");
  return [y, mean, inv];
}

function slice(x: HostTensor, starts: number[], ends: number[], axes: number[], steps: number[]): HostTensor {
  const r = x.shape.length;
  const st = new Array<number>(r).fill(0);
  const sp = new Array<number>(r).fill(1);
  const len = [...x.shape];
  axes.forEach((a0, i) => {
    const a = a0 < 0 ? a0 + r : a0;
    const dim = x.shape[a]!;
    const step = steps[i] ?? 1;
    let s = starts[i]!, e = ends[i]!;
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    if (step > 0) {
      s = Math.min(Math.max(s, 0), dim);
      e = Math.min(Math.max(e, 0), dim);
      len[a] = Math.max(0, Math.ceil((e - s) / step));
    } else {
      s = Math.min(Math.max(s, 0), dim - 1);
      e = Math.min(Math.max(e, -1), dim - 1);
      len[a] = Math.max(0, Math.ceil((s - e) / -step));
    }
    st[a] = s;
    sp[a] = step;
  });
  const xs = stridesOf(x.shape);
  const out = hostTensor(x.dtype, len);
  const coord = new Array<number>(r).fill(0);
  for (let k = 0; k < out.data.length; k++) {
    let off = 0;
    for (let d = 0; d < r; d++) off += (st[d]! + coord[d]! * sp[d]!) * xs[d]!;
    out.data[k] = x.data[off]!;
    for (let d = r - 1; d >= 0; d--) {
      if (++coord[d]! < len[d]!) break;
      coord[d] = 0;
    }
  }
  return out;
}

function concat(xs: HostTensor[], axis: number): HostTensor {
  const shape = [...xs[0]!.shape];
  shape[axis] = xs.reduce((a, t) => a + t.shape[axis]!, 0);
  const out = hostTensor(xs[0]!.dtype, shape);
  const outer = sizeOf(shape.slice(0, axis));
  let o = 0;
  for (let i = 0; i < outer; i++)
    for (const t of xs) {
      const chunk = sizeOf(t.shape.slice(axis));
      out.data.set(t.data.subarray(i * chunk, (i + 1) * chunk), o);
      o += chunk;
    }
  return out;
}

export function reshapeTarget(inShape: readonly number[], spec: readonly number[], allowZero: boolean, where: string): number[] {
  const shape = spec.map((d, i) => (d === 0 && !allowZero ? inShape[i]! : d));
  const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const total = sizeOf(inShape);
  const out = shape.map((d) => (d === -1 ? total / known : d));
  if (sizeOf(out) !== total || out.some((d) => !Number.isInteger(d))) {
    throw new OnnxFormatError(where, `cannot reshape ${formatShape(inShape)} to ${formatShape(spec)}`);
  }
  return out;
}

/** Attribute-or-input integer list (opsets moved axes/shape from attributes to inputs). */
/** A Reduce* node's axes, normalised and sorted; undefined when no axes and noop_with_empty_axes = 1 (the identity). */
function reduceAxes(node: FloatNode, env: Map<string, HostTensor>, rank: number, where: string): number[] | undefined {
  let axes = intList(node, env, "axes", 1);
  if (axes === undefined || axes.length === 0) {
    if (num(node.attrs.noop_with_empty_axes, 0) === 1) return undefined;
    axes = Array.from({ length: rank }, (_, i) => i);
  }
  return [...new Set(axes.map((d) => normAxis(d, rank, where)))].sort((p, q) => p - q);
}

function intList(node: FloatNode, env: Map<string, HostTensor>, attr: string, inputIndex: number): number[] | undefined {
  const name = node.inputs[inputIndex];
  if (name) {
    const t = env.get(name);
    if (t) return [...t.data];
  }
  const a = node.attrs[attr];
  return a === undefined ? undefined : ints(a, []);
}

/** The dims Shape returns (opset 15 start/end, clamped like Slice). */
export function shapeSlice(shape: readonly number[], attrs: Record<string, OnnxAttr>): number[] {
  const r = shape.length;
  const clampAxis = (v: number) => Math.min(r, Math.max(0, v < 0 ? v + r : v));
  return shape.slice(clampAxis(num(attrs.start, 0)), clampAxis(num(attrs.end, r)));
}

/** Runs one node on concrete tensors. `env` resolves input names. */
export function runFloatNode(node: FloatNode, env: Map<string, HostTensor>): HostTensor[] {
  const where = nodeLabel(node);
  const input = (i: number): HostTensor => {
    const nm = node.inputs[i];
    const t = nm ? env.get(nm) : undefined;
    if (!t) throw new OnnxFormatError(where, `input ${i} ("${nm ?? ""}") is missing`);
    return t;
  };
  const opt = (i: number): HostTensor | undefined => (node.inputs[i] ? env.get(node.inputs[i]!) : undefined);
  const a = node.attrs;
  switch (node.op) {
    case "Identity": case "aivm.Copy":
      return [input(0)];
    case "Dropout": {
      // Inference: the identity, and a mask of all true.
      const x = input(0);
      return node.outputs[1] ? [x, hostTensor("bool", x.shape, new Array<number>(x.data.length).fill(1))] : [x];
    }
    case "Add": return [binary(input(0), input(1), (x, y) => x + y, where)];
    case "Sub": return [binary(input(0), input(1), (x, y) => x - y, where)];
    case "Mul": return [binary(input(0), input(1), (x, y) => x * y, where)];
    case "Div": return [binary(input(0), input(1), (x, y) => (input(0).dtype === "float32" ? x / y : Math.trunc(x / y)), where)];
    case "Pow": return [binary(input(0), input(1), (x, y) => x ** y, where)];
    case "Neg": return [map(input(0), (x) => -x)];
    case "Relu": return [map(input(0), (x) => Math.max(0, x))];
    case "LeakyRelu": {
      const alpha = num(a.alpha, 0.01);
      return [map(input(0), (x) => (x < 0 ? alpha * x : x))];
    }
    case "Clip": {
      const lo = opt(1)?.data[0] ?? num(a.min, -Infinity);
      const hi = opt(2)?.data[0] ?? num(a.max, Infinity);
      return [map(input(0), (x) => Math.min(hi, Math.max(lo, x)))];
    }
    case "MatMul": return [matmul(input(0), input(1), where)];
    case "Gemm": case "aivm.Linear": {
      let A = input(0), B = input(1);
      if (num(a.transA, 0)) A = transpose(A, [1, 0]);
      // transB swaps the last two axes (batched operands in attention).
      if (num(a.transB, 0)) B = transpose(B, B.shape.map((_, i) => (i < B.shape.length - 2 ? i : i === B.shape.length - 2 ? i + 1 : i - 1)));
      let y = matmul(A, B, where);
      const alpha = num(a.alpha, 1), beta = num(a.beta, 1);
      if (alpha !== 1) y = map(y, (v) => v * alpha);
      const C = opt(2);
      if (C) y = binary(y, C, (v, c) => v + beta * c, where);
      return [y];
    }
    case "Conv": return [conv(input(0), input(1), opt(2), a, where)];
    case "BatchNormalization": {
      const x = input(0), s = input(1), b = input(2), m = input(3), v = input(4);
      const eps = num(a.epsilon, 1e-5);
      const shape = [x.shape[1]!, ...new Array<number>(x.shape.length - 2).fill(1)];
      const scale = hostTensor("float32", shape, s.data.map((g, c) => g / Math.sqrt(v.data[c]! + eps)));
      const shift = hostTensor("float32", shape, b.data.map((bb, c) => bb - m.data[c]! * scale.data[c]!));
      return [binary(binary(x, scale, (p, q) => p * q, where), shift, (p, q) => p + q, where)];
    }
    case "MaxPool": return [pool(input(0), a, "max", where)];
    case "AveragePool": return [pool(input(0), a, "avg", where)];
    case "GlobalAveragePool": {
      const x = input(0);
      return [reduce(x, x.shape.map((_, i) => i).slice(2), true, "mean")];
    }
    case "Softmax": case "LogSoftmax": {
      const x = input(0);
      return [softmax(x, normAxis(num(a.axis, -1), x.shape.length, where), node.op === "LogSoftmax")];
    }
    case "LayerNormalization": case "aivm.LayerNorm": {
      const x = input(0);
      return layerNorm(x, opt(1), opt(2), normAxis(num(a.axis, -1), x.shape.length, where), num(a.epsilon, 1e-5)).slice(0, node.outputs.length);
    }
    case "ReduceSum": case "ReduceMean": case "ReduceMax": case "ReduceMin": {
      const x = input(0);
      const norm = reduceAxes(node, env, x.shape.length, where);
      if (norm === undefined) return [x];
      const kind = ({ ReduceSum: "sum", ReduceMean: "mean", ReduceMax: "max", ReduceMin: "min" } as const)[node.op];
      return [reduce(x, norm, num(a.keepdims, 1) === 1, kind)];
    }
    case "ArgMax": {
      const x = input(0);
      const axis = normAxis(num(a.axis, 0), x.shape.length, where);
      const last = num(a.select_last_index, 0) === 1;
      const keptShape = x.shape.map((d, i) => (i === axis ? 1 : d));
      const out = hostTensor("int64", keptShape);
      const inner = sizeOf(x.shape.slice(axis + 1));
      const outer = sizeOf(x.shape.slice(0, axis));
      const n = x.shape[axis]!;
      for (let o = 0; o < outer; o++)
        for (let i = 0; i < inner; i++) {
          let best = 0;
          for (let k = 1; k < n; k++) {
            const v = x.data[(o * n + k) * inner + i]!, bv = x.data[(o * n + best) * inner + i]!;
            if (v > bv || (last && v === bv)) best = k;
          }
          out.data[o * inner + i] = best;
        }
      return [num(a.keepdims, 1) === 1 ? out : { ...out, shape: x.shape.filter((_, i) => i !== axis) }];
    }
    case "Reshape": {
      const x = input(0);
      const spec = intList(node, env, "shape", 1) ?? [];
      return [{ ...x, shape: reshapeTarget(x.shape, spec, num(a.allowzero, 0) === 1, where) }];
    }
    case "Flatten": {
      const x = input(0);
      const axis = num(a.axis, 1) < 0 ? num(a.axis, 1) + x.shape.length : num(a.axis, 1);
      return [{ ...x, shape: [sizeOf(x.shape.slice(0, axis)), sizeOf(x.shape.slice(axis))] }];
    }
    case "Squeeze": {
      const x = input(0);
      const axes = (intList(node, env, "axes", 1) ?? x.shape.flatMap((d, i) => (d === 1 ? [i] : []))).map((d) => normAxis(d, x.shape.length, where));
      return [{ ...x, shape: x.shape.filter((_, i) => !axes.includes(i)) }];
    }
    case "Unsqueeze": {
      const x = input(0);
      const raw = intList(node, env, "axes", 1) ?? [];
      const r = x.shape.length + raw.length;
      const axes = raw.map((d) => normAxis(d, r, where));
      const shape: number[] = [];
      let j = 0;
      for (let i = 0; i < r; i++) shape.push(axes.includes(i) ? 1 : x.shape[j++]!);
      return [{ ...x, shape }];
    }
    case "Transpose": {
      const x = input(0);
      const perm = ints(a.perm, x.shape.map((_, i) => x.shape.length - 1 - i));
      return [transpose(x, perm)];
    }
    case "Concat": {
      const xs = node.inputs.map((_, i) => input(i));
      return [concat(xs, normAxis(num(a.axis, 0), xs[0]!.shape.length, where))];
    }
    case "Slice": {
      const x = input(0);
      const starts = intList(node, env, "starts", 1) ?? [];
      const ends = intList(node, env, "ends", 2) ?? [];
      const axes = intList(node, env, "axes", 3) ?? starts.map((_, i) => i);
      const steps = intList(node, env, "steps", 4) ?? starts.map(() => 1);
      return [slice(x, starts, ends, axes, steps)];
    }
    case "Gather": {
      const x = input(0), idx = input(1);
      const axis = normAxis(num(a.axis, 0), x.shape.length, where);
      const outer = sizeOf(x.shape.slice(0, axis)), inner = sizeOf(x.shape.slice(axis + 1)), n = x.shape[axis]!;
      const out = hostTensor(x.dtype, [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)]);
      let o = 0;
      for (let p = 0; p < outer; p++)
        for (const i0 of idx.data) {
          const i = i0 < 0 ? i0 + n : i0;
          if (i < 0 || i >= n) throw new OnnxFormatError(where, `index out of range for axis of size ${n}`);
          out.data.set(x.data.subarray((p * n + i) * inner, (p * n + i + 1) * inner), o);
          o += inner;
        }
      return [out];
    }
    case "Where": {
      const c = input(0), x = input(1), y = input(2);
      const shape = broadcastShapes(broadcastShapes(c.shape, x.shape, where), y.shape, where);
      const ic = broadcastIndex(c.shape, shape), ix = broadcastIndex(x.shape, shape), iy = broadcastIndex(y.shape, shape);
      const out = hostTensor(x.dtype, shape);
      for (let i = 0; i < out.data.length; i++) out.data[i] = c.data[ic[i]!] ? x.data[ix[i]!]! : y.data[iy[i]!]!;
      return [out];
    }
    case "Shape": {
      const dims = shapeSlice(input(0).shape, a);
      return [hostTensor("int64", [dims.length], dims)];
    }
    case "Cast": case "aivm.Cast": {
      const to = num(a.to, 1);
      const dtype: HostDType = ONNX_TYPE_TO_HOST[to] ?? (to === 4 || to === 5 ? "int32" : to === 12 || to === 13 ? "int64" : "float32");
      return [map(input(0), dtype === "float32" ? (v) => v : dtype === "bool" ? (v) => (v ? 1 : 0) : Math.trunc, dtype)];
    }
    case "Constant": {
      const v = a.value;
      if (v && typeof v === "object" && !Array.isArray(v)) return [v];
      if (typeof a.value_float === "number") return [hostTensor("float32", [], [a.value_float])];
      if (typeof a.value_int === "number") return [hostTensor("int64", [], [a.value_int])];
      if (Array.isArray(a.value_ints)) return [hostTensor("int64", [a.value_ints.length], a.value_ints.map(Number))];
      if (Array.isArray(a.value_floats)) return [hostTensor("float32", [a.value_floats.length], a.value_floats.map(Number))];
      throw new OnnxFormatError(where, "Constant without a supported value attribute");
    }
    default: {
      const f = unaryFunction(node);
      if (f) return [map(input(0), f)];
      const more = runShapeAndLogicNode(node, input, opt, env, where);
      if (more) return more;
      throw new OnnxFormatError(where, `no float reference for op ${node.op}`);
    }
  }
}

/** Runs the whole float graph; returns every value (inputs, constants and intermediates) by name. */
export function runFloatGraph(graph: FloatGraph, inputs: readonly HostTensor[]): Map<string, HostTensor> {
  const env = new Map<string, HostTensor>(graph.constants);
  graph.inputs.forEach((inp, i) => {
    const t = inputs[i];
    if (!t) throw new OnnxFormatError("run", `input "${inp.name}" is missing`);
    env.set(inp.name, t);
  });
  for (const node of graph.nodes) {
    const outs = runFloatNode(node, env);
    node.outputs.forEach((o, i) => {
      if (o && outs[i]) env.set(o, outs[i]!);
    });
  }
  return env;
}

/** Ops `runShapeAndLogicNode` evaluates: shape arithmetic, comparisons, logic and data movement. */
export const SHAPE_AND_LOGIC_OPS = [
  "Size", "ConstantOfShape", "Range", "CastLike", "EyeLike", "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "Not", "And",
  "Or", "Xor", "Abs", "Max", "Min", "Sum", "Mean", "PRelu", "Mod", "Expand", "Tile", "Pad", "Split", "Trilu", "GatherElements",
  "GatherND", "DepthToSpace", "SpaceToDepth", "GlobalMaxPool", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum",
  "ReduceLogSumExp", "IsNaN", "IsInf", "ArgMin", "NonZero", "CumSum", "Resize", "Upsample", "RNN", "GRU", "LSTM", "ConvTranspose", "InstanceNormalization", "GroupNormalization",
  "NegativeLogLikelihoodLoss", "SoftmaxCrossEntropyLoss", "ReverseSequence", "LRN", "MeanVarianceNormalization", "GridSample", "BitShift", "DFT", "STFT", "MelWeightMatrix",
] as const;

/** Every op `runFloatNode` has a float reference for (the importer folds any of them on constants). */
export const FLOAT_REFERENCE_OPS: ReadonlySet<string> = new Set<string>([
  "Identity", "Dropout", "aivm.Copy", "aivm.Cast", "Hardmax", "Shrink", "Einsum", "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear",
  "HannWindow", "HammingWindow", "BlackmanWindow", "ScatterElements", "Scatter", "ScatterND", "OneHot", "TopK", "Add", "Sub", "Mul", "Div", "Pow", "Neg", "Relu", "LeakyRelu", "Clip", "MatMul", "Gemm",
  "aivm.Linear", "Conv", "BatchNormalization", "MaxPool", "AveragePool", "GlobalAveragePool", "Softmax", "LogSoftmax",
  "LayerNormalization", "aivm.LayerNorm", "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ArgMax", "Reshape", "Flatten",
  "Squeeze", "Unsqueeze", "Transpose", "Concat", "Slice", "Gather", "Where", "Shape", "Cast", "Constant",
  ...TABLE_UNARY_OPS, ...SHAPE_AND_LOGIC_OPS, ...QDQ_FLOAT_OPS,
]);

const ONNX_TYPE_TO_HOST: Record<number, HostDType> = { 1: "float32", 2: "uint8", 3: "int8", 6: "int32", 7: "int64", 9: "bool", 11: "float64" };

function variadic(xs: HostTensor[], f: (p: number, q: number) => number, where: string): HostTensor {
  let acc = xs[0]!;
  for (const x of xs.slice(1)) acc = binary(acc, x, f, where);
  return acc;
}

function compare(a: HostTensor, b: HostTensor, f: (p: number, q: number) => boolean, where: string): HostTensor {
  return binary(a, b, (p, q) => (f(p, q) ? 1 : 0), where, "bool");
}

/** Copies `x` into `shape` by a per-axis source index (gather along every axis at once). */
function remap(x: HostTensor, shape: number[], source: (axis: number, i: number) => number): HostTensor {
  const out = hostTensor(x.dtype, shape);
  const xs = stridesOf(x.shape);
  const r = shape.length;
  const coord = new Array<number>(r).fill(0);
  for (let k = 0; k < out.data.length; k++) {
    let off = 0, outside = false;
    for (let d = 0; d < r; d++) {
      const s = source(d, coord[d]!);
      if (s < 0) outside = true;
      off += s * xs[d]!;
    }
    out.data[k] = outside ? NaN : x.data[off]!;
    for (let d = r - 1; d >= 0; d--) {
      if (++coord[d]! < shape[d]!) break;
      coord[d] = 0;
    }
  }
  return out;
}

/** Source index of output position i along an axis of size n padded by `before` (−1: constant pad). */
export function padSource(mode: string, i: number, n: number, before: number): number {
  let p = i - before;
  if (p >= 0 && p < n) return p;
  if (mode === "constant") return -1;
  if (mode === "edge") return Math.min(n - 1, Math.max(0, p));
  if (mode === "wrap") return ((p % n) + n) % n;
  // reflect: mirror without repeating the edge.
  const period = 2 * (n - 1);
  if (period === 0) return 0;
  p = ((p % period) + period) % period;
  return p < n ? p : period - p;
}

/** Ops of SHAPE_AND_LOGIC_OPS on concrete tensors; undefined for any other op. */
function runShapeAndLogicNode(
  node: FloatNode,
  input: (i: number) => HostTensor,
  opt: (i: number) => HostTensor | undefined,
  env: Map<string, HostTensor>,
  where: string,
): HostTensor[] | undefined {
  const a = node.attrs;
  switch (node.op) {
    case "NegativeLogLikelihoodLoss": case "SoftmaxCrossEntropyLoss": return lossReference(node, input(0), input(1), opt(2));
    case "ReverseSequence": case "LRN": case "MeanVarianceNormalization": return [arithReference(node, input(0), opt(1))];
    case "GridSample": return [gridSampleReference(input(0), input(1), a, where)];
    case "DFT": case "STFT": case "MelWeightMatrix": return [spectralReference(node, opt)];
    case "BitShift": return [binary(input(0), input(1), (x, y) => (str(a.direction, "LEFT") === "LEFT" ? x * 2 ** y : Math.floor(x / 2 ** y)), where)];
    case "Size": return [hostTensor("int64", [], [input(0).data.length])];
    case "ConstantOfShape": {
      const shape = [...input(0).data];
      const v = a.value && typeof a.value === "object" && !Array.isArray(a.value) ? a.value : hostTensor("float32", [1], [0]);
      return [hostTensor(v.dtype, shape, new Array<number>(sizeOf(shape)).fill(v.data[0] ?? 0))];
    }
    case "Range": {
      const start = input(0), limit = input(1).data[0]!, delta = input(2).data[0]!;
      const n = Math.max(0, Math.ceil((limit - start.data[0]!) / delta));
      return [hostTensor(start.dtype, [n], Array.from({ length: n }, (_, i) => start.data[0]! + i * delta))];
    }
    case "CastLike": {
      const to = input(1).dtype;
      return [map(input(0), to === "float32" || to === "float64" ? (v) => v : to === "bool" ? (v) => (v ? 1 : 0) : Math.trunc, to)];
    }
    case "EyeLike": {
      const x = input(0);
      const k = num(a.k, 0);
      const dtype = a.dtype !== undefined ? (ONNX_TYPE_TO_HOST[num(a.dtype, 1)] ?? "float32") : x.dtype;
      const [R, C] = x.shape as [number, number];
      const out = hostTensor(dtype, [R, C]);
      for (let i = 0; i < R; i++) if (i + k >= 0 && i + k < C) out.data[i * C + i + k] = 1;
      return [out];
    }
    case "Equal": return [compare(input(0), input(1), (p, q) => p === q, where)];
    case "Less": return [compare(input(0), input(1), (p, q) => p < q, where)];
    case "LessOrEqual": return [compare(input(0), input(1), (p, q) => p <= q, where)];
    case "Greater": return [compare(input(0), input(1), (p, q) => p > q, where)];
    case "GreaterOrEqual": return [compare(input(0), input(1), (p, q) => p >= q, where)];
    case "Not": return [map(input(0), (v) => (v ? 0 : 1), "bool")];
    case "And": return [compare(input(0), input(1), (p, q) => !!p && !!q, where)];
    case "Or": return [compare(input(0), input(1), (p, q) => !!p || !!q, where)];
    case "Xor": return [compare(input(0), input(1), (p, q) => !!p !== !!q, where)];
    case "IsNaN": return [map(input(0), (v) => (Number.isNaN(v) ? 1 : 0), "bool")];
    case "IsInf": {
      const pos = num(a.detect_positive, 1) === 1, neg = num(a.detect_negative, 1) === 1;
      return [map(input(0), (v) => ((pos && v === Infinity) || (neg && v === -Infinity) ? 1 : 0), "bool")];
    }
    case "Abs": return [map(input(0), Math.abs)];
    case "Max": return [variadic(node.inputs.map((_, i) => input(i)), Math.max, where)];
    case "Min": return [variadic(node.inputs.map((_, i) => input(i)), Math.min, where)];
    case "Sum": return [variadic(node.inputs.map((_, i) => input(i)), (p, q) => p + q, where)];
    case "Mean": {
      const n = node.inputs.length;
      return [map(variadic(node.inputs.map((_, i) => input(i)), (p, q) => p + q, where), (v) => v / n)];
    }
    case "PRelu": return [binary(input(0), input(1), (x, s) => (x < 0 ? s * x : x), where)];
    case "Mod": {
      const fmod = num(a.fmod, 0) === 1;
      return [binary(input(0), input(1), (x, y) => (fmod ? x % y : x - y * Math.floor(x / y)), where)];
    }
    case "Expand": {
      const x = input(0);
      const shape = broadcastShapes(x.shape, [...input(1).data], where);
      return [binary(x, hostTensor(x.dtype, shape), (p) => p, where)];
    }
    case "Tile": {
      const x = input(0), reps = [...input(1).data];
      return [remap(x, x.shape.map((d, i) => d * reps[i]!), (d, i) => i % x.shape[d]!)];
    }
    case "Pad": {
      const x = input(0), r = x.shape.length;
      const raw = intList(node, env, "pads", 1) ?? [];
      const axes = (node.inputs[3] ? [...input(3).data] : x.shape.map((_, i) => i)).map((d) => normAxis(d, r, where));
      const pads = new Array<number>(2 * r).fill(0);
      axes.forEach((d, i) => {
        pads[d] = raw[i]!;
        pads[d + r] = raw[i + axes.length]!;
      });
      const mode = str(a.mode, "constant");
      const value = opt(2)?.data[0] ?? num(a.value, 0);
      // Negative pads crop: source index shifts by the (negative) begin pad.
      const shape = x.shape.map((d, i) => d + pads[i]! + pads[i + r]!);
      const y = remap(x, shape, (d, i) => padSource(mode, i, x.shape[d]!, pads[d]!));
      for (let i = 0; i < y.data.length; i++) if (Number.isNaN(y.data[i]!)) y.data[i] = value;
      return [y];
    }
    case "Split": {
      const x = input(0);
      const axis = normAxis(num(a.axis, 0), x.shape.length, where);
      const n = x.shape[axis]!;
      const k = node.outputs.length;
      let sizes = intList(node, env, "split", 1);
      if (!sizes || sizes.length === 0) {
        const each = Math.ceil(n / num(a.num_outputs, k));
        sizes = Array.from({ length: k }, (_, i) => Math.max(0, Math.min(each, n - i * each)));
      }
      let start = 0;
      return sizes.map((len) => {
        const part = slice(x, [start], [start + len], [axis], [1]);
        start += len;
        return part;
      });
    }
    case "Trilu": {
      const x = input(0), r = x.shape.length;
      const k = opt(1)?.data[0] ?? 0;
      const upper = num(a.upper, 1) === 1;
      const [R, C] = [x.shape[r - 2]!, x.shape[r - 1]!];
      const out = hostTensor(x.dtype, x.shape);
      for (let i = 0; i < x.data.length; i++) {
        const col = i % C, row = Math.floor(i / C) % R;
        const keep = upper ? col - row >= k : col - row <= k;
        out.data[i] = keep ? x.data[i]! : 0;
      }
      return [out];
    }
    case "GatherElements": {
      const x = input(0), idx = input(1);
      const axis = normAxis(num(a.axis, 0), x.shape.length, where);
      const flat = gatherElementsIndex(x.shape, idx, axis, where);
      return [hostTensor(x.dtype, idx.shape, Array.from(flat, (f) => x.data[f]!))];
    }
    case "GatherND": {
      const x = input(0), idx = input(1);
      const { shape, flat, inner } = gatherNDIndex(x.shape, idx, num(a.batch_dims, 0), where);
      const out = hostTensor(x.dtype, shape);
      flat.forEach((f, j) => out.data.set(x.data.subarray(f, f + inner), j * inner));
      return [out];
    }
    case "DepthToSpace": case "SpaceToDepth": {
      const x = input(0);
      const { steps } = spaceDepthSteps(node, x.shape);
      let y = x;
      for (const s of steps) y = s.perm ? transpose(y, s.perm) : { ...y, shape: s.shape! };
      return [y];
    }
    case "GlobalMaxPool": {
      const x = input(0);
      return [reduce(x, x.shape.map((_, i) => i).slice(2), true, "max")];
    }
    case "ReduceProd": case "ReduceL1": case "ReduceL2": case "ReduceSumSquare": case "ReduceLogSum": case "ReduceLogSumExp": {
      const x = input(0);
      const norm = reduceAxes(node, env, x.shape.length, where);
      if (norm === undefined) return [x];
      const keep = num(a.keepdims, 1) === 1;
      if (node.op === "ReduceProd") return [reduceProd(x, norm, keep)];
      const pre = { ReduceL1: Math.abs, ReduceL2: (v: number) => v * v, ReduceSumSquare: (v: number) => v * v, ReduceLogSum: (v: number) => v, ReduceLogSumExp: Math.exp }[node.op];
      const post = { ReduceL1: (v: number) => v, ReduceL2: Math.sqrt, ReduceSumSquare: (v: number) => v, ReduceLogSum: Math.log, ReduceLogSumExp: Math.log }[node.op];
      return [map(reduce(map(x, pre), norm, keep, "sum"), post)];
    }
    case "Einsum": {
      // The decomposition the importer compiles is the reference too.
      const xs = node.inputs.map((_, i) => input(i));
      const spec = parseEinsum(str(a.equation, ""), xs.map((x) => x.shape.length), where);
      const sub = new Map(env);
      let k = 0;
      const add = (op: string, inputs: string[], attrs: Record<string, number | number[]> = {}, dst?: string) => {
        const o = dst ?? `${node.name}__einsum${k++}`;
        const outs = runFloatNode({ op, name: `${node.name}/${op}`, inputs, outputs: [o], attrs }, sub);
        sub.set(o, outs[0]!);
        return o;
      };
      lowerEinsum(spec, node.inputs, xs.map((x) => x.shape), node.outputs[0]!, add, (v) => {
        const o = `${node.name}__einsum${k++}`;
        sub.set(o, hostTensor("int64", [v.length], v));
        return o;
      });
      return [sub.get(node.outputs[0]!)!];
    }
    case "QLinearMatMul": case "QLinearConv": case "MatMulInteger": case "ConvInteger": case "aivm.FakeQuant":
      return runQuantizedOpFloat(node, env, runFloatNode);
    case "QuantizeLinear": case "DequantizeLinear": {
      const x = input(0), scale = input(1), zp = opt(2);
      // A per-tensor scale ignores the axis (which may not even exist for a 1-D input).
      const axis = scale.data.length > 1 ? normAxis(num(a.axis, 1), x.shape.length, where) : 0;
      const inner = sizeOf(x.shape.slice(axis + 1)), n = x.shape[axis] ?? 1;
      const at = (t: HostTensor | undefined, i: number) => (!t ? 0 : t.data.length === 1 ? t.data[0]! : t.data[Math.floor(i / inner) % n]!);
      if (node.op === "DequantizeLinear") return [map(x, (v, i) => (v - at(zp, i)) * at(scale, i), "float32")];
      const dtype: HostDType = zp?.dtype === "int8" ? "int8" : "uint8";
      const [lo, hi] = dtype === "int8" ? [-128, 127] : [0, 255];
      return [map(x, (v, i) => Math.min(hi, Math.max(lo, roundHalfEven(v / at(scale, i)) + at(zp, i))), dtype)];
    }
    case "HannWindow": case "HammingWindow": case "BlackmanWindow": {
      const size = input(0).data[0]!;
      const N = num(a.periodic, 1) === 1 ? size : size - 1;
      const c = (k: number, i: number) => Math.cos((2 * Math.PI * k * i) / N);
      const w = {
        HannWindow: (i: number) => 0.5 - 0.5 * c(1, i),
        HammingWindow: (i: number) => 25 / 46 - (21 / 46) * c(1, i),
        BlackmanWindow: (i: number) => 0.42 - 0.5 * c(1, i) + 0.08 * c(2, i),
      }[node.op];
      return [hostTensor(ONNX_TYPE_TO_HOST[num(a.output_datatype, 1)] ?? "float32", [size], Array.from({ length: size }, (_, i) => w(i)))];
    }
    case "ScatterElements": case "Scatter": case "ScatterND": {
      const x = input(0), idx = input(1), upd = input(2);
      const combine = ({ none: (_: number, u: number) => u, add: (o: number, u: number) => o + u, mul: (o: number, u: number) => o * u } as Record<string, (o: number, u: number) => number>)[str(a.reduction, "none")];
      if (!combine) throw new OnnxFormatError(where, `reduction "${str(a.reduction, "")}" is not supported`);
      const out = { ...x, data: Float64Array.from(x.data) };
      scatterTargets(node, x.shape, idx, where).forEach((target, j) => {
        for (let k = 0; k < target.length; k++) out.data[target.start + k] = combine(out.data[target.start + k]!, upd.data[j * target.length + k]!);
      });
      return [out];
    }
    case "TopK": {
      const x = input(0), k = input(1).data[0]!;
      const axis = normAxis(num(a.axis, -1), x.shape.length, where);
      const largest = num(a.largest, 1) === 1;
      const n = x.shape[axis]!, inner = sizeOf(x.shape.slice(axis + 1)), outer = sizeOf(x.shape.slice(0, axis));
      const shape = x.shape.map((d, i) => (i === axis ? k : d));
      const values = hostTensor(x.dtype, shape), indices = hostTensor("int64", shape);
      for (let o = 0; o < outer; o++)
        for (let i = 0; i < inner; i++) {
          const at = (j: number) => x.data[(o * n + j) * inner + i]!;
          // Ties keep the lower index first, as ONNX.
          const order = Array.from({ length: n }, (_, j) => j).sort((p, q) => (largest ? at(q) - at(p) : at(p) - at(q)) || p - q);
          for (let j = 0; j < k; j++) {
            values.data[(o * k + j) * inner + i] = at(order[j]!);
            indices.data[(o * k + j) * inner + i] = order[j]!;
          }
        }
      return [values, indices];
    }
    case "OneHot": {
      const idx = input(0), depth = input(1).data[0]!, values = input(2);
      const r = idx.shape.length + 1;
      const axis = normAxis(num(a.axis, -1), r, where);
      const shape = [...idx.shape.slice(0, axis), depth, ...idx.shape.slice(axis)];
      const inner = sizeOf(idx.shape.slice(axis));
      const out = hostTensor(values.dtype, shape);
      for (let k = 0; k < out.data.length; k++) {
        const d = Math.floor(k / inner) % depth;
        const src = Math.floor(k / (inner * depth)) * inner + (k % inner);
        const v = idx.data[src]! < 0 ? idx.data[src]! + depth : idx.data[src]!;
        out.data[k] = values.data[v === d ? 1 : 0]!;
      }
      return [out];
    }
    case "DynamicQuantizeLinear": {
      const x = input(0);
      let lo = 0, hi = 0;
      for (const v of x.data) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
      const scale = (hi - lo) / 255;
      const zp = Math.min(255, Math.max(0, roundHalfEven(-lo / scale)));
      const y = map(x, (v) => Math.min(255, Math.max(0, roundHalfEven(v / scale) + zp)), "uint8");
      return [y, hostTensor("float32", [], [scale]), hostTensor("uint8", [], [zp])];
    }
    case "Hardmax": {
      const x = input(0);
      const axis = normAxis(num(a.axis, -1), x.shape.length, where);
      const idx = runFloatNode({ ...node, op: "ArgMax", inputs: ["x"], attrs: { axis, keepdims: 1 } }, new Map([["x", x]]))[0]!;
      const inner = sizeOf(x.shape.slice(axis + 1)), n = x.shape[axis]!;
      return [map(x, (_, i) => (Math.floor(i / inner) % n === idx.data[Math.floor(i / (inner * n)) * inner + (i % inner)] ? 1 : 0))];
    }
    case "ArgMin": {
      const neg = map(input(0), (v) => -v);
      return runFloatNode({ ...node, op: "ArgMax", inputs: ["x"] }, new Map([["x", neg]]));
    }
    case "NonZero": {
      const x = input(0);
      const xs = stridesOf(x.shape);
      const hits: number[] = [];
      x.data.forEach((v, i) => v && hits.push(i));
      const out = hostTensor("int64", [x.shape.length, hits.length]);
      hits.forEach((h, j) => x.shape.forEach((_, d) => (out.data[d * hits.length + j] = Math.floor(h / xs[d]!) % x.shape[d]!)));
      return [out];
    }
    case "Resize": case "Upsample": {
      const x = input(0);
      return [applyResize(x, resizeMaps(node, x.shape, opt))];
    }
    case "InstanceNormalization": case "GroupNormalization": {
      const x = input(0), C = x.shape[1]!;
      const groups = node.op === "GroupNormalization" ? num(a.num_groups, C) : C;
      const grouped = { ...x, shape: [x.shape[0]!, groups, x.data.length / (x.shape[0]! * groups)] };
      const y = layerNorm(grouped, undefined, undefined, 2, num(a.epsilon, 1e-5))[0]!;
      const cshape = [C, ...new Array<number>(x.shape.length - 2).fill(1)];
      const perChannel = (t: HostTensor) => hostTensor("float32", cshape, Array.from({ length: C }, (_, c) => t.data[t.data.length === C ? c : Math.floor(c / (C / groups))]!));
      const scaled = binary({ ...y, shape: x.shape }, perChannel(input(1)), (p, q) => p * q, where);
      return [binary(scaled, perChannel(input(2)), (p, q) => p + q, where)];
    }
    case "ConvTranspose": {
      const x = input(0);
      const p = planConvTranspose(x.shape, input(1), node.attrs, where);
      const x4 = p.oneD ? { ...x, shape: [x.shape[0]!, x.shape[1]!, 1, x.shape[2]!] } : x;
      const spread = remap(x4, [x4.shape[0]!, x4.shape[1]!, p.spread[0]!.length, p.spread[1]!.length], (d, i) => (d < 2 ? i : p.spread[d - 2]![i]!));
      for (let i = 0; i < spread.data.length; i++) if (Number.isNaN(spread.data[i]!)) spread.data[i] = 0;
      const y = conv(spread, p.weight, opt(2), { group: p.group, dilations: p.dilations, kernel_shape: p.weight.shape.slice(2) }, where);
      return [p.oneD ? { ...y, shape: [y.shape[0]!, y.shape[1]!, y.shape[3]!] } : y];
    }
    case "RNN": case "GRU": case "LSTM": {
      // The unrolled graph the importer compiles is the reference too.
      const u = unrollRecurrent(node, input(0).shape, (n) => env.get(n));
      const sub = new Map([...env, ...u.constants]);
      for (const n of u.nodes) {
        const outs = runFloatNode(n, sub);
        n.outputs.forEach((o, i) => o && outs[i] && sub.set(o, outs[i]!));
      }
      return node.outputs.map((o) => (o ? sub.get(o)! : hostTensor("float32", [0])));
    }
    case "CumSum": {
      const x = input(0);
      const axis = normAxis(input(1).data[0]!, x.shape.length, where);
      const exclusive = num(a.exclusive, 0) === 1, reverse = num(a.reverse, 0) === 1;
      const n = x.shape[axis]!, inner = sizeOf(x.shape.slice(axis + 1)), outer = sizeOf(x.shape.slice(0, axis));
      const out = hostTensor(x.dtype, x.shape);
      for (let o = 0; o < outer; o++)
        for (let i = 0; i < inner; i++) {
          let acc = 0;
          for (let t = 0; t < n; t++) {
            const k = reverse ? n - 1 - t : t;
            const at = (o * n + k) * inner + i;
            if (exclusive) {
              out.data[at] = acc;
              acc += x.data[at]!;
            } else {
              acc += x.data[at]!;
              out.data[at] = acc;
            }
          }
        }
      return [out];
    }
    default:
      return undefined;
  }
}

function reduceProd(x: HostTensor, axes: number[], keep: boolean): HostTensor {
  const r = x.shape.length;
  const keptShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = hostTensor(x.dtype, keptShape, new Array<number>(sizeOf(keptShape)).fill(1));
  const os = stridesOf(keptShape);
  const coord = new Array<number>(r).fill(0);
  for (let k = 0; k < x.data.length; k++) {
    let off = 0;
    for (let d = 0; d < r; d++) if (!axes.includes(d)) off += coord[d]! * os[d]!;
    out.data[off] = out.data[off]! * x.data[k]!;
    for (let d = r - 1; d >= 0; d--) {
      if (++coord[d]! < x.shape[d]!) break;
      coord[d] = 0;
    }
  }
  return keep ? out : { ...out, shape: x.shape.filter((_, i) => !axes.includes(i)) };
}

/** Flat source offsets of GatherElements (indices may be negative). */
export function gatherElementsIndex(shape: readonly number[], idx: HostTensor, axis: number, where: string): Int32Array {
  const xs = stridesOf(shape);
  const is = stridesOf(idx.shape);
  const out = new Int32Array(idx.data.length);
  const n = shape[axis]!;
  for (let k = 0; k < idx.data.length; k++) {
    let off = 0;
    for (let d = 0; d < idx.shape.length; d++) {
      let c = Math.floor(k / is[d]!) % idx.shape[d]!;
      if (d === axis) {
        c = idx.data[k]! < 0 ? idx.data[k]! + n : idx.data[k]!;
        if (c < 0 || c >= n) throw new OnnxFormatError(where, `index out of range for axis of size ${n}`);
      }
      off += c * xs[d]!;
    }
    out[k] = off;
  }
  return out;
}

/** GatherND as a list of flat source offsets, each the start of `inner` contiguous elements. */
export function gatherNDIndex(shape: readonly number[], idx: HostTensor, batchDims: number, where: string): { shape: number[]; flat: number[]; inner: number } {
  const q = idx.shape.length, m = idx.shape[q - 1]!;
  const xs = stridesOf(shape);
  const batch = sizeOf(shape.slice(0, batchDims));
  const perBatch = sizeOf(idx.shape.slice(batchDims, q - 1));
  const inner = sizeOf(shape.slice(batchDims + m));
  const batchStride = batchDims > 0 ? xs[batchDims - 1]! : 0;
  const flat: number[] = [];
  for (let b = 0; b < batch; b++)
    for (let j = 0; j < perBatch; j++) {
      let off = b * batchStride;
      for (let t = 0; t < m; t++) {
        const n = shape[batchDims + t]!;
        let c = idx.data[(b * perBatch + j) * m + t]!;
        if (c < 0) c += n;
        if (c < 0 || c >= n) throw new OnnxFormatError(where, `index out of range for axis of size ${n}`);
        off += c * xs[batchDims + t]!;
      }
      flat.push(off);
    }
  return { shape: [...idx.shape.slice(0, q - 1), ...shape.slice(batchDims + m)], flat, inner };
}

/** DepthToSpace/SpaceToDepth as reshape → transpose → reshape (exact data movement). */
export function spaceDepthSteps(node: FloatNode, shape: readonly number[]): { steps: { shape?: number[]; perm?: number[] }[] } {
  const bs = num(node.attrs.blocksize, 1);
  const [N, C, H, W] = shape as [number, number, number, number];
  if (node.op === "SpaceToDepth") {
    return { steps: [{ shape: [N, C, H / bs, bs, W / bs, bs] }, { perm: [0, 3, 5, 1, 2, 4] }, { shape: [N, C * bs * bs, H / bs, W / bs] }] };
  }
  const crd = str(node.attrs.mode, "DCR") === "CRD";
  const first = crd ? [N, C / (bs * bs), bs, bs, H, W] : [N, bs, bs, C / (bs * bs), H, W];
  const perm = crd ? [0, 1, 4, 2, 5, 3] : [0, 3, 4, 1, 5, 2];
  return { steps: [{ shape: first }, { perm }, { shape: [N, C / (bs * bs), H * bs, W * bs] }] };
}

/**
 * Where each update of a Scatter/ScatterElements/ScatterND lands in the flattened data: update j
 * (a run of `length` elements) is written from flat offset `start`.
 */
export function scatterTargets(node: FloatNode, shape: readonly number[], idx: HostTensor, where: string): { start: number; length: number }[] {
  if (node.op === "ScatterND") {
    const { flat, inner } = gatherNDIndex(shape, idx, 0, where);
    return flat.map((start) => ({ start, length: inner }));
  }
  const axis = normAxis(num(node.attrs.axis, 0), shape.length, where);
  return Array.from(gatherElementsIndex(shape, idx, axis, where), (start) => ({ start, length: 1 }));
}
