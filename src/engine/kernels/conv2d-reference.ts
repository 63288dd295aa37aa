// The readable conv2d kernel (NCHW, grouped, strided, dilated, padded): the specification the
// im2col kernel must match bit for bit. Padding reads as the input zero point, i.e. contributes 0.
import type { IntArray } from "../tensor.ts";
import { saturateInt32 } from "../requant.ts";

export interface Conv2dGeometry {
  batch: number;
  cin: number;
  h: number;
  w: number;
  cout: number;
  kh: number;
  kw: number;
  groups: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
  dilationH: number;
  dilationW: number;
  hout: number;
  wout: number;
}

export interface Conv2dKernelArgs {
  x: IntArray;
  xZero: number;
  /** [Cout, Cin/groups, kH, kW] */
  weight: Int8Array;
  /** int32 [Cout] or null. */
  bias: Int32Array | null;
  g: Conv2dGeometry;
  /** int32 accumulators [N, Cout, Hout, Wout]. */
  out: Int32Array;
}

export type Conv2dKernel = (args: Conv2dKernelArgs) => void;

/** acc[n,oc,oh,ow] = sat32(bias[oc] + Σ_{ic,ky,kx} (x[n, g·Cin_g+ic, ih, iw] − xZero)·w[oc,ic,ky,kx]) */
export function conv2dReference({ x, xZero, weight, bias, g, out }: Conv2dKernelArgs): void {
  const cinG = g.cin / g.groups;
  const coutG = g.cout / g.groups;
  let o = 0;
  for (let n = 0; n < g.batch; n++) {
    for (let oc = 0; oc < g.cout; oc++) {
      const group = Math.floor(oc / coutG);
      for (let oh = 0; oh < g.hout; oh++) {
        for (let ow = 0; ow < g.wout; ow++) {
          let sum = bias ? bias[oc]! : 0;
          for (let ic = 0; ic < cinG; ic++) {
            const c = group * cinG + ic;
            for (let ky = 0; ky < g.kh; ky++) {
              const ih = oh * g.strideH - g.padTop + ky * g.dilationH;
              if (ih < 0 || ih >= g.h) continue;
              for (let kx = 0; kx < g.kw; kx++) {
                const iw = ow * g.strideW - g.padLeft + kx * g.dilationW;
                if (iw < 0 || iw >= g.w) continue;
                const xv = x[((n * g.cin + c) * g.h + ih) * g.w + iw]!;
                sum += (xv - xZero) * weight[((oc * cinG + ic) * g.kh + ky) * g.kw + kx]!;
              }
            }
          }
          out[o++] = saturateInt32(sum);
        }
      }
    }
  }
}
