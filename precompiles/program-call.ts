// Shared by TGRAPH, TCUSTOM and TSTREAM: resolve a program's inputs and stored constants, infer every
// shape, price it with src/gas, then run it with the engine keeping intermediates in VM memory.
import { DTypeMismatchError, InvalidArgumentError, ShapeMismatchError } from "../src/engine/errors.ts";
import { byteSize, sameShape, type Tensor } from "../src/engine/tensor.ts";
import type { Program } from "../src/codec/program.ts";
import type { ProgramInfo } from "../src/codec/program-infer.ts";
import { runProgram } from "../src/codec/program-run.ts";
import { encodeBytesArray } from "../src/codec/abi.ts";
import { OUT_SCRATCH, QUOTE_ONLY } from "./flags.ts";
import { type Plan, type PrecompileCall, type TensorArg } from "./call.ts";
import { programOverheadGas, quoteInferred } from "./gas.ts";
import { decodeProgramCached, inferProgramCached } from "./program-cache.ts";

/** A stored program by id (TSTORE target 2), charged as a stored read, decoded and validated. */
export async function loadStoredProgram(call: PrecompileCall, id: Uint8Array): Promise<{ program: Program; bytes: Uint8Array }> {
  const bytes = await call.storedBlob(id);
  return { program: decodeProgramCached(bytes, id), bytes };
}

/** The program's stored constants (handle values), resolved by content id. */
export async function programHandleArgs(call: PrecompileCall, program: Program): Promise<Map<number, TensorArg>> {
  const out = new Map<number, TensorArg>();
  for (let id = 0; id < program.values.length; id++) {
    const v = program.values[id]!;
    if (v.kind !== "handle") continue;
    const arg = await call.persistentArg(v.id);
    // Gas was priced on the declared meta: the stored tensor must be exactly that.
    if (arg.meta.dtype !== v.dtype) throw new DTypeMismatchError("program", `handle value ${id}`, [v.dtype], arg.meta.dtype);
    if (!sameShape(arg.meta.shape, v.shape)) throw new ShapeMismatchError("program", `handle value ${id}`, v.shape, arg.meta.shape);
    out.set(id, arg);
  }
  return out;
}

export async function loadAll(args: Iterable<TensorArg>): Promise<Tensor[]> {
  const out: Tensor[] = [];
  for (const a of args) out.push(await a.load());
  return out;
}

/** Loads the stored constants into the id → tensor map runProgram takes. */
export async function loadHandles(args: Map<number, TensorArg>): Promise<Map<number, Tensor>> {
  const out = new Map<number, Tensor>();
  for (const [id, a] of args) out.set(id, await a.load());
  return out;
}

/** Bytes of the stored constants, which the transaction holds (not the run's working set). */
export function heldHandleBytes(args: Map<number, TensorArg>): number {
  let n = 0;
  for (const a of args.values()) n += byteSize(a.meta);
  return n;
}

/**
 * Plans a single run of `program` on ABI tensor arguments (TGRAPH, or TCUSTOM with `storedProgram`).
 * `paramsHash`: the receipt's hash of `params`, when the caller keeps it (a cached inline program).
 */
export async function planProgramRun(
  call: PrecompileCall,
  program: Program,
  inputsAbi: readonly Uint8Array[],
  flags: number,
  params: Uint8Array,
  programBytes: number,
  { storedProgram = false, paramsHash }: { storedProgram?: boolean; paramsHash?: () => Uint8Array } = {},
): Promise<Plan> {
  if (program.stateCount !== 0) throw new InvalidArgumentError(call.opcode, "program", "is a step program; run it with TSTREAM");
  const args = await call.tensorArgs(inputsAbi);
  const handleArgs = await programHandleArgs(call, program);
  call.chargePlanning(programOverheadGas(programBytes, program.nodes.length, storedProgram));
  const info: ProgramInfo = inferProgramCached(program, args.map((a) => a.meta));
  // Every read (program, arguments, constants, shards) has been charged by now: readGas is final.
  const io = { inputs: args.map((a) => a.meta), sources: args.map((a) => a.source), readsGas: call.readGas, storedProgram };
  const gas = quoteInferred(info, programBytes, call.multiplier, io).gas;
  return {
    gas,
    flops: info.flops,
    // Live tensors at the schedule's peak but the stored constants, plus the outputs' encodings when returned inline.
    workingBytes: info.peakBytes - heldHandleBytes(handleArgs) + ((flags & OUT_SCRATCH) !== 0 ? 0 : info.outputs.reduce((s, m) => s + byteSize(m), 0)),
    quoteOnly: (flags & QUOTE_ONLY) !== 0,
    async execute() {
      const inputs = await loadAll(args);
      const outputs = runProgram(program, inputs, await loadHandles(handleArgs), { info });
      const encoded = outputs.map((t) => call.emit(t, flags));
      await call.record(params, args, outputs.map((t) => call.commit(t)), gas, info.flops, paramsHash?.());
      return encodeBytesArray(encoded);
    },
  };
}
