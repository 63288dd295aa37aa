// Renders docs/conformance.md and docs/onnx-ops.md from conformance results (scripts/conformance-onnx.ts --write).
import { summarize, type CaseResult } from "./conformance.ts";
import { SUPPORTED_ONNX_OPS } from "./import.ts";

/** How each supported ONNX op maps onto the engine, and which attributes/forms are handled. */
export const OP_NOTES: Record<string, { lowering: string; attributes: string }> = {
  Add: { lowering: "add (TFLite-style rescale to a common int32 domain, one requantization)", attributes: "numpy broadcasting" },
  Sub: { lowering: "sub (as add)", attributes: "numpy broadcasting" },
  Mul: { lowering: "mul (one requantization of a·b)", attributes: "numpy broadcasting" },
  Div: { lowering: "by a constant: mul by its reciprocal; by a tensor: reciprocal lookup table, then mul", attributes: "numpy broadcasting" },
  Pow: { lowering: "mul(x, x)", attributes: "exponent must be the constant 2" },
  MatMul: {
    lowering: "matmul; a constant 2-D weight becomes per-channel int8 (fused with a following bias Add); a run-time B widened to int16 runs as two exact int8 passes",
    attributes: "numpy semantics incl. 1-D operands and batch broadcasting",
  },
  Gemm: { lowering: "matmul with per-channel int8 weights and int32 bias; α, β folded offline", attributes: "alpha, beta, transA (transpose node), transB; B and C constant" },
  Conv: { lowering: "conv2d with per-channel int8 weights and int32 bias", attributes: "2-D only: kernel_shape, strides, pads, dilations, group, auto_pad" },
  BatchNormalization: { lowering: "folded into a preceding Conv; otherwise per-channel mul + add", attributes: "epsilon; inference mode only (training_mode=0)" },
  Relu: { lowering: "relu", attributes: "—" },
  LeakyRelu: { lowering: "leaky_relu (α as integer multiplier/shift)", attributes: "alpha ≥ 0" },
  Clip: { lowering: "clip with bounds quantized to the input scale", attributes: "min/max as constant inputs or attributes" },
  Sigmoid: { lowering: "requantize to int8 → 256-entry int16 lookup table", attributes: "—" },
  Tanh: { lowering: "lookup table", attributes: "—" },
  Exp: { lowering: "lookup table", attributes: "—" },
  Erf: { lowering: "lookup table (or fused into GELU, see above)", attributes: "—" },
  Sqrt: { lowering: "lookup table", attributes: "—" },
  Gelu: { lowering: "lookup table", attributes: "approximate = none or tanh" },
  Softmax: { lowering: "softmax (integer exp, int16 output at scale 2^-15)", attributes: "axis (opset ≥ 13 semantics)" },
  LogSoftmax: { lowering: "log_softmax (int32 output at scale 2^-16)", attributes: "axis" },
  LayerNormalization: { lowering: "layer_norm (integer mean/variance, exact isqrt); Mean/InvStdDev outputs via reduce_mean and a 1/√x table", attributes: "axis, epsilon; Scale/B constant" },
  ReduceSum: { lowering: "reduce_sum (int32), then requantize", attributes: "axes (input or attribute), keepdims, noop_with_empty_axes" },
  ReduceMean: { lowering: "reduce_mean", attributes: "axes, keepdims" },
  ReduceMax: { lowering: "reduce_max", attributes: "axes, keepdims" },
  ArgMax: { lowering: "argmax (int32 indices, written as int64)", attributes: "axis, keepdims, select_last_index" },
  MaxPool: { lowering: "max_pool (N-d)", attributes: "kernel_shape, strides, pads, dilations, ceil_mode, auto_pad; not the Indices output" },
  AveragePool: { lowering: "avg_pool (N-d)", attributes: "kernel_shape, strides, pads, dilations, ceil_mode, count_include_pad, auto_pad" },
  GlobalAveragePool: { lowering: "global_avg_pool", attributes: "—" },
  Reshape: { lowering: "reshape", attributes: "shape constant (0 and −1 as ONNX), allowzero" },
  Flatten: { lowering: "reshape", attributes: "axis" },
  Squeeze: { lowering: "reshape", attributes: "axes" },
  Unsqueeze: { lowering: "reshape", attributes: "axes" },
  Transpose: { lowering: "transpose", attributes: "perm" },
  Concat: { lowering: "concat after requantizing every input to one scale", attributes: "axis" },
  Slice: { lowering: "slice", attributes: "starts, ends, axes, steps (constant inputs; negative steps)" },
  Gather: { lowering: "gather with int32 indices", attributes: "axis; constant indices" },
  Where: { lowering: "where (condition int8 0/1)", attributes: "broadcasting" },
  Shape: { lowering: "folded to a constant (shapes are static)", attributes: "—" },
  Constant: { lowering: "folded", attributes: "value, value_float(s), value_int(s)" },
  Identity: { lowering: "removed", attributes: "—" },
  Dropout: { lowering: "removed (inference)", attributes: "—" },
  Cast: { lowering: "constant folding only", attributes: "to" },
  Attention: {
    lowering: "expanded: reshape/transpose heads, concat KV cache, gather for GQA, matmul(Q,Kᵀ)·scale, tanh table for softcap, additive bias, where(allowed, scores, int32 min), softmax, matmul(P,V)",
    attributes: "q_num_heads, kv_num_heads, scale, is_causal, softcap, qk_matmul_output_mode 0–3, past_key/past_value, nonpad_kv_seqlen; attn_mask constant",
  },
};

