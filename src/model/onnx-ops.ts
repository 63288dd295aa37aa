// The importer's catalogue of ONNX ops beyond the ones quantize.ts lowers directly: which are
// folded at import (evaluated offline on constants and static shapes), which are composed from
// engine ops, and which are refused by design, with the reason and what to change in the export.
import { AivmError, type SolidityErrorOf } from "../engine/errors.ts";

/** One node the importer cannot take, and why. */
export interface OpProblem {
  node: string;
  op: string;
  reason: string;
  /** What to change in the model or its export. */
  fix?: string;
  /** True when the op is refused by design (non-deterministic, non-static, strings, sequences, training). */
  refused: boolean;
}

/** Every node of a model that the importer cannot take, in one error (not just the first one). */
export class OnnxUnsupportedOpsError extends AivmError {
  override name = "OnnxUnsupportedOpsError";
  override readonly code = "UNSUPPORTED_OP";
  readonly problems: readonly OpProblem[];
  /** Op type → the names of the nodes that use it, in graph order. */
  readonly unsupported: ReadonlyMap<string, readonly string[]>;

  constructor(problems: readonly OpProblem[], supported: readonly string[]) {
    const byOp = new Map<string, string[]>();
    for (const p of problems) byOp.set(p.op, [...(byOp.get(p.op) ?? []), p.node]);
    const first = problems[0]!;
    const short =
      problems.length === 1
        ? `Unsupported op "${first.op}" at node "${first.node}".`
        : `${problems.length} nodes use ops the importer cannot run: ${[...byOp].map(([op, nodes]) => `${op} (${nodes.map((n) => `"${n}"`).join(", ")})`).join(", ")}.`;
    super(short, {
      docsPath: "onnx-ops.md",
      metaMessages: [
        ...problems.map((p) => `node "${p.node}" (${p.op}): ${p.reason}${p.fix ? ` Fix: ${p.fix}` : ""}`),
        `Supported: ${supported.join(", ")}`,
      ],
    });
    this.problems = problems;
    this.unsupported = byOp;
  }

  override get solidityError(): SolidityErrorOf {
    return { name: "UnsupportedOp", args: [this.problems[0]!.op] };
  }
}

const RANDOM = {
  reason: "it draws random numbers, so validators would not agree on the result.",
  fix: "export in eval mode, or feed the random tensor as a model input.",
};
const STRINGS = { reason: "string tensors have no integer encoding in the engine.", fix: "tokenize or encode strings before the model and feed integer ids." };
const SEQUENCES = { reason: "sequence and optional values have no static shape.", fix: "export with fixed-length tensors instead of sequences (unroll the list)." };
const DATA_SHAPE = {
  reason: "its output shape depends on the run-time data, and programs have static shapes (it is folded only when its inputs are constants).",
  fix: "do this step outside the model, or replace it with a fixed-size form (e.g. a mask with Where).",
};
const CONTROL = {
  reason: "control flow with sub-graphs is not static.",
  fix: "export with tracing (torch.onnx.export without scripting), which unrolls loops and keeps only the branch taken.",
};
const TRAINING = { reason: "training-only op (optimizer or gradient), not inference.", fix: "export the inference graph (model.eval())." };

/** Graph inputs and outputs whose type has no integer tensor form: strings, sequences, optionals, maps. */
export function refusedValueTypes(values: readonly { name?: string | null; type?: { tensorType?: { elemType?: number | null } | null; sequenceType?: unknown; optionalType?: unknown; mapType?: unknown; sparseTensorType?: unknown } | null }[]): OpProblem[] {
  const out: OpProblem[] = [];
  for (const v of values) {
    const t = v.type;
    if (!t) continue;
    const kind = t.sequenceType ? "sequence" : t.optionalType ? "optional" : t.mapType ? "map" : t.sparseTensorType ? "sparse tensor" : t.tensorType?.elemType === 8 ? "string tensor" : undefined;
    if (!kind) continue;
    const why = kind === "string tensor" ? STRINGS : SEQUENCES;
    out.push({ node: v.name ?? "", op: `${kind} value`, refused: true, reason: why.reason, fix: why.fix });
  }
  return out;
}

