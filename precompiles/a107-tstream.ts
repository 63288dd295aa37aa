// 0x…A107 TSTREAM: stateful streaming inference. Runs a stored step program `steps` times, threading
// its state tensors (KV cache, hidden state); step t gets slice t of `xs` and yields y_t, whose
// Tensor Commit is returned per step. Every step has the same shapes, so gas = overhead + steps × one step.
// input  abi.encode(bytes32 programId, bytes[] state, bytes xs, uint32 steps, uint8 flags)
// output abi.encode(bytes[] finalState, bytes lastOutput, bytes32[] stepCommits)
// flags bit 2 STACK_OUTPUTS: `lastOutput` is every step's y stacked on a new dimension 0 ([steps, ...y]),
// so a contract gets each generated token of one call (the commits stay one per step).
import { parseAbiParameters } from "viem";
import { InvalidArgumentError, ShapeMismatchError } from "../src/engine/errors.ts";
import { allocate, byteSize, numElements, type Tensor, type TensorMeta } from "../src/engine/tensor.ts";
import { MAX_STREAM_STEPS } from "../src/codec/program.ts";
import { runProgram } from "../src/codec/program-run.ts";
import { encodeStreamOutput } from "../src/codec/abi.ts";
import { OUT_SCRATCH, QUOTE_ONLY, STACK_OUTPUTS } from "./flags.ts";
import { type Plan, type PrecompileCall, type TensorArg } from "./call.ts";
import { programOverheadGas, quoteStreamInferred, writeGas } from "./gas.ts";
import { heldHandleBytes, loadAll, loadHandles, loadStoredProgram, programHandleArgs } from "./program-call.ts";
import { inferProgramCached } from "./program-cache.ts";

export const TSTREAM_INPUT = parseAbiParameters("bytes32 programId, bytes[] state, bytes xs, uint32 steps, uint8 flags");

/** Step outputs y_0 … y_{n−1} (one meta) stacked on a new dimension 0. */
function stackSteps(ys: readonly Tensor[]): Tensor {
  const first = ys[0]!;
  const n = first.data.length;
  const data = allocate(first.dtype, n * ys.length);
  ys.forEach((y, t) => data.set(y.data, t * n));
  return { dtype: first.dtype, shape: [ys.length, ...first.shape], data };
}

/** Slice t of a tensor stacked on dimension 0, sharing its data. */
function sliceStep(xs: Tensor, t: number): Tensor {
  const shape = xs.shape.slice(1);
  const n = numElements(shape);
  return { dtype: xs.dtype, shape, data: xs.data.subarray(t * n, (t + 1) * n) as Tensor["data"] };
}

export async function planTstream(call: PrecompileCall): Promise<Plan> {
  const [programId, stateAbi, xsAbi, steps, flagsRaw] = call.decode(TSTREAM_INPUT);
  const flags = call.checkFlags(flagsRaw, OUT_SCRATCH | QUOTE_ONLY | STACK_OUTPUTS);
  const stacked = (flags & STACK_OUTPUTS) !== 0;
  if (steps < 1 || steps > MAX_STREAM_STEPS) throw new InvalidArgumentError("TSTREAM", "steps", `must be 1 … ${MAX_STREAM_STEPS}`);
  const { program, bytes: programBytes } = await loadStoredProgram(call, programId);
  if (program.stateCount < 1) throw new InvalidArgumentError("TSTREAM", "program", "declares no state inputs");
  if (stateAbi.length !== program.stateCount) {
    throw new InvalidArgumentError("TSTREAM", "state", `${stateAbi.length} tensors given, the program threads ${program.stateCount}`);
  }
  const stateArgs = await call.tensorArgs(stateAbi);
  let xsArg: TensorArg | undefined;
  const stepMetas: TensorMeta[] = stateArgs.map((a) => a.meta);
  if (xsAbi.length !== 0) {
    xsArg = await call.tensorArg(xsAbi);
    if (xsArg.meta.shape.length < 1 || xsArg.meta.shape[0] !== steps) {
      throw new ShapeMismatchError("TSTREAM", "xs", `[${steps}, ...] (steps on dimension 0)`, xsArg.meta.shape);
    }
    stepMetas.push({ dtype: xsArg.meta.dtype, shape: xsArg.meta.shape.slice(1) });
  }
  const handleArgs = await programHandleArgs(call, program);
  call.chargePlanning(programOverheadGas(programBytes.length, program.nodes.length, true));
  const info = inferProgramCached(program, stepMetas);
  if (info.outputs.length <= program.stateCount) throw new InvalidArgumentError("TSTREAM", "program", "returns no per-step output y");
  // The receipt's params: the step program's id and the step count.
  const params = new Uint8Array(36);
  params.set(programId, 0);
  new DataView(params.buffer).setUint32(32, steps);
  const yMeta = info.outputs[program.stateCount]!;
  const outMeta: TensorMeta = stacked ? { dtype: yMeta.dtype, shape: [steps, ...yMeta.shape] } : yMeta;
  const args = xsArg ? [...stateArgs, xsArg] : stateArgs;
  // Every read (program, state, xs, constants, shards) has been charged by now: readGas is final.
  const io = { stateCount: program.stateCount, inputs: args.map((a) => a.meta), sources: args.map((a) => a.source), readsGas: call.readGas };
  const run = quoteStreamInferred(info, programBytes.length, steps, call.multiplier, io);
  // The stacked output is one more tensor to allocate and write (its steps are committed one by one).
  const gas = run.gas + (stacked ? writeGas(outMeta) : 0n);
  const flops = run.flops;
  return {
    gas,
    flops,
    workingBytes: info.peakBytes - heldHandleBytes(handleArgs) + (xsArg ? xsArg.transientBytes : 0) + byteSize(outMeta) * (stacked ? 2 : 1),
    quoteOnly: (flags & QUOTE_ONLY) !== 0,
    async execute() {
      const initial = await loadAll(stateArgs);
      const xs = xsArg ? await xsArg.load() : undefined;
      const handles = await loadHandles(handleArgs);
      let state = initial;
      let last: Tensor | undefined;
      const ys: Tensor[] = [];
      const commits: Uint8Array[] = [];
      for (let t = 0; t < steps; t++) {
        const outs = runProgram(program, xs ? [...state, sliceStep(xs, t)] : state, handles, { info, step: t });
        state = outs.slice(0, program.stateCount);
        last = outs[program.stateCount]!;
        if (stacked) ys.push(last);
        commits.push(call.commit(last));
      }
      const stateCommits = state.map((s) => call.commit(s));
      await call.record(params, xs ? [...stateArgs, xsArg!] : stateArgs, [...stateCommits, ...commits], gas, flops);
      return encodeStreamOutput(
        state.map((s) => call.emit(s, flags)),
        call.emit(stacked ? stackSteps(ys) : last!, flags),
        commits,
      );
    },
  };
}
