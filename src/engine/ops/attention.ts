// attention: softmax(Q·Kᵀ·scale + mask)·V for int8 or int16 Q/K/V, defined as the matmul
// op, the integer softmax and the matmul output stage (computed row by row, see runAttention), with
// grouped-query heads (q_num_heads/kv_num_heads). int16 Q or K give exact scores beyond int32.
// FLOPs are the sum of the parts. Semantics: docs/ops-nonlinear.md#attention.
import { attrInt, checkAttrNames } from "../attrs.ts";
import { InvalidArgumentError, ShapeMismatchError } from "../errors.ts";
import type { Attrs, OpDef, PreparedRun } from "../op.ts";
import { saturateInt32 } from "../requant.ts";
import { allocate, checkShape, numElements, type IntArray, type Tensor, type TensorMeta } from "../tensor.ts";
import { applyOutputStage, parseOutputStage } from "../kernels/output-stage.ts";
import { attentionWasm, type AttentionWasm } from "../kernels/attention-wasm.ts";
import { linearOps } from "./linear.ts";
import { broadcastAll, broadcastStridesOf } from "./movement.ts";
import { attrScale, expectDType, expectInputCount, expRow, probability, SOFTMAX_FLOPS_PER_ELEMENT } from "./normalize.ts";

const NAME = "attention";
/** Head size limit with int16 Q or K: |q·k| ≤ 2^20·2^30 keeps exact scores, mask and distances below 2^53. */
export const MAX_WIDE_HEAD_SIZE = 2 ** 20;
const ATTRS = ["q_num_heads", "kv_num_heads", "causal", "causal_offset", "scoreMultiplier", "scoreShift", "outDtype", "multiplier", "shift", "zeroPoint"];
/** The output stage attributes handed to the P·V matmul unchanged. */
const OUTPUT_ATTRS = ["outDtype", "multiplier", "shift", "zeroPoint"];

// Imported by name from the op lists (not the registry) so that this module has no import cycle.
function opNamed(list: readonly OpDef[], name: string): OpDef {
  const op = list.find((o) => o.name === name);
  if (!op) throw new InvalidArgumentError(NAME, "composition", `op "${name}" is not available`);
  return op;
}
const matmul = () => opNamed(linearOps, "matmul");

interface AttentionPlan {
  batch: number;
  qHeads: number;
  kvHeads: number;
  s: number;
  t: number;
  dh: number;
  dv: number;
  packed: boolean; // 3-D [B, S, H·D] inputs
  /** Q or K is int16: scores are the exact dot products (|q·k| ≤ Dh·2^30), not saturated to int32. */
  wideScores: boolean;
  /** 0 none, 1 upper-left (ONNX is_causal: key j ≤ query i + causal_offset), 2 bottom-right (j ≤ i + T − S, for KV caches). */
  causal: number;
  causalOffset: number;
  mask: TensorMeta | undefined;
  outShape: number[];
  pvAttrs: Attrs;
}

