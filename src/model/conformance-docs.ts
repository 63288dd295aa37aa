// Renders docs/conformance.md and docs/onnx-ops.md from conformance results (scripts/conformance-onnx.ts --write).
import { summarize, tally, tallyLine, type CaseResult } from "./conformance.ts";
import { LOWERED_ONNX_OPS, TABLE_ONNX_OPS } from "./import.ts";
import { COMPOSED_ONNX_OPS, FOLD_ONLY_REASONS, REFUSED_AT_RUN_TIME, REFUSED_ONNX_OPS } from "./onnx-ops.ts";
import { COMPOSE_CONSTANT_INPUTS } from "./compose.ts";

/** How each supported ONNX op maps onto the engine, and which attributes/forms are handled. */
export const OP_NOTES: Record<string, { lowering: string; attributes: string }> = {
  Add: { lowering: "add (TFLite-style rescale to a common int32 domain, one requantization); integer operands: plain int32 add", attributes: "numpy broadcasting" },
  Sub: { lowering: "sub (as add)", attributes: "numpy broadcasting" },
  Mul: { lowering: "mul (one requantization of a·b); integer operands: plain int32 mul", attributes: "numpy broadcasting" },
  Div: { lowering: "by a constant: mul by its reciprocal; by a tensor: reciprocal lookup table, then mul; integer operands: exact long division (see Composed)", attributes: "numpy broadcasting" },
  Pow: { lowering: "exponent 2: mul(x, x); any other constant scalar exponent: lookup table", attributes: "exponent constant and scalar" },
  MatMul: {
    lowering: "matmul; a constant 2-D weight becomes per-channel int8 (fused with a following bias Add); a run-time B widened to int16 runs as two exact int8 passes",
    attributes: "numpy semantics incl. 1-D operands and batch broadcasting",
  },
  Gemm: { lowering: "matmul with per-channel int8 weights and int32 bias; α, β folded offline", attributes: "alpha, beta, transA (transpose node), transB; B and C constant" },
  Conv: { lowering: "conv2d with per-channel int8 weights and int32 bias; 1-D as conv2d over a height of 1", attributes: "1-D and 2-D: kernel_shape, strides, pads, dilations, group, auto_pad" },
  BatchNormalization: { lowering: "folded into a preceding Conv; otherwise per-channel mul + add", attributes: "epsilon; inference mode only (training_mode=0)" },
  Relu: { lowering: "relu", attributes: "—" },
  LeakyRelu: { lowering: "leaky_relu (α as integer multiplier/shift); α < 0 through a lookup table", attributes: "alpha" },
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
  ReduceMean: { lowering: "reduce_sum in int32, then one requantization by 1/count to the mean's own range", attributes: "axes, keepdims" },
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
  Gather: { lowering: "constant indices: gather with int32 indices; run-time integer indices: compared exactly with the positions along the axis, then where + reduce_sum", attributes: "axis; negative indices" },
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

/**
 * Every op of the ai.onnx domain with the opset that introduced it, from ONNX 1.23.1's operator schemas
 * (opset 28; `onnx.defs.get_all_schemas_with_history()`), a superset of the opsets onnx-proto's IR 8 covers.
 */
export const ALL_ONNX_OPS: ReadonlyMap<string, number> = new Map(
  [
  "Abs:1 Acos:7 Acosh:9 Add:1 AffineGrid:20 And:1 ArgMax:1 ArgMin:1 Asin:7 Asinh:9 Atan:7 Atanh:9 Attention:23",
  "AveragePool:1 BatchNormalization:1 Bernoulli:15 BitCast:26 BitShift:11 BitwiseAnd:18 BitwiseNot:18",
  "BitwiseOr:18 BitwiseXor:18 BlackmanWindow:17 Cast:1 CastLike:15 CausalConvWithState:27 Ceil:1 Celu:12",
  "CenterCropPad:18 Clip:1 Col2Im:18 Compress:9 Concat:1 ConcatFromSequence:11 Constant:1 ConstantOfShape:9",
  "Conv:1 ConvInteger:10 ConvTranspose:1 Cos:7 Cosh:9 CumProd:26 CumSum:11 DFT:17 DeformConv:19 DepthToSpace:1",
  "DequantizeLinear:10 Det:11 Div:1 Dropout:1 DynamicQuantizeLinear:11 Einsum:12 Elu:1 Equal:1 Erf:9 Exp:1",
  "Expand:8 EyeLike:9 Flatten:1 Floor:1 GRU:1 Gather:1 GatherElements:11 GatherND:11 Gelu:20 Gemm:1",
  "GlobalAveragePool:1 GlobalLpPool:1 GlobalMaxPool:1 Greater:1 GreaterOrEqual:12 GridSample:16",
  "GroupNormalization:18 HammingWindow:17 HannWindow:17 HardSigmoid:1 HardSwish:14 Hardmax:1 Identity:1 If:1",
  "ImageDecoder:20 InstanceNormalization:1 IsInf:10 IsNaN:9 LRN:1 LSTM:1 LayerNormalization:17 LeakyRelu:1 Less:1",
  "LessOrEqual:12 LinearAttention:27 Log:1 LogSoftmax:1 Loop:1 LpNormalization:1 LpPool:1 MatMul:1",
  "MatMulInteger:10 Max:1 MaxPool:1 MaxRoiPool:1 MaxUnpool:9 Mean:1 MeanVarianceNormalization:9",
  "MelWeightMatrix:17 Min:1 Mish:18 Mod:10 Mul:1 Multinomial:7 Neg:1 NegativeLogLikelihoodLoss:12",
  "NonMaxSuppression:10 NonZero:9 Not:1 OneHot:9 Optional:15 OptionalGetElement:15 OptionalHasElement:15 Or:1",
  "PRelu:1 Pad:1 Pow:1 QLinearConv:10 QLinearMatMul:10 QuantizeLinear:10 RMSNormalization:23 RNN:1 RandomNormal:1",
  "RandomNormalLike:1 RandomUniform:1 RandomUniformLike:1 Range:11 Reciprocal:1 ReduceL1:1 ReduceL2:1",
  "ReduceLogSum:1 ReduceLogSumExp:1 ReduceMax:1 ReduceMean:1 ReduceMin:1 ReduceProd:1 ReduceSum:1",
  "ReduceSumSquare:1 RegexFullMatch:20 Relu:1 Reshape:1 Resize:10 ReverseSequence:10 RoiAlign:10",
  "RotaryEmbedding:23 Round:11 STFT:17 Scan:8 Scatter:9 ScatterElements:11 ScatterND:11 Selu:1 SequenceAt:11",
  "SequenceConstruct:11 SequenceEmpty:11 SequenceErase:11 SequenceInsert:11 SequenceLength:11 SequenceMap:17",
  "Shape:1 Shrink:9 Sigmoid:1 Sign:9 Sin:7 Sinh:9 Size:1 Slice:1 Softmax:1 SoftmaxCrossEntropyLoss:12 Softplus:1",
  "Softsign:1 SpaceToDepth:1 Split:1 SplitToSequence:11 Sqrt:1 Squeeze:1 StringConcat:20 StringNormalizer:10",
  "StringSplit:20 Sub:1 Sum:1 SwiGLU:28 Swish:24 Tan:7 Tanh:1 TensorScatter:24 TfIdfVectorizer:9",
  "ThresholdedRelu:10 Tile:1 TopK:1 Transpose:1 Trilu:14 Unique:11 Unsqueeze:1 Upsample:1 Where:9 Xor:1",
  ]
    .join(" ")
    .split(" ")
    .map((e) => [e.split(":")[0]!, Number(e.split(":")[1])] as const),
);

/** Why an ai.onnx op that is neither supported nor refused by design is not implemented (yet). */
export const NOT_IMPLEMENTED: Readonly<Record<string, string>> = {
  AffineGrid: "would fold when theta is constant",
  Det: "determinant of run-time data: a division-heavy elimination the integer engine has no op for",
  RoiAlign: "run-time boxes give data-dependent sampling positions", MaxRoiPool: "run-time boxes give data-dependent pooling windows",
  MaxUnpool: "needs MaxPool's Indices output, which the engine's max_pool does not produce",
  Col2Im: "would be a constant gather-add, as ConvTranspose", DeformConv: "run-time offsets give data-dependent sampling positions",
  CenterCropPad: "would be a slice and a pad with static shapes",
  BitwiseAnd: "no bitwise engine op on the int32-carried integers", BitwiseOr: "no bitwise engine op on the int32-carried integers",
  BitwiseXor: "no bitwise engine op on the int32-carried integers", BitwiseNot: "no bitwise engine op on the int32-carried integers",
  CumProd: "would be ReduceProd's pairwise products along each prefix",
  RMSNormalization: "the engine has rms_norm; the ONNX op is not mapped onto it yet", Swish: "would be a lookup table",
  TensorScatter: "a KV-cache update; would be a gather with constant positions",
};

/** One line per ai.onnx op: how the importer treats it. */
function catalogue(): string {
  const lowered = new Set<string>(LOWERED_ONNX_OPS), tables = new Set<string>(TABLE_ONNX_OPS);
  const rows = [...ALL_ONNX_OPS].sort(([a], [b]) => a.localeCompare(b)).map(([op, since]) => {
    const status =
      REFUSED_ONNX_OPS[op] ? `refused by design: ${REFUSED_ONNX_OPS[op]!.reason}`
      : lowered.has(op) ? "supported: lowered onto engine ops"
      : tables.has(op) ? "supported: lookup table"
      : COMPOSED_ONNX_OPS[op] ? `composed${FOLD_ONLY_REASONS[op] ? "; otherwise folded at import" : ""}`
      : FOLD_ONLY_REASONS[op] ? `folded at import${REFUSED_AT_RUN_TIME.has(op) ? "; with run-time inputs refused by design" : ""}: ${FOLD_ONLY_REASONS[op]}`
      : `not implemented${NOT_IMPLEMENTED[op] ? ` (${NOT_IMPLEMENTED[op]})` : ""}`;
    return `| ${op} | ${since} | ${cell(status)} |`;
  });
  return ["| ai.onnx op | since opset | treatment |", "|---|---|---|", ...rows].join("\n");
}

function opTable(results: readonly CaseResult[]): string {
  const rows = summarize(results).map((s) => `| ${s.op} | ${s.pass}/${s.cases} | ${((100 * s.pass) / s.cases).toFixed(0)} % |`);
  return ["| ONNX op | passing / cases | rate |", "|---|---|---|", ...rows].join("\n");
}

/** Why the cases that do not pass cannot (yet) pass: the measured reason is in the table, this is the cause. */
export const KNOWN_CAUSES: Record<string, string> = {
  test_batchnorm_example_training_mode: "Training mode (updates and outputs running mean/variance) is not inference.",
  test_maxpool_with_argmax_2d_precomputed_pads: "The engine's max_pool has no Indices output.",
  test_maxpool_with_argmax_2d_precomputed_strides: "The engine's max_pool has no Indices output.",
  test_log: "A 256-entry table on the int8-quantized input: log is steep near 0, where one input step is coarse.",
  test_tan: "A 256-entry table on the int8-quantized input: tan is steep near ±π/2, where one input step is coarse.",
  test_acosh_example: "A 256-entry table on the int8-quantized input: acosh is steep near 1, where one input step is coarse.",
  test_round: "Ties do not survive int8 quantization of the input: 0.5 becomes 0.507 and rounds up.",
  test_hardmax_axis_1: "Values within one int8 quantization step tie, and the first maximum wins.",
  test_softmax_large_number: "Inputs near 10,000 that differ by 1: the int8 input step (≈ 79) erases the differences.",
  test_softmax_large_number_expanded: "Inputs near 10,000 that differ by 1: the int8 input step (≈ 79) erases the differences.",
  test_logsoftmax_large_number: "Inputs near 10,000 that differ by 1: the int8 input step (≈ 79) erases the differences.",
  test_logsoftmax_large_number_expanded: "Inputs near 10,000 that differ by 1: the int8 input step (≈ 79) erases the differences.",
  test_reduce_min_default_axes_keepdims_example: "The minimum 1 of values up to 60 is one int8 step (0.47) from its quantized value.",
  test_reduce_prod_default_axes_keepdims_random: "A product of 12 int8-quantized factors accumulates their rounding.",
  test_pow: "Random float exponents with bases that include 0: only a scalar exponent (table) or a tensor of integer exponents is composed.",
  test_reshape_allowzero_reordered: "A tensor with a zero-sized dimension: programs have no empty tensors.",
  test_einsum_batch_diagonal: "Einsum with a repeated index (a diagonal) is not composed.",
  test_convtranspose_3d: "ConvTranspose is composed in 1-D and 2-D only.",
};

function failures(results: readonly CaseResult[]): string {
  const bad = results.filter((r) => r.status !== "pass");
  if (bad.length === 0) return "Every case passes.";
  const rows = bad.map((r) => `| ${r.case} | ${r.op} | ${r.refused ? "refused by design" : r.status} | ${r.reason.replace(/\|/g, "\\|").replace(/\n/g, " ")}${KNOWN_CAUSES[r.case] ? ` — ${KNOWN_CAUSES[r.case]}` : ""} |`);
  return ["| case | op | status | reason |", "|---|---|---|---|", ...rows].join("\n");
}

export function renderConformanceDoc(results: readonly CaseResult[], seconds: number, via = "engine runProgram"): string {
  const t = tally(results);
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

**Result: ${t.passed} of ${t.total} cases pass** (${((100 * t.passed) / Math.max(1, t.total)).toFixed(1)} %, ${seconds.toFixed(1)} s on this machine): ${tallyLine(t)}.
\`test/conformance/onnx-node.test.ts\` re-runs the set and fails if any case in
\`test/conformance/pass-set.json\` stops passing.

## Per op

${opTable(results)}

## Cases that do not pass

${failures(results)}
`;
}

/** One conformance set's results, for the ops page. */
export interface ConformanceSet {
  label: string;
  results: readonly CaseResult[];
}

function counts(sets: readonly ConformanceSet[], op: string): string {
  return sets
    .map((s) => {
      const r = s.results.filter((c) => c.op === op);
      return r.length ? `${r.filter((c) => c.status === "pass").length}/${r.length}` : "—";
    })
    .join(" | ");
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

export function renderOnnxOpsDoc(sets: readonly ConformanceSet[]): string {
  const head = (first: string, second: string) =>
    [`| ONNX op | ${first} | ${second} | ${sets.map((s) => s.label).join(" | ")} |`, `|---|---|---|${sets.map(() => "---").join("|")}|`].join("\n");
  const lowered = [...LOWERED_ONNX_OPS].map((op) => `| ${op} | ${OP_NOTES[op]?.lowering ?? ""} | ${OP_NOTES[op]?.attributes ?? ""} | ${counts(sets, op)} |`);
  const tables = [...TABLE_ONNX_OPS].sort().map((op) => `| ${op} | 256-entry int16 table on the int8-requantized input | attributes of the op | ${counts(sets, op)} |`);
  const composed = Object.entries(COMPOSED_ONNX_OPS).sort(([a], [b]) => a.localeCompare(b)).map(([op, how]) => {
    const need = COMPOSE_CONSTANT_INPUTS[op];
    return `| ${op} | ${cell(how)} | ${need ? `input${need.length > 1 ? "s" : ""} ${need.join(", ")} constant (when given)` : "—"} | ${counts(sets, op)} |`;
  });
  const folded = Object.entries(FOLD_ONLY_REASONS).filter(([op]) => !COMPOSED_ONNX_OPS[op]).sort(([a], [b]) => a.localeCompare(b)).map(([op, why]) => `| ${op} | folded at import | ${cell(why)} | ${counts(sets, op)} |`);
  const refused = Object.entries(REFUSED_ONNX_OPS).sort(([a], [b]) => a.localeCompare(b)).map(([op, r]) => `| ${op} | ${cell(r.reason)} | ${cell(r.fix)} | ${counts(sets, op)} |`);
  const pct = (p: number, n: number) => `${((100 * p) / Math.max(1, n)).toFixed(1)} %`;
  const totals = sets.map((s) => {
    const pass = s.results.filter((r) => r.status === "pass").length;
    const open = s.results.filter((r) => !r.refused).length;
    return `- **${s.label}:** ${pass} of ${s.results.length} cases pass (${pct(pass, s.results.length)}); ${pass} of the ${open} cases not refused by design (${pct(pass, open)}).`;
  });
  const known = new Set<string>([...LOWERED_ONNX_OPS, ...TABLE_ONNX_OPS, ...Object.keys(COMPOSED_ONNX_OPS), ...Object.keys(FOLD_ONLY_REASONS), ...Object.keys(REFUSED_ONNX_OPS)]);
  const missing = [...new Set(sets.flatMap((s) => s.results.map((r) => r.op)))].filter((op) => !known.has(op)).sort();
  return `# ONNX ops supported by the importer

Generated by \`npm run conformance:onnx -- --chain --write\` from the conformance results; do not edit by hand.

The importer (src/model/import.ts) reads the ONNX graph and fixes static shapes, then:

1. **Folds at import.** Every node whose inputs are known is evaluated offline with the float executor
   (src/model/float-exec.ts): constants, and Shape/Size/CastLike/EyeLike, which read only the static shape
   and type of their input. Shape subgraphs (Shape → Gather → Unsqueeze → Concat → Reshape,
   ConstantOfShape, Range, comparisons and Where on constants, Expand of constants…) disappear before
   quantization; dead nodes are removed. The float folding is offline: the program is integers only.
2. **Composes** the remaining ONNX ops from the engine's small op set (src/model/compose.ts,
   src/model/resize.ts, src/model/recurrent.ts, src/model/conv-transpose.ts, src/model/einsum.ts); data
   movement (Expand, Tile, Pad, Split, GatherElements, DepthToSpace, nearest Resize…) is exact.
3. **Recognises exporter decompositions:** LayerNorm written as ReduceMean → Sub → Pow(2)/Mul →
   ReduceMean → Add(ε) → Sqrt → Div (→ Mul γ → Add β) becomes one \`layer_norm\`; GELU written as
   x·0.5·(1 + Erf(x/√2)) one lookup table; Gemm with any transA/transB/α/β and MatMul + Add(bias) with a
   constant weight \`matmul\` with per-channel int8 weights and an int32 bias; BatchNormalization after a
   Conv is folded into its weights; Identity/Dropout are removed; Div by a constant becomes Mul.
4. **Lists every node it cannot take in one \`OnnxUnsupportedOpsError\`** (src/model/onnx-ops.ts): each with
   its node name, op, reason and, where there is one, what to change in the export. Ops refused by design
   (random, strings, sequences, data-dependent output shapes, control flow, training) are refused before
   any shape work.

A wrong input shape at run time fails with a \`ShapeMismatchError\` stating the expected and the actual shape.
Integers (indices, masks, bool logic) are carried exactly in int32: integer arithmetic saturates at ±2^31.

## Pass rate

${totals.join("\n")}

Columns per op below: cases passing / cases in each set. The Debian set is measured when Debian's
\`libonnx-testdata\` is installed (\`apt-get install libonnx-testdata\`); run it alone with
\`npm run conformance:onnx -- --root /usr/share/libonnx-testdata/data/node --table\`. An "_expanded" case
(the op's function body inlined by the ONNX test generator) counts under the op it expands.

## Lowered onto engine ops

${head("lowered to", "attributes / forms")}
${lowered.join("\n")}

## Element-wise functions through a lookup table

${head("lowering", "attributes")}
${tables.join("\n")}

## Composed from engine ops

${head("composition", "must be constant at import")}
${composed.join("\n")}

## Folded at import only

These run when their inputs are constant (or, for Shape/Size/CastLike/EyeLike, always). Left with
run-time inputs they are listed in the error with the reason. Comparisons and logic (Equal, Less,
Greater…, Not, And, Or, Xor) also run at run time on integer and bool operands (above); on float
operands they only fold, since one quantization step could flip a comparison.

${head("treatment", "with run-time inputs")}
${folded.join("\n")}

## Refused by design

${head("reason", "what to change in the export")}
${refused.join("\n")}

Also refused by design: graph inputs or outputs of string, sequence, optional or map type; training-mode
BatchNormalization and Dropout; and, with run-time inputs, NonZero (data-dependent shape), IsNaN/IsInf
(quantized tensors hold neither) and comparisons of float values (a bool result must be exact, and
quantized values within one step of each other could compare either way).

## Every ai.onnx op

All ${ALL_ONNX_OPS.size} ops of the ai.onnx domain up to opset ${Math.max(...ALL_ONNX_OPS.values())} (ONNX 1.23.1), and how the importer treats each.

${catalogue()}

${missing.length ? `Ops in the conformance sets that the importer does not know (each listed in the error as "not implemented"): ${missing.join(", ")}.` : ""}

${sets.map((set) => `## Cases of ${set.label} that do not pass, with the reason

${tallyLine(tally(set.results))}.

${failures(set.results)}
`).join("\n")}`;
}
