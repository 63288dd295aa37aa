// Lowers a TransformerEncoder (tfjs-transformer.ts) to an integer tensor program for a fixed number
// of token slots. Weights: int8, one scale per output channel, layer-norm gains and biases folded
// into the next matmul; inside the transformer layers each weight is two int8 digits (hi + lo/256). Activations: int16 residual stream (one scale, so residual adds are plain
// saturating adds), int16 layer-norm outputs, Q/K/V, attention outputs and ReLU hidden layer,
// tanh as a two-way int16 softmax, int8 output. Scales come from calibration ranges; floats are used here only to choose integers.
import { tensor, type DType, type Tensor } from "../engine/tensor.ts";
import type { Attrs } from "../engine/op.ts";
import type { Program } from "../codec/program.ts";
import { ProgramBuilder, type ValueRef } from "./compile.ts";
import { requantParams } from "./quantize.ts";
import type { ActivationRanges, EncoderLayer, EncoderLinear, TransformerEncoder } from "./tfjs-transformer.ts";
import type { TfjsTensor } from "./tfjs.ts";
import { TfjsFormatError } from "./tfjs.ts";

/** Calibration ranges are widened by these factors: the residual stream has int16 headroom to spare. */
export const RESIDUAL_HEADROOM = 2;
export const INT8_HEADROOM = 1.1;
/** K per matmul for int16 rows: 256·65535·128 < 2^31 keeps every partial sum in int32 (the fast kernels' bound), even with zero point −32768. */
export const INT16_K_CHUNK = 256;

/** The real value of one unit of `pool` weights: the caller passes round(2^16 / validCount). */
export const POOL_WEIGHT_ONE = 2 ** 16;
/** The mul before the pooling sum drops these bits to keep the weighted rows in int32. */
const POOL_SHIFT = 8;

export interface EncoderProgram {
  program: Program;
  /** Token slots: inputs are ids int32 [slots] and pool weights int32 [slots, 1]. */
  slots: number;
  /** Real value of one unit of the int8 [1, dim] output (a unit vector's components). */
  outputScale: number;
  dim: number;
  /** What each node computes, by node index (for reports and debugging). */
  labels: string[];
}

const OUT = { int8: 0, int16: 1, int32: 2 } as const;

function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]!));
  return m;
}

function scaleOf(range: number, dtype: "int8" | "int16", headroom: number): number {
  return (range > 0 ? range * headroom : 1) / (dtype === "int8" ? 127 : 32767);
}

function quantizeTensor(values: ArrayLike<number>, shape: number[], scale: number, dtype: DType): Tensor {
  const hi = dtype === "int8" ? 127 : 32767;
  return tensor(dtype, shape, Array.from(values, (v) => Math.max(-hi - 1, Math.min(hi, Math.round(v / scale)))));
}

/** A dense layer after folding: y = x·W + b with W [in, out] in floats. */
interface FloatLinear {
  w: Float64Array;
  b: Float64Array;
  inDim: number;
  outDim: number;
}

function floatLinear(l: EncoderLinear, cols?: [number, number]): FloatLinear {
  const [inDim, fullOut] = l.w.shape as [number, number];
  const [c0, c1] = cols ?? [0, fullOut];
  const outDim = c1 - c0;
  const w = new Float64Array(inDim * outDim);
  for (let i = 0; i < inDim; i++) for (let j = 0; j < outDim; j++) w[i * outDim + j] = l.w.data[i * fullOut + c0 + j]!;
  return { w, b: Float64Array.from(l.b.data.slice(c0, c1)), inDim, outDim };
}

/** Folds a preceding layer norm's gain γ and bias β into the linear layer: W' = diag(γ)·W, b' = b + βᵀ·W. */
function foldNorm(l: FloatLinear, gamma: TfjsTensor, beta: TfjsTensor): FloatLinear {
  const w = new Float64Array(l.w.length);
  const b = Float64Array.from(l.b);
  for (let i = 0; i < l.inDim; i++) {
    for (let j = 0; j < l.outDim; j++) {
      const v = l.w[i * l.outDim + j]!;
      w[i * l.outDim + j] = v * gamma.data[i]!;
      b[j]! += beta.data[i]! * v;
    }
  }
  return { ...l, w, b };
}

class EncoderLowering {
  readonly b = new ProgramBuilder();

