// ONNX Resize (and Upsample) as one linear map per axis, built offline from the static shapes: every
// interpolation mode (nearest, linear, cubic) and coordinate transformation is separable, so along
// each axis the output is W·x (+ a constant for tf_crop_and_resize extrapolation). Nearest maps are
// one-hot and become an exact gather; the others a matmul with a constant int8 weight.
// Follows the ONNX reference implementation (onnx/reference/ops/op_resize.py).
import { OnnxFormatError, type HostTensor, type OnnxAttr } from "./onnx.ts";
import type { FloatNode } from "./graph.ts";

export interface AxisMap {
  inLen: number;
  outLen: number;
  /** out × in, row-major: output o = Σ_i weights[o·inLen + i]·x[i] + bias[o]. */
  weights: Float64Array;
  bias: Float64Array;
  /** For a one-hot map: the source index of every output (−1 for a bias-only row); undefined otherwise. */
  gather?: number[];
}

function str(v: OnnxAttr | undefined, d: string): string {
  return typeof v === "string" ? v : d;
}
function num(v: OnnxAttr | undefined, d: number): number {
  return typeof v === "number" ? v : d;
}

function cubicCoeffs(r: number, A: number): number[] {
  const s = 1 - r;
  return [
    ((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A,
    ((A + 2) * r - (A + 3)) * r * r + 1,
    ((A + 2) * s - (A + 3)) * s * s + 1,
    ((A * (s + 1) - 5 * A) * (s + 1) + 8 * A) * (s + 1) - 4 * A,
  ];
}

/** The n indices nearest to x (ties to the smaller), sorted, in a padded range [0, limit). */
function neighbours(x: number, n: number, limit: number): number[] {
  const all = Array.from({ length: limit }, (_, i) => i);
  all.sort((p, q) => Math.abs(x - p) - Math.abs(x - q) || p - q);
  return all.slice(0, n).sort((p, q) => p - q);
}

/**
 * Per-axis maps of a Resize/Upsample node. `constant(i)` returns input i when it is known.
 * Throws OnnxFormatError for forms the importer does not handle (antialias, keep_aspect_ratio_policy).
 */
export function resizeMaps(node: FloatNode, inShape: readonly number[], constant: (i: number) => HostTensor | undefined): AxisMap[] {
  const a = node.attrs;
  const where = `node "${node.name}" (${node.op})`;
  const rank = inShape.length;
  const upsample = node.op === "Upsample";
  // Upsample and Resize-10 take (X, scales) and are asymmetric; Resize-11 on has roi before scales.
  const legacy = upsample || node.inputs.length === 2;
  const scalesT = legacy ? constant(1) : constant(2);
  const sizesT = legacy ? undefined : constant(3);
  const roi = legacy ? undefined : constant(1);
  if (num(a.antialias, 0) !== 0) throw new OnnxFormatError(where, "antialias is not supported");
  if (str(a.keep_aspect_ratio_policy, "stretch") !== "stretch") throw new OnnxFormatError(where, "keep_aspect_ratio_policy other than stretch is not supported");
  const axes = Array.isArray(a.axes) ? a.axes.map(Number).map((d) => (d < 0 ? d + rank : d)) : inShape.map((_, i) => i);
  const scales = inShape.map(() => 1);
  const outLens = [...inShape];
  const attrScales = Array.isArray(a.scales) ? (a.scales as number[]) : undefined;
  if (sizesT && sizesT.data.length > 0) {
    axes.forEach((d, k) => {
      outLens[d] = sizesT.data[k]!;
      scales[d] = sizesT.data[k]! / inShape[d]!;
    });
  } else if ((scalesT && scalesT.data.length > 0) || attrScales) {
    const s = scalesT ? [...scalesT.data] : attrScales!;
    axes.forEach((d, k) => {
      scales[d] = s[k]!;
      outLens[d] = Math.floor(inShape[d]! * s[k]!);
    });
  } else throw new OnnxFormatError(where, "needs constant scales or sizes");
  const mode = str(a.mode, "nearest");
  const ctm = legacy ? "asymmetric" : str(a.coordinate_transformation_mode, "half_pixel");
  const nearestMode = legacy ? "floor" : str(a.nearest_mode, "round_prefer_floor");
  const A = num(a.cubic_coeff_a, -0.75);
  const exclude = num(a.exclude_outside, 0) === 1;
  const extrapolation = num(a.extrapolation_value, 0);
  return inShape.map((inLen, d) => {
    const outLen = outLens[d]!;
    const scale = scales[d]!;
    const outWidth = scale * inLen;
    const weights = new Float64Array(outLen * inLen);
    const bias = new Float64Array(outLen);
    const [start, end] = roi && roi.data.length === 2 * rank ? [roi.data[d]!, roi.data[d + rank]!] : [0, 1];
    for (let o = 0; o < outLen; o++) {
      let x: number;
      switch (ctm) {
        case "align_corners": x = outWidth === 1 ? 0 : (o * (inLen - 1)) / (outWidth - 1); break;
        case "asymmetric": x = o / scale; break;
        case "tf_half_pixel_for_nn": x = (o + 0.5) / scale; break;
        case "pytorch_half_pixel": x = outWidth === 1 ? -0.5 : (o + 0.5) / scale - 0.5; break;
        case "half_pixel_symmetric": {
          const adjustment = outLen / outWidth;
          const center = inLen / 2;
          x = center * (1 - adjustment) + (o + 0.5) / scale - 0.5;
          break;
        }
        case "tf_crop_and_resize":
          x = outWidth === 1 ? ((end - start) * (inLen - 1)) / 2 : (o * (end - start) * (inLen - 1)) / (outWidth - 1);
          x += start * (inLen - 1);
          break;
        case "half_pixel": x = (o + 0.5) / scale - 0.5; break;
        default: throw new OnnxFormatError(where, `coordinate_transformation_mode "${ctm}" is not supported`);
      }
      if (ctm === "tf_crop_and_resize" && (x < 0 || x > inLen - 1)) {
        bias[o] = extrapolation;
        continue;
      }
      const ratio = Number.isInteger(x) ? 1 : x - Math.floor(x);
      let coeffs: number[];
      if (mode === "nearest") {
        if (Number.isInteger(x)) coeffs = [0, 1];
        else if (nearestMode === "round_prefer_floor") coeffs = [ratio <= 0.5 ? 1 : 0, ratio > 0.5 ? 1 : 0];
        else if (nearestMode === "round_prefer_ceil") coeffs = [ratio < 0.5 ? 1 : 0, ratio >= 0.5 ? 1 : 0];
        else if (nearestMode === "floor") coeffs = [1, 0];
        else coeffs = [0, 1];
      } else if (mode === "linear") coeffs = [1 - ratio, ratio];
      else if (mode === "cubic") coeffs = cubicCoeffs(ratio, A);
      else throw new OnnxFormatError(where, `mode "${mode}" is not supported`);
      const n = coeffs.length;
      const pad = Math.ceil(n / 2);
      const idx = neighbours(x + pad, n, inLen + 2 * pad).map((p) => p - pad);
      if (exclude) {
        idx.forEach((i, k) => {
          if (i < 0 || i >= inLen) coeffs[k] = 0;
        });
        const sum = coeffs.reduce((p, q) => p + q, 0);
        coeffs = coeffs.map((c) => c / sum);
      }
      // Outside the input the reference pads with the edge value.
      idx.forEach((i, k) => (weights[o * inLen + Math.min(inLen - 1, Math.max(0, i))]! += coeffs[k]!));
    }
    const map: AxisMap = { inLen, outLen, weights, bias };
    const oneHot = Array.from({ length: outLen }, (_, o) => {
      const row = weights.subarray(o * inLen, (o + 1) * inLen);
      const hits = [...row].flatMap((w, i) => (w === 0 ? [] : [[i, w] as const]));
      if (hits.length === 0 && bias[o] !== undefined) return -1;
      return hits.length === 1 && hits[0]![1] === 1 && bias[o] === 0 ? hits[0]![0] : undefined;
    });
    if (oneHot.every((v) => v !== undefined)) map.gather = oneHot as number[];
    return map;
  });
}

/** Whether an axis map leaves the axis unchanged. */
export function isIdentityMap(m: AxisMap): boolean {
  return m.inLen === m.outLen && m.gather !== undefined && m.gather.every((s, i) => s === i);
}

/** Applies the per-axis maps to a tensor in float (the reference for folding and calibration). */
export function applyResize(x: HostTensor, maps: readonly AxisMap[]): HostTensor {
  let cur = { dtype: x.dtype, shape: [...x.shape], data: Float64Array.from(x.data) };
  maps.forEach((m, d) => {
    if (isIdentityMap(m)) return;
    const outer = cur.shape.slice(0, d).reduce((p, q) => p * q, 1);
    const inner = cur.shape.slice(d + 1).reduce((p, q) => p * q, 1);
    const out = new Float64Array(outer * m.outLen * inner);
    for (let p = 0; p < outer; p++)
      for (let o = 0; o < m.outLen; o++)
        for (let q = 0; q < inner; q++) {
          let s = m.bias[o]!;
          for (let i = 0; i < m.inLen; i++) {
            const w = m.weights[o * m.inLen + i]!;
            if (w !== 0) s += w * cur.data[(p * m.inLen + i) * inner + q]!;
          }
          out[(p * m.outLen + o) * inner + q] = s;
        }
    cur = { dtype: cur.dtype, shape: cur.shape.map((v, i) => (i === d ? m.outLen : v)), data: out };
  });
  return cur;
}
