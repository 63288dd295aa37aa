// Fast conv2d: unfold each (image, group) into an im2col matrix [positions, Cin_g·kH·kW] and run
// the fast matmul against the group's weights (already [Cout_g, Cin_g·kH·kW], i.e. transposed B).
// Padding cells hold the zero point, so they add exactly 0 — the same sum as the reference.
// Output positions are unfolded in chunks so the scratch stays small whatever the input size.
import { allocate, dtypeOf, type IntArray } from "../tensor.ts";
import type { Conv2dGeometry, Conv2dKernelArgs } from "./conv2d-reference.ts";
import { matmulFast } from "./matmul-fast.ts";
import { saturateInt32 } from "../requant.ts";

/** Upper bound on im2col elements per chunk (8 MiB as int16). */
export const IM2COL_CHUNK_ELEMENTS = 1 << 22;

export function conv2dIm2col(args: Conv2dKernelArgs): void {
  const { x, xZero, weight, bias, g, out } = args;
  const cinG = g.cin / g.groups;
  const coutG = g.cout / g.groups;
  const kc = cinG * g.kh * g.kw;
  const positions = g.hout * g.wout;
  if (positions === 0 || coutG === 0) return;
  if (x instanceof Int8Array && xZero === 0 && positions * kc <= IM2COL_CHUNK_ELEMENTS && kc * 128 * 128 < 2 ** 31) {
    conv2dWeightsFirst(args, x);
    return;
  }
  const chunk = Math.max(1, Math.min(positions, Math.floor(IM2COL_CHUNK_ELEMENTS / Math.max(1, kc))));
  const col = allocate(dtypeOf(x), chunk * kc);
  const tmp = new Int32Array(chunk * coutG);
  for (let n = 0; n < g.batch; n++) {
    for (let grp = 0; grp < g.groups; grp++) {
      const groupBias = bias ? bias.subarray(grp * coutG, (grp + 1) * coutG) : null;
      const base = (n * g.cout + grp * coutG) * positions;
      const firstPlane = n * g.cin + grp * cinG;
      for (let first = 0; first < positions; first += chunk) {
        const rows = Math.min(chunk, positions - first);
        unfold(x, xZero, g, firstPlane, cinG, first, rows, col);
        matmulFast({
          a: col, aOffset: 0, aZero: xZero,
          b: weight, bOffset: grp * coutG * kc, transB: true,
          bias: groupBias, m: rows, k: kc, n: coutG, out: tmp, outOffset: 0,
        });
        transposeInto(tmp, rows, coutG, out, base + first, positions);
      }
    }
  }
}

/**
 * Writes the im2col rows of output positions [first, first + rows) into `col`:
 * col[(pos − first)·kc + (ic·kH + ky)·kW + kx] = x[plane ic, ih, iw], or the zero point where the tap
 * falls in the padding. Walks one output row segment and one kernel tap at a time, so the padding
 * test is made per segment, not per element.
 */
function unfold(x: IntArray, xZero: number, g: Conv2dGeometry, firstPlane: number, cinG: number, first: number, rows: number, col: IntArray): void {
  const { h, w, kh, kw, wout, strideH, strideW, padTop, padLeft, dilationH, dilationW } = g;
  const kc = cinG * kh * kw;
  const end = first + rows;
  for (let pos = first; pos < end; ) {
    const oh = Math.floor(pos / wout);
    const owFirst = pos - oh * wout;
    const owEnd = Math.min(wout, owFirst + (end - pos));
    // col index of (ow, tap 0) is rowCol + ow·kc.
    const rowCol = (pos - first - owFirst) * kc;
    for (let ic = 0; ic < cinG; ic++) {
      for (let ky = 0; ky < kh; ky++) {
        const ih = oh * strideH - padTop + ky * dilationH;
        const tapRow = (ic * kh + ky) * kw;
        const inRow = ih >= 0 && ih < h;
        const xRow = ((firstPlane + ic) * h + ih) * w;
        for (let kx = 0; kx < kw; kx++) {
          const shift = kx * dilationW - padLeft;
          // ow with 0 ≤ ow·strideW + shift < w, clipped to this segment.
          const lo = inRow ? Math.min(owEnd, Math.max(owFirst, ceilDiv(-shift, strideW))) : owEnd;
          const hi = inRow ? Math.max(lo, Math.min(owEnd, ceilDiv(w - shift, strideW))) : owEnd;
          let o = rowCol + owFirst * kc + tapRow + kx;
          for (let ow = owFirst; ow < lo; ow++, o += kc) col[o] = xZero;
          let i = xRow + lo * strideW + shift;
          for (let ow = lo; ow < hi; ow++, o += kc, i += strideW) col[o] = x[i]!;
          for (let ow = hi; ow < owEnd; ow++, o += kc) col[o] = xZero;
        }
      }
    }
    pos += owEnd - owFirst;
  }
}