  /**
   * Matmul with per-output-channel int8 weights, requantized to one output scale. int16 rows over
   * more than 256 inputs are split into K-chunks summed in int32 (see INT16_K_CHUNK). With
   * `wideWeights`, each weight is two int8 digits (w ≈ (hi + lo/256)·s_c): two products, the low one
   * scaled by 1/256 in int32, for layers whose outputs cancel against the residual stream.
   */
  linear(x: ValueRef, inScale: number, l: FloatLinear, out: { dtype: "int8" | "int16"; scale: number; zeroPoint?: number; xZero?: number; wideWeights?: boolean }, label: string): ValueRef {
    const hi = new Array<number>(l.w.length);
    const lo = new Array<number>(l.w.length);
    const bias: number[] = [];
    const multiplier: number[] = [];
    const shift: number[] = [];
    for (let j = 0; j < l.outDim; j++) {
      let m = 0;
      for (let i = 0; i < l.inDim; i++) m = Math.max(m, Math.abs(l.w[i * l.outDim + j]!));
      const ws = m > 0 ? m / 127 : 1;
      for (let i = 0; i < l.inDim; i++) {
        const v = l.w[i * l.outDim + j]! / ws;
        hi[i * l.outDim + j] = Math.round(v);
        lo[i * l.outDim + j] = Math.max(-128, Math.min(127, Math.round((v - Math.round(v)) * 256)));
      }
      bias.push(Math.round(l.b[j]! / (inScale * ws)));
      const r = requantParams((inScale * ws) / out.scale);
      multiplier.push(r.multiplier);
      shift.push(r.shift);
    }
    const bq = this.b.constant(tensor("int32", [l.outDim], bias));
    const outAttrs: Attrs = {
      outDtype: OUT[out.dtype],
      multiplier,
      shift,
      ...(out.zeroPoint ? { zeroPoint: out.zeroPoint } : {}),
    };
    const zero: Attrs = out.xZero ? { aZero: out.xZero } : {};
    const chunk = this.b.meta(x).dtype === "int16" ? INT16_K_CHUNK : l.inDim;
    if (l.inDim <= chunk && !out.wideWeights) {
      const w = this.b.constant(tensor("int8", [l.inDim, l.outDim], hi));
      return this.b.one("matmul", [x, w, bq], { ...outAttrs, ...zero }, label);
    }
    let acc = this.products(x, hi, l, chunk, bq, zero, label);
    if (out.wideWeights) {
      const low = this.products(x, lo, l, chunk, undefined, zero, `${label} (low digits)`);
      // 2^16/2^24 = 1/256 with a multiplier ≥ 2^16: the rescale stays on the exact double path.
      acc = this.b.one("add", [acc, low], { bMultiplier: 2 ** 16, bShift: 24 }, `${label}: high + low/256`);
    }
    return this.b.one("requantize", [acc], { ...outAttrs, axis: -1 }, label);
  }

  /** x·W in int32 (bias on the first part), K-chunked for int16 rows over INT16_K_CHUNK inputs. */
  private products(x: ValueRef, wq: number[], l: FloatLinear, chunk: number, bias: ValueRef | undefined, zero: Attrs, label: string): ValueRef {
    let acc: ValueRef | undefined;
    for (let k0 = 0; k0 < l.inDim; k0 += chunk) {
      const k1 = Math.min(l.inDim, k0 + chunk);
      const xs = chunk >= l.inDim ? x : this.b.one("slice", [x], { starts: [k0], ends: [k1], axes: [1] }, `${label}: inputs ${k0}…${k1 - 1}`);
      const w = this.b.constant(tensor("int8", [k1 - k0, l.outDim], wq.slice(k0 * l.outDim, k1 * l.outDim)));
      const part = this.b.one("matmul", !acc && bias ? [xs, w, bias] : [xs, w], zero, `${label}: partial product`);
      acc = acc ? this.b.one("add", [acc, part], {}, `${label}: partial sum`) : part;
    }
    return acc!;
  }

  /** Saturating int16 add of two tensors at the same scale: the op's identity path, no rescaling. */
  add(a: ValueRef, bRef: ValueRef, label: string): ValueRef {
    return this.b.one("add", [a, bRef], {}, label);
  }

  /** Layer norm with unit gain to int16 at `outScale` (the real gain and bias go into the next matmul). */
  norm(x: ValueRef, xScale: number, dim: number, epsilon: number, outScale: number, label: string): ValueRef {
    const gamma = this.b.constant(tensor("int8", [dim], new Array<number>(dim).fill(1)));
    const r = requantParams(1 / (4096 * outScale));
    return this.b.one("layer_norm", [x, gamma], {
      axis: -1,
      epsilon: Math.max(0, Math.round(epsilon / (xScale * xScale))),
      multiplier: r.multiplier,
      shift: r.shift,
      outDtype: OUT.int16,
    }, label);
  }
}

function channels(ranges: ActivationRanges, key: string): Float64Array {
  const v = ranges.get(key);
  if (v === undefined) throw new TfjsFormatError(`calibration has no range for "${key}"`);
  return v;
}

function range(ranges: ActivationRanges, key: string): number {
  return maxAbs(channels(ranges, key));
}

/**
 * Builds the program. Inputs: token ids int32 [slots] (padding: any id, e.g. 0) and pool weights
 * int32 [slots, 1] (round(2^16/n) on the n valid slots, 0 on padding). Output: int8 [1, dim].
 */