function planAttention(metas: readonly TensorMeta[], a: Attrs): AttentionPlan {
  checkAttrNames(NAME, a, ATTRS);
  expectInputCount(NAME, metas, 3, 4);
  const [q, k, v, mask] = metas as [TensorMeta, TensorMeta, TensorMeta, TensorMeta | undefined];
  for (const [n, m] of [["q", q], ["k", k], ["v", v]] as const) {
    expectDType(NAME, n, m, ["int8", "int16"]);
    checkShape(m.shape);
  }
  const rank = q.shape.length;
  if (rank !== 3 && rank !== 4) throw new ShapeMismatchError(NAME, "q", "[B, Hq, S, Dh] or [B, S, Hq·Dh]", q.shape);
  for (const [n, m] of [["k", k], ["v", v]] as const) {
    if (m.shape.length !== rank) throw new ShapeMismatchError(NAME, n, `rank ${rank} like "q"`, m.shape);
  }
  const packed = rank === 3;
  const batch = q.shape[0]!;
  let qHeads: number;
  let kvHeads: number;
  let s: number;
  let t: number;
  let dh: number;
  let dv: number;
  if (packed) {
    qHeads = attrInt(NAME, a, "q_num_heads");
    kvHeads = attrInt(NAME, a, "kv_num_heads");
    if (qHeads < 1 || kvHeads < 1) throw new InvalidArgumentError(NAME, "head counts", "q_num_heads and kv_num_heads must be ≥ 1");
    s = q.shape[1]!;
    t = k.shape[1]!;
    if (q.shape[2]! % qHeads !== 0) throw new ShapeMismatchError(NAME, "q", `[B, S, a multiple of q_num_heads=${qHeads}]`, q.shape);
    if (k.shape[2]! % kvHeads !== 0) throw new ShapeMismatchError(NAME, "k", `[B, T, a multiple of kv_num_heads=${kvHeads}]`, k.shape);
    if (v.shape[2]! % kvHeads !== 0) throw new ShapeMismatchError(NAME, "v", `[B, T, a multiple of kv_num_heads=${kvHeads}]`, v.shape);
    dh = q.shape[2]! / qHeads;
    dv = v.shape[2]! / kvHeads;
    if (k.shape[2]! / kvHeads !== dh) throw new ShapeMismatchError(NAME, "k", [batch, t, kvHeads * dh], k.shape, "K's head size must equal Q's");
  } else {
    qHeads = q.shape[1]!;
    kvHeads = k.shape[1]!;
    s = q.shape[2]!;
    t = k.shape[2]!;
    dh = q.shape[3]!;
    dv = v.shape[3]!;
    if (a["q_num_heads"] !== undefined && attrInt(NAME, a, "q_num_heads") !== qHeads) throw new ShapeMismatchError(NAME, "q", `${attrInt(NAME, a, "q_num_heads")} heads (q_num_heads)`, q.shape);
    if (a["kv_num_heads"] !== undefined && attrInt(NAME, a, "kv_num_heads") !== kvHeads) throw new ShapeMismatchError(NAME, "k", `${attrInt(NAME, a, "kv_num_heads")} heads (kv_num_heads)`, k.shape);
    if (k.shape[0] !== batch || k.shape[3] !== dh) throw new ShapeMismatchError(NAME, "k", [batch, kvHeads, t, dh], k.shape);
  }
  if (k.shape[0] !== batch) throw new ShapeMismatchError(NAME, "k", `batch ${batch} like "q"`, k.shape);
  const vWant = packed ? [batch, t, kvHeads * dv] : [batch, kvHeads, t, dv];
  if (!vWant.every((d, i) => d === v.shape[i])) throw new ShapeMismatchError(NAME, "v", vWant, v.shape, "V must match K's batch, heads and length");
  if (kvHeads === 0 || qHeads % kvHeads !== 0) {
    throw new InvalidArgumentError(NAME, "head counts", `q heads (${qHeads}) must be a multiple of kv heads (${kvHeads})`);
  }
  if (mask) {
    expectDType(NAME, "mask", mask, ["int8", "int32"]);
    checkShape(mask.shape);
    const full = [batch, qHeads, s, t];
    const b = broadcastAll(NAME, ["scores", "mask"], [full, mask.shape]);
    if (b.length !== 4 || !b.every((d, i) => d === full[i])) throw new ShapeMismatchError(NAME, "mask", `broadcastable to [${full.join(",")}]`, mask.shape);
  }
  const causal = attrInt(NAME, a, "causal", 0);
  if (causal !== 0 && causal !== 1 && causal !== 2) {
    throw new InvalidArgumentError(NAME, 'attribute "causal"', "must be 0 (none), 1 (upper-left, as ONNX is_causal) or 2 (bottom-right)");
  }
  const causalOffset = attrInt(NAME, a, "causal_offset", 0);
  if (causalOffset < 0 || causalOffset > 0x7fffffff) throw new InvalidArgumentError(NAME, 'attribute "causal_offset"', "must be in [0, 2^31)");
  if (causalOffset !== 0 && causal !== 1) throw new InvalidArgumentError(NAME, 'attribute "causal_offset"', "applies only with causal = 1");
  attrScale(NAME, a, "scoreMultiplier", "scoreShift");
  const pvAttrs: Record<string, number | readonly number[]> = {};
  for (const n of OUTPUT_ATTRS) if (a[n] !== undefined) pvAttrs[n] = a[n]!;
  if (pvAttrs["outDtype"] === undefined) pvAttrs["outDtype"] = 0;
  const outShape = packed ? [batch, s, qHeads * dv] : [batch, qHeads, s, dv];
  checkShape([batch, qHeads, s, t]);
  checkShape(outShape);
  const wideScores = q.dtype === "int16" || k.dtype === "int16";
  if (wideScores && dh > MAX_WIDE_HEAD_SIZE) {
    throw new InvalidArgumentError(NAME, "head size", `must be at most 2^20 when q or k is int16 (exact scores), got ${dh}`);
  }
  return { batch, qHeads, kvHeads, s, t, dh, dv, packed, wideScores, causal, causalOffset, mask, outShape, pvAttrs };
}

