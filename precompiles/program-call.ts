// Shared by TGRAPH, TCUSTOM and TSTREAM: resolve a program's inputs and stored constants, infer every
// shape, price it with src/gas, then run it with the engine keeping intermediates in VM memory.
import { DTypeMismatchError, InvalidArgumentError, ShapeMismatchError } from "../src/engine/errors.ts";
import { byteSize, sameShape, type Tensor } from "../src/engine/tensor.ts";
import { decodeProgram, type Program } from "../src/codec/program.ts";
import { inferProgram, type ProgramInfo } from "../src/codec/program-infer.ts";
import { runProgram } from "../src/codec/program-run.ts";
import { getBlob } from "../src/chain/memory.ts";
import { encodeBytesArray } from "./abi.ts";
import { OUT_SCRATCH, QUOTE_ONLY, type Plan, type PrecompileCall, type TensorArg } from "./call.ts";
import { HANDLE_KIND, UnknownHandleError } from "./errors.ts";
import { quoteProgramRun } from "./gas.ts";
import { toHex } from "./hex.ts";

/** A stored program by id (TSTORE target 2), decoded and validated. */
export async function loadStoredProgram(call: PrecompileCall, id: Uint8Array): Promise<{ program: Program; bytes: Uint8Array }> {
  const bytes = await getBlob(call.state, id);
  if (!bytes) throw new UnknownHandleError(HANDLE_KIND.persistent, `0x${"00".repeat(20)}`, toHex(id));
  return { program: decodeProgram(bytes), bytes };
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

/** Plans a single run of `program` on ABI tensor arguments (TGRAPH, TCUSTOM). */
export async function planProgramRun(
  call: PrecompileCall,
  program: Program,
  inputsAbi: readonly Uint8Array[],
  flags: number,
  params: Uint8Array,
  programBytes: number,
): Promise<Plan> {
  if (program.stateCount !== 0) throw new InvalidArgumentError(call.opcode, "program", "is a step program; run it with TSTREAM");
  const args = await call.tensorArgs(inputsAbi);
  const handleArgs = await programHandleArgs(call, program);
  const info: ProgramInfo = inferProgram(program, args.map((a) => a.meta));
  const gas = quoteProgramRun(info, programBytes, call.multiplier).gas;
  return {
    gas,
    flops: info.flops,
    // Live tensors at the schedule's peak, plus the outputs' encodings when they are returned inline.
    workingBytes: info.peakBytes + ((flags & OUT_SCRATCH) !== 0 ? 0 : info.outputs.reduce((s, m) => s + byteSize(m), 0)),
    quoteOnly: (flags & QUOTE_ONLY) !== 0,
    async execute() {
      const inputs = await loadAll(args);
      const outputs = runProgram(program, inputs, await loadHandles(handleArgs), { info });
      const encoded = outputs.map((t) => call.emit(t, flags));
      await call.record(params, args, outputs.map((t) => call.commit(t)), gas, info.flops);
      return encodeBytesArray(encoded);
    },
  };
}
