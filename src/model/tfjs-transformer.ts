// Recognises a Tensor2Tensor-style transformer sentence encoder in a TF.js graph (Universal Sentence
// Encoder lite's "KonaTransformer": embedding + timing signal, pre-norm layers, mean pooling, tanh
// layer, L2 normalisation), extracts its float weights, folds its shape/timing subgraphs for a fixed
// length, and records activation ranges on calibration token sequences with the float executor.
import { runTfjsGraph, tfjsTensor } from "./tfjs-exec.ts";
import { TfjsFormatError, type TfjsGraph, type TfjsTensor } from "./tfjs.ts";

export interface EncoderLinear {
  /** [in, out] */
  w: TfjsTensor;
  b: TfjsTensor;
}

export interface EncoderLayer {
  index: number;
  heads: number;
  /** Multiplier the graph applies to Q before Q·Kᵀ (1/√Dh). */
  qScale: number;
  epsilon: number;
  attnNorm: { gamma: TfjsTensor; beta: TfjsTensor };
  qkv: EncoderLinear;
  out: EncoderLinear;
  /** Projection of the residual when the layer widens the model (Layer_0: 256 → 512). */
  residual?: EncoderLinear;
  ffnNorm: { gamma: TfjsTensor; beta: TfjsTensor };
  ffn1: EncoderLinear;
  ffn2: EncoderLinear;
}

export interface TransformerEncoder {
  /** [vocab, d0] */
  embedding: TfjsTensor;
  /** The first layer's input is embeddingGain·embedding + timing (the timing block is residual: 2). */
  embeddingGain: number;
  layers: EncoderLayer[];
  pooledDense: EncoderLinear;
  /** Largest number of pieces the graph keeps (ClipToMaxLength). */
  maxLength: number;
}

const STACK = "module_apply_default/Encoder_en/KonaTransformer/Encode/TransformerStack";
const ENCODE = "module_apply_default/Encoder_en/KonaTransformer/Encode";
const KONA = "module_apply_default/Encoder_en/KonaTransformer";
const HIDDEN = "module_apply_default/Encoder_en/hidden_layers";

function constValue(g: TfjsGraph, name: string, missing: string[]): TfjsTensor {
  const t = g.weights.get(name);
  if (!t) missing.push(name);
  return t ?? tfjsTensor("float32", [1], [0]);
}

/** The constant feeding input `k` of node `name`. */
function constInput(g: TfjsGraph, name: string, k: number, missing: string[]): TfjsTensor {
  const node = g.nodes.find((n) => n.name === name);
  const ref = node?.inputs[k];
  if (!ref) {
    missing.push(`${name} (input ${k})`);
    return tfjsTensor("float32", [1], [0]);
  }
  return constValue(g, ref, missing);
}

function matrix(t: TfjsTensor): TfjsTensor {
  // 1×1 convolution kernels [1,1,in,out] are dense [in,out].
  return { ...t, shape: t.shape.slice(-2) };
}