/**
 * Shapes of the two matmuls: heads grouped as [B, Hkv, G, ·, ·] so K and V broadcast over G. Their
 * FLOPs and output dtype depend on shapes and the output stage only: int16 Q/K/V cost the same products.
 */
function matmulMetas(p: AttentionPlan) {
  const g = p.qHeads / p.kvHeads;
  return {
    qk: [
      { dtype: "int8", shape: [p.batch, p.kvHeads, g, p.s, p.dh] },
      { dtype: "int8", shape: [p.batch, p.kvHeads, 1, p.t, p.dh] },
    ] as TensorMeta[],
    pv: [
      { dtype: "int16", shape: [p.batch, p.kvHeads, g, p.s, p.t] },
      { dtype: "int8", shape: [p.batch, p.kvHeads, 1, p.t, p.dv] },
    ] as TensorMeta[],
  };
}

const attention: OpDef = {
  name: NAME,
  inputs: ["q", "k", "v", "mask?"],
  attrs: ATTRS,
  infer(inputs, a) {
    const p = planAttention(inputs, a);
    const { pv } = matmulMetas(p);
    const out = matmul().infer(pv, p.pvAttrs)[0]!;
    return [{ dtype: out.dtype, shape: p.outShape }];
  },
  flops(inputs, a) {
    const p = planAttention(inputs, a);
    const { qk, pv } = matmulMetas(p);
    const scores = BigInt(p.batch * p.qHeads * p.s * p.t);
    const maskAdd = p.mask?.dtype === "int32" ? scores : 0n;
    return matmul().flops(qk, { transB: 1 }) + maskAdd + SOFTMAX_FLOPS_PER_ELEMENT * scores + matmul().flops(pv, p.pvAttrs);
  },
  scratchBytes: (inputs, a) => attentionScratchBytes(inputs, a),
  prepare: prepareAttention,
  run: (inputs, a) => prepareAttention(inputs, a)(inputs),
};

/** The plan (shapes, strides, the P·V stage's attributes) and the score scale, made once per node. */
function prepareAttention(inputs: readonly TensorMeta[], a: Attrs): PreparedRun {
  const p = planAttention(inputs, a);
  const scale = attrScale(NAME, a, "scoreMultiplier", "scoreShift");
  return (ins) => [runAttention(p, ins as [Tensor, Tensor, Tensor, Tensor | undefined], scale)];
}

/** Σ a[ai + c]·b[bi + c] for c < n, exact (|Σ| < 2^53: int8 by MAX_ELEMENTS, int16 by MAX_WIDE_HEAD_SIZE). */
function dot(a: IntArray, ai: number, b: IntArray, bi: number, n: number): number {
  let sum = 0;
  for (let c = 0; c < n; c++) sum += a[ai + c]! * b[bi + c]!;
  return sum;
}

/**
 * `dot` where the sum is known to fit int32 (int8 Q and K with Dh ≤ INT32_DOT_MAX_HEAD_SIZE: |Σ| ≤
 * Dh·2^14 ≤ 2^30), so every partial sum is an int32 and `| 0` changes nothing; four at a time.
 */
function dotInt32(a: IntArray, ai: number, b: IntArray, bi: number, n: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let c = 0;
  for (; c + 4 <= n; c += 4) {
    s0 = (s0 + a[ai + c]! * b[bi + c]!) | 0;
    s1 = (s1 + a[ai + c + 1]! * b[bi + c + 1]!) | 0;
    s2 = (s2 + a[ai + c + 2]! * b[bi + c + 2]!) | 0;
    s3 = (s3 + a[ai + c + 3]! * b[bi + c + 3]!) | 0;
  }
  for (; c < n; c++) s0 = (s0 + a[ai + c]! * b[bi + c]!) | 0;
  return (s0 + s1 + s2 + s3) | 0;
}

