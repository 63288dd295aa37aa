// BigInt oracles for matmul and conv2d, written straight from docs/ops.md and independent of the
// engine's kernels: every sum is exact, saturation and requantization follow the formulas literally.
import { requantizeBig } from "../../../src/engine/requant.ts";
import type { Attrs } from "../../../src/engine/op.ts";
import type { DType } from "../../../src/engine/tensor.ts";

export interface PlainTensor {
  dtype: DType;
  shape: number[];
  data: number[];
}

const OUT: DType[] = ["int8", "int16", "int32"];
const I32_MIN = -(2n ** 31n);
const I32_MAX = 2n ** 31n - 1n;
const sat32 = (v: bigint): bigint => (v < I32_MIN ? I32_MIN : v > I32_MAX ? I32_MAX : v);

function list(attrs: Attrs, name: string): number[] | undefined {
  const v = attrs[name];
  return v === undefined ? undefined : typeof v === "number" ? [v] : [...v];
}

/** The output stage: channel c = index's channel; int32 unless requantized. */
function outputStage(acc: bigint, channel: number, attrs: Attrs): { dtype: DType; value: bigint } {
  const dtype = OUT[(attrs["outDtype"] as number | undefined) ?? 2]!;
  const m = list(attrs, "multiplier");
  if (!m) return { dtype, value: acc };
  const s = list(attrs, "shift")!;
  const c = m.length === 1 ? 0 : channel;
  const z = BigInt((attrs["zeroPoint"] as number | undefined) ?? 0);
  return { dtype, value: requantizeBig(acc, BigInt(m[c]!), BigInt(s[c]!), z, dtype) };
}

function prod(shape: number[]): number {
  return shape.reduce((x, y) => x * y, 1);
}

/** Flat index into `shape` of the broadcast multi-index `idx` (right-aligned, size-1 dims stretch). */
function broadcastFlat(idx: number[], shape: number[]): number {
  let flat = 0;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    const v = idx[idx.length - shape.length + i]!;
    flat = flat * d + (d === 1 ? 0 : v);
  }
  return flat;
}

function unravel(flat: number, shape: number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    idx[i] = flat % shape[i]!;
    flat = Math.floor(flat / shape[i]!);
  }
  return idx;
}

export function matmulOracle(a: PlainTensor, b: PlainTensor, bias: PlainTensor | undefined, attrs: Attrs): PlainTensor {
  const transB = attrs["transB"] === 1;
  const aZero = BigInt((attrs["aZero"] as number | undefined) ?? 0);
  const M = a.shape.at(-2)!;
  const K = a.shape.at(-1)!;
  const N = transB ? b.shape.at(-2)! : b.shape.at(-1)!;
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const rank = Math.max(aBatch.length, bBatch.length);
  const batch: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = aBatch[i - (rank - aBatch.length)] ?? 1;
    const db = bBatch[i - (rank - bBatch.length)] ?? 1;
    batch.push(da === 1 ? db : da);
  }
  const out: number[] = [];
  let dtype: DType = "int32";
  for (let bi = 0; bi < prod(batch); bi++) {
    const idx = unravel(bi, batch);
    const ao = broadcastFlat(idx, aBatch) * M * K;
    const bo = broadcastFlat(idx, bBatch) * K * N;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let sum = bias ? BigInt(bias.data[j]!) : 0n;
        for (let p = 0; p < K; p++) {
          const bv = transB ? b.data[bo + j * K + p]! : b.data[bo + p * N + j]!;
          sum += (BigInt(a.data[ao + i * K + p]!) - aZero) * BigInt(bv);
        }
        const r = outputStage(sat32(sum), j, attrs);
        dtype = r.dtype;
        out.push(Number(r.value));
      }
    }
  }
  if (out.length === 0) dtype = OUT[(attrs["outDtype"] as number | undefined) ?? 2]!;
  return { dtype, shape: [...batch, M, N], data: out };
}

export function conv2dOracle(x: PlainTensor, w: PlainTensor, bias: PlainTensor | undefined, attrs: Attrs): PlainTensor {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [CO, CG, KH, KW] = w.shape as [number, number, number, number];
  const groups = (attrs["groups"] as number | undefined) ?? 1;
  const [sh, sw] = (list(attrs, "strides") ?? [1, 1]) as [number, number];
  const [dh, dw] = (list(attrs, "dilations") ?? [1, 1]) as [number, number];
  const [pt, pl, pb, pr] = (list(attrs, "pads") ?? [0, 0, 0, 0]) as [number, number, number, number];
  const z = BigInt((attrs["xZero"] as number | undefined) ?? 0);
  const HO = Math.floor((H + pt + pb - dh * (KH - 1) - 1) / sh) + 1;
  const WO = Math.floor((W + pl + pr - dw * (KW - 1) - 1) / sw) + 1;
  const coutG = CO / groups;
  const out: number[] = [];
  for (let n = 0; n < N; n++) {
    for (let oc = 0; oc < CO; oc++) {
      const g = Math.floor(oc / coutG);
      for (let oh = 0; oh < HO; oh++) {
        for (let ow = 0; ow < WO; ow++) {
          let sum = bias ? BigInt(bias.data[oc]!) : 0n;
          for (let ic = 0; ic < CG; ic++) {
            for (let ky = 0; ky < KH; ky++) {
              for (let kx = 0; kx < KW; kx++) {
                const ih = oh * sh - pt + ky * dh;
                const iw = ow * sw - pl + kx * dw;
                // Padding is the zero point: x − z = 0.
                const xv = ih >= 0 && ih < H && iw >= 0 && iw < W ? BigInt(x.data[((n * C + g * CG + ic) * H + ih) * W + iw]!) : z;
                sum += (xv - z) * BigInt(w.data[((oc * CG + ic) * KH + ky) * KW + kx]!);
              }
            }
          }
          out.push(Number(outputStage(sat32(sum), oc, attrs).value));
        }
      }
    }
  }
  return { dtype: OUT[(attrs["outDtype"] as number | undefined) ?? 2]!, shape: [N, CO, HO, WO], data: out };
}
