// ONNX → float graph: read the model, fix static shapes, fold constants, and recognise the
// decompositions exporters produce (LayerNorm, GELU via Erf, Gemm/MatMul+Add, BatchNorm) so the
// quantizer sees the small op set the engine implements.
import { UnsupportedOpError } from "../engine/errors.ts";
import { COMPOSE_CONSTANT_INPUTS, composeOps } from "./compose.ts";
import { FLOAT_REFERENCE_OPS, TABLE_UNARY_OPS, runFloatGraph, runFloatNode, sizeOf } from "./float-exec.ts";
import type { FloatGraph, FloatNode } from "./graph.ts";
import { OnnxFormatError, declaredShape, decodeModel, hostTensor, readAttributes, readTensor, type HostTensor, type NodeProto } from "./onnx.ts";
import { COMPOSED_ONNX_OPS, FOLD_ONLY_REASONS, OnnxUnsupportedOpsError, REFUSED_AT_RUN_TIME, REFUSED_ONNX_OPS, refusedValueTypes, type OpProblem } from "./onnx-ops.ts";
import { SUPPORTED_LOWERINGS } from "./quantize.ts";
import { carryWeightQuant, takeQuantization } from "./qdq.ts";
import { QUANTIZED_CONSTANT_INPUTS } from "./qdq-ops.ts";

/** ONNX ops lowered onto engine ops directly (some only in the forms listed in docs/onnx-ops.md). */
export const LOWERED_ONNX_OPS = [
  "Add", "ArgMax", "AveragePool", "BatchNormalization", "Clip", "Concat", "Conv", "Div", "Dropout",
  "Erf", "Exp", "Flatten", "Gather", "Gelu", "Gemm", "GlobalAveragePool", "Identity", "LayerNormalization", "LeakyRelu",
  "LogSoftmax", "MatMul", "MaxPool", "Mul", "ReduceMax", "ReduceMean", "ReduceSum", "Relu", "Reshape",
  "Sigmoid", "Slice", "Softmax", "Sqrt", "Squeeze", "Sub", "Tanh", "Transpose", "Unsqueeze", "Where", "Attention",
] as const;

/** ONNX ops lowered through a 256-entry lookup table on the int8 input (element-wise functions). */
export const TABLE_ONNX_OPS = TABLE_UNARY_OPS.filter((op) => !op.startsWith("aivm.") && op !== "Rsqrt" && op !== "Silu" && !(LOWERED_ONNX_OPS as readonly string[]).includes(op));

/** Every ONNX op the importer accepts: lowered, through a table, composed, or folded at import. */
export const SUPPORTED_ONNX_OPS: readonly string[] = [
  ...new Set<string>([...LOWERED_ONNX_OPS, ...TABLE_ONNX_OPS, ...Object.keys(COMPOSED_ONNX_OPS), ...Object.keys(FOLD_ONLY_REASONS)]),
].sort();

export interface ImportOptions {
  /** Values for graph inputs that are to be frozen into the model as constants (e.g. weights fed as inputs). */
  freeze?: ReadonlyMap<string, HostTensor>;
  /** Concrete shapes for inputs whose declared shape has symbolic dimensions (default: each symbolic dim = 1). */
  inputShapes?: ReadonlyMap<string, number[]>;
}

/** Inputs of these (op, input index) pairs must be known at compile time: they shape the program or are weights. */
const STATIC_INPUTS: Record<string, readonly number[]> = {
  Reshape: [1], Slice: [1, 2, 3, 4], Squeeze: [1], Unsqueeze: [1], ReduceSum: [1], ReduceMean: [1], ReduceMax: [1],
  Clip: [1, 2], Conv: [1, 2], Gemm: [1, 2], If: [0], Attention: [3, 6], BatchNormalization: [1, 2, 3, 4], LayerNormalization: [1, 2], Gather: [1], Pow: [1],
  ...COMPOSE_CONSTANT_INPUTS, ConstantOfShape: [0], Range: [0, 1, 2], OneHot: [1, 2], Resize: [1, 2, 3], Upsample: [1], ConvTranspose: [1, 2], InstanceNormalization: [1, 2], GroupNormalization: [1, 2], QuantizeLinear: [1, 2], DequantizeLinear: [1, 2], ...QUANTIZED_CONSTANT_INPUTS, HannWindow: [0], HammingWindow: [0], BlackmanWindow: [0],
};

/** ONNX TensorProto element types of integers: UINT8…INT64, UINT32, UINT64. */
const INTEGER_ELEM_TYPES = new Set([2, 3, 4, 5, 6, 7, 12, 13]);

/** Names of the graph inputs the importer needs as constants (conformance cases feed weights as inputs). */
export function staticInputNames(bytes: Uint8Array): string[] {
  const model = decodeModel(bytes);
  const g = model.graph;
  if (!g) return [];
  const inits = new Set((g.initializer ?? []).map((t) => t.name ?? ""));
  const inputs = new Set((g.input ?? []).map((v) => v.name ?? "").filter((n) => !inits.has(n)));
  const elemType = new Map((g.input ?? []).map((v) => [v.name ?? "", v.type?.tensorType?.elemType ?? 0]));
  const out = new Set<string>();
  const producer = new Map((g.node ?? []).flatMap((n) => (n.output ?? []).map((o) => [o, n] as const)));
  // A size (Range bounds, ConstantOfShape's shape) computed from graph inputs freezes those inputs too.
  const freezeAncestors = (v: string, seen: Set<string>) => {
    if (seen.has(v)) return;
    seen.add(v);
    if (inputs.has(v)) out.add(v);
    const p = producer.get(v);
    const shapeOnly = SHAPE_ONLY_INPUTS[p?.opType ?? ""] ?? [];
    (p?.input ?? []).forEach((u, i) => u && !shapeOnly.includes(i) && freezeAncestors(u, seen));
  };
  for (const n of g.node ?? []) {
    const idx = STATIC_INPUTS[n.opType ?? ""] ?? [];
    (n.input ?? []).forEach((name, i) => {
      // Integer indices of a Gather run as they come (compose.ts gatherRuntime): an embedding lookup's
      // token ids are the model's input, not a constant.
      if (n.opType === "Gather" && i === 1 && INTEGER_ELEM_TYPES.has(elemType.get(name) ?? 0)) return;
      if (idx.includes(i) && inputs.has(name)) out.add(name);
      if (SIZE_INPUTS[n.opType ?? ""]?.includes(i)) freezeAncestors(name, new Set());
    });
  }
  return [...out];
}