/** Head sizes up to which int8 scores are summed in int32 (dotInt32): 2^16·2^7·2^7 = 2^30. */
const INT32_DOT_MAX_HEAD_SIZE = 2 ** 16;

/** acc[c] += p·v[vi + c] for c < n, in int32 sums the caller has shown cannot leave int32. */
function addScaled(acc: Int32Array, p: number, v: IntArray, vi: number, n: number): void {
  for (let c = 0; c < n; c++) acc[c] = acc[c]! + p * v[vi + c]!;
}

/** runAttention's per-row buffers: T keys' int32 scores (empty when Q or K is int16), mask, distances, exps and probabilities, and Dv sums. */
interface RowBuffers {
  t: number;
  dv: number;
  scores: Int32Array;
  allowed: Uint8Array;
  dist: Int32Array;
  exps: Int32Array;
  probs: Int32Array;
  acc: Int32Array;
}

/**
 * Row buffers are kept between calls up to this many keys and sums (a decode step's cache length
 * and head size): a call is synchronous and never re-entered. Larger calls get their own.
 */
const KEPT_BUFFER_LENGTH = 4096;
let keptBuffers: RowBuffers | null = null;

/** Buffers for rows of at least `t` keys, with int32 scores if asked, and exactly `dv` sums (applyOutputStage reads all of acc). */
function rowBuffers(t: number, dv: number, int32Scores: boolean): RowBuffers {
  const kept = keptBuffers;
  if (kept !== null && kept.t >= t && kept.dv === dv && (!int32Scores || kept.scores.length >= t)) return kept;
  const b = { t, dv, scores: new Int32Array(int32Scores ? t : 0), allowed: new Uint8Array(t), dist: new Int32Array(t), exps: new Int32Array(t), probs: new Int32Array(t), acc: new Int32Array(dv) };
  if (t <= KEPT_BUFFER_LENGTH && dv <= KEPT_BUFFER_LENGTH) keptBuffers = b;
  return b;
}

/** Element strides of a Q/K/V operand: [B, H, L, D] when 4-D, [B, L, H·D] when packed. */
function headStrides(p: AttentionPlan, heads: number, len: number, d: number): { batch: number; head: number; row: number } {
  return p.packed ? { batch: len * heads * d, head: d, row: heads * d } : { batch: heads * len * d, head: len * d, row: d };
}

/**
 * Where the WASM products run (int8 Q and K): the module memory's layout for one batch entry, the
 * query row (zero padded to whole 8-value steps), K's and V's rows of the entry, one scores row,
 * one probabilities row and the P·V sums; each region 16-byte aligned, with 16 bytes of slack
 * after K and V for the steps' reads past a row's end. Null when it would not fit the module memory.
 */
interface WasmLayout {
  wasm: AttentionWasm;
  qSteps: number;
  vSteps: number;
  kPtr: number;
  vPtr: number;
  scoresPtr: number;
  probsPtr: number;
  accPtr: number;
}

const align16 = (x: number) => Math.ceil(x / 16) * 16;

function wasmLayout(p: AttentionPlan, ks: { batch: number }, vs: { batch: number }, vBytes: number): WasmLayout | null {
  if (p.wideScores || p.dh > INT32_DOT_MAX_HEAD_SIZE) return null;
  const wasm = attentionWasm();
  if (wasm === null) return null;
  const qSteps = Math.ceil(p.dh / 8);
  const vSteps = Math.ceil(p.dv / 8);
  const kPtr = align16(qSteps * 8);
  const vPtr = align16(kPtr + ks.batch + 16);
  const scoresPtr = align16(vPtr + vs.batch * vBytes + 16);
  const probsPtr = align16(scoresPtr + 4 * p.t);
  const accPtr = align16(probsPtr + 2 * p.t);
  if (!wasm.reserve(accPtr + 32 * vSteps)) return null;
  return { wasm, qSteps, vSteps, kPtr, vPtr, scoresPtr, probsPtr, accPtr };
}

/**
 * The composition's result computed in place, one query row at a time: the scores row is the
 * matmul op's saturated exact dot products, the softmax is expRow/probability (Q15 int16 as the
 * composition's P), P·V is the matmul op's saturated exact sum, then the matmul output stage.
 * No head-split copies, no full score or probability tensors: a decode step (S = 1) against a
 * KV cache touches each cached row once. With int8 Q and K the two products run on WASM SIMD
 * (attention-wasm.ts) over a copy of each batch entry's K and V, else in the loops here.
 */
