// Seeded random cases for matmul and conv2d, biased toward the extremes that break kernels:
// −128/127 operands, int16 ±32768 against a far zero point, accumulators on the int32 edge.
import type { Attrs } from "../../../src/engine/op.ts";
import type { DType } from "../../../src/engine/tensor.ts";
import type { PlainTensor } from "./oracle.ts";

/** mulberry32: small, seeded, reproducible. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rand = () => number;
export const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

const RANGE: Record<DType, [number, number]> = { int8: [-128, 127], int16: [-32768, 32767], int32: [-2147483648, 2147483647] };

/** Values of a dtype; `extreme` is the probability of drawing the minimum or maximum. */
export function values(r: Rand, dtype: DType, count: number, extreme = 0.15): number[] {
  const [lo, hi] = RANGE[dtype];
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const u = r();
    out[i] = u < extreme / 2 ? lo : u < extreme ? hi : int(r, lo, hi);
  }
  return out;
}

export function plain(dtype: DType, shape: number[], data: number[]): PlainTensor {
  return { dtype, shape, data };
}

/** A requantization stage: int32 passthrough, or per-tensor / per-channel multipliers and shifts. */
export function outputAttrs(r: Rand, channels: number): Attrs {
  const kind = int(r, 0, 3);
  if (kind === 0) return {};
  const outDtype = pick(r, [0, 0, 1, 2]);
  const count = r() < 0.5 ? 1 : channels;
  const multiplier: number[] = [];
  const shift: number[] = [];
  for (let c = 0; c < count; c++) {
    const u = r();
    // Small multipliers make exact rounding ties common.
    multiplier.push(u < 0.1 ? 0 : u < 0.2 ? 2147483647 : u < 0.3 ? int(r, 1, 8) : int(r, 1 << 30, 2147483647));
    const v = r();
    shift.push(v < 0.1 ? int(r, 0, 16) : v < 0.2 ? int(r, 50, 62) : int(r, 30, 46));
  }
  const zr = RANGE[(["int8", "int16", "int32"] as const)[outDtype]!];
  const zeroPoint = r() < 0.5 ? 0 : int(r, Math.max(zr[0], -1000), Math.min(zr[1], 1000));
  return { outDtype, multiplier, shift, zeroPoint };
}

export interface LinearCase {
  op: "matmul" | "conv2d";
  inputs: PlainTensor[];
  attrs: Attrs;
}

/** A matmul case; `kMax` bounds K, `saturate` drives accumulators to the int32 edge. */
export function matmulCase(r: Rand, kMax = 40, saturate = false): LinearCase {
  const dtA: DType = saturate || r() < 0.3 ? "int16" : "int8";
  const m = int(r, 1, 9);
  const k = int(r, 1, kMax);
  const n = int(r, 1, 6);
  const transB = r() < 0.4 ? 1 : 0;
  let aBatch: number[] = [];
  let bBatch: number[] = [];
  const shape = int(r, 0, 4);
  if (shape === 1) aBatch = [int(r, 1, 3)];
  else if (shape === 2) [aBatch, bBatch] = [[2, 1], [3]];
  else if (shape === 3) [aBatch, bBatch] = [[1], [2]];
  else if (shape === 4) [aBatch, bBatch] = [[2], [2]];
  const aCount = [...aBatch, m, k].reduce((x, y) => x * y, 1);
  const bCount = [...bBatch, k, n].reduce((x, y) => x * y, 1);
  const aZero = r() < 0.5 ? 0 : saturate ? pick(r, [-32768, 32767]) : int(r, RANGE[dtA][0], RANGE[dtA][1]);
  const extreme = saturate ? 0.9 : 0.15;
  const a = plain(dtA, [...aBatch, m, k], values(r, dtA, aCount, extreme));
  const b = plain("int8", [...bBatch, ...(transB ? [n, k] : [k, n])], values(r, "int8", bCount, extreme));
  const inputs = [a, b];
  if (r() < 0.5) {
    const u = r();
    const bias = u < 0.3 ? values(r, "int32", n, 0.5) : Array.from({ length: n }, () => int(r, -100000, 100000));
    inputs.push(plain("int32", [n], bias));
  }
  const attrs: Record<string, number | number[]> = { ...outputAttrs(r, n) } as Record<string, number | number[]>;
  if (transB) attrs["transB"] = 1;
  if (aZero !== 0) attrs["aZero"] = aZero;
  return { op: "matmul", inputs, attrs };
}

export function conv2dCase(r: Rand): LinearCase {
  const dtX: DType = r() < 0.25 ? "int16" : "int8";
  const groups = pick(r, [1, 1, 1, 2, 3]);
  const cin = groups * int(r, 1, 3);
  const cout = groups * int(r, 1, 3);
  const kh = int(r, 1, 3);
  const kw = int(r, 1, 3);
  const dilations = [int(r, 1, 2), int(r, 1, 2)];
  const strides = [int(r, 1, 3), int(r, 1, 3)];
  const pads = [int(r, 0, 2), int(r, 0, 2), int(r, 0, 2), int(r, 0, 2)];
  const spanH = dilations[0]! * (kh - 1) + 1;
  const spanW = dilations[1]! * (kw - 1) + 1;
  const h = Math.max(int(r, 1, 7), spanH);
  const w = Math.max(int(r, 1, 7), spanW);
  const batch = int(r, 1, 2);
  const x = plain(dtX, [batch, cin, h, w], values(r, dtX, batch * cin * h * w));
  const weight = plain("int8", [cout, cin / groups, kh, kw], values(r, "int8", cout * (cin / groups) * kh * kw));
  const inputs = [x, weight];
  if (r() < 0.5) inputs.push(plain("int32", [cout], values(r, "int32", cout, 0.3).map((v) => (r() < 0.5 ? v : v % 100000))));
  const attrs: Record<string, number | number[]> = { ...outputAttrs(r, cout) } as Record<string, number | number[]>;
  if (groups !== 1) attrs["groups"] = groups;
  if (r() < 0.7) attrs["strides"] = strides;
  if (r() < 0.7) attrs["pads"] = pads;
  if (r() < 0.5) attrs["dilations"] = dilations;
  if (r() < 0.5) attrs["xZero"] = int(r, RANGE[dtX][0], RANGE[dtX][1]);
  return { op: "conv2d", inputs, attrs };
}