/** Inputs that are sizes: graph inputs they are computed from are frozen as well (see staticInputNames). */
const SIZE_INPUTS: Record<string, readonly number[]> = { Range: [0, 1, 2], ConstantOfShape: [0] };

function opsetOf(bytes: ReturnType<typeof decodeModel>): number {
  for (const o of bytes.opsetImport ?? []) {
    if (!o.domain || o.domain === "ai.onnx") return typeof o.version === "number" ? o.version : Number(o.version ?? 0);
  }
  return 0;
}

/** Reads an ONNX model into a float graph with static shapes, folded constants and fused patterns. */
export function importOnnx(bytes: Uint8Array, options: ImportOptions = {}): FloatGraph {
  const model = decodeModel(bytes);
  const g = model.graph;
  if (!g) throw new OnnxFormatError("model", "has no graph");
  const refusedTypes = refusedValueTypes([...(g.input ?? []), ...(g.output ?? [])]);
  if (refusedTypes.length) throw new OnnxUnsupportedOpsError(refusedTypes, SUPPORTED_ONNX_OPS);
  const constants = new Map<string, HostTensor>();
  for (const t of g.initializer ?? []) constants.set(t.name ?? "", readTensor(t));
  const inputs: FloatGraph["inputs"] = [];
  for (const v of g.input ?? []) {
    const name = v.name ?? "";
    if (constants.has(name)) continue;
    const frozen = options.freeze?.get(name);
    if (frozen) {
      constants.set(name, frozen);
      continue;
    }
    const d = declaredShape(v);
    if (!d.dtype) throw new OnnxFormatError(`input "${name}"`, "has an unsupported element type");
    const shape = options.inputShapes?.get(name) ?? d.shape.map((x) => (x < 0 ? 1 : x));
    inputs.push({ name, dtype: d.dtype, shape });
  }
  const problems: OpProblem[] = [];
  const nodes: FloatNode[] = [];
  inlineKnownIfs(g.node ?? [], constants).forEach((n, i) => {
    const op = n.opType ?? "";
    const node = n.name || `${op}_${i}`;
    const problem = acceptNode(n, op, node);
    if (problem) return problems.push(problem);
    try {
      nodes.push({ op, name: node, inputs: [...(n.input ?? [])], outputs: [...(n.output ?? [])], attrs: readAttributes(n) });
    } catch (e) {
      if (!(e instanceof OnnxFormatError)) throw e;
      problems.push({ node, op, reason: e.shortMessage, refused: false });
    }
  });
  if (problems.length) throw new OnnxUnsupportedOpsError(problems, SUPPORTED_ONNX_OPS);
  const graph: FloatGraph = { nodes, inputs, outputs: (g.output ?? []).map((v) => v.name ?? ""), constants, opset: opsetOf(model) };
  const dynamic = takeQuantization(graph);
  if (dynamic.length) throw new OnnxUnsupportedOpsError(dynamic, SUPPORTED_ONNX_OPS);
  expandAttention(graph);
  foldConstants(graph);
  composeOps(graph, valueMetas(graph));
  fusePatterns(graph);
  removeDeadNodes(graph);
  checkLowerable(graph);
  return graph;
}

/**
 * An If whose condition is known before the import runs anything (an initializer, an input frozen
 * from the first sample, or a Constant node's value) is replaced by the branch it takes: the branch's
 * initializers join the constants, its nodes (their own known Ifs inlined too) take the If's place,
 * and one Identity per output gives the branch's results the If's output names. An If whose
 * condition is computed at run time stays, and acceptNode refuses it. ONNX names are unique across a
 * model and its sub-graphs, and a branch reads outer values by name, so the inlined nodes keep theirs.
 */
function inlineKnownIfs(nodes: readonly NodeProto[], constants: Map<string, HostTensor>): NodeProto[] {
  const known = new Map<string, HostTensor>();
  const value = (name: string) => constants.get(name) ?? known.get(name);
  const out: NodeProto[] = [];
  for (const n of nodes) {
    if (n.opType === "Constant" && (!n.domain || n.domain === "ai.onnx")) {
      const t = n.attribute?.find((a) => a.name === "value")?.t;
      if (t && n.output?.[0]) known.set(n.output[0], readTensor(t, `node "${n.name || "Constant"}" attribute value`));
    }
    const cond = n.opType === "If" && (!n.domain || n.domain === "ai.onnx") ? value(n.input?.[0] ?? "") : undefined;
    if (!cond) {
      out.push(n);
      continue;
    }
    if (cond.data.length !== 1) throw new OnnxFormatError(`node "${n.name || "If"}"`, `condition has ${cond.data.length} elements; If takes a single bool`);
    const branch = n.attribute?.find((a) => a.name === (cond.data[0] !== 0 ? "then_branch" : "else_branch"))?.g;
    if (!branch) throw new OnnxFormatError(`node "${n.name || "If"}"`, "has no then_branch or else_branch graph");
    const results = (branch.output ?? []).map((v) => v.name ?? "");
    if (results.length !== (n.output ?? []).length) throw new OnnxFormatError(`node "${n.name || "If"}"`, `branch has ${results.length} outputs, the If ${(n.output ?? []).length}`);
    for (const t of branch.initializer ?? []) constants.set(t.name ?? "", readTensor(t));
    out.push(...inlineKnownIfs(branch.node ?? [], constants));
    results.forEach((r, k) => out.push({ opType: "Identity", name: `${n.name || "If"}/${k}`, input: [r], output: [n.output![k]!] }));
  }
  return out;
}

