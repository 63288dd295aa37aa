// attention (code 32): softmax(Q·Kᵀ·scale + mask)·V for int8 Q/K/V, composed from the matmul op,
// the integer softmax and the movement ops, with grouped-query heads (q_num_heads/kv_num_heads).
// FLOPs are the sum of the parts. Semantics: docs/ops-nonlinear.md#attention.
import { attrInt, checkAttrNames } from "../attrs.ts";
import { InvalidArgumentError, ShapeMismatchError } from "../errors.ts";
import type { Attrs, OpDef } from "../op.ts";
import { saturateInt32 } from "../requant.ts";
import { checkShape, DTYPE_BYTES, numElements, type Tensor, type TensorMeta } from "../tensor.ts";
import { linearOps } from "./linear.ts";
import { broadcastAll, broadcastStridesOf, movementOps } from "./movement.ts";
import { attrScale, expectDType, expectInputCount, expRow, probability, SOFTMAX_FLOPS_PER_ELEMENT } from "./normalize.ts";

const NAME = "attention";
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
const reshape = (t: Tensor, shape: readonly number[]) => opNamed(movementOps, "reshape").run([t], { shape })[0]!;
const transpose = (t: Tensor, perm: readonly number[]) => opNamed(movementOps, "transpose").run([t], { perm })[0]!;

interface AttentionPlan {
  batch: number;
  qHeads: number;
  kvHeads: number;
  s: number;
  t: number;
  dh: number;
  dv: number;
  packed: boolean; // 3-D [B, S, H·D] inputs
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
    expectDType(NAME, n, m, ["int8"]);
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
  return { batch, qHeads, kvHeads, s, t, dh, dv, packed, causal, causalOffset, mask, outShape, pvAttrs };
}

/** Shapes of the two matmuls: heads grouped as [B, Hkv, G, ·, ·] so K and V broadcast over G. */
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
  code: 32,
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
  run(inputs, a) {
    const p = planAttention(inputs, a);
    const [q, k, v, mask] = inputs as [Tensor, Tensor, Tensor, Tensor | undefined];
    const g = p.qHeads / p.kvHeads;
    // Heads first: [B, S, H·D] → [B, H, S, D].
    const heads = (x: Tensor, h: number, len: number) => (p.packed ? transpose(reshape(x, [p.batch, len, h, x.shape[2]! / h]), [0, 2, 1, 3]) : x);
    const qg = reshape(heads(q, p.qHeads, p.s), [p.batch, p.kvHeads, g, p.s, p.dh]);
    const kg = reshape(heads(k, p.kvHeads, p.t), [p.batch, p.kvHeads, 1, p.t, p.dh]);
    const vg = reshape(heads(v, p.kvHeads, p.t), [p.batch, p.kvHeads, 1, p.t, p.dv]);
    const scores = matmul().run([qg, kg], { transB: 1 })[0]!.data;

    const scale = attrScale(NAME, a, "scoreMultiplier", "scoreShift");
    const { s, t } = p;
    const probs = new Int16Array(scores.length);
    const row = new Int32Array(t);
    const allowed = new Uint8Array(t);
    const dist = new Int32Array(t);
    const exps = new Int32Array(t);
    const ms = mask ? broadcastStridesOf(mask.shape, [p.batch, p.qHeads, s, t]) : null;
    const useAllowed = p.causal !== 0 || mask?.dtype === "int8";
    // Key positions past `i + causalOffset` are hidden from query i.
    const causalOffset = p.causal === 2 ? t - s : p.causalOffset;
    for (let b = 0; b < p.batch; b++) {
      for (let h = 0; h < p.qHeads; h++) {
        for (let i = 0; i < s; i++) {
          const base = ((b * p.qHeads + h) * s + i) * t;
          allowed.fill(1);
          if (p.causal !== 0) for (let j = Math.max(0, i + causalOffset + 1); j < t; j++) allowed[j] = 0;
          for (let j = 0; j < t; j++) row[j] = scores[base + j]!;
          if (mask && ms) {
            const mb = b * ms[0]! + h * ms[1]! + i * ms[2]!;
            if (mask.dtype === "int8") {
              for (let j = 0; j < t; j++) if (mask.data[mb + j * ms[3]!] === 0) allowed[j] = 0;
            } else {
              for (let j = 0; j < t; j++) row[j] = saturateInt32(row[j]! + mask.data[mb + j * ms[3]!]!);
            }
          }
          const sum = expRow(row, t, useAllowed ? allowed : null, scale.multiplier, scale.shift, dist, exps);
          for (let j = 0; j < t; j++) probs[base + j] = probability(exps[j]!, sum, "int16");
        }
      }
    }
    const pTensor: Tensor = { dtype: "int16", shape: [p.batch, p.kvHeads, g, s, t], data: probs };
    const out = matmul().run([pTensor, vg], p.pvAttrs)[0]!;
    const byHead = reshape(out, [p.batch, p.qHeads, s, p.dv]);
    const y = p.packed ? reshape(transpose(byHead, [0, 2, 1, 3]), p.outShape) : byHead;
    return [y];
  },
};

export const attentionOps: readonly OpDef[] = [attention];

/**
 * Bytes of intermediate tensors attention allocates beyond its output (head-split copies of Q/K/V,
 * int32 scores, int16 probabilities, the P·V result before re-packing), from shapes alone, so the
 * memory budget can be charged before the op runs.
 */
export function attentionScratchBytes(inputs: readonly TensorMeta[], attrs: Attrs): number {
  const p = planAttention(inputs, attrs);
  const scores = p.batch * p.qHeads * p.s * p.t;
  const headCopies = p.batch * (p.qHeads * p.s * p.dh + p.kvHeads * p.t * (p.dh + p.dv)) * (p.packed ? 2 : 1);
  const out = attention.infer(inputs, attrs)[0]!;
  const outBytes = numElements(out.shape) * DTYPE_BYTES[out.dtype];
  return headCopies + scores * (4 + 2) + outBytes * (p.packed ? 2 : 1);
}

