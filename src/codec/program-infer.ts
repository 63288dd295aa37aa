// Static shape inference over a program: every value's meta, every node's FLOPs and the peak live
// tensor bytes, from declared shapes alone. Gas quotes and the memory budget are decided here,
// before anything is allocated.
import { DTypeMismatchError, InvalidArgumentError, ShapeMismatchError } from "../engine/errors.ts";
import { checkAttrNames } from "../engine/attrs.ts";
import type { Attrs, OpDef } from "../engine/op.ts";
import { getOp } from "../engine/registry.ts";
import { scratchBytesOf } from "../engine/scratch.ts";
import { DTYPE_BYTES, checkShape, sameShape, type TensorMeta } from "../engine/tensor.ts";
import { DYNAMIC_DIM, declaredMeta, programInputIds, validateProgram, type Program, type ProgramNode } from "./program.ts";

/** Looks an op up by code; the engine registry by default (tests and tools may pass their own). */
export type OpLookup = (code: number) => OpDef;

export interface NodeInfo {
  index: number;
  op: OpDef;
  inputs: TensorMeta[];
  outputs: TensorMeta[];
  /** Value ids of the node's outputs. */
  outputIds: number[];
  flops: bigint;
  /** The node's attributes (the gas weights read attention's head count from them). */
  attrs: Attrs;
  /** Bytes the kernel allocates beyond its outputs while it runs (engine/scratch.ts). */
  scratchBytes: number;
}

export interface ProgramInfo {
  /** Meta of every value id (declarations, then node outputs). */
  values: TensorMeta[];
  nodes: NodeInfo[];
  /** Metas of the program outputs, in order. */
  outputs: TensorMeta[];
  /** Sum of the nodes' FLOPs. */
  flops: bigint;
  /**
   * For each value id, the index of the last node that reads it (−1 if none). Values that are
   * program outputs are never released. runProgram releases values on exactly this schedule.
   */
  lastUse: number[];
  /**
   * Peak memory on the runProgram schedule: live tensors (declared values + live node outputs) plus
   * the running node's scratch. What the memory budget charges.
   */
  peakBytes: number;
  /** Peak bytes of live tensors alone (what the run hooks see). */
  peakValueBytes: number;
}

function metaBytes(m: TensorMeta): number {
  return checkShape(m.shape) * DTYPE_BYTES[m.dtype];
}

/** Checks an actual input against its declaration and returns the resolved meta. */
function resolveInput(index: number, declared: TensorMeta, actual: TensorMeta): TensorMeta {
  const what = `input ${index}`;
  if (actual.dtype !== declared.dtype) throw new DTypeMismatchError("program", what, [declared.dtype], actual.dtype);
  const expected = `[${declared.shape.map((d) => (d === DYNAMIC_DIM ? "*" : String(d))).join(",")}]`;
  if (actual.shape.length !== declared.shape.length) throw new ShapeMismatchError("program", what, expected, actual.shape);
  for (let i = 0; i < declared.shape.length; i++) {
    const d = declared.shape[i]!;
    if (d !== DYNAMIC_DIM && d !== actual.shape[i]) throw new ShapeMismatchError("program", what, expected, actual.shape);
  }
  checkShape(actual.shape);
  return { dtype: actual.dtype, shape: [...actual.shape] };
}

function checkArity(i: number, node: ProgramNode, op: OpDef): void {
  const max = op.inputs.length;
  const min = op.inputs.filter((n) => !n.endsWith("?")).length;
  if (node.inputs.length < min || node.inputs.length > max) {
    throw new InvalidArgumentError(op.name, `input count at node ${i}`, `${node.inputs.length} given, expected ${min === max ? min : `${min} … ${max}`}`);
  }
}

/**
 * Infers every value's meta and every node's FLOPs. `inputMetas` (the actual call inputs) is
 * required when a declared input has a DYNAMIC_DIM; otherwise the declarations are used and, when
 * given, the actual metas must match them exactly.
 */