/** Throws OnnxUnsupportedOpsError listing every node refused or unknown whatever its inputs (cheap: no shapes, no data). */
export function checkOnnxOps(bytes: Uint8Array): void {
  const g = decodeModel(bytes).graph;
  const problems = [
    ...refusedValueTypes([...(g?.input ?? []), ...(g?.output ?? [])]),
    // An If may be inlined once its condition is known (inlineKnownIfs): the import decides.
    ...(g?.node ?? []).flatMap((n, i) => (n.opType === "If" ? [] : (acceptNode(n, n.opType ?? "", n.name || `${n.opType ?? ""}_${i}`) ?? []))),
  ];
  if (problems.length) throw new OnnxUnsupportedOpsError(problems, SUPPORTED_ONNX_OPS);
}

/** Why a node cannot be imported whatever its inputs (refused by design, or unknown), or undefined. */
function acceptNode(n: { domain?: string | null; output?: string[] | null; attribute?: { name?: string | null; i?: unknown }[] | null }, op: string, node: string): OpProblem | undefined {
  if (n.domain && n.domain !== "ai.onnx") {
    const training = n.domain.startsWith("ai.onnx.preview.training");
    return {
      node, op: `${n.domain}.${op}`, refused: training,
      reason: training ? "training-only op (optimizer or gradient), not inference." : `ops of the "${n.domain}" domain are not part of ai.onnx.`,
      fix: training ? "export the inference graph (model.eval())." : "export with standard ai.onnx ops only (no custom or contrib ops).",
    };
  }
  const refusal = REFUSED_ONNX_OPS[op];
  if (refusal) return { node, op, refused: true, ...refusal };
  if (!FLOAT_REFERENCE_OPS.has(op) && op !== "Attention") return { node, op, refused: false, reason: "not implemented by the importer (no lowering, composition or folding)." };
  if (op === "MaxPool" && n.output?.[1]) return { node, op: "MaxPool (Indices output)", refused: false, reason: "the engine's max_pool has no Indices output." };
  const training = n.attribute?.find((a) => a.name === "training_mode");
  if (op === "BatchNormalization" && ((training && Number(training.i) === 1) || (n.output ?? []).filter(Boolean).length > 1)) {
    return { node, op: "BatchNormalization (training_mode=1)", refused: true, reason: "training mode updates and outputs running statistics; that is not inference.", fix: "export with model.eval() (training_mode=0)." };
  }
  return undefined;
}

/** Every node left after folding and composition must be one quantize.ts lowers: list all that are not. */
function checkLowerable(graph: FloatGraph): void {
  const lowerable = new Set<string>([...SUPPORTED_LOWERINGS, ...TABLE_UNARY_OPS, "aivm.Copy"]);
  const problems: OpProblem[] = [];
  for (const n of graph.nodes) {
    const known = (i: number) => !n.inputs[i] || graph.constants.has(n.inputs[i]!);
    // Forms quantize.ts refuses, found here so they join the one list.
    const form =
      n.op === "Conv" && !known(1) ? "the weight must be constant."
      : n.op === "aivm.Linear" && !known(2) ? "C must be constant."
      : (n.op === "DequantizeLinear" || n.op === "QuantizeLinear") && (!known(1) || !known(2)) ? "its scale and zero point must be constant."
      : undefined;
    if (form) {
      problems.push({ node: n.name, op: n.op === "aivm.Linear" ? "Gemm" : n.op, reason: form, refused: false });
      continue;
    }
    if (lowerable.has(n.op)) continue;
    const foldOnly = FOLD_ONLY_REASONS[n.op];
    const needConst = COMPOSE_CONSTANT_INPUTS[n.op];
    const reason =
      n.op === "Pow" ? "the exponent must be a constant scalar."
      : needConst ? `input${needConst.length > 1 ? "s" : ""} ${needConst.join(", ")} must be constant at import.`
      : n.op === "Cast" || n.op === "CastLike" ? "a float → integer or bool cast at run time is not supported (quantized values have no exact truncation)."
      : foldOnly ? `its inputs are not constant at import: ${foldOnly}.`
      : "this form is not supported at run time (see docs/onnx-ops.md).";
    problems.push({ node: n.name, op: n.op, reason, refused: REFUSED_AT_RUN_TIME.has(n.op), fix: foldOnly ? "make its inputs constant at export (static shapes, constant folding in the exporter)." : undefined });
  }
  if (problems.length) throw new OnnxUnsupportedOpsError(problems, SUPPORTED_ONNX_OPS);
}

/** Inputs of these ops whose values do not matter, only their static shape and type. */
const SHAPE_ONLY_INPUTS: Record<string, readonly number[]> = { Shape: [0], Size: [0], CastLike: [1], EyeLike: [0] };

/** Evaluates every node whose inputs are all constant, or only read for their static shape and type. */
export function foldConstants(graph: FloatGraph): void {
  const metas = valueMetas(graph);
  const kept: FloatNode[] = [];
  for (const node of graph.nodes) {
    const shapeOnly = SHAPE_ONLY_INPUTS[node.op] ?? [];
    const known = node.inputs.every((v, i) => !v || graph.constants.has(v) || shapeOnly.includes(i));
    if (known) {
      const env = new Map(graph.constants);
      for (const i of shapeOnly) {
        const v = node.inputs[i];
        const m = v ? metas.get(v) : undefined;
        if (v && m && !env.has(v)) env.set(v, hostTensor(m.dtype, m.shape));
      }
      const outs = runFloatNode(node, env);
      node.outputs.forEach((o, i) => {
        if (o && outs[i]) graph.constants.set(o, outs[i]!);
      });
      continue;
    }
    kept.push(node);
  }
  graph.nodes = kept;
}

