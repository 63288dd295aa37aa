// Scratch memory of an op run, from shapes alone: what the memory budget charges for a node beyond
// its outputs. Ops with large or shape-specific scratch declare it (OpDef.scratchBytes); the rest
// allocate at most row buffers, rescaled copies of their inputs and broadcast row tables, which
// defaultScratchBytes bounds. test/engine/scratch.test.ts measures every op family against it.
import type { Attrs, OpDef } from "./op.ts";
import { numElements, type TensorMeta } from "./tensor.ts";

/** Small fixed buffers (radix buckets, odometers, attribute lists) every op may hold. */
export const SCRATCH_SLACK_BYTES = 4096;

/** 12 bytes per input element (int32 rescaled copies, three int32 row buffers) and 8 per output element (two int32 row tables). */
export function defaultScratchBytes(inputs: readonly TensorMeta[], outputs: readonly TensorMeta[]): number {
  let n = SCRATCH_SLACK_BYTES;
  for (const m of inputs) n += 12 * numElements(m.shape);
  for (const m of outputs) n += 8 * numElements(m.shape);
  return n;
}

/** The op's declared scratch, or the default bound. */
export function scratchBytesOf(op: OpDef, inputs: readonly TensorMeta[], outputs: readonly TensorMeta[], attrs: Attrs): number {
  return op.scratchBytes ? op.scratchBytes(inputs, attrs) + SCRATCH_SLACK_BYTES : defaultScratchBytes(inputs, outputs);
}
