// Executes a program node by node with the engine. Pure: the precompile layers gas, the memory
// budget and receipts on top through the hooks, which see every node before and after it runs.
import { DTypeMismatchError, InvalidArgumentError, ShapeMismatchError } from "../engine/errors.ts";
import { sameShape, type IntArray, type Tensor, type TensorMeta } from "../engine/tensor.ts";
import { recycle } from "../engine/recycle.ts";
import type { Attrs, OpDef, PreparedRun } from "../engine/op.ts";
import { getOp } from "../engine/registry.ts";
import { MAX_STREAM_STEPS, declaredMeta, programInputIds, type HandleDecl, type Program } from "./program.ts";
import { inferProgram, releasedAfter, type NodeInfo, type OpLookup, type ProgramInfo } from "./program-infer.ts";

/** Loads a stored tensor by content id. The runtime checks it against the declared meta. */
export type HandleResolver = (id: Uint8Array, declared: TensorMeta) => Tensor;

export interface NodeStartEvent {
  /** TSTREAM step (0 for single runs). */
  step: number;
  node: NodeInfo;
}
export interface NodeEndEvent extends NodeStartEvent {
  inputs: readonly Tensor[];
  outputs: readonly Tensor[];
}

export interface ProgramHooks {
  /** Before the node allocates anything: charge gas or memory here; throwing aborts the run. */
  beforeNode?(e: NodeStartEvent): void;
  /** After the node ran: record a receipt here. */
  afterNode?(e: NodeEndEvent): void;
  /** A node output is dead and has been dropped: return its bytes to the memory budget. */
  release?(valueId: number, t: Tensor): void;
}

export interface RunOptions {
  hooks?: ProgramHooks;
  /** Op lookup; the engine registry by default. */
  lookup?: OpLookup;
  /** Precomputed inference for these inputs (the caller usually has it from quoting). */
  info?: ProgramInfo;
  step?: number;
}

function checkAgainst(what: string, declared: TensorMeta, actual: TensorMeta): void {
  if (actual.dtype !== declared.dtype) throw new DTypeMismatchError("program", what, [declared.dtype], actual.dtype);
  if (!sameShape(actual.shape, declared.shape)) throw new ShapeMismatchError("program", what, declared.shape, actual.shape);
}

/** Resolves every handle of a program once, checking each loaded tensor against its declaration. */
export function resolveHandles(program: Program, resolve: HandleResolver): Map<number, Tensor> {
  const out = new Map<number, Tensor>();
  program.values.forEach((v, id) => {
    if (v.kind !== "handle") return;
    const decl: HandleDecl = v;
    const t = resolve(decl.id, declaredMeta(decl));
    checkAgainst(`handle value ${id}`, declaredMeta(decl), t);
    out.set(id, t);
  });
  return out;
}

/** What runProgram derives from a program and its inference alone, kept across runs and steps. */
interface RunPlan {
  inputIds: number[];
  constIds: number[];
  handleIds: number[];
  /** Per node (in info.nodes order), the values dead once it has run. */
  releases: number[][];
  /** Per node, its prepared work (OpDef.prepare), made when the node first runs. */
  prepared: (PreparedRun | undefined)[];
}

// A TSTREAM step or a stored program runs many times with one ProgramInfo: plan once per info.
const runPlans = new WeakMap<ProgramInfo, RunPlan>();

function runPlanOf(program: Program, info: ProgramInfo): RunPlan {
  let plan = runPlans.get(info);
  if (plan !== undefined) return plan;
  const isOutput = new Set(program.outputs);
  const constIds: number[] = [];
  const handleIds: number[] = [];
  program.values.forEach((v, id) => {
    if (v.kind === "const") constIds.push(id);
    else if (v.kind === "handle") handleIds.push(id);
  });
  plan = {
    inputIds: programInputIds(program),
    constIds,
    handleIds,
    releases: info.nodes.map((node) => releasedAfter(program, node.index, node.outputIds, info.lastUse, isOutput)),
    prepared: new Array<PreparedRun | undefined>(info.nodes.length),
  };
  runPlans.set(info, plan);
  return plan;
}

/** Arrays at or below this many bytes live on V8's heap and are never recycled: not counted. */
const HEAP_ARRAY_BYTES = 64;

function holdForGood(owners: Map<ArrayBufferLike, number>, t: Tensor | undefined): void {
  if (t !== undefined && t.data.byteLength > HEAP_ARRAY_BYTES) owners.set(t.data.buffer, Infinity);
}

function own(owners: Map<ArrayBufferLike, number>, data: IntArray): void {
  if (data.byteLength <= HEAP_ARRAY_BYTES) return;
  const buffer = data.buffer;
  owners.set(buffer, (owners.get(buffer) ?? 0) + 1);
}

/** One live value fewer on `data`'s buffer; the last one's array is recycled. */
function disown(owners: Map<ArrayBufferLike, number>, data: IntArray): void {
  if (data.byteLength <= HEAP_ARRAY_BYTES) return;
  const buffer = data.buffer;
  const left = owners.get(buffer)! - 1;
  if (left > 0) owners.set(buffer, left);
  else {
    owners.delete(buffer);
    recycle(data);
  }
}

