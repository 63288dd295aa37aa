// Exact quotes: what a precompile charges, computed from declared shapes before anything runs.
// The precompiles call these same functions, so a quote IS the charge (docs/gas.md#programs-and-streams).
import { decodeProgram, encodedProgramLength, MAX_STREAM_STEPS, programInputIds, type Program } from "../codec/program.ts";
import { inferProgram, type OpLookup, type ProgramInfo } from "../codec/program-infer.ts";
import { InvalidArgumentError } from "../engine/errors.ts";
import type { Attrs, OpDef } from "../engine/op.ts";
import { getOp } from "../engine/registry.ts";
import type { TensorMeta } from "../engine/tensor.ts";
import { HASH_GAS_PER_WORD, MULTIPLIER_ONE, NODE_BASE_GAS, OP_BASE_GAS, PROGRAM_BASE_GAS, PROGRAM_DECODE_GAS_PER_WORD, PROGRAM_NODE_GAS } from "./constants.ts";
import { commitGas, computeGas, inputsGas, weightedFlops, words, writeGas, type GasTensor, type InputSource } from "./formula.ts";

export interface OpQuote {
  gas: bigint;
  flops: bigint;
  /** ceil(γ · weightedFlops · m): the op class's weight on its FLOPs plus its output elements (formula.ts). */
  compute: bigint;
  base: bigint;
  /** Standalone op: its arguments' input gas and its output's write and commit. Program node: its outputs' writes. */
  bytes: bigint;
  outputs: TensorMeta[];
}

/**
 * Gas of one standalone engine op (TMATMUL, TEWOP): ceil(γ·FLOPs·m) + OP_BASE_GAS + Σ inputGas over its
 * arguments (by source; inline when not given) + writing and committing each output. Stored reads are
 * charged separately, as they happen. Validates through the op's `infer` (typed errors) and
 * allocates nothing proportional to the data.
 */
export function quoteOp(op: OpDef | string | number, inputs: readonly GasTensor[], attrs: Attrs, multiplier: bigint, sources?: readonly InputSource[]): OpQuote {
  const def = typeof op === "object" ? op : getOp(op);
  const outputs = def.infer(inputs, attrs);
  const flops = def.flops(inputs, attrs);
  const compute = computeGas(weightedFlops(def.name, inputs, outputs, flops, attrs), multiplier);
  let bytes = inputsGas(inputs, sources);
  for (const t of outputs) bytes += writeGas(t) + commitGas(t);
  return { gas: compute + OP_BASE_GAS + bytes, flops, compute, base: OP_BASE_GAS, bytes, outputs };
}

/** A node as the price sees it: its op, its input and output metas, its FLOPs and attributes (program-infer's NodeInfo is one). */
export interface PricedNode {
  op: { name: string };
  inputs: readonly TensorMeta[];
  outputs: readonly TensorMeta[];
  flops: bigint;
  attrs?: Attrs;
}

/**
 * One node inside a program run: compute (weighted, by op class), its dispatch and allocating and
 * writing its outputs. Its inputs are already in memory and its intermediates are never hashed, so
 * neither is charged.
 */
export function priceNode(node: PricedNode, multiplier: bigint): OpQuote {
  const { flops, outputs } = node;
  const compute = computeGas(weightedFlops(node.op.name, node.inputs, outputs, flops, node.attrs), multiplier);
  let bytes = 0n;
  for (const t of outputs) bytes += writeGas(t);
  return { gas: compute + NODE_BASE_GAS + bytes, flops, compute, base: NODE_BASE_GAS, bytes, outputs: [...outputs] };
}

export interface NodeQuote extends OpQuote {
  /** Engine op name, e.g. "matmul". */
  op: string;
}

/** How a program run is called: what the quote needs beyond the shapes. */
export interface ProgramCallIo {
  /** The call's tensor arguments (with quantization, which lengthens an inline encoding); quoteProgram defaults to the declared inputs, quoteInferred to none. */
  inputs?: readonly GasTensor[];
  /** Where each argument comes from (default inline). */
  sources?: readonly InputSource[];
  /** Stored reads charged while planning (storedReadsGas): the program, its handles and their shards. Default 0. */
  readsGas?: bigint;
  /** The program was read from the store (TCUSTOM, TSTREAM), not passed inline (TGRAPH): its bytes are not hashed. */
  storedProgram?: boolean;
}

/** Plain data (JSON-friendly once bigints are hex-encoded): what aivm_quote returns. */
export interface ProgramQuote {
  gas: bigint;
  flops: bigint;
  /** One quote per node, in order. */
  nodes: NodeQuote[];
  /** PROGRAM_BASE_GAS + inferring its nodes + decoding the program's encoding (and hashing it when passed inline). */
  programGas: bigint;
  /** Σ inputGas over the call's arguments: decoding and committing inline ones. */
  inputsGas: bigint;
  /** Committing the program's outputs for the receipt. */
  outputsGas: bigint;
  /** Stored reads (ProgramCallIo.readsGas). */
  readsGas: bigint;
  /** Peak live tensor bytes of the run (checked against the transaction memory budget). */
  peakBytes: number;
}

/**
 * Program-level part, once per call: its base, decoding its bytes, inferring each of its `nodes` and,
 * for an inline program, hashing its bytes (the receipt's params).
 */
