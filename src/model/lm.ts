// The decoder language model compiler: a llama-architecture float model (RMSNorm, rotary positions,
// SwiGLU, grouped-query attention, tied embeddings) becomes integer TSTREAM step programs whose
// state is the KV cache (docs/lm.md). Offline only: floats choose the scales, the programs are integers.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeModel, readTensor } from "./onnx.ts";
import { ProgramBuilder, type ValueRef } from "./compile.ts";
import { requantParams } from "./quantize.ts";
import { lutOutputScale, lutTensor } from "./lut.ts";
import { InvalidArgumentError } from "../engine/errors.ts";
import { DTYPE_MAX, tensor, type DType, type Tensor, type TensorMeta } from "../engine/tensor.ts";
import type { Program } from "../codec/program.ts";
import { runProgram } from "../codec/program-run.ts";
import { inferProgram, type ProgramInfo } from "../codec/program-infer.ts";

/** Architecture, as scripts/train_lm.py writes it to config.json. */
export interface LmConfig {
  vocab_size: number;
  d_model: number;
  n_layers: number;
  n_heads: number;
  n_kv_heads: number;
  head_dim: number;
  ffn_hidden: number;
  max_context: number;
  rope_theta: number;
  norm_eps: number;
}

/** Activation absolute maxima over calibration text (calibration.json); arrays are per layer. */
export interface LmCalibration {
  resid: number[];
  attn_norm_out: number[];
  q: number[];
  k: number[];
  v: number[];
  attn_out: number[];
  ffn_norm_out: number[];
  gate: number[];
  up: number[];
  ffn_hidden: number[];
  final_norm_out: number;
  logits: number;
  [key: string]: number | number[];
}

/** A float weight: row-major data and shape. */
export interface FloatWeight {
  shape: number[];
  data: Float64Array;
}

export interface LmWeights {
  tokEmb: FloatWeight;
  layers: {
    attnNorm: FloatWeight;
    wq: FloatWeight;
    wk: FloatWeight;
    wv: FloatWeight;
    wo: FloatWeight;
    ffnNorm: FloatWeight;
    w1: FloatWeight;
    w3: FloatWeight;
    w2: FloatWeight;
  }[];
  finalNorm: FloatWeight;
}

/** Where the committed demo model lives (scripts/train_lm.py writes it). */
export const LM_DIR = join(import.meta.dirname, "../../models/lm");

export interface LmFiles {
  config: LmConfig;
  calibration: LmCalibration;
  weights: LmWeights;
  onnx: Uint8Array;
}

/** The architecture in `dir`/config.json (models/lm by default). */
export function readLmConfig(dir: string = LM_DIR): LmConfig {
  return JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as LmConfig;
}

/** Reads config.json, calibration.json and the weights from lm.onnx's initializers. */
export function loadLmFiles(dir: string = LM_DIR): LmFiles {
  const config = readLmConfig(dir);
  const calibration = JSON.parse(readFileSync(join(dir, "calibration.json"), "utf8")) as LmCalibration;
  const onnx = new Uint8Array(readFileSync(join(dir, "lm.onnx")));
  return { config, calibration, weights: readLmWeights(onnx, config), onnx };
}

/** The named initializers of the exported model (their names are fixed by the training script). */
export function readLmWeights(onnxBytes: Uint8Array, config: LmConfig): LmWeights {
  const model = decodeModel(onnxBytes);
  const byName = new Map<string, FloatWeight>();
  for (const t of model.graph?.initializer ?? []) {
    const h = readTensor(t);
    byName.set(t.name ?? "", { shape: h.shape, data: h.data });
  }
  const get = (name: string, shape: number[]): FloatWeight => {
    const w = byName.get(name);
    if (!w) throw new InvalidArgumentError("lm", "weights", `initializer "${name}" is missing from the ONNX file`);
    if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i])) {
      throw new InvalidArgumentError("lm", "weights", `initializer "${name}" has shape [${w.shape}], expected [${shape}]`);
    }
    return w;
  };
  const { d_model: d, n_heads: hq, n_kv_heads: hkv, head_dim: dh, ffn_hidden: f, vocab_size: v } = config;
  return {
    tokEmb: get("tok_emb", [v, d]),
    layers: Array.from({ length: config.n_layers }, (_, i) => ({
      attnNorm: get(`layers.${i}.attn_norm`, [d]),
      wq: get(`layers.${i}.wq`, [d, hq * dh]),
      wk: get(`layers.${i}.wk`, [d, hkv * dh]),
      wv: get(`layers.${i}.wv`, [d, hkv * dh]),
      wo: get(`layers.${i}.wo`, [hq * dh, d]),
      ffnNorm: get(`layers.${i}.ffn_norm`, [d]),
      w1: get(`layers.${i}.w1`, [d, f]),
      w3: get(`layers.${i}.w3`, [d, f]),
      w2: get(`layers.${i}.w2`, [f, d]),
    })),
    finalNorm: get("final_norm", [d]),
  };
}