function opTable(results: readonly CaseResult[]): string {
  const rows = summarize(results).map((s) => `| ${s.op} | ${s.pass}/${s.cases} | ${((100 * s.pass) / s.cases).toFixed(0)} % |`);
  return ["| ONNX op | passing / cases | rate |", "|---|---|---|", ...rows].join("\n");
}

/** Why the cases that do not pass cannot (yet) pass: the measured reason is in the table, this is the cause. */
export const KNOWN_CAUSES: Record<string, string> = {
  test_batchnorm_example_training_mode: "Training mode (updates and outputs running mean/variance) is not inference.",
  test_maxpool_with_argmax_2d_precomputed_pads: "The engine's max_pool has no Indices output.",
  test_maxpool_with_argmax_2d_precomputed_strides: "The engine's max_pool has no Indices output.",
};

function failures(results: readonly CaseResult[]): string {
  const bad = results.filter((r) => r.status !== "pass");
  if (bad.length === 0) return "Every case passes.";
  const rows = bad.map((r) => `| ${r.case} | ${r.op} | ${r.status} | ${r.reason.replace(/\|/g, "\\|").replace(/\n/g, " ")}${KNOWN_CAUSES[r.case] ? ` — ${KNOWN_CAUSES[r.case]}` : ""} |`);
  return ["| case | op | status | reason |", "|---|---|---|---|", ...rows].join("\n");
}

export function renderConformanceDoc(results: readonly CaseResult[], seconds: number, via = "engine runProgram"): string {
  const passed = results.filter((r) => r.status === "pass").length;
  return `# ONNX conformance

Generated by \`npm run conformance:onnx -- --chain --write\` (scripts/conformance-onnx.ts); do not edit by hand.
Executed via: ${via}.

Every case of \`../shared/conformance/onnx-node\` (ONNX v1.22.0 backend node tests) goes through the
same pipeline as \`aivm onnx run\` (src/model/onnx-run.ts): import, calibrate on the case's own inputs,
quantize, run the integer tensor program, dequantize. Inputs that the program needs as constants
(weights, shapes, axes, indices — see \`staticInputNames\` in src/model/import.ts) are frozen from the
case's inputs; every other input is a run-time program input.

Tolerance (../shared/conformance/README.md): float32 outputs pass when
\`max|y − y_ref| ≤ 0.02 · max|y_ref|\`; int64 and bool outputs must be exact.

**Result: ${passed} of ${results.length} cases pass** (${((100 * passed) / Math.max(1, results.length)).toFixed(1)} %, ${seconds.toFixed(1)} s on this machine).
\`test/conformance/onnx-node.test.ts\` re-runs the set and fails if any case in
\`test/conformance/pass-set.json\` stops passing.

## Per op

${opTable(results)}

## Cases that do not pass

${failures(results)}
`;
}

export function renderOnnxOpsDoc(results: readonly CaseResult[]): string {
  const per = new Map(summarize(results).map((s) => [s.op, s]));
  const rows = [...SUPPORTED_ONNX_OPS].map((op) => {
    const n = OP_NOTES[op];
    const s = per.get(op);
    return `| ${op} | ${n?.lowering ?? ""} | ${n?.attributes ?? ""} | ${s ? `${s.pass}/${s.cases}` : "—"} |`;
  });
  const unsupported = [...per.keys()].filter((op) => !(SUPPORTED_ONNX_OPS as readonly string[]).includes(op));
  return `# ONNX ops supported by the importer

Generated by \`npm run conformance:onnx -- --chain --write\` from the conformance results; do not edit by hand.

The importer (src/model/import.ts) reads the ONNX graph, fixes static shapes, folds constants, and
recognises exporter decompositions before lowering onto the engine's small op set
(src/model/quantize.ts):

- **LayerNorm** written as ReduceMean → Sub → Pow(2)/Mul → ReduceMean → Add(ε) → Sqrt → Div (→ Mul γ → Add β)
  becomes one \`layer_norm\`.
- **GELU** written as x·0.5·(1 + Erf(x/√2)) (any operand order, Div by √2 or Mul by 1/√2) becomes one lookup table.
- **Gemm** with any transA/transB/α/β, and **MatMul + Add(bias)** with a constant weight, become \`matmul\`
  with per-channel int8 weights and an int32 bias.
- **BatchNormalization** after a Conv is folded into its weights and bias.
- Identity/Dropout are removed; Div by a constant becomes Mul; Shape/Constant chains are folded.

An op outside this list fails with \`UnsupportedOpError\`, naming the op and the node and listing the
supported ops. A wrong input shape at run time fails with a \`ShapeMismatchError\` stating the expected
and the actual shape.

| ONNX op | lowered to | attributes / forms | conformance |
|---|---|---|---|
${rows.join("\n")}

${unsupported.length ? `Not supported: ${unsupported.join(", ")} (see below).` : ""}

## Conformance cases that do not pass, with the reason

${failures(results)}
`;
}