function runAttention(p: AttentionPlan, [q, k, v, mask]: [Tensor, Tensor, Tensor, Tensor | undefined], scale: { multiplier: number; shift: number }): Tensor {
  const { s, t, dh, dv } = p;
  const g = p.qHeads / p.kvHeads;
  const qs = headStrides(p, p.qHeads, s, dh);
  const ks = headStrides(p, p.kvHeads, t, dh);
  const vs = headStrides(p, p.kvHeads, t, dv);
  const ys = headStrides(p, p.qHeads, s, dv);
  const stage = parseOutputStage("matmul", p.pvAttrs, dv);
  const out: Tensor = { dtype: stage.out, shape: [...p.outShape], data: allocate(stage.out, numElements(p.outShape)) };
  const vBytes = v.dtype === "int16" ? 2 : 1;
  const w = wasmLayout(p, ks, vs, vBytes);
  const buffers = rowBuffers(t, dv, !p.wideScores && w === null);
  // int32 scores for int8 Q and K; exact integers below 2^47 (Dh < 2^16 by checkShape) when either is int16.
  const row: number[] | Int32Array =
    w !== null ? w.wasm.int32.subarray(w.scoresPtr / 4, w.scoresPtr / 4 + t) : p.wideScores ? new Array<number>(t).fill(0) : buffers.scores;
  // Probabilities are at most 32767: int16 in the module's memory.
  const probs: Int16Array | Int32Array = w !== null ? w.wasm.int16.subarray(w.probsPtr / 2, w.probsPtr / 2 + t) : buffers.probs;
  const acc = w !== null ? w.wasm.int32.subarray(w.accPtr / 4, w.accPtr / 4 + dv) : buffers.acc;
  const { allowed, dist, exps } = buffers;
  const int32Dots = !p.wideScores && dh <= INT32_DOT_MAX_HEAD_SIZE;
  const ms = mask ? broadcastStridesOf(mask.shape, [p.batch, p.qHeads, s, t]) : null;
  const useAllowed = p.causal !== 0 || mask?.dtype === "int8";
  // Key positions past `i + causalOffset` are hidden from query i.
  const causalOffset = p.causal === 2 ? t - s : p.causalOffset;
  const qd = q.data, kd = k.data, vd = v.data;
  const kRowStride = ks.row, vRowStride = vs.row;
  if (w !== null) w.wasm.int8.fill(0, 0, w.qSteps * 8);
  for (let b = 0; b < p.batch; b++) {
    if (w !== null) {
      w.wasm.int8.set(kd.subarray(b * ks.batch, (b + 1) * ks.batch), w.kPtr);
      if (vBytes === 2) w.wasm.int16.set(vd.subarray(b * vs.batch, (b + 1) * vs.batch), w.vPtr / 2);
      else w.wasm.int8.set(vd.subarray(b * vs.batch, (b + 1) * vs.batch), w.vPtr);
    }
    for (let h = 0; h < p.qHeads; h++) {
      const kh = Math.floor(h / g);
      const kBase = b * ks.batch + kh * ks.head;
      const vBase = b * vs.batch + kh * vs.head;
      for (let i = 0; i < s; i++) {
        const qBase = b * qs.batch + h * qs.head + i * qs.row;
        allowed.fill(1, 0, t);
        if (p.causal !== 0) for (let j = Math.max(0, i + causalOffset + 1); j < t; j++) allowed[j] = 0;
        const mb = ms ? b * ms[0]! + h * ms[1]! + i * ms[2]! : 0;
        if (mask && ms && mask.dtype === "int8") for (let j = 0; j < t; j++) if (mask.data[mb + j * ms[3]!] === 0) allowed[j] = 0;
        // Keys past the last one this row sees take no part: no score, exp or probability (a
        // decode step against a partly filled cache computes only the filled rows).
        let seen = t;
        if (useAllowed) while (seen > 0 && allowed[seen - 1] === 0) seen--;
        if (w !== null) {
          // A hidden key's score is never read (expRow skips it).
          w.wasm.int8.set(qd.subarray(qBase, qBase + dh), 0);
          w.wasm.dots(0, w.kPtr + kh * ks.head, kRowStride, w.scoresPtr, seen, w.qSteps);
        } else {
          for (let j = 0; j < seen; j++) {
            // A hidden key's score is never read (expRow skips it).
            if (useAllowed && allowed[j] === 0) {
              row[j] = 0;
              continue;
            }
            if (int32Dots) {
              row[j] = dotInt32(qd, qBase, kd, kBase + j * kRowStride, dh);
              continue;
            }
            const score = dot(qd, qBase, kd, kBase + j * kRowStride, dh);
            row[j] = p.wideScores ? score : saturateInt32(score);
          }
        }
        if (mask && ms && mask.dtype === "int32") {
          for (let j = 0; j < seen; j++) {
            const masked = row[j]! + mask.data[mb + j * ms[3]!]!;
            row[j] = p.wideScores ? masked : saturateInt32(masked);
          }
        }
        if (p.wideScores) clampDistances(row, seen, useAllowed ? allowed : null);
        const total = expRow(row, seen, useAllowed ? allowed : null, scale.multiplier, scale.shift, dist, exps);
        let keys = 0;
        for (let j = 0; j < seen; j++) {
          const pj = probability(exps[j]!, total, "int16");
          probs[j] = pj;
          if (pj !== 0) keys = j + 1;
        }
        // Every partial sum of P·V fits int32, so the int32 sums are exact (and saturating, as the
        // matmul op does, changes nothing). p_j rounds 2^15·e_j/S half up, so p_j ≤ 2^15·e_j/S + ½,
        // and p_j ≥ 1 needs e_j/S ≥ 2^−16: at most 2^16 keys have p_j ≥ 1 and Σp ≤ 2^15 + 2^16/2 =
        // 2^16. With |v| ≤ 2^15 (v ≤ 2^15 − 1), any partial sum lies in [−2^31, 2^31 − 2^16].
        if (w !== null) {
          w.wasm.pv(vBytes === 2, w.probsPtr, w.vPtr + kh * vs.head * vBytes, vRowStride * vBytes, w.accPtr, keys, w.vSteps);
        } else {
          acc.fill(0);
          for (let j = 0; j < keys; j++) {
            const pj = probs[j]!;
            if (pj !== 0) addScaled(acc, pj, vd, vBase + j * vRowStride, dv);
          }
        }
        const yBase = b * ys.batch + h * ys.head + i * ys.row;
        applyOutputStage(acc, stage, dv, 1, out.data.subarray(yBase, yBase + dv));
      }
    }
  }
  return out;
}