// ---------------------------------------------------------------- quantization helpers

/** Rotary tables are Q14: cos/sin of at most 1 fit int16 with one bit to spare. */
const ROPE_SHIFT = 14;

function maxAbs(data: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < data.length; i++) m = Math.max(m, Math.abs(data[i]!));
  return m;
}

function quantizeTo(data: ArrayLike<number>, scale: number, dtype: DType): number[] {
  const hi = DTYPE_MAX[dtype], lo = -hi - 1;
  return Array.from(data, (x) => Math.min(hi, Math.max(lo, Math.round(x / scale))));
}

/**
 * A float [in, out] weight (applied as x @ W) as the int8 [out, in] matrix matmul takes with
 * transB = 1, one symmetric scale per output channel.
 */
function quantizeLinear(w: FloatWeight): { t: Tensor; scales: number[] } {
  const [rows, cols] = w.shape as [number, number];
  const scales: number[] = [];
  const q = new Int8Array(rows * cols);
  for (let c = 0; c < cols; c++) {
    let m = 0;
    for (let r = 0; r < rows; r++) m = Math.max(m, Math.abs(w.data[r * cols + c]!));
    const s = m > 0 ? m / 127 : 1;
    scales.push(s);
    for (let r = 0; r < rows; r++) q[c * rows + r] = Math.max(-127, Math.min(127, Math.round(w.data[r * cols + c]! / s)));
  }
  return { t: tensor("int8", [cols, rows], q), scales };
}

/** An int8 [V, D] matrix, one scale per row (the tied output embedding: channel = token). */
function quantizeRows(w: FloatWeight): { t: Tensor; scales: number[] } {
  const [rows, cols] = w.shape as [number, number];
  const scales: number[] = [];
  const q = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const s = maxAbs(w.data.subarray(r * cols, (r + 1) * cols)) / 127 || 1;
    scales.push(s);
    for (let c = 0; c < cols; c++) q[r * cols + c] = Math.max(-127, Math.min(127, Math.round(w.data[r * cols + c]! / s)));
  }
  return { t: tensor("int8", [rows, cols], q), scales };
}

function outputStage(realScales: readonly number[], outDtype: DType): { multiplier: number[]; shift: number[]; outDtype: number } {
  const m: number[] = [];
  const t: number[] = [];
  for (const r of realScales) {
    const p = requantParams(r);
    m.push(p.multiplier);
    t.push(p.shift);
  }
  return { multiplier: m, shift: t, outDtype: ["int8", "int16", "int32"].indexOf(outDtype) };
}

/**
 * M/2^t ≈ r with M < 2^bits: for `mul`, whose products reach 2^30, so that product·M stays an exact
 * double (the op's fast path; a wider M would send every element through BigInt). 2^-21 relative
 * precision is far below the int16 rounding that follows.
 */
function narrowScale(r: number, bits = 21): { multiplier: number; shift: number } {
  const wide = requantParams(r);
  let { multiplier, shift } = wide;
  while (multiplier >= 2 ** bits && shift > 0) {
    shift--;
    multiplier = Math.round(r * 2 ** shift);
  }
  return { multiplier, shift };
}

// ---------------------------------------------------------------- the step program

/** How a step gets its token, and what it emits per step. */
export interface StepProgramOptions {
  /** "state": the previous token (generation); "input": the step's xs slice (prompt prefill, scoring). */
  token: "state" | "input";
  /** "token": the sampled next token; "logits": int16 logits at `logitScale` (fidelity measurement). */
  emit: "token" | "logits";
}

