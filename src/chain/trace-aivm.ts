// What the aivmTracer says about one AIVM precompile call: the op, its argument and result shapes
// and dtypes, FLOPs and the gas split (compute, base, bytes, program, reads). Worked out just before
// the call runs, from the same decoding, argument resolution and src/gas quotes the precompile uses
// (precompiles/call.ts), on the call's own frame, scratch memory and state. It charges nothing and
// warms nothing: the reads it resolves stay pending on a PrecompileCall of its own.
import type { EVMInterface, PrecompileInput } from "@ethereumjs/evm";
import type { Common } from "@ethereumjs/common";
import { AivmError } from "../engine/errors.ts";
import { getOp } from "../engine/registry.ts";
import type { Attrs } from "../engine/op.ts";
import type { TensorMeta } from "../engine/tensor.ts";
import { decodeProgram, type Program } from "../codec/program.ts";
import { inferProgram } from "../codec/program-infer.ts";
import { PrecompileCall, type RuntimeAccess, type TensorArg } from "../../precompiles/call.ts";
import { PRECOMPILE_ADDRESSES, type Opcode } from "../../precompiles/addresses.ts";
import { TMATMUL_INPUT } from "../../precompiles/a101-tmatmul.ts";
import { TEWOP_INPUT } from "../../precompiles/a102-tewop.ts";
import { TCUSTOM_INPUT } from "../../precompiles/a103-tcustom.ts";
import { TLOAD_INPUT } from "../../precompiles/a104-tload.ts";
import { TSTORE_INPUT } from "../../precompiles/a105-tstore.ts";
import { COMMIT_TRACE, TCOMMIT_INPUT } from "../../precompiles/a106-tcommit.ts";
import { TSTREAM_INPUT } from "../../precompiles/a107-tstream.ts";
import { TGRAPH_INPUT } from "../../precompiles/a108-tgraph.ts";
import { attrsFromAbi } from "../../precompiles/op-call.ts";
import { loadStoredProgram, programHandleArgs } from "../../precompiles/program-call.ts";
import { STACK_OUTPUTS, TSTORE_TARGET } from "../../precompiles/flags.ts";
import { decodeShardManifestData } from "../../precompiles/shards.ts";
import { argumentGas, loadGas, quoteInferred, quoteOp, quoteStreamInferred, storeGas, tensorMoveGas, writeGas } from "../../precompiles/gas.ts";
import { commitGas } from "../gas/formula.ts";

/** A tensor as the trace shows it: dtype, shape and, for arguments, where it came from. */
export interface TracedTensor {
  dtype: string;
  shape: number[];
  /** inline, scratch, stored or sharded (src/gas InputSource). */
  source?: string;
}

/** The parts of a call's gas; they add up to what the call is charged. */
export interface AivmGasParts {
  /** ceil(γ · weighted FLOPs · m): the kernels. */
  compute: bigint;
  /** Per-op or per-node dispatch. */
  base: bigint;
  /** Decoding and committing arguments, writing and committing results, moving and storing bytes. */
  bytes: bigint;
  /** A program's own part: its base, decoding (and hashing) its encoding, inferring its nodes. */
  program: bigint;
  /** Stored tensors, programs and shards read from the persistent store (per access and per byte). */
  reads: bigint;
}

/** One node of a program run (TGRAPH, TCUSTOM, TSTREAM per step). */
export interface TracedNode {
  op: string;
  flops: bigint;
  gas: bigint;
  outputs: TracedTensor[];
}

export interface AivmCallDetail {
  opcode: Opcode;
  /** The engine op of TMATMUL/TEWOP, or the mode or target of TCOMMIT/TSTORE. */
  op?: string;
  inputs: TracedTensor[];
  outputs: TracedTensor[];
  flops: bigint;
  gas: AivmGasParts;
  /** TSTREAM: how many steps ran. */
  steps?: number;
  nodes?: TracedNode[];
}

const OPCODE_BY_ADDRESS = new Map<string, Opcode>(Object.entries(PRECOMPILE_ADDRESSES).map(([name, address]) => [address, name as Opcode]));

export function aivmOpcodeOf(address: string): Opcode | undefined {
  return OPCODE_BY_ADDRESS.get(address.toLowerCase());
}

/** Sum of the parts: what the call is charged when it succeeds. */
export function totalGas(parts: AivmGasParts): bigint {
  return parts.compute + parts.base + parts.bytes + parts.program + parts.reads;
}