/** ⌈a / b⌉ for b > 0 and any integer a. */
function ceilDiv(a: number, b: number): number {
  return Math.floor((a + b - 1) / b);
}

/** out[dst + c·stride + p] = src[p·cols + c] for p < rows, c < cols: [rows, cols] into column-major planes. */
function transposeInto(src: Int32Array, rows: number, cols: number, out: Int32Array, dst: number, stride: number): void {
  for (let c = 0; c < cols; c++) {
    const d = dst + c * stride;
    for (let p = 0, t = c; p < rows; p++, t += cols) out[d + p] = src[t]!;
  }
}


/**
 * The same convolution as weights × columns, for int8 input with zero point 0 whose whole unfolded
 * image fits one chunk: per (image, group) out[c, pos] = Σ_t W[c, t]·col[t, pos], with col [kc,
 * positions] (each row one kernel tap's shifted copy of an input plane, contiguous) as B and the
 * weights [Cout_g, kc] as A. The products land in NCHW order, so nothing is transposed. The sums are
 * exact in int32 (kc·128·128 < 2^31, checked by the caller), so the bias is added after, saturated
 * once, as in the reference.
 */
function conv2dWeightsFirst(args: Conv2dKernelArgs, x: Int8Array): void {
  const { weight, bias, g, out } = args;
  const cinG = g.cin / g.groups;
  const coutG = g.cout / g.groups;
  const kc = cinG * g.kh * g.kw;
  const positions = g.hout * g.wout;
  const col = new Int8Array(kc * positions);
  for (let n = 0; n < g.batch; n++) {
    for (let grp = 0; grp < g.groups; grp++) {
      if (n > 0 || grp > 0) col.fill(0);
      unfoldRows(x, g, n * g.cin + grp * cinG, cinG, col);
      const base = (n * g.cout + grp * coutG) * positions;
      matmulFast({
        a: weight, aOffset: grp * coutG * kc, aZero: 0,
        b: col, bOffset: 0, transB: false, bIsScratch: true,
        bias: null, m: coutG, k: kc, n: positions, out, outOffset: base,
      });
      if (bias === null) continue;
      for (let c = 0; c < coutG; c++) {
        const b = bias[grp * coutG + c]!;
        const start = base + c * positions;
        for (let i = start; i < start + positions; i++) out[i] = saturateInt32(out[i]! + b);
      }
    }
  }
}

/**
 * col[(ic·kH + ky)·kW + kx, oh·Wout + ow] = x[plane ic, ih, iw], or 0 (the zero point) in the
 * padding, which `col` (zero-filled before each image and group) already holds: per kernel tap
 * and output row, the one run of in-input columns is copied in order.
 */
function unfoldRows(x: Int8Array, g: Conv2dGeometry, firstPlane: number, cinG: number, col: Int8Array): void {
  const { h, w, kh, kw, hout, wout, strideH, strideW, padTop, padLeft, dilationH, dilationW } = g;
  let tapRow = 0;
  for (let ic = 0; ic < cinG; ic++) {
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++, tapRow += hout * wout) {
        const shift = kx * dilationW - padLeft;
        // ow with 0 ≤ ow·strideW + shift < w.
        const lo = Math.min(wout, Math.max(0, ceilDiv(-shift, strideW)));
        const hi = Math.max(lo, Math.min(wout, ceilDiv(w - shift, strideW)));
        for (let oh = 0; oh < hout; oh++) {
          const ih = oh * strideH - padTop + ky * dilationH;
          if (ih < 0 || ih >= h) continue;
          let i = ((firstPlane + ic) * h + ih) * w + lo * strideW + shift;
          const end = tapRow + oh * wout + hi;
          for (let o = tapRow + oh * wout + lo; o < end; o++, i += strideW) col[o] = x[i]!;
        }
      }
    }
  }
}