/** Shape and element type of every value, from one float run on zero inputs of the static input shapes. */
export function valueMetas(graph: FloatGraph): Map<string, { shape: number[]; dtype: HostTensor["dtype"] }> {
  const zeros = graph.inputs.map((i) => hostTensor(i.dtype, i.shape));
  const env = runFloatGraph(graph, zeros);
  return new Map([...env].map(([k, v]) => [k, { shape: v.shape, dtype: v.dtype }]));
}

/** Shapes of every value (see valueMetas). */
export function valueShapes(graph: FloatGraph): Map<string, number[]> {
  return new Map([...valueMetas(graph)].map(([k, v]) => [k, v.shape]));
}

function consumers(graph: FloatGraph, value: string): FloatNode[] {
  return graph.nodes.filter((n) => n.inputs.includes(value));
}

/** The single node reading `value`, when exactly one does and it is not a graph output. */
function soleConsumer(graph: FloatGraph, value: string, op?: string): FloatNode | undefined {
  if (graph.outputs.includes(value)) return undefined;
  const c = consumers(graph, value);
  if (c.length !== 1) return undefined;
  return op === undefined || c[0]!.op === op ? c[0] : undefined;
}

function producer(graph: FloatGraph, value: string): FloatNode | undefined {
  return graph.nodes.find((n) => n.outputs.includes(value));
}

function scalarConst(graph: FloatGraph, name: string | undefined): number | undefined {
  if (!name) return undefined;
  const t = graph.constants.get(name);
  if (!t || t.data.length !== 1) return undefined;
  return t.data[0];
}

/** The other operand of a binary node, given one of them. */
function otherInput(node: FloatNode, value: string): string | undefined {
  if (node.inputs[0] === value) return node.inputs[1];
  if (node.inputs[1] === value) return node.inputs[0];
  return undefined;
}

function near(a: number | undefined, b: number, tol = 1e-3): boolean {
  return a !== undefined && Math.abs(a - b) <= tol * Math.abs(b);
}

let fusedCounter = 0;
function freshName(graph: FloatGraph, base: string): string {
  let n: string;
  do n = `${base}__aivm${fusedCounter++}`;
  while (graph.constants.has(n) || graph.nodes.some((x) => x.outputs.includes(n)));
  return n;
}

function replaceNodes(graph: FloatGraph, remove: readonly FloatNode[], insert: FloatNode, at: FloatNode): void {
  const idx = graph.nodes.indexOf(at);
  graph.nodes.splice(idx, 0, insert);
  graph.nodes = graph.nodes.filter((n) => !remove.includes(n));
}

/** Rewrites exporter decompositions into fused ops. Each rule keeps the final ONNX value name. */
export function fusePatterns(graph: FloatGraph): void {
  // Identity and Dropout are aliases in inference (Dropout's mask is all true).
  for (const n of [...graph.nodes]) {
    if (n.op !== "Identity" && n.op !== "Dropout") continue;
    const src = n.inputs[0]!, dst = n.outputs[0]!;
    if (n.op === "Dropout") {
      const ratio = n.inputs[1] ? scalarConst(graph, n.inputs[1]) : 0.5;
      if (n.inputs[2] && scalarConst(graph, n.inputs[2]) !== 0 && ratio !== 0) {
        throw new OnnxUnsupportedOpsError([{ node: n.name, op: "Dropout (training_mode=1)", refused: true, reason: "training-mode dropout draws a random mask.", fix: "export with model.eval() (training_mode false)." }], SUPPORTED_ONNX_OPS);
      }
      if (n.outputs[1]) {
        const shape = valueShapes(graph).get(src)!;
        graph.constants.set(n.outputs[1], hostTensor("bool", shape, new Array<number>(sizeOf(shape)).fill(1)));
      }
    }
    graph.nodes = graph.nodes.filter((x) => x !== n);
    if (graph.outputs.includes(dst)) {
      const p = producer(graph, src);
      if (p && !graph.outputs.includes(src)) renameValue(graph, src, dst);
      else graph.nodes.push({ op: "aivm.Copy", name: n.name, inputs: [src], outputs: [dst], attrs: {} });
    } else renameValue(graph, dst, src);
  }
  fuseLayerNorm(graph);
  splitLayerNormStats(graph);
  fuseGelu(graph);
  // Div by a constant is a Mul by its reciprocal; Pow(x, 2) is x·x.
  for (const n of [...graph.nodes]) {
    const c = n.inputs[1] ? graph.constants.get(n.inputs[1]) : undefined;
    if (n.op === "Div" && c) {
      const name = freshName(graph, `${n.inputs[1]}_reciprocal`);
      graph.constants.set(name, { ...c, data: c.data.map((v) => 1 / v) });
      n.op = "Mul";
      n.inputs = [n.inputs[0]!, name];
    } else if (n.op === "Div" && inputDType(graph, n.inputs[1]!) === "float32") {
      // x / y = x · (1/y): the reciprocal is a lookup table, calibrated like any other tensor.
      const r = freshName(graph, `${n.inputs[1]}_reciprocal`);
      graph.nodes.splice(graph.nodes.indexOf(n), 0, { op: "Reciprocal", name: `${n.name}/reciprocal`, inputs: [n.inputs[1]!], outputs: [r], attrs: {} });
      n.op = "Mul";
      n.inputs = [n.inputs[0]!, r];
    } else if (n.op === "Pow") {
      const e = scalarConst(graph, n.inputs[1]);
      if (e === 2) {
        n.op = "Mul";
        n.inputs = [n.inputs[0]!, n.inputs[0]!];
      } else if (e !== undefined) {
        // Any other constant exponent: an element-wise function, so a lookup table.
        n.op = "aivm.Pow";
        n.inputs = [n.inputs[0]!];
        n.attrs = { exponent: e };
      }
    }
  }
  fuseBatchNorm(graph);
  fuseLinear(graph);
}

function inputDType(graph: FloatGraph, value: string): string | undefined {
  return graph.inputs.find((i) => i.name === value)?.dtype ?? (producer(graph, value) ? "float32" : graph.constants.get(value)?.dtype);
}

