// Small op definitions for program tests, independent of the engine's kernels so the program
// machinery (ids, liveness, hooks, state threading) is tested on its own. Codes ≥ 1000 never
// collide with OP_CODES.
import { attrInt, checkAttrNames } from "../../src/engine/attrs.ts";
import { ShapeMismatchError, UnsupportedOpError } from "../../src/engine/errors.ts";
import type { RegisteredOp } from "../../src/engine/registry.ts";
import { numElements, sameShape, tensor, type TensorMeta } from "../../src/engine/tensor.ts";

/** out = x + c (+ y): int32, element-wise, 1 FLOP per element per addend. */
export const addConst: RegisteredOp = {
  name: "t_add",
  code: 1001,
  inputs: ["x", "y?"],
  attrs: ["c"],
  infer(inputs, attrs) {
    checkAttrNames("t_add", attrs, ["c"]);
    attrInt("t_add", attrs, "c", 0);
    const [x, y] = inputs as [TensorMeta, TensorMeta | undefined];
    if (y && !sameShape(x.shape, y.shape)) throw new ShapeMismatchError("t_add", "y", x.shape, y.shape);
    return [{ dtype: "int32", shape: x.shape }];
  },
  flops(inputs) {
    return BigInt(numElements(inputs[0]!.shape) * inputs.length);
  },
  run(inputs, attrs) {
    const c = attrInt("t_add", attrs, "c", 0);
    const [x, y] = inputs;
    const data = Array.from(x!.data, (v, i) => v + c + (y ? y.data[i]! : 0));
    return [tensor("int32", x!.shape, data)];
  },
};

/** Two outputs: x and −x. */
export const plusMinus: RegisteredOp = {
  name: "t_pm",
  code: 1002,
  inputs: ["x"],
  attrs: [],
  infer(inputs) {
    return [{ dtype: "int32", shape: inputs[0]!.shape }, { dtype: "int32", shape: inputs[0]!.shape }];
  },
  flops(inputs) {
    return BigInt(numElements(inputs[0]!.shape));
  },
  run(inputs) {
    const x = inputs[0]!;
    return [tensor("int32", x.shape, Array.from(x.data)), tensor("int32", x.shape, Array.from(x.data, (v) => -v))];
  },
};

/** Claims one shape in infer and returns another: the runtime must catch the lie. */
export const liar: RegisteredOp = {
  ...addConst,
  name: "t_liar",
  code: 1003,
  run(inputs) {
    return [tensor("int32", [1], [inputs[0]!.data.length])];
  },
};

const TABLE = new Map<number, RegisteredOp>([addConst, plusMinus, liar].map((o) => [o.code, o]));
export function testOps(code: number): RegisteredOp {
  const op = TABLE.get(code);
  if (!op) throw new UnsupportedOpError(String(code), [...TABLE.values()].map((o) => o.name));
  return op;
}
