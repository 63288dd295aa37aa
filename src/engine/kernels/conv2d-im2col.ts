// Fast conv2d: unfold each (image, group) into an im2col matrix [positions, Cin_g·kH·kW] and run
// the fast matmul against the group's weights (already [Cout_g, Cin_g·kH·kW], i.e. transposed B).
// Padding cells hold the zero point, so they add exactly 0 — the same sum as the reference.
// Output positions are unfolded in chunks so the scratch stays small whatever the input size.
import { allocate, dtypeOf } from "../tensor.ts";
import type { Conv2dKernelArgs } from "./conv2d-reference.ts";
import { matmulFast } from "./matmul-fast.ts";

/** Upper bound on im2col elements per chunk (8 MiB as int16). */
export const IM2COL_CHUNK_ELEMENTS = 1 << 22;

export function conv2dIm2col(args: Conv2dKernelArgs): void {
  const { x, xZero, weight, bias, g, out } = args;
  const cinG = g.cin / g.groups;
  const coutG = g.cout / g.groups;
  const kc = cinG * g.kh * g.kw;
  const positions = g.hout * g.wout;
  if (positions === 0 || coutG === 0) return;
  const chunk = Math.max(1, Math.min(positions, Math.floor(IM2COL_CHUNK_ELEMENTS / Math.max(1, kc))));
  const col = allocate(dtypeOf(x), chunk * kc);
  const tmp = new Int32Array(chunk * coutG);
  for (let n = 0; n < g.batch; n++) {
    for (let grp = 0; grp < g.groups; grp++) {
      const groupBias = bias ? bias.subarray(grp * coutG, (grp + 1) * coutG) : null;
      const base = (n * g.cout + grp * coutG) * positions;
      for (let first = 0; first < positions; first += chunk) {
        const rows = Math.min(chunk, positions - first);
        let o = 0;
        for (let pos = first; pos < first + rows; pos++) {
          const oh = Math.floor(pos / g.wout);
          const ow = pos - oh * g.wout;
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
        matmulFast({
          a: col, aOffset: 0, aZero: xZero,
          b: weight, bOffset: grp * coutG * kc, transB: true,
          bias: groupBias, m: rows, k: kc, n: coutG, out: tmp, outOffset: 0,
        });
        // tmp is [position, channel]; the output is NCHW.
        for (let p = 0; p < rows; p++) {
          for (let c = 0; c < coutG; c++) out[base + c * positions + first + p] = tmp[p * coutG + c]!;
        }
      }
    }
  }
}