function renameValue(graph: FloatGraph, from: string, to: string): void {
  for (const n of graph.nodes) {
    n.inputs = n.inputs.map((v) => (v === from ? to : v));
    n.outputs = n.outputs.map((v) => (v === from ? to : v));
  }
  graph.outputs = graph.outputs.map((v) => (v === from ? to : v));
}

/** ReduceMean → Sub → Pow/Mul → ReduceMean → Add(eps) → Sqrt → Div [→ Mul(γ)] [→ Add(β)]. */
function fuseLayerNorm(graph: FloatGraph): void {
  const shapes = valueShapes(graph);
  for (const mean of [...graph.nodes]) {
    if (mean.op !== "ReduceMean" || !graph.nodes.includes(mean)) continue;
    const x = mean.inputs[0]!;
    const rank = shapes.get(x)?.length ?? 0;
    const axes = axesOf(graph, mean);
    if (!axes || !isTrailing(axes, rank)) continue;
    const subs = consumers(graph, mean.outputs[0]!).filter((n) => n.op === "Sub" && n.inputs[0] === x && n.inputs[1] === mean.outputs[0]);
    if (subs.length !== 1 || consumers(graph, mean.outputs[0]!).length !== 1) continue;
    const sub = subs[0]!;
    const d = sub.outputs[0]!;
    const dUsers = consumers(graph, d);
    const sq = dUsers.find((n) => (n.op === "Pow" && n.inputs[0] === d && scalarConst(graph, n.inputs[1]) === 2) || (n.op === "Mul" && n.inputs[0] === d && n.inputs[1] === d));
    const div = dUsers.find((n) => n.op === "Div" && n.inputs[0] === d);
    if (!sq || !div || dUsers.length !== 2) continue;
    const varMean = soleConsumer(graph, sq.outputs[0]!, "ReduceMean");
    if (!varMean) continue;
    const axes2 = axesOf(graph, varMean);
    if (!axes2 || axes2.join() !== axes.join()) continue;
    const addEps = soleConsumer(graph, varMean.outputs[0]!, "Add");
    const epsName = addEps && otherInput(addEps, varMean.outputs[0]!);
    const eps = scalarConst(graph, epsName);
    const sqrt = addEps && soleConsumer(graph, addEps.outputs[0]!, "Sqrt");
    if (eps === undefined || !sqrt || div.inputs[1] !== sqrt.outputs[0] || consumers(graph, sqrt.outputs[0]!).length !== 1) continue;
    const chain = [mean, sub, sq, varMean, addEps!, sqrt, div];
    let out = div.outputs[0]!;
    let gamma = "", beta = "";
    const mulG = soleConsumer(graph, out, "Mul");
    const gName = mulG && otherInput(mulG, out);
    if (mulG && gName && graph.constants.has(gName)) {
      gamma = gName;
      chain.push(mulG);
      out = mulG.outputs[0]!;
    }
    const addB = soleConsumer(graph, out, "Add");
    const bName = addB && otherInput(addB, out);
    if (addB && bName && graph.constants.has(bName)) {
      beta = bName;
      chain.push(addB);
      out = addB.outputs[0]!;
    }
    const fused: FloatNode = {
      op: "aivm.LayerNorm",
      name: `${mean.name}+LayerNorm`,
      inputs: [x, gamma, beta],
      outputs: [out],
      attrs: { axis: Math.min(...axes.map((a) => (a < 0 ? a + rank : a))) - rank, epsilon: eps },
    };
    replaceNodes(graph, chain, fused, chain[chain.length - 1]!);
  }
}

function axesOf(graph: FloatGraph, n: FloatNode): number[] | undefined {
  const a = n.inputs[1] ? graph.constants.get(n.inputs[1])?.data : undefined;
  const list = a ? [...a] : Array.isArray(n.attrs.axes) ? n.attrs.axes.map(Number) : undefined;
  return list;
}

function isTrailing(axes: number[], rank: number): boolean {
  const norm = axes.map((a) => (a < 0 ? a + rank : a)).sort((p, q) => p - q);
  return norm.length > 0 && norm.every((a, i) => a === rank - norm.length + i);
}

/** LayerNormalization → aivm.LayerNorm; its optional Mean and InvStdDev outputs become reductions and a 1/√x table. */
function splitLayerNormStats(graph: FloatGraph): void {
  const shapes = valueShapes(graph);
  for (const n of [...graph.nodes]) {
    if (n.op !== "LayerNormalization") continue;
    const x = n.inputs[0]!;
    const rank = shapes.get(x)!.length;
    const axis = typeof n.attrs.axis === "number" ? n.attrs.axis : -1;
    const a0 = axis < 0 ? axis + rank : axis;
    const eps = typeof n.attrs.epsilon === "number" ? n.attrs.epsilon : 1e-5;
    const [y, mean, inv] = n.outputs;
    n.op = "aivm.LayerNorm";
    n.outputs = [y!];
    n.attrs = { axis: a0 - rank, epsilon: eps };
    if (!mean && !inv) continue;
    const axesName = freshName(graph, `${n.name}_axes`);
    graph.constants.set(axesName, hostTensor("int64", [rank - a0], Array.from({ length: rank - a0 }, (_, i) => a0 + i)));
    const m = mean || freshName(graph, `${n.name}_mean`);
    const extra: FloatNode[] = [{ op: "ReduceMean", name: `${n.name}/mean`, inputs: [x, axesName], outputs: [m], attrs: { keepdims: 1 } }];
    if (inv) {
      const d = freshName(graph, `${n.name}_centred`), sq = freshName(graph, `${n.name}_sq`), v = freshName(graph, `${n.name}_var`);
      const ve = freshName(graph, `${n.name}_var_eps`), epsName = freshName(graph, `${n.name}_eps`);
      graph.constants.set(epsName, hostTensor("float32", [], [eps]));
      extra.push(
        { op: "Sub", name: `${n.name}/centre`, inputs: [x, m], outputs: [d], attrs: {} },
        { op: "Mul", name: `${n.name}/square`, inputs: [d, d], outputs: [sq], attrs: {} },
        { op: "ReduceMean", name: `${n.name}/variance`, inputs: [sq, axesName], outputs: [v], attrs: { keepdims: 1 } },
        { op: "Add", name: `${n.name}/epsilon`, inputs: [v, epsName], outputs: [ve], attrs: {} },
        { op: "Rsqrt", name: `${n.name}/inv_std`, inputs: [ve], outputs: [inv], attrs: {} },
      );
    }
    graph.nodes.splice(graph.nodes.indexOf(n) + 1, 0, ...extra);
  }
}