/** The node's prepared work: the op's own `prepare`, or its `run` with the attributes bound. */
function prepareNode(op: OpDef, inputs: readonly TensorMeta[], attrs: Attrs): PreparedRun {
  return op.prepare ? op.prepare(inputs, attrs) : (ins) => op.run(ins, attrs);
}

/**
 * Runs a program on `inputs` (one tensor per declared input, in order) and returns its outputs.
 * Shapes are inferred first, so every error that shapes can reveal is thrown before any compute.
 */
export function runProgram(
  program: Program,
  inputs: readonly Tensor[],
  resolveHandle: HandleResolver | Map<number, Tensor>,
  options: RunOptions = {},
): Tensor[] {
  const lookup = options.lookup ?? getOp;
  const info = options.info ?? inferProgram(program, inputs, lookup);
  const handles = resolveHandle instanceof Map ? resolveHandle : resolveHandles(program, resolveHandle);
  const step = options.step ?? 0;
  const hooks = options.hooks ?? {};

  const plan = runPlanOf(program, info);
  const env: (Tensor | undefined)[] = new Array(info.values.length);
  // Without hooks nothing outside this run keeps a node's output: a dead one's array is recycled
  // (engine/recycle.ts) once no live value shares its buffer. `owners` counts the live values on
  // each buffer; the program's inputs, constants and handles hold theirs for good.
  const owners = options.hooks === undefined ? new Map<ArrayBufferLike, number>() : undefined;
  if (inputs.length !== plan.inputIds.length) {
    throw new InvalidArgumentError("program", "inputs", `${inputs.length} given, the program declares ${plan.inputIds.length}`);
  }
  plan.inputIds.forEach((id, k) => {
    checkAgainst(`input ${k}`, info.values[id]!, inputs[k]!);
    env[id] = inputs[k];
  });
  for (const id of plan.constIds) env[id] = (program.values[id] as { tensor: Tensor }).tensor;
  for (const id of plan.handleIds) {
    const t = handles.get(id);
    if (!t) throw new InvalidArgumentError("program", `handle value ${id}`, "was not resolved");
    env[id] = t;
  }
  if (owners !== undefined) for (let id = 0; id < program.values.length; id++) holdForGood(owners, env[id]);

  for (let k = 0; k < info.nodes.length; k++) {
    const node = info.nodes[k]!;
    hooks.beforeNode?.({ step, node });
    const def = program.nodes[node.index]!;
    const ins = def.inputs.map((id) => env[id]!);
    // Prepared after beforeNode, so the node is charged before its planning runs, as with `run`.
    const outs = (plan.prepared[k] ??= prepareNode(node.op, node.inputs, def.attrs))(ins);
    // The kernel must produce what infer promised: gas and memory were charged on that promise.
    if (outs.length !== node.outputs.length) {
      throw new InvalidArgumentError(node.op.name, "outputs", `kernel produced ${outs.length}, infer declared ${node.outputs.length}`);
    }
    for (let j = 0; j < outs.length; j++) {
      checkAgainst(`${node.op.name} output ${j}`, node.outputs[j]!, outs[j]!);
      env[node.outputIds[j]!] = outs[j];
      if (owners !== undefined) own(owners, outs[j]!.data);
    }
    hooks.afterNode?.({ step, node, inputs: ins, outputs: outs });
    for (const id of plan.releases[k]!) {
      const t = env[id]!;
      env[id] = undefined;
      hooks.release?.(id, t);
      if (owners !== undefined) disown(owners, t.data);
    }
  }
  return program.outputs.map((id) => env[id]!);
}

export interface StreamResult {
  /** The state after the last step. */
  state: Tensor[];
  /** Per step, the non-state outputs (program outputs stateCount…end). */
  outputs: Tensor[][];
}

/**
 * TSTREAM: runs a step program once per entry of `stepInputs`. At each step the inputs are the
 * current state followed by that step's inputs; the first `stateCount` outputs become the next
 * state. Shapes are inferred once: a step program's state keeps its shape, so every step costs
 * the same and the whole stream is quoted before the first step runs.
 */
export function runStream(
  program: Program,
  initialState: readonly Tensor[],
  stepInputs: readonly (readonly Tensor[])[],
  resolveHandle: HandleResolver,
  options: Omit<RunOptions, "step" | "info"> = {},
): StreamResult {
  if (program.stateCount < 1) throw new InvalidArgumentError("TSTREAM", "program", "a step program declares at least one state input");
  if (initialState.length !== program.stateCount) {
    throw new InvalidArgumentError("TSTREAM", "state", `${initialState.length} tensors given, the program threads ${program.stateCount}`);
  }
  if (stepInputs.length < 1 || stepInputs.length > MAX_STREAM_STEPS) {
    throw new InvalidArgumentError("TSTREAM", "steps", `${stepInputs.length} must be 1 … ${MAX_STREAM_STEPS}`);
  }
  const lookup = options.lookup ?? getOp;
  const info = inferProgram(program, [...initialState, ...stepInputs[0]!], lookup);
  const handles = resolveHandles(program, resolveHandle);
  let state = [...initialState];
  const outputs: Tensor[][] = [];
  stepInputs.forEach((xs, step) => {
    const outs = runProgram(program, [...state, ...xs], handles, { ...options, info, step, lookup });
    state = outs.slice(0, program.stateCount);
    outputs.push(outs.slice(program.stateCount));
  });
  return { state, outputs };
}
