// The contract every engine op fulfils. Gas, TGRAPH programs and the ONNX importer all go through
// this one interface: `infer` and `flops` look at shapes only, so gas is known before `run`.
import type { Tensor, TensorMeta } from "./tensor.ts";

/** Attributes are integers or integer lists — never floats. */
export type AttrValue = number | readonly number[];
export type Attrs = Readonly<Record<string, AttrValue>>;

/** A node's work with everything its input metas and attributes decide done beforehand (OpDef.prepare). */
export type PreparedRun = (inputs: readonly Tensor[]) => Tensor[];

export interface OpDef {
  /** Stable name, e.g. "matmul"; its wire-format code is in OP_CODES (registry.ts) only. */
  readonly name: string;
  /** Input names in order; a trailing "?" marks an optional input. */
  readonly inputs: readonly string[];
  /** Attribute names this op accepts (all others are rejected). */
  readonly attrs: readonly string[];
  /**
   * Output dtypes and shapes from input dtypes and shapes and the attributes. Throws a typed
   * AivmError for any invalid combination — this is the only validation `run` can rely on.
   */
  infer(inputs: readonly TensorMeta[], attrs: Attrs): TensorMeta[];
  /** FLOPs from shapes alone (a multiply-add counts as 2). Never negative. */
  flops(inputs: readonly TensorMeta[], attrs: Attrs): bigint;
  /** Executes. Inputs have already passed `infer`. */
  run(inputs: readonly Tensor[], attrs: Attrs): Tensor[];
  /**
   * Validates and plans from input dtypes, shapes and attributes alone, and returns the work left
   * for inputs of exactly those metas. An op that has it runs as `prepare(inputs, attrs)(inputs)`,
   * so the two cannot differ. A program run many times (a cached call's, every TSTREAM step) prepares
   * each node once (codec/program-run.ts). It lives as long as the cached program, for each input
   * shape the program is kept for, so what it keeps is a small constant (plans of at most 64 rows or
   * batch entries, else made per call), never sized by the elements; anything as large as the
   * attributes (per-channel constants) is kept once per attribute object, shared by every preparation.
   */
  prepare?(inputs: readonly TensorMeta[], attrs: Attrs): PreparedRun;
  /**
   * Upper bound on the bytes `run` allocates beyond its outputs (accumulators, index tables, row
   * buffers), from shapes alone, so the memory budget is charged before the op runs. Ops without
   * one get defaultScratchBytes (scratch.ts).
   */
  scratchBytes?(inputs: readonly TensorMeta[], attrs: Attrs): number;
}
