// A small random llama decoder for tests: same architecture as models/lm, seeded weights.
import { compileLm, type CompiledLm, type FloatWeight, type LmConfig, type LmWeights } from "../../src/model/lm.ts";
import { FloatDecoder, emptyCalibration } from "../../src/model/lm-float.ts";
import { rng } from "../xorshift.ts";

export const TINY_CONFIG: LmConfig = {
  vocab_size: 257,
  d_model: 32,
  n_layers: 2,
  n_heads: 4,
  n_kv_heads: 2,
  head_dim: 8,
  ffn_hidden: 48,
  max_context: 16,
  rope_theta: 10000,
  norm_eps: 1e-5,
};

export function tinyWeights(seed = 7, config: LmConfig = TINY_CONFIG): LmWeights {
  const rand = rng(seed);
  const uniform = () => rand(1 << 30) / 2 ** 30 - 0.5;
  const w = (rows: number, cols: number, scale: number): FloatWeight => ({
    shape: [rows, cols],
    data: Float64Array.from({ length: rows * cols }, () => uniform() * 2 * scale),
  });
  const norm = (n: number): FloatWeight => ({ shape: [n], data: Float64Array.from({ length: n }, () => 1 + uniform() * 0.4) });
  const { d_model: d, n_heads: hq, n_kv_heads: hkv, head_dim: dh, ffn_hidden: f, vocab_size: v } = config;
  const s = (fanIn: number) => 1.7 / Math.sqrt(fanIn);
  return {
    tokEmb: w(v, d, 1),
    layers: Array.from({ length: config.n_layers }, () => ({
      attnNorm: norm(d),
      wq: w(d, hq * dh, s(d)),
      wk: w(d, hkv * dh, s(d)),
      wv: w(d, hkv * dh, s(d)),
      wo: w(hq * dh, d, s(hq * dh)),
      ffnNorm: norm(d),
      w1: w(d, f, s(d)),
      w3: w(d, f, s(d)),
      w2: w(f, d, s(f)),
    })),
    finalNorm: norm(d),
  };
}

/** A deterministic token sequence of `length` bytes, one per `k`. */
export function tokenSequence(k: number, length = TINY_CONFIG.max_context): number[] {
  return Array.from({ length }, (_, t) => (t * 7919 + k * 104729 + 13) % 256);
}

/** The tiny model compiled with activation maxima from the float reference on six sequences. */
export function tinyLm(): CompiledLm {
  const weights = tinyWeights();
  const cal = emptyCalibration(TINY_CONFIG.n_layers);
  for (let s = 0; s < 6; s++) {
    const d = new FloatDecoder(TINY_CONFIG, weights, cal);
    for (const t of tokenSequence(s)) d.step(t);
  }
  return compileLm(TINY_CONFIG, weights, cal);
}