export function buildEncoderProgram(enc: TransformerEncoder, timing: TfjsTensor, ranges: ActivationRanges, slots: number): EncoderProgram {
  if (!Number.isInteger(slots) || slots < 1 || slots > timing.shape[0]!) {
    throw new TfjsFormatError(`token slots must be an integer in [1, ${timing.shape[0]}], got ${slots}`);
  }
  const L = new EncoderLowering();
  const b = L.b;
  const ids = b.input("int32", [slots]);
  const poolWeights = b.input("int32", [slots, 1]);
  // Any positive pool weight saturates to 127: a boolean mask for the attention op.
  const valid = b.one("requantize", [poolWeights], { outDtype: OUT.int8, multiplier: [1], shift: [0] }, "validity mask");
  const mask = b.one("reshape", [valid], { shape: [1, 1, 1, slots] }, "attention mask");

  // One int16 scale for the whole residual stream, so every residual add is a plain saturating add.
  const streamKeys = enc.layers.flatMap((l) => ["out", "mid", "ffn", "end", ...(l.residual ? ["residual"] : [])].map((k) => `L${l.index}.${k}`));
  const streamScale = scaleOf(Math.max(...streamKeys.map((k) => range(ranges, k))), "int16", RESIDUAL_HEADROOM);

  // Embeddings (times the timing block's residual gain) and timing signal share one int16 scale.
  const d0 = enc.embedding.shape[1]!;
  const gained = Float32Array.from(enc.embedding.data, (v) => v * enc.embeddingGain);
  // The bound |table| + |timing| keeps their sum inside int16 for every token at every position.
  const x0Scale = enc.layers[0]!.residual ? (maxAbs(gained) + maxAbs(timing.data)) / 32767 : streamScale;
  const table = b.constant(quantizeTensor(gained, [...enc.embedding.shape], x0Scale, "int16"));
  const timingQ = b.constant(quantizeTensor(timing.data.slice(0, slots * d0), [slots, d0], x0Scale, "int16"));
  const embedded = b.one("gather", [table, ids], { axis: 0 }, "embedding lookup");
  let x = L.add(embedded, timingQ, "add timing signal");
  let xScale = x0Scale;
  let normKey = "embedded.normalized";

  for (const layer of enc.layers) {
    x = lowerLayer(L, layer, x, xScale, streamScale, mask, ranges, normKey, slots);
    xScale = streamScale;
    normKey = `L${layer.index}.end.normalized`;
  }
  const last = enc.layers[enc.layers.length - 1]!;
  const dim = last.ffn2.w.shape[1]!;

  // Mean over valid slots: Σ x·w with w = 2^16/n, then requantized to int16.
  const weighted = b.one("mul", [x, poolWeights], { multiplier: 1, shift: POOL_SHIFT, outDtype: OUT.int32 }, "pool: weight rows");
  const summed = b.one("reduce_sum", [weighted], { axes: [0], keepdims: 1 }, "pool: sum rows");
  const pooledScale = scaleOf(range(ranges, "pooled"), "int16", RESIDUAL_HEADROOM);
  const sumUnit = (xScale * 2 ** POOL_SHIFT) / POOL_WEIGHT_ONE;
  const rp = requantParams(sumUnit / pooledScale);
  const pooled = b.one("requantize", [summed], { outDtype: OUT.int16, multiplier: [rp.multiplier], shift: [rp.shift] }, "pool: mean");

  // tanh(x) = σ(2x) − σ(−2x): a two-way softmax over (x, 0) at twice x's scale, then the difference
  // of its Q15 probabilities. Unlike a 256-entry table this keeps the dense layer's int16 resolution.
  const tanhDim = enc.pooledDense.w.shape[1]!;
  const tanhInScale = scaleOf(range(ranges, "tanhIn"), "int16", RESIDUAL_HEADROOM);
  const tanhIn = L.linear(pooled, pooledScale, floatLinear(enc.pooledDense), { dtype: "int16", scale: tanhInScale, wideWeights: true }, "tanh layer: dense");
  const column = b.one("reshape", [tanhIn], { shape: [tanhDim, 1] }, "tanh layer: x as a column");
  const pair = b.one("concat", [column, b.constant(tensor("int16", [tanhDim, 1], new Array<number>(tanhDim).fill(0)))], { axis: 1 }, "tanh layer: (x, 0)");
  const twice = requantParams(2 * tanhInScale);
  const sigmoids = b.one("softmax", [pair], { axis: -1, multiplier: twice.multiplier, shift: twice.shift, outDtype: OUT.int16 }, "tanh layer: σ(2x), σ(−2x)");
  const half = (k: number) => b.one("slice", [sigmoids], { starts: [k], ends: [k + 1], axes: [1] }, `tanh layer: σ(${k ? "−" : ""}2x)`);
  const tanhCol = b.one("sub", [half(0), half(1)], {}, "tanh layer: tanh at 2^−15");
  const tanhOut = b.one("reshape", [tanhCol], { shape: [1, tanhDim] }, "tanh layer: row");

  // L2 normalisation = rms_norm / √dim; the output scale covers the calibrated components.
  const outputScale = scaleOf(range(ranges, "output"), "int8", INT8_HEADROOM);
  const unitGain = b.constant(tensor("int8", [dim], new Array<number>(dim).fill(1)));
  const rn = requantParams(1 / (4096 * Math.sqrt(dim) * outputScale));
  const y = b.one("rms_norm", [tanhOut, unitGain], { axis: -1, multiplier: rn.multiplier, shift: rn.shift, outDtype: OUT.int8 }, "l2 normalize");
  const { program, labels } = b.build([y]);
  return { program, slots, outputScale, dim, labels };
}