/** Finds every weight of the encoder; a graph of another structure gets one error listing all missing pieces. */
export function extractTransformerEncoder(g: TfjsGraph): TransformerEncoder {
  const missing: string[] = [];
  const layerIds = [...new Set(g.nodes.flatMap((n) => /TransformerStack\/Layer_(\d+)\/TransformerLayer\/MultiheadAttention\/qkv_transform_single\/Conv2D$/.exec(n.name)?.[1] ?? []))]
    .map(Number)
    .sort((a, b) => a - b);
  if (!layerIds.length) missing.push(`${STACK}/Layer_*/TransformerLayer/MultiheadAttention/qkv_transform_single/Conv2D`);
  const linear = (w: string, b: string): EncoderLinear => ({ w: matrix(constValue(g, w, missing)), b: constValue(g, b, missing) });
  const norm = (prefix: string) => ({
    gamma: constValue(g, `${prefix}/layer_norm_scale/ConcatPartitions/concat`, missing),
    beta: constValue(g, `${prefix}/layer_norm_bias/ConcatPartitions/concat`, missing),
  });
  const layers = layerIds.map((i): EncoderLayer => {
    const enc = `${ENCODE}/Layer_${i}/TransformerLayer`;
    const stack = `${STACK}/Layer_${i}/TransformerLayer`;
    const mha = `${enc}/MultiheadAttention`;
    const hasResidual = g.weights.has(`${enc}/dense/kernel/ConcatPartitions/concat`);
    return {
      index: i,
      heads: constInput(g, `${stack}/MultiheadAttention/split_heads/split_last_dimension/Reshape/shape`, 2, missing).data[0]!,
      qScale: constInput(g, `${stack}/MultiheadAttention/mul`, 1, missing).data[0]!,
      epsilon: constInput(g, `${stack}/layer_prepostprocess/layer_norm/add`, 1, missing).data[0]!,
      attnNorm: norm(`${enc}/layer_prepostprocess/layer_norm`),
      qkv: linear(`module/Encoder_en/KonaTransformer/Encode/Layer_${i}/TransformerLayer/MultiheadAttention/qkv_transform_single/kernel/part_0`, `${mha}/qkv_transform_single/bias/ConcatPartitions/concat`),
      out: linear(`module/Encoder_en/KonaTransformer/Encode/Layer_${i}/TransformerLayer/MultiheadAttention/output_transform_single/kernel/part_0`, `${mha}/output_transform_single/bias/ConcatPartitions/concat`),
      ...(hasResidual ? { residual: linear(`${enc}/dense/kernel/ConcatPartitions/concat`, `${enc}/dense/bias/ConcatPartitions/concat`) } : {}),
      ffnNorm: norm(`${enc}/FFN/layer_prepostprocess/layer_norm`),
      ffn1: linear(`${stack}/FFN/conv1/Tensordot/Reshape_1`, `${enc}/FFN/conv1/bias/ConcatPartitions/concat`),
      ffn2: linear(`${stack}/FFN/conv2/Tensordot/Reshape_1`, `${enc}/FFN/conv2/bias/ConcatPartitions/concat`),
    };
  });
  // Layer_0/add sums the scattered embeddings and the timing block's output, itself embeddings + timing.
  const stackIn = g.nodes.find((n) => n.name === `${STACK}/Layer_0/add`);
  const residualTiming = stackIn?.inputs.includes(`${ENCODE}/Scatter/ScatterNd`) && stackIn.inputs.includes(`${STACK}/Layer_0/AddTimingSignal/Scatter/ScatterNd`);
  if (!residualTiming) missing.push(`${STACK}/Layer_0/add (embeddings + timing block)`);
  const encoder: TransformerEncoder = {
    embedding: constValue(g, "module/Embeddings_en", missing),
    embeddingGain: 2,
    layers,
    pooledDense: linear("module/Encoder_en/hidden_layers/tanh_layer_0/weights", "module/Encoder_en/hidden_layers/tanh_layer_0/bias"),
    maxLength: constInput(g, `${KONA}/ClipToMaxLength/Less`, 1, missing).data[0]!,
  };
  if (missing.length) {
    throw new TfjsFormatError(`not a KonaTransformer sentence encoder; missing ${missing.length} piece(s): ${missing.join(", ")}`);
  }
  return encoder;
}

/** Feeds for one tokenized sentence, as the package's runtime builds them (batch of one). */
export function encoderFeeds(ids: readonly number[]): Map<string, TfjsTensor> {
  return new Map([
    ["indices", tfjsTensor("int32", [ids.length, 2], ids.flatMap((_, i) => [0, i]))],
    ["values", tfjsTensor("int32", [ids.length], ids)],
  ]);
}

