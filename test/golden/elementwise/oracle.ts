// BigInt oracles for the element-wise ops, written from the formulas in docs/ops.md and independent
// of the engine (its own broadcasting by multi-index, exact BigInt arithmetic throughout).
import type { Attrs } from "../../../src/engine/op.ts";
import type { DType } from "../../../src/engine/tensor.ts";
import type { PlainTensor } from "../linear/oracle.ts";

const ORDER: DType[] = ["int8", "int16", "int32"];
const RANGE: Record<DType, [bigint, bigint]> = {
  int8: [-128n, 127n],
  int16: [-32768n, 32767n],
  int32: [-2147483648n, 2147483647n],
};
const clamp = (v: bigint, dt: DType): bigint => (v < RANGE[dt][0] ? RANGE[dt][0] : v > RANGE[dt][1] ? RANGE[dt][1] : v);
/** floor((x·M + 2^(t−1)) / 2^t) */
const rms = (x: bigint, m: number, t: number): bigint => (x * BigInt(m) + (t > 0 ? 1n << BigInt(t - 1) : 0n)) >> BigInt(t);
const num = (attrs: Attrs, name: string, fallback: number): number => (attrs[name] as number | undefined) ?? fallback;

function broadcastShape(a: number[], b: number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[i - (rank - a.length)] ?? 1;
    const db = b[i - (rank - b.length)] ?? 1;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Element of `t` read at output multi-index `idx`, numpy broadcasting. */
function at(t: PlainTensor, idx: number[]): bigint {
  let flat = 0;
  for (let i = 0; i < t.shape.length; i++) {
    const d = t.shape[i]!;
    flat = flat * d + (d === 1 ? 0 : idx[idx.length - t.shape.length + i]!);
  }
  return BigInt(t.data[flat]!);
}

function binary(a: PlainTensor, b: PlainTensor, out: DType, f: (x: bigint, y: bigint) => bigint): PlainTensor {
  const shape = broadcastShape(a.shape, b.shape);
  const count = shape.reduce((x, y) => x * y, 1);
  const data: number[] = [];
  for (let i = 0; i < count; i++) {
    const idx = new Array<number>(shape.length);
    let rest = i;
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d] = rest % shape[d]!;
      rest = Math.floor(rest / shape[d]!);
    }
    data.push(Number(clamp(f(at(a, idx), at(b, idx)), out)));
  }
  return { dtype: out, shape, data };
}

function outDtype(attrs: Attrs, a: DType, b: DType): DType {
  const code = attrs["outDtype"] as number | undefined;
  return code === undefined ? ORDER[Math.max(ORDER.indexOf(a), ORDER.indexOf(b))]! : ORDER[code]!;
}

export function elementwiseOracle(op: string, inputs: PlainTensor[], attrs: Attrs): PlainTensor {
  const [x, y] = inputs as [PlainTensor, PlainTensor | undefined];
  const unary = (f: (v: bigint) => bigint, dtype: DType = x.dtype): PlainTensor => ({
    dtype,
    shape: [...x.shape],
    data: x.data.map((v) => Number(clamp(f(BigInt(v)), dtype))),
  });
  const z = BigInt(num(attrs, "zeroPoint", 0));
  switch (op) {
    case "add":
    case "sub": {
      const out = outDtype(attrs, x.dtype, y!.dtype);
      const ls = BigInt(num(attrs, "leftShift", 0));
      const za = BigInt(num(attrs, "aZero", 0));
      const zb = BigInt(num(attrs, "bZero", 0));
      return binary(x, y!, out, (a, b) => {
        const ra = clamp(rms((a - za) << ls, num(attrs, "aMultiplier", 1), num(attrs, "aShift", 0)), "int32");
        const rb = clamp(rms((b - zb) << ls, num(attrs, "bMultiplier", 1), num(attrs, "bShift", 0)), "int32");
        const s = clamp(op === "add" ? ra + rb : ra - rb, "int32");
        return rms(s, num(attrs, "outMultiplier", 1), num(attrs, "outShift", 0)) + z;
      });
    }
    case "mul": {
      const za = BigInt(num(attrs, "aZero", 0));
      const zb = BigInt(num(attrs, "bZero", 0));
      return binary(x, y!, outDtype(attrs, x.dtype, y!.dtype), (a, b) =>
        rms((a - za) * (b - zb), num(attrs, "multiplier", 1), num(attrs, "shift", 0)) + z);
    }
    case "relu":
      return unary((v) => (v < z ? z : v));
    case "relu6": {
      const six = BigInt(num(attrs, "six", 0));
      return unary((v) => (v < z ? z : v > six ? six : v));
    }
    case "clip": {
      const lo = BigInt(num(attrs, "min", 0));
      const hi = BigInt(num(attrs, "max", 0));
      return unary((v) => (v < lo ? lo : v > hi ? hi : v));
    }
    case "leaky_relu":
      return unary((v) => (v >= z ? v : z + rms(v - z, num(attrs, "alphaMultiplier", 0), num(attrs, "alphaShift", 0))));
    case "lut":
      return { dtype: y!.dtype, shape: [...x.shape], data: x.data.map((v) => y!.data[v + 128]!) };
    case "requantize": {
      const out = ORDER[num(attrs, "outDtype", 0)]!;
      const m = [attrs["multiplier"]].flat() as number[];
      const t = [attrs["shift"]].flat() as number[];
      const inZero = BigInt(num(attrs, "inZero", 0));
      let inner = 1;
      if (attrs["axis"] !== undefined) {
        const axis = (attrs["axis"] as number) < 0 ? (attrs["axis"] as number) + x.shape.length : (attrs["axis"] as number);
        inner = x.shape.slice(axis + 1).reduce((p, q) => p * q, 1);
      }
      const channels = m.length;
      return {
        dtype: out,
        shape: [...x.shape],
        data: x.data.map((v, i) => {
          const c = channels === 1 ? 0 : Math.floor(i / inner) % channels;
          return Number(clamp(rms(BigInt(v) - inZero, m[c]!, t[c]!) + z, out));
        }),
      };
    }
  }
  throw new Error(`no oracle for ${op}`);
}
