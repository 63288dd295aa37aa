// The single-op calls shared by TMATMUL and TEWOP: inputs, engine attributes as two parallel ABI
// arrays, flags. Priced with quoteOp on the declared metas before any tensor data is decoded.
import { InvalidArgumentError } from "../src/engine/errors.ts";
import type { AttrValue, Attrs } from "../src/engine/op.ts";
import type { RegisteredOp } from "../src/engine/registry.ts";
import { byteSize, type Tensor } from "../src/engine/tensor.ts";
import { scratchBytesOf } from "../src/engine/scratch.ts";
import { encodeOpParams, isAttrName } from "../src/codec/program.ts";
import { encodeBytes } from "../src/codec/abi.ts";
import { QUOTE_ONLY } from "./flags.ts";
import type { Plan, PrecompileCall } from "./call.ts";
import { quoteOp } from "./gas.ts";

/** Engine attributes from `string[] names, int64[][] values`; a list of one is a single integer. */
export function attrsFromAbi(op: string, names: readonly string[], values: readonly (readonly bigint[])[]): Attrs {
  if (names.length !== values.length) {
    throw new InvalidArgumentError(op, "attributes", `${names.length} names but ${values.length} value lists`);
  }
  const attrs: Record<string, AttrValue> = {};
  names.forEach((name, i) => {
    // Checked before use: `__proto__` would set the object's prototype instead of adding an attribute.
    if (!isAttrName(name)) throw new InvalidArgumentError(op, "attribute name", "must be an identifier [A-Za-z_][A-Za-z0-9_]* of at most 32 chars, not __proto__");
    if (Object.hasOwn(attrs, name)) throw new InvalidArgumentError(op, `attribute "${name}"`, "given twice");
    const list = values[i]!.map((v) => {
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
        throw new InvalidArgumentError(op, `attribute "${name}"`, "beyond the safe integer range");
      }
      return Number(v);
    });
    attrs[name] = list.length === 1 ? list[0]! : list;
  });
  return attrs;
}

/** Plans one engine op over tensor arguments. */
export async function planSingleOp(call: PrecompileCall, op: RegisteredOp, inputsAbi: readonly Uint8Array[], attrs: Attrs, flags: number): Promise<Plan> {
  const args = await call.tensorArgs(inputsAbi);
  const metas = args.map((a) => a.meta);
  // quoteOp runs the op's infer: every shape, dtype and attribute is validated before any data is touched.
  const quote = quoteOp(op, metas, attrs, call.multiplier, args.map((a) => a.source));
  const { flops, outputs: outMetas } = quote;
  // Stored arguments were charged as they were read (call.readGas); the quote prices the rest.
  const gas = call.readGas + quote.gas;
  // The receipt's params: the op and its attributes, canonically encoded (not the tensors, which have commits).
  const params = encodeOpParams(op.code, attrs);
  const workingBytes =
    args.reduce((s, a) => s + a.transientBytes, 0) + outMetas.reduce((s, m) => s + byteSize(m), 0) + scratchBytesOf(op, metas, outMetas, attrs);
  return {
    gas,
    flops,
    workingBytes,
    quoteOnly: (flags & QUOTE_ONLY) !== 0,
    async execute() {
      const inputs: Tensor[] = [];
      for (const a of args) inputs.push(await a.load());
      const [out] = op.run(inputs, attrs);
      const result = call.emit(out!, flags);
      await call.record(params, args, [call.commit(out!)], gas, flops);
      return encodeBytes(result);
    },
  };
}