/** The timing signal for positions 0 … length−1, folded offline by running its subgraph. */
export function timingSignal(g: TfjsGraph, length: number): TfjsTensor {
  const name = `${STACK}/Layer_0/AddTimingSignal/TimingSignal/concat`;
  const t = runTfjsGraph(g, encoderFeeds(new Array<number>(length).fill(1)), [name]).get(name)!;
  return { ...t, shape: t.shape.slice(-2) };
}

/** Graph values whose ranges fix the activation scales. */
export function calibrationTaps(layers: readonly EncoderLayer[]): Record<string, string> {
  const taps: Record<string, string> = {
    embedded: `${STACK}/Layer_0/add`,
    pooled: `${KONA}/div`,
    tanhIn: `${HIDDEN}/tanh_layer_0/BiasAdd`,
    output: `${HIDDEN}/l2_normalize`,
  };
  for (const l of layers) {
    const p = `${STACK}/Layer_${l.index}/TransformerLayer`;
    taps[`L${l.index}.q`] = `${p}/MultiheadAttention/split:0`;
    taps[`L${l.index}.k`] = `${p}/MultiheadAttention/split:1`;
    taps[`L${l.index}.v`] = `${p}/MultiheadAttention/split:2`;
    taps[`L${l.index}.attn`] = `${p}/MultiheadAttention/combine_heads/combine_last_two_dimensions/Reshape`;
    taps[`L${l.index}.out`] = `${p}/MultiheadAttention/Squeeze_1`;
    if (l.residual) taps[`L${l.index}.residual`] = `${p}/AdjustResidualInput/dense/BiasAdd`;
    taps[`L${l.index}.mid`] = `${p}/layer_postprocess/add`;
    taps[`L${l.index}.relu`] = `${p}/FFN/conv1/Relu`;
    taps[`L${l.index}.ffn`] = `${p}/FFN/Squeeze`;
    taps[`L${l.index}.end`] = `${p}/FFN/layer_postprocess/add`;
  }
  return taps;
}

/** Largest |value| of each tap per channel (last dimension), plus each layer norm's normalized output ("<tap>.normalized"). */
export type ActivationRanges = Map<string, Float64Array>;

function channelMax(t: TfjsTensor, into: Float64Array | undefined): Float64Array {
  const n = t.shape[t.shape.length - 1]!;
  const out = into ?? new Float64Array(n);
  for (let k = 0; k < t.data.length; k++) out[k % n] = Math.max(out[k % n]!, Math.abs(t.data[k]!));
  return out;
}

function normalizedRows(t: TfjsTensor, epsilon: number): TfjsTensor {
  const n = t.shape[t.shape.length - 1]!;
  const out = new Float32Array(t.data.length);
  for (let r = 0; r < t.data.length; r += n) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += t.data[r + i]!;
    mean /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (t.data[r + i]! - mean) ** 2;
    const inv = 1 / Math.sqrt(v / n + epsilon);
    for (let i = 0; i < n; i++) out[r + i] = (t.data[r + i]! - mean) * inv;
  }
  return { dtype: "float32", shape: t.shape, data: out };
}

/** Runs the float graph on each token sequence and keeps the largest |value| per tap and channel. */
export function calibrateEncoder(g: TfjsGraph, encoder: TransformerEncoder, sequences: readonly (readonly number[])[]): ActivationRanges {
  const taps = calibrationTaps(encoder.layers);
  const ranges: ActivationRanges = new Map();
  const keep = (key: string, t: TfjsTensor) => ranges.set(key, channelMax(t, ranges.get(key)));
  const eps = encoder.layers[0]!.epsilon;
  for (const ids of sequences) {
    const values = runTfjsGraph(g, encoderFeeds(ids.slice(0, encoder.maxLength)), Object.values(taps));
    for (const [key, name] of Object.entries(taps)) {
      const t = values.get(name)!;
      keep(key, t);
      if (key === "embedded" || key.endsWith(".mid") || key.endsWith(".end")) keep(`${key}.normalized`, normalizedRows(t, eps));
    }
  }
  return ranges;
}