export function programOverheadGas(programBytes: number, nodes: number, storedProgram = false): bigint {
  const w = words(programBytes);
  return PROGRAM_BASE_GAS + PROGRAM_NODE_GAS * BigInt(nodes) + PROGRAM_DECODE_GAS_PER_WORD * w + (storedProgram ? 0n : HASH_GAS_PER_WORD * w);
}

function sumGas(quotes: readonly { gas: bigint }[]): bigint {
  let g = 0n;
  for (const q of quotes) g += q.gas;
  return g;
}

function commitsGas(tensors: readonly GasTensor[]): bigint {
  let g = 0n;
  for (const t of tensors) g += commitGas(t);
  return g;
}

/** The declared inputs' metas as inferred (the default call arguments). */
function inferredInputs(program: Program, info: ProgramInfo): TensorMeta[] {
  return programInputIds(program).map((id) => info.values[id]!);
}

/**
 * Quote from an existing inference (the precompile has one already):
 * programGas + Σ node gas + inputsGas + commits of the outputs + readsGas.
 */
export function quoteInferred(info: ProgramInfo, programBytes: number, multiplier: bigint, io: ProgramCallIo = {}): ProgramQuote {
  const nodes = info.nodes.map((n) => ({ op: n.op.name, ...priceNode(n, multiplier) }));
  const programGas = programOverheadGas(programBytes, info.nodes.length, io.storedProgram);
  const inputs = inputsGas(io.inputs ?? [], io.sources);
  const outputsGas = commitsGas(info.outputs);
  const readsGas = io.readsGas ?? 0n;
  const gas = programGas + sumGas(nodes) + inputs + outputsGas + readsGas;
  return { gas, flops: info.flops, nodes, programGas, inputsGas: inputs, outputsGas, readsGas, peakBytes: info.peakBytes };
}

/** Gas of a program run (TGRAPH, or TCUSTOM with `storedProgram`); the arguments default to the declared inputs, inline. */
export function quoteProgram(
  program: Program,
  inputMetas: readonly TensorMeta[] | undefined,
  multiplier: bigint,
  lookup?: OpLookup,
  io: ProgramCallIo = {},
): ProgramQuote {
  const info = inferProgram(program, inputMetas, lookup);
  return quoteInferred(info, encodedProgramLength(program), multiplier, { ...io, inputs: io.inputs ?? inferredInputs(program, info) });
}

/** quoteProgram on an encoded program (aivm_quote): TGRAPH with inline arguments and no stored reads; m defaults to 1. */
export function quoteProgramBytes(bytes: Uint8Array, multiplier: bigint = MULTIPLIER_ONE, inputMetas?: readonly TensorMeta[]): ProgramQuote {
  const program = decodeProgram(bytes);
  const info = inferProgram(program, inputMetas);
  return quoteInferred(info, bytes.length, multiplier, { inputs: inferredInputs(program, info) });
}

export interface StreamQuote extends ProgramQuote {
  steps: number;
  /** Gas of one step: Σ node gas plus committing that step's output y; every step has the same shapes, hence the same gas. */
  stepGas: bigint;
}

/** A TSTREAM call: ProgramCallIo (the program is always stored) plus how many outputs are state. */
export interface StreamCallIo extends Omit<ProgramCallIo, "storedProgram"> {
  stateCount: number;
}

/**
 * TSTREAM from an existing inference of the step program:
 * programGas + readsGas + inputsGas (initial state, xs) + steps × (Σ node gas + commit of y) + commits of the final state.
 */
export function quoteStreamInferred(info: ProgramInfo, programBytes: number, steps: number, multiplier: bigint, io: StreamCallIo): StreamQuote {
  if (!Number.isInteger(steps) || steps < 1 || steps > MAX_STREAM_STEPS) {
    throw new InvalidArgumentError("TSTREAM", "steps", `${steps} must be 1 … ${MAX_STREAM_STEPS}`);
  }
  const y = info.outputs[io.stateCount];
  if (y === undefined) throw new InvalidArgumentError("TSTREAM", "program", "returns no per-step output y");
  const one = quoteInferred(info, programBytes, multiplier, { ...io, storedProgram: true });
  const stepGas = sumGas(one.nodes) + commitGas(y);
  const outputsGas = commitsGas(info.outputs.slice(0, io.stateCount));
  const n = BigInt(steps);
  const gas = one.programGas + one.readsGas + one.inputsGas + n * stepGas + outputsGas;
  return { ...one, steps, stepGas, outputsGas, gas, flops: n * one.flops };
}

/**
 * Gas of a TSTREAM run. `inputMetas` are the step program's inputs (state first, then one step's
 * inputs); the call's arguments default to those, inline (pass io.inputs for the real xs, stacked).
 */
export function quoteStream(
  program: Program,
  inputMetas: readonly TensorMeta[] | undefined,
  steps: number,
  multiplier: bigint,
  lookup?: OpLookup,
  io: Omit<StreamCallIo, "stateCount"> = {},
): StreamQuote {
  if (program.stateCount < 1) throw new InvalidArgumentError("TSTREAM", "program", "a step program declares at least one state input");
  const info = inferProgram(program, inputMetas, lookup);
  return quoteStreamInferred(info, encodedProgramLength(program), steps, multiplier, {
    ...io,
    stateCount: program.stateCount,
    inputs: io.inputs ?? inferredInputs(program, info),
  });
}