/** x · 0.5 · (1 + erf(x / √2)) in any of the orders exporters write it. */
function fuseGelu(graph: FloatGraph): void {
  for (const erf of [...graph.nodes]) {
    if (erf.op !== "Erf" || !graph.nodes.includes(erf)) continue;
    const scale = producer(graph, erf.inputs[0]!);
    if (!scale || consumers(graph, scale.outputs[0]!).length !== 1) continue;
    const x = scale.inputs[0]!;
    const c = scalarConst(graph, scale.inputs[1]);
    const okScale = (scale.op === "Div" && near(c, Math.SQRT2)) || (scale.op === "Mul" && near(c, Math.SQRT1_2));
    if (!okScale) continue;
    const add1 = soleConsumer(graph, erf.outputs[0]!, "Add");
    if (!add1 || !near(scalarConst(graph, otherInput(add1, erf.outputs[0]!)), 1)) continue;
    const m1 = soleConsumer(graph, add1.outputs[0]!, "Mul");
    if (!m1) continue;
    const other = otherInput(m1, add1.outputs[0]!);
    const chain = [scale, erf, add1, m1];
    let out: string;
    if (other === x) {
      // (x · (1 + erf)) · 0.5
      const m2 = soleConsumer(graph, m1.outputs[0]!, "Mul");
      if (!m2 || !near(scalarConst(graph, otherInput(m2, m1.outputs[0]!)), 0.5)) continue;
      chain.push(m2);
      out = m2.outputs[0]!;
    } else {
      // (x · 0.5) · (1 + erf)
      const half = other ? producer(graph, other) : undefined;
      if (!half || half.op !== "Mul" || !half.inputs.includes(x) || !near(scalarConst(graph, otherInput(half, x)), 0.5)) continue;
      if (consumers(graph, half.outputs[0]!).length !== 1) continue;
      chain.push(half);
      out = m1.outputs[0]!;
    }
    replaceNodes(graph, chain, { op: "aivm.Gelu", name: `${erf.name}+Gelu`, inputs: [x], outputs: [out], attrs: {} }, chain[chain.length - 1]!);
  }
  for (const n of graph.nodes) if (n.op === "Gelu") n.op = "aivm.Gelu";
}

/** Conv → BatchNormalization folds into the conv's weights and bias; a lone BatchNorm becomes Mul + Add. */
function fuseBatchNorm(graph: FloatGraph): void {
  for (const bn of [...graph.nodes]) {
    if (bn.op !== "BatchNormalization") continue;
    const [s, b, m, v] = [1, 2, 3, 4].map((i) => graph.constants.get(bn.inputs[i]!)!);
    const eps = typeof bn.attrs.epsilon === "number" ? bn.attrs.epsilon : 1e-5;
    const C = s!.data.length;
    const scale = Array.from({ length: C }, (_, c) => s!.data[c]! / Math.sqrt(v!.data[c]! + eps));
    const shift = Array.from({ length: C }, (_, c) => b!.data[c]! - m!.data[c]! * scale[c]!);
    const conv = producer(graph, bn.inputs[0]!);
    if (conv && conv.op === "Conv" && consumers(graph, conv.outputs[0]!).length === 1 && graph.constants.has(conv.inputs[1]!)) {
      const w = graph.constants.get(conv.inputs[1]!)!;
      const per = w.data.length / C;
      const wName = freshName(graph, `${conv.inputs[1]}_bnfold`);
      graph.constants.set(wName, { ...w, data: w.data.map((x, i) => x * scale[Math.floor(i / per)]!) });
      const oldBias = conv.inputs[2] ? graph.constants.get(conv.inputs[2]) : undefined;
      const bName = freshName(graph, `${bn.name}_bias`);
      graph.constants.set(bName, hostTensor("float32", [C], shift.map((sh, c) => sh + (oldBias ? oldBias.data[c]! * scale[c]! : 0))));
      conv.inputs = [conv.inputs[0]!, wName, bName];
      conv.outputs = [bn.outputs[0]!];
      graph.nodes = graph.nodes.filter((n) => n !== bn);
      continue;
    }
    const rank = valueShapes(graph).get(bn.inputs[0]!)!.length;
    const cshape = [C, ...new Array<number>(rank - 2).fill(1)];
    const sName = freshName(graph, `${bn.name}_scale`), hName = freshName(graph, `${bn.name}_shift`), mid = freshName(graph, `${bn.name}_scaled`);
    graph.constants.set(sName, hostTensor("float32", cshape, scale));
    graph.constants.set(hName, hostTensor("float32", cshape, shift));
    const mul: FloatNode = { op: "Mul", name: `${bn.name}/scale`, inputs: [bn.inputs[0]!, sName], outputs: [mid], attrs: {} };
    const add: FloatNode = { op: "Add", name: `${bn.name}/shift`, inputs: [mid, hName], outputs: [bn.outputs[0]!], attrs: {} };
    const idx = graph.nodes.indexOf(bn);
    graph.nodes.splice(idx, 1, mul, add);
  }
}

