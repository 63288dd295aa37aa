// A float reference of the llama decoder (offline only): the same architecture as
// scripts/train_lm.py, token by token with a KV cache. It calibrates the int8 compiler (activation
// maxima) and checks it on models made in tests; the ONNX file run by onnxruntime is the reference
// the benchmarks compare against.
import type { LmCalibration, LmConfig, LmWeights, FloatWeight } from "./lm.ts";

function matvec(x: Float64Array, w: FloatWeight): Float64Array {
  const [rows, cols] = w.shape as [number, number];
  const y = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const xr = x[r]!;
    if (xr === 0) continue;
    const base = r * cols;
    for (let c = 0; c < cols; c++) y[c]! += xr * w.data[base + c]!;
  }
  return y;
}

function rmsNorm(x: Float64Array, g: FloatWeight, eps: number): Float64Array {
  let ss = 0;
  for (const v of x) ss += v * v;
  const inv = 1 / Math.sqrt(ss / x.length + eps);
  return x.map((v, i) => v * inv * g.data[i]!);
}

const maxAbs = (x: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]!));
  return m;
};

/** Rotary positions in the rotate_half layout, in place on one head. */
function rope(x: Float64Array, off: number, dh: number, pos: number, theta: number): void {
  const half = dh / 2;
  for (let i = 0; i < half; i++) {
    const a = pos * Math.pow(theta, (-2 * i) / dh);
    const c = Math.cos(a), s = Math.sin(a);
    const x1 = x[off + i]!, x2 = x[off + i + half]!;
    x[off + i] = x1 * c - x2 * s;
    x[off + i + half] = x2 * c + x1 * s;
  }
}

/** Running activation maxima, in the calibration.json layout. */
export function emptyCalibration(layers: number): LmCalibration {
  const z = () => new Array<number>(layers).fill(0);
  return {
    resid: new Array<number>(layers + 1).fill(0),
    attn_norm_out: z(), q: z(), k: z(), v: z(), attn_out: z(), ffn_norm_out: z(), gate: z(), up: z(), ffn_hidden: z(),
    final_norm_out: 0, logits: 0,
  };
}

/** A decoder with a growing KV cache: feed tokens one at a time, get next-token logits. */
export class FloatDecoder {
  private readonly keys: Float64Array[][];
  private readonly values: Float64Array[][];
  position = 0;

  constructor(
    private readonly config: LmConfig,
    private readonly w: LmWeights,
    private readonly stats?: LmCalibration,
  ) {
    this.keys = w.layers.map(() => []);
    this.values = w.layers.map(() => []);
  }

  step(token: number): Float64Array {
    const { d_model: D, n_heads: Hq, n_kv_heads: Hkv, head_dim: Dh, norm_eps: eps, rope_theta: theta } = this.config;
    const st = this.stats;
    const track = (key: keyof LmCalibration, i: number | undefined, x: ArrayLike<number>) => {
      if (!st) return;
      const m = maxAbs(x);
      if (i === undefined) (st[key] as number) = Math.max(st[key] as number, m);
      else (st[key] as number[])[i] = Math.max((st[key] as number[])[i]!, m);
    };
    let h = Float64Array.from(this.w.tokEmb.data.subarray(token * D, (token + 1) * D));
    const pos = this.position++;
    this.w.layers.forEach((ly, i) => {
      track("resid", i, h);
      const n = rmsNorm(h, ly.attnNorm, eps);
      track("attn_norm_out", i, n);
      const q = matvec(n, ly.wq), k = matvec(n, ly.wk), v = matvec(n, ly.wv);
      for (let hd = 0; hd < Hq; hd++) rope(q, hd * Dh, Dh, pos, theta);
      for (let hd = 0; hd < Hkv; hd++) rope(k, hd * Dh, Dh, pos, theta);
      track("q", i, q);
      track("k", i, k);
      track("v", i, v);
      this.keys[i]!.push(k);
      this.values[i]!.push(v);
      const att = new Float64Array(Hq * Dh);
      const group = Hq / Hkv;
      const T = this.keys[i]!.length;
      for (let hd = 0; hd < Hq; hd++) {
        const kv = Math.floor(hd / group);
        const scores = new Float64Array(T);
        let m = -Infinity;
        for (let t = 0; t < T; t++) {
          let s = 0;
          for (let j = 0; j < Dh; j++) s += q[hd * Dh + j]! * this.keys[i]![t]![kv * Dh + j]!;
          scores[t] = s / Math.sqrt(Dh);
          m = Math.max(m, scores[t]!);
        }
        let sum = 0;
        for (let t = 0; t < T; t++) sum += (scores[t] = Math.exp(scores[t]! - m));
        for (let t = 0; t < T; t++) {
          const p = scores[t]! / sum;
          for (let j = 0; j < Dh; j++) att[hd * Dh + j]! += p * this.values[i]![t]![kv * Dh + j]!;
        }
      }
      track("attn_out", i, att);
      const o = matvec(att, ly.wo);
      h = h.map((x, j) => x + o[j]!);
      const n2 = rmsNorm(h, ly.ffnNorm, eps);
      track("ffn_norm_out", i, n2);
      const g = matvec(n2, ly.w1), u = matvec(n2, ly.w3);
      track("gate", i, g);
      track("up", i, u);
      const hid = g.map((x, j) => (x / (1 + Math.exp(-x))) * u[j]!);
      track("ffn_hidden", i, hid);
      const d = matvec(hid, ly.w2);
      h = h.map((x, j) => x + d[j]!);
    });
    track("resid", this.w.layers.length, h);
    const nf = rmsNorm(h, this.w.finalNorm, eps);
    track("final_norm_out", undefined, nf);
    // Tied embeddings: logits = h · Eᵀ.
    const V = this.config.vocab_size;
    const logits = new Float64Array(V);
    for (let t = 0; t < V; t++) {
      let s = 0;
      for (let j = 0; j < D; j++) s += nf[j]! * this.w.tokEmb.data[t * D + j]!;
      logits[t] = s;
    }
    track("logits", undefined, logits);
    return logits;
  }
}