/** Ops refused by design, whatever their inputs. */
export const REFUSED_ONNX_OPS: Readonly<Record<string, { reason: string; fix: string }>> = {
  RandomUniform: RANDOM, RandomNormal: RANDOM, RandomUniformLike: RANDOM, RandomNormalLike: RANDOM, Multinomial: RANDOM, Bernoulli: RANDOM,
  StringNormalizer: STRINGS, TfIdfVectorizer: STRINGS, RegexFullMatch: STRINGS, StringConcat: STRINGS, StringSplit: STRINGS,
  SequenceAt: SEQUENCES, SequenceConstruct: SEQUENCES, SequenceEmpty: SEQUENCES, SequenceErase: SEQUENCES, SequenceInsert: SEQUENCES,
  SequenceLength: SEQUENCES, SequenceMap: SEQUENCES, SplitToSequence: SEQUENCES, ConcatFromSequence: SEQUENCES, Optional: SEQUENCES,
  OptionalHasElement: SEQUENCES, OptionalGetElement: SEQUENCES,
  Unique: DATA_SHAPE, NonMaxSuppression: DATA_SHAPE, Compress: DATA_SHAPE,
  ImageDecoder: { reason: "it decodes compressed image bytes into a tensor whose shape depends on the data.", fix: "decode and resize the image before the model (aivm model run takes PNG/JPEG with declared preprocessing)." },
  BitCast: { reason: "it reinterprets IEEE float bits, and quantized values have no float bit pattern.", fix: "remove the bit reinterpretation from the exported graph." },
  If: {
    reason: "its condition is computed at run time, so the program would need both branches (an If whose condition is an initializer, a Constant or an input that is frozen is replaced by the branch it takes).",
    fix: "export with tracing (torch.onnx.export without scripting), which keeps only the branch taken, or make the condition a constant.",
  },
  Loop: CONTROL, Scan: CONTROL,
  Gradient: TRAINING, Momentum: TRAINING, Adagrad: TRAINING, Adam: TRAINING,
};

const CMP = "comparisons of float values run only on constants: quantized values within one step of each other could compare either way, and a bool result must be exact (integer and bool operands compare exactly at run time)";
const LOGIC = "logic on float values runs only on constants (integer and bool operands run exactly)";

/**
 * Ops the importer evaluates only when they fold (constant inputs, or only the input's static
 * shape/type used): left with run-time inputs they are refused with this reason.
 */
export const FOLD_ONLY_REASONS: Readonly<Record<string, string>> = {
  Shape: "folded from the static shape", Size: "folded from the static shape", ConstantOfShape: "shape must be constant", Range: "bounds must be constant",
  EyeLike: "folded from the static shape", Constant: "folded",
  Equal: CMP, Less: CMP, LessOrEqual: CMP,
  Greater: CMP, GreaterOrEqual: CMP,
  Not: LOGIC, And: LOGIC, Or: LOGIC, Xor: LOGIC,
  IsNaN: "quantized tensors hold no NaN (a NaN input cannot even be quantized): folded on constants only", IsInf: "quantized tensors hold no infinity (an infinite input cannot even be quantized): folded on constants only",
  Mod: "a remainder of float values runs only on constants (integers run at run time)",
  MelWeightMatrix: "all its inputs are sizes: the matrix folds",   HannWindow: "size must be constant (the window folds)", HammingWindow: "size must be constant (the window folds)", BlackmanWindow: "size must be constant (the window folds)",
  NonZero: DATA_SHAPE.reason,
};

/**
 * Fold-only ops refused by design when left with run-time inputs: a data-dependent output shape, values
 * quantized tensors cannot hold, or a bool result from float values that must be exact.
 */
export const REFUSED_AT_RUN_TIME: ReadonlySet<string> = new Set(["NonZero", "IsNaN", "IsInf", "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual"]);