const ZERO_PARTS: AivmGasParts = { compute: 0n, base: 0n, bytes: 0n, program: 0n, reads: 0n };

function tensorOf(meta: TensorMeta, source?: string): TracedTensor {
  return source === undefined ? { dtype: meta.dtype, shape: [...meta.shape] } : { dtype: meta.dtype, shape: [...meta.shape], source };
}

function argsOf(args: readonly TensorArg[]): TracedTensor[] {
  return args.map((a) => tensorOf(a.meta, a.source));
}

/**
 * Describes the call about to run: `input` is the precompile's input as the EVM will pass it,
 * `runtime` the replay runtime (its current frame is this call's). Throws the AivmError the
 * precompile would revert with when the call is rejected while planning.
 */
export async function describeAivmCall(runtime: RuntimeAccess, evm: EVMInterface, common: Common, address: string, data: Uint8Array, gasLimit: bigint): Promise<AivmCallDetail> {
  const opcode = aivmOpcodeOf(address);
  if (opcode === undefined) throw new AivmError(`${address} is not an AIVM precompile.`);
  const input = { data, gasLimit, common, _EVM: evm } as unknown as PrecompileInput;
  const call = new PrecompileCall(runtime, PRECOMPILE_ADDRESSES[opcode], opcode, input);
  switch (opcode) {
    case "TMATMUL": {
      const [inputs, names, values] = call.decode(TMATMUL_INPUT);
      return singleOp(call, "matmul", inputs, names, values);
    }
    case "TEWOP": {
      const [opCode, inputs, names, values] = call.decode(TEWOP_INPUT);
      return singleOp(call, opCode, inputs, names, values);
    }
    case "TGRAPH": {
      const [bytes, inputs] = call.decode(TGRAPH_INPUT);
      return programRun(call, decodeProgram(bytes), inputs, bytes.length, false);
    }
    case "TCUSTOM": {
      const [programId, inputs] = call.decode(TCUSTOM_INPUT);
      const { program, bytes } = await loadStoredProgram(call, programId);
      return programRun(call, program, inputs, bytes.length, true);
    }
    case "TSTREAM":
      return stream(call);
    case "TLOAD": {
      const [ref] = call.decode(TLOAD_INPUT);
      const arg = await call.tensorArg(ref);
      const t = tensorOf(arg.meta, arg.source);
      return { opcode, inputs: [t], outputs: [tensorOf(arg.meta)], flops: 0n, gas: { ...ZERO_PARTS, bytes: loadGas(arg.meta, arg.source), reads: call.readGas } };
    }
    case "TSTORE":
      return store(call);
    case "TCOMMIT": {
      const [mode, tensor] = call.decode(TCOMMIT_INPUT);
      if (mode === COMMIT_TRACE) return { opcode, op: "trace root", inputs: [], outputs: [], flops: 0n, gas: { ...ZERO_PARTS, bytes: tensorMoveGas([]) } };
      const arg = await call.tensorArg(tensor);
      return { opcode, op: "tensor commit", inputs: argsOf([arg]), outputs: [], flops: 0n, gas: { ...ZERO_PARTS, bytes: argumentGas(arg.meta, arg.source), reads: call.readGas } };
    }
  }
}

async function singleOp(call: PrecompileCall, opRef: string | number, inputsAbi: readonly Uint8Array[], names: readonly string[], values: readonly (readonly bigint[])[]): Promise<AivmCallDetail> {
  const op = getOp(opRef);
  const attrs: Attrs = attrsFromAbi(op.name, names, values);
  const args = await call.tensorArgs(inputsAbi);
  const q = quoteOp(op, args.map((a) => a.meta), attrs, call.multiplier, args.map((a) => a.source));
  return {
    opcode: call.opcode as Opcode,
    op: op.name,
    inputs: argsOf(args),
    outputs: q.outputs.map((m) => tensorOf(m)),
    flops: q.flops,
    gas: { compute: q.compute, base: q.base, bytes: q.bytes, program: 0n, reads: call.readGas },
  };
}