/** Gemm (any transposes, α, β) and MatMul(+Add bias) with a constant weight become aivm.Linear: y = x·W (+ b), W as [K,N]. */
function fuseLinear(graph: FloatGraph): void {
  const shapes = valueShapes(graph);
  for (const n of [...graph.nodes]) {
    if (n.op === "Gemm") {
      const alpha = typeof n.attrs.alpha === "number" ? n.attrs.alpha : 1;
      const beta = typeof n.attrs.beta === "number" ? n.attrs.beta : 1;
      let a = n.inputs[0]!;
      const B = graph.constants.get(n.inputs[1]!);
      if (n.attrs.transA === 1) {
        const t = freshName(graph, `${a}_T`);
        graph.nodes.splice(graph.nodes.indexOf(n), 0, { op: "Transpose", name: `${n.name}/transA`, inputs: [a], outputs: [t], attrs: { perm: [1, 0] } });
        a = t;
      }
      const C = n.inputs[2] ? graph.constants.get(n.inputs[2]) : undefined;
      if (!B || (n.inputs[2] && !C)) {
        // Runtime B or C: keep Gemm semantics through MatMul (+ Mul/Add), lowered later.
        n.op = "aivm.Linear";
        n.inputs = [a, ...n.inputs.slice(1)];
        n.attrs = { transB: n.attrs.transB === 1 ? 1 : 0, alpha, beta };
        continue;
      }
      const W = n.attrs.transB === 1 ? transpose2d(B) : B;
      const wName = freshName(graph, `${n.inputs[1]}_w`);
      graph.constants.set(wName, { ...W, data: W.data.map((x) => x * alpha) });
      carryWeightQuant(graph, n.inputs[1]!, wName, n.attrs.transB === 1, alpha);
      const N = W.shape[1]!;
      let bName = "";
      if (C) {
        bName = freshName(graph, `${n.inputs[2]}_b`);
        const full = Array.from({ length: N }, (_, j) => beta * C.data[C.data.length === 1 ? 0 : C.data.length === N ? j : j]!);
        if (C.data.length !== 1 && C.data.length !== N) {
          // A full [M,N] C is a per-output-row addend, not a bias: add it as a constant after the matmul.
          const mid = freshName(graph, `${n.outputs[0]}_mm`);
          const cName = freshName(graph, `${n.inputs[2]}_c`);
          graph.constants.set(cName, { ...C, data: C.data.map((x) => beta * x) });
          graph.nodes.splice(graph.nodes.indexOf(n) + 1, 0, { op: "Add", name: `${n.name}/C`, inputs: [mid, cName], outputs: [n.outputs[0]!], attrs: {} });
          n.outputs = [mid];
          bName = "";
        } else graph.constants.set(bName, hostTensor("float32", [N], full));
      }
      n.op = "aivm.Linear";
      n.inputs = [a, wName, bName];
      n.attrs = {};
      continue;
    }
    if (n.op !== "MatMul" || !graph.nodes.includes(n)) continue;
    const W = graph.constants.get(n.inputs[1]!);
    if (!W || W.shape.length !== 2 || (shapes.get(n.inputs[0]!)?.length ?? 0) < 2) continue;
    n.op = "aivm.Linear";
    n.inputs = [n.inputs[0]!, n.inputs[1]!, ""];
    const add = soleConsumer(graph, n.outputs[0]!, "Add");
    const bias = add && otherInput(add, n.outputs[0]!);
    const bt = bias ? graph.constants.get(bias) : undefined;
    if (add && bt && bt.data.length === W.shape[1] && (bt.shape.length === 1 || bt.shape.slice(0, -1).every((d) => d === 1))) {
      const bName = freshName(graph, `${bias}_b`);
      graph.constants.set(bName, hostTensor("float32", [W.shape[1]!], bt.data));
      n.inputs[2] = bName;
      n.outputs = [add.outputs[0]!];
      graph.nodes = graph.nodes.filter((x) => x !== add);
    }
  }
}

function transpose2d(t: HostTensor): HostTensor {
  const [r, c] = t.shape as [number, number];
  const out = hostTensor(t.dtype, [c, r]);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out.data[j * r + i] = t.data[i * c + j]!;
  return out;
}

function removeDeadNodes(graph: FloatGraph): void {
  const live = new Set(graph.outputs);
  const kept: FloatNode[] = [];
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const n = graph.nodes[i]!;
    if (!n.outputs.some((o) => live.has(o))) continue;
    for (const v of n.inputs) if (v) live.add(v);
    kept.push(n);
  }
  graph.nodes = kept.reverse();
  for (const k of [...graph.constants.keys()]) if (!live.has(k)) graph.constants.delete(k);
}

/**
 * ONNX Attention (opset 23) as matmul → scale → (softcap) → mask → softmax → matmul over the
 * small op set. The mask and causal structure must be constant: they become a finite additive
 * bias and an "allowed" condition; masked scores go to the int32 minimum, which the integer
 * softmax turns into probability 0.
 */