export function inferProgram(program: Program, inputMetas?: readonly TensorMeta[], lookup: OpLookup = getOp): ProgramInfo {
  validateProgram(program);
  const inputIds = programInputIds(program);
  if (inputMetas && inputMetas.length !== inputIds.length) {
    throw new InvalidArgumentError("program", "inputs", `${inputMetas.length} given, the program declares ${inputIds.length}`);
  }
  const values: TensorMeta[] = [];
  let k = 0;
  for (const v of program.values) {
    const declared = declaredMeta(v);
    if (v.kind !== "input") {
      values.push(declared);
      continue;
    }
    const actual = inputMetas?.[k];
    if (actual) values.push(resolveInput(k, declared, actual));
    else if (declared.shape.includes(DYNAMIC_DIM)) {
      throw new InvalidArgumentError("program", `input ${k}`, "has dynamic dimensions; pass the actual input metas");
    } else values.push(declared);
    k++;
  }

  const nodes: NodeInfo[] = [];
  let flops = 0n;
  program.nodes.forEach((node, i) => {
    const op = lookup(node.op);
    checkArity(i, node, op);
    checkAttrNames(op.name, node.attrs, op.attrs);
    const ins = node.inputs.map((id) => values[id]!);
    const outs = op.infer(ins, node.attrs);
    if (outs.length !== node.outputs) {
      throw new InvalidArgumentError(op.name, `output count at node ${i}`, `program declares ${node.outputs}, the op produces ${outs.length}`);
    }
    const outputIds: number[] = [];
    for (const m of outs) {
      checkShape(m.shape);
      outputIds.push(values.length);
      values.push({ dtype: m.dtype, shape: [...m.shape] });
    }
    const f = op.flops(ins, node.attrs);
    if (f < 0n) throw new InvalidArgumentError(op.name, "flops", "negative FLOPs from the op definition");
    flops += f;
    nodes.push({ index: i, op, inputs: ins, outputs: outs, outputIds, flops: f, attrs: node.attrs, scratchBytes: scratchBytesOf(op, ins, outs, node.attrs) });
  });

  const outputs = program.outputs.map((id) => values[id]!);
  for (let s = 0; s < program.stateCount; s++) {
    const inMeta = values[inputIds[s]!]!;
    const outMeta = outputs[s]!;
    if (inMeta.dtype !== outMeta.dtype) throw new DTypeMismatchError("program", `state output ${s}`, [inMeta.dtype], outMeta.dtype);
    if (!sameShape(inMeta.shape, outMeta.shape)) throw new ShapeMismatchError("program", `state output ${s}`, inMeta.shape, outMeta.shape);
  }

  const lastUse = new Array<number>(values.length).fill(-1);
  program.nodes.forEach((node, i) => {
    for (const id of node.inputs) lastUse[id] = i;
  });
  return { values, nodes, outputs, flops, lastUse, ...peakLiveBytes(program, values, nodes, lastUse) };
}

/**
 * Simulates the runProgram schedule: declared values live throughout, node outputs until last use,
 * and while a node runs, its scratch on top of everything live.
 */
function peakLiveBytes(program: Program, values: TensorMeta[], nodes: NodeInfo[], lastUse: readonly number[]): { peakBytes: number; peakValueBytes: number } {
  const isOutput = new Set(program.outputs);
  let live = 0;
  for (let id = 0; id < program.values.length; id++) live += metaBytes(values[id]!);
  let peakBytes = live;
  let peakValueBytes = live;
  for (const n of nodes) {
    for (const m of n.outputs) live += metaBytes(m);
    if (live > peakValueBytes) peakValueBytes = live;
    if (live + n.scratchBytes > peakBytes) peakBytes = live + n.scratchBytes;
    for (const id of releasedAfter(program, n.index, n.outputIds, lastUse, isOutput)) live -= metaBytes(values[id]!);
  }
  return { peakBytes, peakValueBytes };
}

/**
 * Node-output value ids that are dead once node `index` has run: inputs read for the last time
 * here, and outputs nobody reads. Program outputs and declared values are never released.
 */
export function releasedAfter(
  program: Program,
  index: number,
  outputIds: readonly number[],
  lastUse: readonly number[],
  isOutput: ReadonlySet<number>,
): number[] {
  const dead = new Set<number>();
  for (const id of program.nodes[index]!.inputs) {
    if (id >= program.values.length && lastUse[id] === index && !isOutput.has(id)) dead.add(id);
  }
  for (const id of outputIds) if (lastUse[id] === -1 && !isOutput.has(id)) dead.add(id);
  return [...dead];
}
