// Fast conv2d: unfold each (image, group) into an im2col matrix [Hout·Wout, Cin_g·kH·kW] and run
// the fast matmul against the group's weights (already [Cout_g, Cin_g·kH·kW], i.e. transposed B).
// Padding cells hold the zero point, so they add exactly 0 — the same sum as the reference.
import { allocate, dtypeOf, MAX_ELEMENTS } from "../tensor.ts";
import { conv2dReference, type Conv2dKernelArgs } from "./conv2d-reference.ts";
import { matmulFast } from "./matmul-fast.ts";

export function conv2dIm2col(args: Conv2dKernelArgs): void {
  const { x, xZero, weight, bias, g, out } = args;
  const cinG = g.cin / g.groups;
  const coutG = g.cout / g.groups;
  const kc = cinG * g.kh * g.kw;
  const positions = g.hout * g.wout;
  // The unfolded matrix can be kh·kw times the input; beyond the element cap, fall back to direct loops.
  if (positions * kc > MAX_ELEMENTS || positions * coutG > MAX_ELEMENTS) {
    conv2dReference(args);
    return;
  }
  const col = allocate(dtypeOf(x), positions * kc);
  const tmp = new Int32Array(positions * coutG);
  for (let n = 0; n < g.batch; n++) {
    for (let grp = 0; grp < g.groups; grp++) {
      let o = 0;
      for (let oh = 0; oh < g.hout; oh++) {
        for (let ow = 0; ow < g.wout; ow++) {
          for (let ic = 0; ic < cinG; ic++) {
            const plane = (n * g.cin + grp * cinG + ic) * g.h;
            for (let ky = 0; ky < g.kh; ky++) {
              const ih = oh * g.strideH - g.padTop + ky * g.dilationH;
              const inRow = ih >= 0 && ih < g.h;
              const rowBase = (plane + ih) * g.w;
              for (let kx = 0; kx < g.kw; kx++) {
                const iw = ow * g.strideW - g.padLeft + kx * g.dilationW;
                col[o++] = inRow && iw >= 0 && iw < g.w ? x[rowBase + iw]! : xZero;
              }
            }
          }
        }
      }
      matmulFast({
        a: col, aOffset: 0, aZero: xZero,
        b: weight, bOffset: grp * coutG * kc, transB: true,
        bias: bias ? bias.subarray(grp * coutG, (grp + 1) * coutG) : null,
        m: positions, k: kc, n: coutG, out: tmp, outOffset: 0,
      });
      // tmp is [position, channel]; the output is NCHW.
      const base = (n * g.cout + grp * coutG) * positions;
      for (let p = 0; p < positions; p++) {
        for (let c = 0; c < coutG; c++) out[base + c * positions + p] = tmp[p * coutG + c]!;
      }
    }
  }
}
