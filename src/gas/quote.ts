// Exact quotes: what a precompile charges, computed from declared shapes before anything runs.
// The precompiles call these same functions, so a quote IS the charge (docs/gas.md#programs-and-streams).
import { decodeProgram, encodedProgramLength, MAX_STREAM_STEPS, type Program } from "../codec/program.ts";
import { inferProgram, type OpLookup, type ProgramInfo } from "../codec/program-infer.ts";
import { InvalidArgumentError } from "../engine/errors.ts";
import type { Attrs, OpDef } from "../engine/op.ts";
import { getOp } from "../engine/registry.ts";
import type { TensorMeta } from "../engine/tensor.ts";
import { COPY_GAS_PER_WORD, HASH_GAS_PER_WORD, MULTIPLIER_ONE, OP_BASE_GAS, PROGRAM_BASE_GAS } from "./constants.ts";
import { bytesGas, computeGas, words, type GasTensor } from "./formula.ts";

export interface OpQuote {
  gas: bigint;
  flops: bigint;
  /** ceil(γ · FLOPs · m) */
  compute: bigint;
  base: bigint;
  bytes: bigint;
  outputs: TensorMeta[];
}

/**
 * Gas of one engine op on declared inputs: ceil(γ·FLOPs·m) + OP_BASE_GAS + bytes(inputs and outputs).
 * Validates through the op's `infer` (typed errors) and allocates nothing proportional to the data.
 */
export function quoteOp(op: OpDef | string | number, inputs: readonly GasTensor[], attrs: Attrs, multiplier: bigint): OpQuote {
  const def = typeof op === "object" ? op : getOp(op);
  const outputs = def.infer(inputs, attrs);
  const flops = def.flops(inputs, attrs);
  return priceOp(flops, inputs, outputs, multiplier);
}

function priceOp(flops: bigint, inputs: readonly GasTensor[], outputs: TensorMeta[], multiplier: bigint): OpQuote {
  const compute = computeGas(flops, multiplier);
  const bytes = bytesGas(inputs) + bytesGas(outputs);
  return { gas: compute + OP_BASE_GAS + bytes, flops, compute, base: OP_BASE_GAS, bytes, outputs };
}

export interface NodeQuote extends OpQuote {
  /** Engine op name, e.g. "matmul". */
  op: string;
}

/** Plain data (JSON-friendly once bigints are hex-encoded): what aivm_quote returns. */
export interface ProgramQuote {
  gas: bigint;
  flops: bigint;
  /** One quote per node, in order; their gas sums with `programGas` to `gas`. */
  nodes: NodeQuote[];
  /** PROGRAM_BASE_GAS + copying and hashing the program's encoding. */
  programGas: bigint;
  /** Peak live tensor bytes of the run (checked against the transaction memory budget). */
  peakBytes: number;
}

/** Program-level part: its base, plus copy and hash (for its content id / params hash) of its bytes. */
export function programOverheadGas(programBytes: number): bigint {
  return PROGRAM_BASE_GAS + (COPY_GAS_PER_WORD + HASH_GAS_PER_WORD) * words(programBytes);
}

/** Quote from an existing inference (the precompile has one already). */
export function quoteInferred(info: ProgramInfo, programBytes: number, multiplier: bigint): ProgramQuote {
  const nodes = info.nodes.map((n) => ({ op: n.op.name, ...priceOp(n.flops, n.inputs, n.outputs, multiplier) }));
  const programGas = programOverheadGas(programBytes);
  let gas = programGas;
  for (const q of nodes) gas += q.gas;
  return { gas, flops: info.flops, nodes, programGas, peakBytes: info.peakBytes };
}

/** Gas of a program run (TGRAPH, TCUSTOM): Σ over nodes of the op gas, plus the program overhead. */
export function quoteProgram(program: Program, inputMetas: readonly TensorMeta[] | undefined, multiplier: bigint, lookup?: OpLookup): ProgramQuote {
  const info = inferProgram(program, inputMetas, lookup);
  return quoteInferred(info, encodedProgramLength(program), multiplier);
}

/** quoteProgram on an encoded program (aivm_quote); m defaults to 1. */
export function quoteProgramBytes(bytes: Uint8Array, multiplier: bigint = MULTIPLIER_ONE, inputMetas?: readonly TensorMeta[]): ProgramQuote {
  return quoteInferred(inferProgram(decodeProgram(bytes), inputMetas), bytes.length, multiplier);
}

export interface StreamQuote extends ProgramQuote {
  steps: number;
  /** Gas of one step (Σ node gas); every step has the same shapes, hence the same gas. */
  stepGas: bigint;
}

/** TSTREAM from an existing inference of the step program (the precompile has one already). */
export function quoteStreamInferred(info: ProgramInfo, programBytes: number, steps: number, multiplier: bigint): StreamQuote {
  if (!Number.isInteger(steps) || steps < 1 || steps > MAX_STREAM_STEPS) {
    throw new InvalidArgumentError("TSTREAM", "steps", `${steps} must be 1 … ${MAX_STREAM_STEPS}`);
  }
  const one = quoteInferred(info, programBytes, multiplier);
  const stepGas = one.gas - one.programGas;
  const n = BigInt(steps);
  return { ...one, steps, stepGas, gas: one.programGas + n * stepGas, flops: n * one.flops };
}

/**
 * Gas of a TSTREAM run: steps · Σ node gas, plus the program overhead once. `inputMetas` are the
 * step program's inputs (state first, then one step's inputs).
 */
export function quoteStream(program: Program, inputMetas: readonly TensorMeta[] | undefined, steps: number, multiplier: bigint, lookup?: OpLookup): StreamQuote {
  if (program.stateCount < 1) throw new InvalidArgumentError("TSTREAM", "program", "a step program declares at least one state input");
  return quoteStreamInferred(inferProgram(program, inputMetas, lookup), encodedProgramLength(program), steps, multiplier);
}