function lowerLayer(
  L: EncoderLowering,
  layer: EncoderLayer,
  x: ValueRef,
  xScale: number,
  streamScale: number,
  mask: ValueRef,
  ranges: ActivationRanges,
  normKey: string,
  slots: number,
): ValueRef {
  const b = L.b;
  const p = `L${layer.index}`;
  const dModel = layer.qkv.w.shape[1]! / 3;
  const nScale = scaleOf(range(ranges, normKey), "int16", RESIDUAL_HEADROOM);
  const n = L.norm(x, xScale, layer.qkv.w.shape[0]!, layer.epsilon, nScale, `${p} attention layer norm`);
  const qkv = ["q", "k", "v"].map((name, i) => {
    const lin = foldNorm(floatLinear(layer.qkv, [i * dModel, (i + 1) * dModel]), layer.attnNorm.gamma, layer.attnNorm.beta);
    // int16: retrieval ranks hinge on small embedding differences, and int8 Q/K/V were their largest source.
    const scale = scaleOf(range(ranges, `${p}.${name}`), "int16", RESIDUAL_HEADROOM);
    const ref = L.linear(n, nScale, lin, { dtype: "int16", scale, wideWeights: true }, `${p} ${name} projection`);
    return { ref: b.one("reshape", [ref], { shape: [1, slots, dModel] }, `${p} ${name} packed`), scale };
  });
  const [q, k, v] = qkv as [(typeof qkv)[0], (typeof qkv)[0], (typeof qkv)[0]];
  const attnScale = scaleOf(range(ranges, `${p}.attn`), "int16", RESIDUAL_HEADROOM);
  const rs = requantParams(q.scale * k.scale * layer.qScale);
  const rpv = requantParams(v.scale / (2 ** 15 * attnScale));
  const attn = b.one("attention", [q.ref, k.ref, v.ref, mask], {
    q_num_heads: layer.heads,
    kv_num_heads: layer.heads,
    scoreMultiplier: rs.multiplier,
    scoreShift: rs.shift,
    outDtype: OUT.int16,
    multiplier: rpv.multiplier,
    shift: rpv.shift,
  }, `${p} attention`);
  const attnRows = b.one("reshape", [attn], { shape: [slots, dModel] }, `${p} attention rows`);
  const o = L.linear(attnRows, attnScale, floatLinear(layer.out), { dtype: "int16", scale: streamScale, wideWeights: true }, `${p} output projection`);
  let r = x;
  if (layer.residual) r = L.linear(x, xScale, floatLinear(layer.residual), { dtype: "int16", scale: streamScale, wideWeights: true }, `${p} residual projection`);
  else if (xScale !== streamScale) throw new TfjsFormatError(`layer ${layer.index} has no residual projection but its input is off the stream scale`);
  const mid = L.add(o, r, `${p} attention residual`);

  const n2Scale = scaleOf(range(ranges, `${p}.mid.normalized`), "int16", RESIDUAL_HEADROOM);
  const n2 = L.norm(mid, streamScale, layer.out.w.shape[1]!, layer.epsilon, n2Scale, `${p} ffn layer norm`);
  // ReLU for free: the int16 output has zero point −32768, so every negative accumulator clamps to real 0.
  const reluScale = (range(ranges, `${p}.relu`) * RESIDUAL_HEADROOM) / 65535;
  const h = L.linear(n2, n2Scale, foldNorm(floatLinear(layer.ffn1), layer.ffnNorm.gamma, layer.ffnNorm.beta), { dtype: "int16", scale: reluScale, zeroPoint: -32768, wideWeights: true }, `${p} ffn dense + relu`);
  const f = L.linear(h, reluScale, floatLinear(layer.ffn2), { dtype: "int16", scale: streamScale, xZero: -32768, wideWeights: true }, `${p} ffn output`);
  return L.add(f, mid, `${p} ffn residual`);
}