async function programRun(call: PrecompileCall, program: Program, inputsAbi: readonly Uint8Array[], programBytes: number, storedProgram: boolean): Promise<AivmCallDetail> {
  const args = await call.tensorArgs(inputsAbi);
  await programHandleArgs(call, program);
  const info = inferProgram(program, args.map((a) => a.meta));
  const q = quoteInferred(info, programBytes, call.multiplier, { inputs: args.map((a) => a.meta), sources: args.map((a) => a.source), readsGas: call.readGas, storedProgram });
  const gas = { ...ZERO_PARTS, program: q.programGas, reads: q.readsGas, bytes: q.inputsGas + q.outputsGas };
  for (const n of q.nodes) {
    gas.compute += n.compute;
    gas.base += n.base;
    gas.bytes += n.bytes;
  }
  return {
    opcode: call.opcode as Opcode,
    inputs: argsOf(args),
    outputs: info.outputs.map((m) => tensorOf(m)),
    flops: q.flops,
    gas,
    nodes: q.nodes.map((n) => ({ op: n.op, flops: n.flops, gas: n.gas, outputs: n.outputs.map((m) => tensorOf(m)) })),
  };
}

async function stream(call: PrecompileCall): Promise<AivmCallDetail> {
  const [programId, stateAbi, xsAbi, steps, flags] = call.decode(TSTREAM_INPUT);
  const { program, bytes } = await loadStoredProgram(call, programId);
  const stateArgs = await call.tensorArgs(stateAbi);
  const args = [...stateArgs];
  const stepMetas: TensorMeta[] = stateArgs.map((a) => a.meta);
  if (xsAbi.length !== 0) {
    const xs = await call.tensorArg(xsAbi);
    args.push(xs);
    stepMetas.push({ dtype: xs.meta.dtype, shape: xs.meta.shape.slice(1) });
  }
  await programHandleArgs(call, program);
  const info = inferProgram(program, stepMetas);
  const q = quoteStreamInferred(info, bytes.length, steps, call.multiplier, { stateCount: program.stateCount, inputs: args.map((a) => a.meta), sources: args.map((a) => a.source), readsGas: call.readGas });
  const y = info.outputs[program.stateCount]!;
  const stacked = (flags & STACK_OUTPUTS) !== 0;
  const n = BigInt(steps);
  const gas = { ...ZERO_PARTS, program: q.programGas, reads: q.readsGas, bytes: q.inputsGas + q.outputsGas + n * commitGas(y) + (stacked ? writeGas({ dtype: y.dtype, shape: [steps, ...y.shape] }) : 0n) };
  for (const node of q.nodes) {
    gas.compute += n * node.compute;
    gas.base += n * node.base;
    gas.bytes += n * node.bytes;
  }
  const yOut = stacked ? { dtype: y.dtype, shape: [steps, ...y.shape] } : y;
  return {
    opcode: "TSTREAM",
    inputs: argsOf(args),
    outputs: [...info.outputs.slice(0, program.stateCount).map((m) => tensorOf(m)), tensorOf(yOut)],
    flops: q.flops,
    gas,
    steps,
    nodes: q.nodes.map((node) => ({ op: node.op, flops: node.flops, gas: node.gas, outputs: node.outputs.map((m) => tensorOf(m)) })),
  };
}

const TARGET_NAMES = ["scratch", "persistent", "program", "namespace", "sharded"] as const;

async function store(call: PrecompileCall): Promise<AivmCallDetail> {
  const [target, , data] = call.decode(TSTORE_INPUT);
  const op = TARGET_NAMES[target] ?? `target ${target}`;
  if (target === TSTORE_TARGET.program) {
    decodeProgram(data);
    return { opcode: "TSTORE", op, inputs: [], outputs: [], flops: 0n, gas: { ...ZERO_PARTS, bytes: storeGas(data.length) } };
  }
  if (target === TSTORE_TARGET.sharded) {
    // The manifest's shards are read (and charged) as the precompile reads them; its bytes are stored.
    const manifest = decodeShardManifestData(data);
    manifest.assemble(await call.shardArgs(manifest.shards));
    return { opcode: "TSTORE", op, inputs: [], outputs: [], flops: 0n, gas: { ...ZERO_PARTS, bytes: storeGas(data.length + 4), reads: call.readGas } };
  }
  const arg = await call.tensorArg(data);
  const bytes = target === TSTORE_TARGET.scratch ? argumentGas(arg.meta, arg.source) : storeGas(arg.encodedBytes) + (target === TSTORE_TARGET.namespace ? storeGas(32) : 0n);
  return { opcode: "TSTORE", op, inputs: argsOf([arg]), outputs: [tensorOf(arg.meta)], flops: 0n, gas: { ...ZERO_PARTS, bytes, reads: call.readGas } };
}