/** The integer model: its scales and everything a step program is built from. */
export interface CompiledLm {
  config: LmConfig;
  /** Real value of one int16 logit unit. */
  logitScale: number;
  /** Real value of one unit of the residual stream (int16). */
  residScale: number;
  /** The state a step program threads, in order (docs/lm.md#state). */
  stateMetas: TensorMeta[];
  build(options: StepProgramOptions): Program;
}

export const STATE_NAMES = ["token", "position", "seed", "sampler"] as const;
/** Index of the first KV-cache tensor in the state; layer i's K is at 4 + 2i, its V at 5 + 2i. */
export const STATE_KV_START = 4;

/** Scale choices: how far above the calibrated maximum each activation's range reaches. */
export interface LmQuantOptions {
  /** Headroom of the int16 residual stream over its calibrated max. */
  residHeadroom?: number;
  /** Headroom of int8 activations. */
  int8Headroom?: number;
}

/**
 * Quantizes the float weights with the calibration maxima. The result builds step programs; all of
 * them share the same weights (content-addressed, so they are stored once).
 */
export function compileLm(config: LmConfig, weights: LmWeights, calib: LmCalibration, options: LmQuantOptions = {}): CompiledLm {
  const { d_model: D, n_heads: Hq, n_kv_heads: Hkv, head_dim: Dh, vocab_size: V, max_context: T } = config;
  const L = config.n_layers;
  if (Dh % 2 !== 0) throw new InvalidArgumentError("lm", "head_dim", "must be even for rotary positions");
  const residHead = options.residHeadroom ?? 1.25;
  const int8Head = options.int8Headroom ?? 1.0;
  const s8 = (m: number) => (m * int8Head) / 127;
  const s16 = (m: number, head = 1.5) => (m * head) / 32767;

  const sH = s16(Math.max(...calib.resid, maxAbs(weights.tokEmb.data)), residHead);
  // Input embedding: int16 per tensor so a gathered row needs only one requantization into the stream.
  const embScale = maxAbs(weights.tokEmb.data) / 32767;
  const embIn = tensor("int16", [V, D], quantizeTo(weights.tokEmb.data, embScale, "int16"));
  const embOut = quantizeRows(weights.tokEmb);
  const sLogit = s16(calib.logits, 1.25);

  const normGamma = (g: FloatWeight) => {
    const s = maxAbs(g.data) / 127 || 1;
    return { t: tensor("int8", [g.data.length], quantizeTo(g.data, s, "int8")), scale: s };
  };
  // epsilon in input units² (rms_norm's definition), at least 1 so an all-zero row stays defined.
  const epsUnits = Math.max(1, Math.round(config.norm_eps / (sH * sH)));

  const layers = weights.layers.map((w, i) => ({
    attnNorm: normGamma(w.attnNorm),
    ffnNorm: normGamma(w.ffnNorm),
    wq: quantizeLinear(w.wq),
    wk: quantizeLinear(w.wk),
    wv: quantizeLinear(w.wv),
    wo: quantizeLinear(w.wo),
    w1: quantizeLinear(w.w1),
    w3: quantizeLinear(w.w3),
    w2: quantizeLinear(w.w2),
    sN: s8(calib.attn_norm_out[i]!),
    sQ16: s16(calib.q[i]!),
    sQ: s8(calib.q[i]!),
    sK16: s16(calib.k[i]!),
    sK: s8(calib.k[i]!),
    sV: s8(calib.v[i]!),
    sO: s8(calib.attn_out[i]!),
    sN2: s8(calib.ffn_norm_out[i]!),
    sG: s8(calib.gate[i]!),
    sU: s16(calib.up[i]!),
    sM: s16(calib.ffn_hidden[i]!),
  }));
  const finalNorm = normGamma(weights.finalNorm);
  const sNF = s8(calib.final_norm_out);

  // Rotary tables, Q14, rows = positions: cos repeated over both halves; sin signed for rotate_half.
  const cosQ: number[] = [];
  const sinQ: number[] = [];
  for (let p = 0; p < T; p++) {
    for (let j = 0; j < Dh; j++) {
      const i = j % (Dh / 2);
      const angle = p * Math.pow(config.rope_theta, (-2 * i) / Dh);
      cosQ.push(Math.round(Math.cos(angle) * 2 ** ROPE_SHIFT));
      sinQ.push(Math.round((j < Dh / 2 ? -1 : 1) * Math.sin(angle) * 2 ** ROPE_SHIFT));
    }
  }
  const cosTab = tensor("int16", [T, Dh], cosQ);
  const sinTab = tensor("int16", [T, Dh], sinQ);
  // Row p of `eye` is the one-hot of position p (where the new K/V go); row p of `causal` allows keys 0…p.
  const halfSwap = tensor("int32", [Dh], Array.from({ length: Dh }, (_, i) => (i + Dh / 2) % Dh));
  const eye = tensor("int8", [T, T], Array.from({ length: T * T }, (_, k) => (Math.floor(k / T) === k % T ? 1 : 0)));
  const causal = tensor("int8", [T, T], Array.from({ length: T * T }, (_, k) => (k % T <= Math.floor(k / T) ? 1 : 0)));

  const stateMetas: TensorMeta[] = [
    { dtype: "int32", shape: [1] },
    { dtype: "int32", shape: [1] },
    { dtype: "int32", shape: [8] },
    { dtype: "int32", shape: [4] },
  ];
  for (let i = 0; i < L; i++) {
    stateMetas.push({ dtype: "int8", shape: [1, Hkv, T, Dh] }, { dtype: "int8", shape: [1, Hkv, T, Dh] });
  }

  function build(opts: StepProgramOptions): Program {
    const b = new ProgramBuilder();
    const st = stateMetas.map((m) => b.input(m.dtype, m.shape));
    const [tokState, pos, seed, sampler] = st as [ValueRef, ValueRef, ValueRef, ValueRef];
    const tok = opts.token === "input" ? b.input("int32", [1]) : tokState;
    const c = (t: Tensor) => b.constant(t);

    // Embedding row → residual stream scale.
    const e = b.one("gather", [c(embIn), tok], { axis: 0 }, "embedding");
    let h = b.one("requantize", [e], { ...requantParams(embScale / sH), outDtype: 1 }, "embedding → residual");

    const onehot = b.one("reshape", [b.one("gather", [c(eye), pos], { axis: 0 }, "cache slot")], { shape: [1, 1, T, 1] }, "cache slot");
    const mask = b.one("reshape", [b.one("gather", [c(causal), pos], { axis: 0 }, "causal row")], { shape: [1, 1, 1, T] }, "causal mask");
    const cos = b.one("gather", [c(cosTab), pos], { axis: 0 }, "rope cos");
    const sin = b.one("gather", [c(sinTab), pos], { axis: 0 }, "rope sin");

    const rope = (x16: ValueRef, heads: number, s16In: number, s8Out: number, label: string): ValueRef => {
      const xr = b.one("reshape", [x16], { shape: [heads, Dh] }, label);
      // The halves swapped ([x2, x1]) in one gather; rotate_half's sign is in the sin table.
      const rot = b.one("gather", [xr, c(halfSwap)], { axis: 1 }, label);
      const a = b.one("mul", [xr, cos], { outDtype: 2 }, label);
      const r = b.one("mul", [rot, sin], { outDtype: 2 }, label);
      const sum = b.one("add", [a, r], { outDtype: 2 }, label);
      return b.one("requantize", [sum], { ...requantParams(s16In / (2 ** ROPE_SHIFT * s8Out)), outDtype: 0 }, label);
    };

    const nextState: ValueRef[] = [];
    layers.forEach((ly, i) => {
      const tag = (s: string) => `layer ${i} ${s}`;
      const n = b.one("rms_norm", [h, c(ly.attnNorm.t)], { epsilon: epsUnits, ...requantParams(ly.attnNorm.scale / (2 ** 12 * ly.sN)), outDtype: 0 }, tag("attn norm"));
      const q16 = b.one("matmul", [n, c(ly.wq.t)], { transB: 1, ...outputStage(ly.wq.scales.map((s) => (ly.sN * s) / ly.sQ16), "int16") }, tag("wq"));
      const k16 = b.one("matmul", [n, c(ly.wk.t)], { transB: 1, ...outputStage(ly.wk.scales.map((s) => (ly.sN * s) / ly.sK16), "int16") }, tag("wk"));
      const v8 = b.one("matmul", [n, c(ly.wv.t)], { transB: 1, ...outputStage(ly.wv.scales.map((s) => (ly.sN * s) / ly.sV), "int8") }, tag("wv"));
      const q = b.one("reshape", [rope(q16, Hq, ly.sQ16, ly.sQ, tag("rope q"))], { shape: [1, Hq, 1, Dh] }, tag("q heads"));
      const kNew = b.one("reshape", [rope(k16, Hkv, ly.sK16, ly.sK, tag("rope k"))], { shape: [1, Hkv, 1, Dh] }, tag("k heads"));
      const vNew = b.one("reshape", [v8], { shape: [1, Hkv, 1, Dh] }, tag("v heads"));
      const kc = b.one("where", [onehot, kNew, st[STATE_KV_START + 2 * i]!], {}, tag("k cache"));
      const vc = b.one("where", [onehot, vNew, st[STATE_KV_START + 2 * i + 1]!], {}, tag("v cache"));
      nextState.push(kc, vc);
      const score = requantParams((ly.sQ * ly.sK) / Math.sqrt(Dh));
      const att = b.one(
        "attention",
        [q, kc, vc, mask],
        { scoreMultiplier: score.multiplier, scoreShift: score.shift, ...outputStage([ly.sV / (2 ** 15 * ly.sO)], "int8") },
        tag("attention"),
      );
      const attFlat = b.one("reshape", [att], { shape: [1, Hq * Dh] }, tag("attention heads"));
      const o = b.one("matmul", [attFlat, c(ly.wo.t)], { transB: 1, ...outputStage(ly.wo.scales.map((s) => (ly.sO * s) / sH), "int16") }, tag("wo"));
      h = b.one("add", [h, o], {}, tag("residual"));

      const n2 = b.one("rms_norm", [h, c(ly.ffnNorm.t)], { epsilon: epsUnits, ...requantParams(ly.ffnNorm.scale / (2 ** 12 * ly.sN2)), outDtype: 0 }, tag("ffn norm"));
      const g = b.one("matmul", [n2, c(ly.w1.t)], { transB: 1, ...outputStage(ly.w1.scales.map((s) => (ly.sN2 * s) / ly.sG), "int8") }, tag("w1"));
      const u = b.one("matmul", [n2, c(ly.w3.t)], { transB: 1, ...outputStage(ly.w3.scales.map((s) => (ly.sN2 * s) / ly.sU), "int16") }, tag("w3"));
      const sSilu = lutOutputScale("silu", ly.sG, "int16");
      const sg = b.one("lut", [g, c(lutTensor({ fn: "silu", inScale: ly.sG, outScale: sSilu, outDtype: "int16" }))], {}, tag("silu"));
      const m = b.one("mul", [sg, u], { ...narrowScale((sSilu * ly.sU) / ly.sM), outDtype: 1 }, tag("swiglu"));
      const down = b.one("matmul", [m, c(ly.w2.t)], { transB: 1, ...outputStage(ly.w2.scales.map((s) => (ly.sM * s) / sH), "int16") }, tag("w2"));
      h = b.one("add", [h, down], {}, tag("residual"));
    });

    const nf = b.one("rms_norm", [h, c(finalNorm.t)], { epsilon: epsUnits, ...requantParams(finalNorm.scale / (2 ** 12 * sNF)), outDtype: 0 }, "final norm");
    const logits = b.one("matmul", [nf, c(embOut.t)], { transB: 1, ...outputStage(embOut.scales.map((s) => (sNF * s) / sLogit), "int16") }, "logits");
    // Scoring never samples: its state's token is the greedy one, so the `sample` op is not needed.
    const ls = requantParams(sLogit);
    const next =
      opts.emit === "logits"
        ? b.one("reshape", [b.one("argmax", [logits], { axis: 1, keepdims: 0 }, "greedy")], { shape: [1] }, "greedy")
        : b.one("sample", [logits, seed, pos, sampler], { multiplier: ls.multiplier, shift: ls.shift }, "sample");
    const pos1 = b.one("add", [pos, c(tensor("int32", [1], [1]))], {}, "position + 1");
    const { program } = b.build([next, pos1, seed, sampler, ...nextState, opts.emit === "token" ? next : logits]);
    return { ...program, stateCount: stateMetas.length };
  }

  return { config, logitScale: sLogit, residScale: sH, stateMetas, build };
}

