// The 2-D max_pool and avg_pool kernels over NCHW planes, plane by plane and output row by output row.
// Precomputed once per call: each output row's in-input kernel rows, and each kernel column's range of
// output columns whose tap lands inside the input. So the loops test no bounds: per output row, kernel
// row and kernel column, one sequential run over output columns updates a row buffer, which is then
// written out in order. They must match the generic N-D kernel in ops/pool.ts bit for bit
// (test/engine/pool.test.ts pins them against it).
import { floorDiv, roundDivAway, roundDivAwayBig } from "../intmath.ts";
import type { IntArray } from "../tensor.ts";

export interface Pool2dGeometry {
  /** N·C planes of h × w in, outH × outW out. */
  planes: number;
  h: number;
  w: number;
  outH: number;
  outW: number;
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
}

/** One spatial axis, per output index: where its in-input taps start and how many there are. */
export interface AxisTaps {
  /** Input position of the first tap inside the input (meaningless when `count` is 0). */
  first: Int32Array;
  /** Taps inside the input; they are consecutive in the kernel, `dilation` apart in the input. */
  count: Int32Array;
  /** Taps inside the padded extent [−padBegin, size + padEnd): count_include_pad's divisor factor. */
  padded: Int32Array;
}

export function axisTaps(out: number, size: number, kernel: number, stride: number, dilation: number, padBegin: number, padEnd: number): AxisTaps {
  const first = new Int32Array(out);
  const count = new Int32Array(out);
  const padded = new Int32Array(out);
  for (let o = 0; o < out; o++) {
    const start = o * stride - padBegin;
    for (let j = 0; j < kernel; j++) {
      const q = start + j * dilation;
      if (q >= 0 && q < size && count[o]++ === 0) first[o] = q;
      if (q < size + padEnd) padded[o]!++;
    }
  }
  return { first, count, padded };
}

/**
 * The kernel columns kx that land inside the input for at least one output column, each with the
 * output columns [lo, hi) for which it does (a range, since its input column ox·stride − padLeft +
 * kx·dilation grows with ox) and the input column it reads for output column lo.
 */
function kernelColumns(g: Pool2dGeometry): { lo: Int32Array; hi: Int32Array; input: Int32Array } {
  const lo: number[] = [];
  const hi: number[] = [];
  const input: number[] = [];
  const ceilDiv = (a: number, b: number) => -floorDiv(-a, b);
  for (let kx = 0; kx < g.kernelW; kx++) {
    const offset = kx * g.dilationW - g.padLeft;
    const first = Math.max(0, ceilDiv(-offset, g.strideW));
    const end = Math.min(g.outW, ceilDiv(g.w - offset, g.strideW));
    if (first >= end) continue;
    lo.push(first);
    hi.push(end);
    input.push(first * g.strideW + offset);
  }
  return { lo: Int32Array.from(lo), hi: Int32Array.from(hi), input: Int32Array.from(input) };
}

/** y[p, oy, ox] = max over the window's in-input taps; the dtype minimum `lo` for a window wholly in the padding. */
export function maxPool2d(x: IntArray, y: IntArray, g: Pool2dGeometry, lo: number): void {
  const { first: rowFirst, count: rowCount } = axisTaps(g.outH, g.h, g.kernelH, g.strideH, g.dilationH, g.padTop, g.padBottom);
  const { lo: colLo, hi: colHi, input: colInput } = kernelColumns(g);
  const { w, outH, outW, strideW } = g;
  const rowStep = g.dilationH * w;
  const acc = new Int32Array(outW);
  let o = 0;
  for (let p = 0; p < g.planes; p++) {
    const plane = p * g.h * w;
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) acc[ox] = lo;
      const rows = rowCount[oy]!;
      let r = plane + rowFirst[oy]! * w;
      for (let i = 0; i < rows; i++, r += rowStep) {
        for (let c = 0; c < colLo.length; c++) {
          const end = colHi[c]!; // a local: V8 does not hoist a typed-array load past the stores to acc
          let t = r + colInput[c]!;
          for (let ox = colLo[c]!; ox < end; ox++, t += strideW) {
            const v = x[t]!;
            if (v > acc[ox]!) acc[ox] = v;
          }
        }
      }
      for (let ox = 0; ox < outW; ox++) y[o++] = acc[ox]!;
    }
  }
}

/**
 * y[p, oy, ox] = round-half-away(sum of the window's in-input taps / divisor), the divisor being the
 * in-input taps or (countIncludePad) the taps inside the padded extent; 0 when the divisor is 0.
 * `exact` (kernel taps · max|x| < 2^53) says a double sum cannot round; otherwise each window is summed in BigInt.
 */
export function avgPool2d(x: IntArray, y: IntArray, g: Pool2dGeometry, countIncludePad: boolean, exact: boolean): void {
  if (!exact) return avgPool2dBig(x, y, g, countIncludePad);
  const { first: rowFirst, count: rowCount, padded: rowPadded } = axisTaps(g.outH, g.h, g.kernelH, g.strideH, g.dilationH, g.padTop, g.padBottom);
  const { count: colCount, padded: colPadded } = axisTaps(g.outW, g.w, g.kernelW, g.strideW, g.dilationW, g.padLeft, g.padRight);
  const { lo: colLo, hi: colHi, input: colInput } = kernelColumns(g);
  const { w, outH, outW, strideW } = g;
  const rowStep = g.dilationH * w;
  const acc = new Array<number>(outW).fill(0);
  let o = 0;
  for (let p = 0; p < g.planes; p++) {
    const plane = p * g.h * w;
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) acc[ox] = 0;
      const rows = rowCount[oy]!;
      let r = plane + rowFirst[oy]! * w;
      for (let i = 0; i < rows; i++, r += rowStep) {
        for (let c = 0; c < colLo.length; c++) {
          const end = colHi[c]!;
          let t = r + colInput[c]!;
          for (let ox = colLo[c]!; ox < end; ox++, t += strideW) acc[ox] += x[t]!;
        }
      }
      for (let ox = 0; ox < outW; ox++) {
        const divisor = countIncludePad ? rowPadded[oy]! * colPadded[ox]! : rows * colCount[ox]!;
        y[o++] = divisor === 0 ? 0 : roundDivAway(acc[ox]!, divisor);
      }
    }
  }
}

/** avgPool2d for kernels whose double sum could pass 2^53: one window at a time, summed in BigInt. */
function avgPool2dBig(x: IntArray, y: IntArray, g: Pool2dGeometry, countIncludePad: boolean): void {
  const rows = axisTaps(g.outH, g.h, g.kernelH, g.strideH, g.dilationH, g.padTop, g.padBottom);
  const cols = axisTaps(g.outW, g.w, g.kernelW, g.strideW, g.dilationW, g.padLeft, g.padRight);
  const rowStep = g.dilationH * g.w;
  let o = 0;
  for (let p = 0; p < g.planes; p++) {
    const plane = p * g.h * g.w;
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        const divisor = countIncludePad ? rows.padded[oy]! * cols.padded[ox]! : rows.count[oy]! * cols.count[ox]!;
        let sum = 0n;
        let r = plane + rows.first[oy]! * g.w + cols.first[ox]!;
        for (let i = 0; i < rows.count[oy]!; i++, r += rowStep) {
          let t = r;
          for (let j = 0; j < cols.count[ox]!; j++, t += g.dilationW) sum += BigInt(x[t]!);
        }
        y[o++] = divisor === 0 ? 0 : Number(roundDivAwayBig(sum, BigInt(divisor)));
      }
    }
  }
}