/** How each composed op is built from engine ops (for docs/onnx-ops.md). */
export const COMPOSED_ONNX_OPS: Readonly<Record<string, string>> = {
  Neg: "sub(0, x)",
  Abs: "relu(x) + relu(0 − x)",
  Max: "constant operand: clip; otherwise a + relu(b − a), pairwise",
  Min: "constant operand: clip; otherwise a − relu(a − b), pairwise",
  Sum: "chain of add",
  Mean: "chain of add, then mul by 1/n",
  PRelu: "scalar slope ≥ 0: leaky_relu; otherwise relu(x) − slope·relu(0 − x)",
  Expand: "reshape, then gather of index 0 along every broadcast axis (exact)",
  Tile: "gather along every repeated axis (exact)",
  Pad: "gather with edge/reflect/wrap indices; constant mode gathers from the input concatenated with one slab of the pad value (constant pads)",
  Split: "one slice per output (exact)",
  Trilu: "where(constant triangle mask, x, 0)",
  GatherElements: "constant indices: reshape to 1-D, gather of constant flat indices (exact); run-time integer indices: compared exactly with the positions along the axis, where(hit, x, 0), reduce_sum over the positions",
  NegativeLogLikelihoodLoss: "run-time integer labels compared exactly with the class positions, where + reduce_sum picks the (constant-weighted) input of the label class; ignore_index gets weight 0; reduction none/sum/mean (mean divides by the picked weights' sum through the reciprocal table)",
  SoftmaxCrossEntropyLoss: "log_softmax over the classes (also the optional log_prob output), then as NegativeLogLikelihoodLoss",
  GatherND: "reshape, gather of constant row indices, reshape (exact; indices constant)",
  DepthToSpace: "reshape → transpose → reshape (DCR and CRD, exact)",
  SpaceToDepth: "reshape → transpose → reshape (exact)",
  GlobalMaxPool: "reduce_max over the spatial axes (exact)",
  ReduceMin: "0 − reduce_max(0 − x)",
  ReduceL1: "reduce_sum(abs(x))",
  ReduceL2: "sqrt table of reduce_sum(x·x)",
  ReduceSumSquare: "reduce_sum(x·x)",
  ReduceLogSum: "log table of reduce_sum(x)",
  ReduceLogSumExp: "log table of reduce_sum(exp table of x)",
  ArgMin: "argmax(0 − x)",
  CumSum: "matmul with a constant 0/1 triangular int8 matrix along the axis",
  Not: "integer/bool operands: 1 − x (exact)",
  And: "integer/bool operands: a·b (exact)",
  Or: "integer/bool operands: a + b − a·b (exact)",
  Xor: "integer/bool operands: clip(a − b, 0, 1) + clip(b − a, 0, 1) (exact)",
  Equal: "integer/bool operands: 1 − [a ≠ b] from two clipped differences (exact)",
  Greater: "integer operands: clip(a − b, 0, 1) (exact)",
  Less: "integer operands: clip(b − a, 0, 1) (exact)",
  GreaterOrEqual: "integer operands: 1 − clip(b − a, 0, 1) (exact)",
  LessOrEqual: "integer operands: 1 − clip(a − b, 0, 1) (exact)",
  Einsum: "one operand: reduce_sum and transpose; two operands: sums of private indices, transpose → reshape → matmul → reshape → transpose (no diagonals, at most two operands)",
  DequantizeLinear: "on constant integers (QDQ weights, biases): folded, and the file's integers and scales (per tensor or per output channel) become the engine's int8 weights and per-channel multipliers; after a QuantizeLinear (QDQ activations): the pair becomes one fake-quantization node, which rounds onto the file's grid in the float reference and is the identity in the program, where the value keeps the file's scale and zero point (not calibrated; a pair on a graph input is removed and the host quantizes the input); on run-time integers: per tensor the same integers relabelled (exact), per axis sub(zero points) then requantize per channel",
  QuantizeLinear: "scale and zero point constant: the value it reads takes the file's quantization (uint8 as int8 with the zero point − 128), and the ONNX integers come from one requantization (exact when that value carries the file's quantization; per axis: requantize per channel, add the zero points, clip); on a graph input the host applies it (round half to even, float32, per tensor or per axis)",
  DynamicQuantizeLinear: "made static: the uint8 scale and zero point come from the calibrated range (min/max, ONNX formula in float32) and are program constants, then as QuantizeLinear; written out (its ONNX function body: ReduceMin/ReduceMax, scale arithmetic, Cast, QuantizeLinear) it is recognised by what it computes and becomes the op",
  QLinearMatMul: "DequantizeLinear of each operand → MatMul → QuantizeLinear (see those): the file's integers and scales; b constant",
  QLinearConv: "DequantizeLinear of x and w (per output channel) and of the int32 bias (scale x_scale·w_scale) → Conv → QuantizeLinear: the file's integers and scales; w and bias constant",
  MatMulInteger: "DequantizeLinear(scale 1) of each operand → MatMul with an exact int32 result (scale 1); weights whose q − zero point spans 9 bits run as 2·(A·high) + A·low; B and the zero points constant",
  ConvInteger: "as MatMulInteger with Conv (padding reads as the input zero point); w and the zero points constant",
  ScatterElements: "constant indices: the flattened data and updates concatenated (one requantization to a common scale), then one gather (reduction none); reduction add/mul: each element's k-th update gathered into layer k (neutral 0/1 elsewhere), then data + layer₁ + … (or ·)",
  DFT: "static length: the cos/sin matrix (dft_length padding or truncation, onesided, inverse with 1/n) built offline, one matmul after moving the axis before the real/imaginary axis; not the inverse one-sided form (irfft); opset 20 needs its axis input",
  STFT: "static length: one constant matrix per signal (every frame's window × cos/sin, onesided), one matmul; frame_step, window and frame_length constant",
  Div: "integer operands at run time: the quotient of the long division of |a| by |b| (as Mod), negated when the signs differ (truncation toward zero)",
  Mod: "integer operands: binary long division of |a| by |b| in exact int32 arithmetic (compare, mul, sub per bit, 8 or 31 bits), then the sign rule of fmod 0 or 1",
  BitShift: "run-time integers: 2^shift picked from the constant powers 2^0…2^30 (shift compared exactly with 0…30); LEFT an exact int32 mul, RIGHT the quotient of the long division by it (as Mod)",
  ScatterND: "as ScatterElements",
  Scatter: "as ScatterElements",
  TopK: "the engine's top_k (values and int32 indices; ties keep the lower index) on the last axis, other axes moved there and back; K constant",
  OneHot: "run-time integer indices (negative ones wrapped) compared exactly with the positions along the new axis, then where(on, off); depth and values constant",
  Hardmax: "argmax, compared exactly with the constant positions along the axis (opset ≥ 13 semantics)",
  Shrink: "lookup table",
  Cast: "identity at run time for float→float, integer→integer and integer/bool→float; otherwise folded on constants",
  CastLike: "as Cast, with the type of its second input",
  Pow: "exponent 2: mul(x, x); other constant scalar exponents: lookup table; a constant tensor of integer exponents 0…16: x, x·x, x·x·x… once each, then where with each exponent's constant mask (integer x exact)",
  ReduceProd: "along each reduced axis, halves multiplied pairwise (an odd length padded with ones) until one slice is left: n − 1 muls in log₂ n rounds",
  ReverseSequence: "one exact gather of the flattened input (sequence_lens constant)",
  MeanVarianceNormalization: "reduce_mean, sub, mul, reduce_mean, add ε, 1/√x table, mul",
  GridSample: "2-D, grid constant: one constant linear map per batch item built offline (ONNX reference rules: nearest/bilinear/bicubic, zeros/border/reflection, align_corners), run as matmul with an int8 weight",
  LRN: "x², channels moved last, matmul with a constant band matrix (α/size in the window), bias added, (·)^−β lookup table, mul by x",
  RNN: "unrolled over the static sequence length: one matmul of the sequence by Wᵀ, per step a matmul by Rᵀ and the activation tables; forward, reverse, bidirectional; layout 0/1",
  GRU: "unrolled as RNN: sigmoid/tanh tables, (1 − z)·h̃ + z·h; linear_before_reset 0 and 1",
  LSTM: "unrolled as RNN: i, o, f, c gates, peepholes, input_forget, clip; Y, Y_h, Y_c",
  InstanceNormalization: "layer_norm over each (n, c) row, then per-channel mul and add",
  GroupNormalization: "reshape to [N, groups, ·], layer_norm, reshape, per-channel (or per-group, opset 18) mul and add",
  ConvTranspose: "1-D and 2-D: exact gathers spread the input (stride − 1 zeros between samples, padding from pads/output_padding/output_shape/auto_pad), then conv2d with the flipped kernel, channels swapped; group, dilations",
  Conv: "1-D: the 2-D conv2d over a height of 1 (reshape in and out)",
  Resize: "one map per axis built offline (every mode and coordinate transformation of the ONNX reference): nearest as an exact gather, linear/cubic as a matmul with a constant int8 weight (+ bias for tf_crop_and_resize extrapolation); scales/sizes/roi constant; no antialias",
  Upsample: "as Resize (asymmetric; nearest floors)",
  Softmax: "also recognised as ReduceMax → Sub → Exp → ReduceSum → Div",
  LogSoftmax: "also recognised as ReduceMax → Sub → Exp → ReduceSum → Log → Sub",
};