// ---------------------------------------------------------------- state and tokens

/** Sampler settings: temperature (0 = greedy), top-k (0 = off) and top-p (1 = off). */
export interface SamplerSettings {
  temperature?: number;
  topK?: number;
  topP?: number;
}

/** The `sampler` state tensor: [temperature·2^16, topK, topP·2^16, 0] (the `sample` op's config). */
export function samplerTensor(s: SamplerSettings = {}): Tensor {
  const t = s.temperature ?? 0;
  const p = s.topP ?? 1;
  if (!(t >= 0) || t > 100) throw new InvalidArgumentError("lm", "temperature", "must be 0 … 100");
  if (!(p > 0) || p > 1) throw new InvalidArgumentError("lm", "topP", "must be in (0, 1]");
  const k = s.topK ?? 0;
  if (!Number.isInteger(k) || k < 0) throw new InvalidArgumentError("lm", "topK", "must be a non-negative integer");
  return tensor("int32", [4], [Math.round(t * 65536), k, p >= 1 ? 0 : Math.max(1, Math.round(p * 65536)), 0]);
}

/** The initial state of a generation: token BOS, position 0, the seed, the sampler, empty caches. */
export function initialState(lm: CompiledLm, seed: Tensor, sampler: SamplerSettings = {}, bos = 256): Tensor[] {
  return lm.stateMetas.map((m, i) => {
    if (i === 0) return tensor("int32", [1], [bos]);
    if (i === 2) return seed;
    if (i === 3) return samplerTensor(sampler);
    return tensor(m.dtype, m.shape, new (m.dtype === "int8" ? Int8Array : Int32Array)(m.shape.reduce((a, x) => a * x, 1)));
  });
}

