// Seeded random cases for the element-wise ops: broadcast shapes, every dtype, zero points at the
// dtype edges, multipliers and shifts across their whole ranges.
import type { Attrs } from "../../../src/engine/op.ts";
import type { DType } from "../../../src/engine/tensor.ts";
import { int, plain, values, type Rand } from "../linear/cases.ts";
import type { PlainTensor } from "../linear/oracle.ts";

export interface ElementwiseCase {
  op: string;
  inputs: PlainTensor[];
  attrs: Attrs;
}

const DTYPES: DType[] = ["int8", "int16", "int32"];
const LO: Record<DType, number> = { int8: -128, int16: -32768, int32: -2147483648 };
const HI: Record<DType, number> = { int8: 127, int16: 32767, int32: 2147483647 };
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const count = (shape: number[]): number => shape.reduce((x, y) => x * y, 1);

function shapePair(r: Rand): [number[], number[]] {
  const base = Array.from({ length: int(r, 0, 3) }, () => int(r, 1, 4));
  const other = base.map((d) => (r() < 0.3 ? 1 : d));
  const cut = int(r, 0, other.length);
  const b = other.slice(cut);
  return r() < 0.5 ? [base, b] : [b, base];
}

// Small and power-of-two multipliers make exact rounding ties (x·M + 2^(t−1) ≡ 0 mod 2^t) common.
const multiplier = (r: Rand): number => {
  const u = r();
  return u < 0.05 ? 0 : u < 0.1 ? 2147483647 : u < 0.3 ? int(r, 1, 8) : u < 0.45 ? 2 ** int(r, 0, 30) : int(r, 1, 2147483647);
};
const shift = (r: Rand): number => (r() < 0.3 ? int(r, 0, 15) : r() < 0.4 ? int(r, 47, 62) : int(r, 16, 46));
const zeroIn = (r: Rand, dt: DType): number => (r() < 0.5 ? 0 : r() < 0.2 ? pick(r, [LO[dt], HI[dt]]) : int(r, Math.max(LO[dt], -300), Math.min(HI[dt], 300)));
const tensorOf = (r: Rand, dt: DType, shape: number[]): PlainTensor => plain(dt, shape, values(r, dt, count(shape), 0.2));

export function elementwiseCase(r: Rand, op: string): ElementwiseCase {
  const dt = pick(r, DTYPES);
  const attrs: Record<string, number | number[]> = {};
  switch (op) {
    case "add":
    case "sub":
    case "mul": {
      const [sa, sb] = shapePair(r);
      const dtB = r() < 0.6 ? dt : pick(r, DTYPES);
      const a = tensorOf(r, dt, sa);
      const b = tensorOf(r, dtB, sb);
      const za = dt === "int32" && op !== "mul" ? 0 : zeroIn(r, dt);
      const zb = dtB === "int32" && op !== "mul" ? 0 : zeroIn(r, dtB);
      if (za) attrs["aZero"] = za;
      if (zb) attrs["bZero"] = zb;
      const out = r() < 0.5 ? undefined : int(r, 0, 2);
      if (out !== undefined) attrs["outDtype"] = out;
      if (op === "mul") {
        if (r() < 0.8) [attrs["multiplier"], attrs["shift"]] = [multiplier(r), shift(r)];
      } else if (r() < 0.8) {
        // TFLite's pattern: lift both inputs by leftShift, rescale each, requantize the sum.
        const headroom = (d: DType, z: number): number => 31 - Math.ceil(Math.log2(Math.max(Math.abs(LO[d] - z), Math.abs(HI[d] - z))));
        attrs["leftShift"] = int(r, 0, Math.max(0, Math.min(headroom(dt, za), headroom(dtB, zb))));
        [attrs["aMultiplier"], attrs["aShift"]] = [multiplier(r), shift(r)];
        [attrs["bMultiplier"], attrs["bShift"]] = [multiplier(r), shift(r)];
        [attrs["outMultiplier"], attrs["outShift"]] = [multiplier(r), shift(r)];
      }
      const outDt = out === undefined ? DTYPES[Math.max(DTYPES.indexOf(dt), DTYPES.indexOf(dtB))]! : DTYPES[out]!;
      if (r() < 0.5) attrs["zeroPoint"] = zeroIn(r, outDt);
      return { op, inputs: [a, b], attrs };
    }
    case "relu":
    case "relu6":
    case "leaky_relu":
    case "clip": {
      const x = tensorOf(r, dt, Array.from({ length: int(r, 0, 3) }, () => int(r, 1, 5)));
      if (op === "clip") {
        const p = int(r, LO[dt], HI[dt]);
        const q = int(r, LO[dt], HI[dt]);
        [attrs["min"], attrs["max"]] = [Math.min(p, q), Math.max(p, q)];
      } else {
        const z = zeroIn(r, dt);
        if (z) attrs["zeroPoint"] = z;
        if (op === "relu6") attrs["six"] = int(r, z, Math.min(HI[dt], z + 2000));
        if (op === "leaky_relu") [attrs["alphaMultiplier"], attrs["alphaShift"]] = [multiplier(r), shift(r)];
      }
      return { op, inputs: [x], attrs };
    }
    case "lut": {
      const tdt = pick(r, ["int8", "int16"] as DType[]);
      const x = tensorOf(r, "int8", Array.from({ length: int(r, 1, 3) }, () => int(r, 1, 6)));
      return { op, inputs: [x, tensorOf(r, tdt, [256])], attrs };
    }
    case "requantize": {
      const shape = Array.from({ length: int(r, 1, 3) }, () => int(r, 1, 4));
      const x = tensorOf(r, dt, shape);
      const outDtype = int(r, 0, 2);
      attrs["outDtype"] = outDtype;
      const z = zeroIn(r, dt);
      if (z) attrs["inZero"] = z;
      let channels = 1;
      if (r() < 0.5) {
        const axis = int(r, 0, shape.length - 1);
        attrs["axis"] = r() < 0.5 ? axis : axis - shape.length;
        channels = r() < 0.3 ? 1 : shape[axis]!;
      }
      attrs["multiplier"] = Array.from({ length: channels }, () => multiplier(r));
      attrs["shift"] = Array.from({ length: channels }, () => shift(r));
      const zo = zeroIn(r, DTYPES[outDtype]!);
      if (zo) attrs["zeroPoint"] = zo;
      return { op, inputs: [x], attrs };
    }
  }
  throw new Error(`no cases for ${op}`);
}

export const ELEMENTWISE_OPS = ["add", "sub", "mul", "relu", "relu6", "leaky_relu", "clip", "lut", "requantize"];