/** Largest score distance max − score the softmax's integer distance stage takes (scaledDistanceQ16: d < 2^32). */
export const MAX_SCORE_DISTANCE = 2 ** 32 - 1;

/**
 * Wide scores only: raises every score below max − MAX_SCORE_DISTANCE to that floor, so each distance
 * fits the exp stage. int32 scores never need it; at any useful score scale exp is 0 there anyway.
 */
function clampDistances(row: number[] | Int32Array, t: number, allowed: Uint8Array | null): void {
  let max = -Infinity;
  for (let j = 0; j < t; j++) if ((allowed === null || allowed[j] === 1) && row[j]! > max) max = row[j]!;
  const floor = max - MAX_SCORE_DISTANCE;
  for (let j = 0; j < t; j++) if (row[j]! < floor) row[j] = floor;
}

export const attentionOps: readonly OpDef[] = [attention];

/**
 * Bytes attention allocates beyond its output, from shapes alone, so the memory budget can be
 * charged before the op runs: runAttention's per-row buffers (at most 8 + 3·4 + 1 bytes a key:
 * the scores row, int32 or, when Q or K is int16, numbers; three int32 rows and the uint8 mask
 * row; and the Dv int32 sums, counted at 12 bytes each), independent of batch, heads and query length.
 * The WASM products' copies of K and V live in the module's own memory, the process's (at most
 * ATTENTION_WASM_MAX_BYTES), as the matmul kernels' operands do in theirs.
 */
export function attentionScratchBytes(inputs: readonly TensorMeta[], attrs: Attrs): number {
  const p = planAttention(inputs, attrs);
  return p.t * (8 + 3 * 4 + 1) + p.dv * (8 + 4);
}