/** The byte-level tokenizer (models/lm/tokenizer.json): ids 0–255 are UTF-8 bytes, 256 is BOS. */
export const BOS = 256;
export function encodeText(text: string): number[] {
  return [...new TextEncoder().encode(text)];
}
export function decodeTokens(ids: readonly number[]): string {
  return new TextDecoder().decode(Uint8Array.from(ids.filter((t) => t >= 0 && t < 256)));
}

interface GenerationPrograms {
  prefill: Program;
  step: Program;
  prefillInfo: ProgramInfo;
  stepInfo: ProgramInfo;
}

const builtForGeneration = new WeakMap<CompiledLm, GenerationPrograms>();

/**
 * The prefill and step programs of a compiled model with their inference, built once per model:
 * every step has the same shapes, and a program run again with its inference keeps its nodes'
 * plans (codec/program-run.ts), so later generations start where the first left off.
 */
function generationPrograms(lm: CompiledLm): GenerationPrograms {
  let built = builtForGeneration.get(lm);
  if (built !== undefined) return built;
  const prefill = lm.build({ token: "input", emit: "token" });
  const step = lm.build({ token: "state", emit: "token" });
  built = { prefill, step, prefillInfo: inferProgram(prefill, [...lm.stateMetas, { dtype: "int32", shape: [1] }]), stepInfo: inferProgram(step, lm.stateMetas) };
  builtForGeneration.set(lm, built);
  return built;
}

/**
 * Generates `n` tokens in process with the same step programs the chain runs: a prefill stream over
 * `prompt` (BOS first), then one step program run per further token. `onToken` sees each token as
 * its step finishes.
 */
export function generateTokens(lm: CompiledLm, prompt: readonly number[], n: number, seed: Tensor, sampler: SamplerSettings = {}, onToken?: (t: number) => void): number[] {
  const { prefill, step, prefillInfo, stepInfo } = generationPrograms(lm);
  let state = initialState(lm, seed, sampler);
  let next = 0;
  for (const t of prompt) {
    const outs = runProgram(prefill, [...state, tensor("int32", [1], [t])], new Map(), { info: prefillInfo });
    state = outs.slice(0, prefill.stateCount);
    next = outs[prefill.stateCount]!.data[0]!;
  }
  const tokens: number[] = [];
  for (;;) {
    tokens.push(next);
    onToken?.(next);
    if (tokens.length >= n) return tokens;
    const outs = runProgram(step, state, new Map(), { info: stepInfo });
    state = outs.slice(0, step.stateCount);
    next = outs[step.stateCount]!.data[0]!;
  }
}