function expandAttention(graph: FloatGraph): void {
  for (const n of [...graph.nodes]) {
    if (n.op !== "Attention") continue;
    // Shapes of everything computed before this node (later nodes may still be unexpanded).
    const shapes = valueShapes({ ...graph, nodes: graph.nodes.slice(0, graph.nodes.indexOf(n)), outputs: [] });
    const where = `node "${n.name}"`;
    const [q0, k0, v0, maskName, pastK, pastV, nonpadName] = [0, 1, 2, 3, 4, 5, 6].map((i) => n.inputs[i] ?? "");
    const [yName, presentK, presentV, qkOut] = [0, 1, 2, 3].map((i) => n.outputs[i] ?? "");
    const num = (k: string, d: number) => (typeof n.attrs[k] === "number" ? (n.attrs[k] as number) : d);
    const rank3 = shapes.get(q0!)!.length === 3;
    const nodes: FloatNode[] = [];
    const fresh = (b: string) => freshName(graph, `${n.name}_${b}`);
    const konst = (b: string, t: HostTensor) => {
      const name = fresh(b);
      graph.constants.set(name, t);
      return name;
    };
    const add = (op: string, inputs: string[], attrs: FloatNode["attrs"] = {}, out = fresh(op)) => {
      nodes.push({ op, name: `${n.name}/${op}${nodes.length}`, inputs, outputs: [out], attrs });
      return out;
    };
    const toHeads = (x: string, heads: number) => {
      if (!rank3) return x;
      const [B, S, HD] = shapes.get(x)!;
      const r = add("Reshape", [x, konst("shape", hostTensor("int64", [4], [B!, S!, heads, HD! / heads]))]);
      return add("Transpose", [r], { perm: [0, 2, 1, 3] });
    };
    const qH = num("q_num_heads", rank3 ? 0 : shapes.get(q0!)![1]!);
    const kvH = num("kv_num_heads", rank3 ? 0 : shapes.get(k0!)![1]!);
    if (rank3 && (!qH || !kvH)) throw new UnsupportedOpError("Attention (3-D inputs without q_num_heads/kv_num_heads)", SUPPORTED_ONNX_OPS, where);
    const Q = toHeads(q0!, qH);
    let K = toHeads(k0!, kvH);
    let V = toHeads(v0!, kvH);
    if (pastK) K = add("Concat", [pastK, K], { axis: 2 }, presentK || fresh("present_key"));
    else if (presentK) K = add("Reshape", [K, konst("shape", hostTensor("int64", [4], shapes.get(k0!)!.length === 4 ? shapes.get(k0!)! : [0, 0, 0, 0]))], {}, presentK);
    if (pastV) V = add("Concat", [pastV, V], { axis: 2 }, presentV || fresh("present_value"));
    else if (presentV) V = add("Reshape", [V, konst("shape", hostTensor("int64", [4], shapes.get(v0!)!.length === 4 ? shapes.get(v0!)! : [0, 0, 0, 0]))], {}, presentV);
    // Static shapes after the cache concat.
    const B = shapes.get(q0!)![0]!;
    const S = rank3 ? shapes.get(q0!)![1]! : shapes.get(q0!)![2]!;
    const D = rank3 ? shapes.get(q0!)![2]! / qH : shapes.get(q0!)![3]!;
    const past = pastK ? shapes.get(pastK)![2]! : 0;
    const T = (rank3 ? shapes.get(k0!)![1]! : shapes.get(k0!)![2]!) + past;
    if (qH !== kvH) {
      const idx = konst("heads", hostTensor("int64", [qH], Array.from({ length: qH }, (_, h) => Math.floor(h / (qH / kvH)))));
      K = add("Gather", [K, idx], { axis: 1 });
      V = add("Gather", [V, idx], { axis: 1 });
    }
    const scale = typeof n.attrs.scale === "number" ? n.attrs.scale : 1 / Math.sqrt(D);
    let scores = add("aivm.Linear", [Q, K], { transB: 1, alpha: scale });
    const softcap = num("softcap", 0);
    if (softcap > 0) {
      const t = add("Tanh", [add("Mul", [scores, konst("inv_cap", hostTensor("float32", [], [1 / softcap]))])]);
      scores = add("Mul", [t, konst("cap", hostTensor("float32", [], [softcap]))]);
    }
    const mode = num("qk_matmul_output_mode", 0);
    // Additive finite bias and the allowed positions, over [B, 1 or H, S, T].
    const mask = maskName ? graph.constants.get(maskName) : undefined;
    if (maskName && !mask) throw new UnsupportedOpError("Attention (attn_mask given at run time)", SUPPORTED_ONNX_OPS, where);
    const nonpad = nonpadName ? graph.constants.get(nonpadName) : undefined;
    const ms = mask ? [1, 1, 1, 1].slice(mask.shape.length).concat(mask.shape) : [1, 1, 1, 1];
    const Bm = Math.max(ms[0]!, nonpad ? B : 1), Hm = ms[1]!;
    const bias = hostTensor("float32", [Bm, Hm, S, T]);
    const allowed = hostTensor("bool", [Bm, Hm, S, T]);
    let anyMasked = false, anyBias = false;
    for (let b = 0; b < Bm; b++)
      for (let h = 0; h < Hm; h++)
        for (let i = 0; i < S; i++)
          for (let j = 0; j < T; j++) {
            let ok = true, v = 0;
            if (mask) {
              const mj = ms[3]!;
              if (j >= mj) ok = false;
              else {
                const off = ((ms[0] === 1 ? 0 : b) * ms[1]! + (ms[1] === 1 ? 0 : h)) * ms[2]! * mj + (ms[2] === 1 ? 0 : i) * mj + j;
                const m = mask.data[off]!;
                if (mask.dtype === "bool") ok = m !== 0;
                else if (m === -Infinity) ok = false;
                else v = m;
              }
            }
            if (num("is_causal", 0) === 1) {
              const offset = !pastK && nonpad ? nonpad.data[b]! - S : past;
              if (j > i + offset) ok = false;
            }
            if (nonpad && j >= nonpad.data[b]!) ok = false;
            const k = ((b * Hm + h) * S + i) * T + j;
            bias.data[k] = v;
            allowed.data[k] = ok ? 1 : 0;
            if (!ok) anyMasked = true;
            if (v !== 0) anyBias = true;
          }
    if (qkOut && mode <= 1) add("Reshape", [scores, konst("shape", hostTensor("int64", [4], [B, qH, S, T]))], {}, qkOut);
    let withBias = anyBias ? add("Add", [scores, konst("bias", bias)]) : scores;
    if (anyMasked) withBias = add("Where", [konst("allowed", allowed), withBias, konst("neg_inf", hostTensor("float32", [1], [-Infinity]))]);
    if (qkOut && mode === 2) add("Reshape", [withBias, konst("shape", hostTensor("int64", [4], [B, qH, S, T]))], {}, qkOut);
    const probs = add("Softmax", [withBias], { axis: -1 }, qkOut && mode === 3 ? qkOut : fresh("probs"));
    const y = add("MatMul", [probs, V], {}, rank3 ? fresh("y4") : yName);
    if (rank3) add("Reshape", [add("Transpose", [y], { perm: [0, 2, 1, 3] }), konst("shape", hostTensor("int64", [3], [B, S, -1]))], {}, yName);
    graph.nodes.splice(graph.nodes.indexOf(n), 1, ...nodes);
  }
}
