// The engine's op table. Codes are part of the program wire format: never renumber, only append.
import { UnsupportedOpError } from "./errors.ts";
import type { OpDef } from "./op.ts";
import { linearOps } from "./ops/linear.ts";
import { elementwiseOps } from "./ops/elementwise.ts";
import { normalizeOps } from "./ops/normalize.ts";
import { reduceOps } from "./ops/reduce.ts";
import { poolOps } from "./ops/pool.ts";
import { movementOps } from "./ops/movement.ts";
import { attentionOps } from "./ops/attention.ts";
import { selectOps } from "./ops/select.ts";

export const OP_CODES = {
  matmul: 1,
  conv2d: 2,
  add: 3,
  sub: 4,
  mul: 5,
  relu: 6,
  relu6: 7,
  leaky_relu: 8,
  clip: 9,
  lut: 10,
  requantize: 11,
  softmax: 12,
  log_softmax: 13,
  layer_norm: 14,
  rms_norm: 15,
  reduce_sum: 16,
  reduce_mean: 17,
  reduce_max: 18,
  argmax: 19,
  max_pool: 20,
  avg_pool: 21,
  global_avg_pool: 22,
  reshape: 23,
  transpose: 24,
  concat: 25,
  slice: 26,
  gather: 27,
  flatten: 28,
  squeeze: 29,
  unsqueeze: 30,
  where: 31,
  attention: 32,
  top_k: 33,
  sample: 34,
} as const;
export type OpName = keyof typeof OP_CODES;

/** An op as the registry hands it out: its definition and its code from OP_CODES. */
export interface RegisteredOp extends OpDef {
  /** Stable numeric id used in the program wire format. */
  readonly code: number;
}

const ALL: readonly RegisteredOp[] = [
  ...linearOps,
  ...elementwiseOps,
  ...normalizeOps,
  ...reduceOps,
  ...poolOps,
  ...movementOps,
  ...attentionOps,
  ...selectOps,
].map((def) => {
  const code: number | undefined = OP_CODES[def.name as OpName];
  // An op file that adds an op without a code here fails at load, not in a program.
  if (code === undefined) throw new Error(`Engine op "${def.name}" has no code in OP_CODES.`);
  return { ...def, code };
});

export const OPS_BY_NAME: ReadonlyMap<string, RegisteredOp> = new Map(ALL.map((op) => [op.name, op]));
export const OPS_BY_CODE: ReadonlyMap<number, RegisteredOp> = new Map(ALL.map((op) => [op.code, op]));

export function getOp(nameOrCode: string | number): RegisteredOp {
  const op = typeof nameOrCode === "number" ? OPS_BY_CODE.get(nameOrCode) : OPS_BY_NAME.get(nameOrCode);
  if (!op) throw new UnsupportedOpError(String(nameOrCode), [...OPS_BY_NAME.keys()]);
  return op;
}
