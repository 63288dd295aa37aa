// requantize and mul take the hoisted 16-bit split (rescaleOf's split form) when the centred value
// fits ±2^31: it must equal the exact BigInt definition for every dtype, zero point, multiplier and
// shift, including the dtype edges and the paths that keep multiplyShiftRound.
import { test } from "node:test";
import assert from "node:assert/strict";
import { getOp } from "../../src/engine/registry.ts";
import { DTYPE_MAX, DTYPE_MIN, tensor, type DType } from "../../src/engine/tensor.ts";
import type { Attrs } from "../../src/engine/op.ts";
import { rng } from "../xorshift.ts";

const DTYPES: DType[] = ["int8", "int16", "int32"];
const r = rng(20261206);
const pick = <T>(xs: readonly T[]) => xs[r(xs.length)]!;
const value = (dt: DType) => {
  const k = r(4);
  return k === 0 ? DTYPE_MIN[dt] : k === 1 ? DTYPE_MAX[dt] : DTYPE_MIN[dt] + Math.floor((r(1 << 30) / 2 ** 30) * (DTYPE_MAX[dt] - DTYPE_MIN[dt] + 1));
};
const multiplier = () => pick([0, 1, 2 ** 31 - 1, 1 << 30, r(1 << 30)]);
const zeroOf = (out: DType) => DTYPE_MIN[out] + r(Math.min(DTYPE_MAX[out] - DTYPE_MIN[out] + 1, 2 ** 30));

function exact(x: bigint, m: number, t: number, z: number, out: DType): number {
  const v = ((x * BigInt(m) + (t > 0 ? 1n << BigInt(t - 1) : 0n)) >> BigInt(t)) + BigInt(z);
  const lo = BigInt(DTYPE_MIN[out]), hi = BigInt(DTYPE_MAX[out]);
  return Number(v < lo ? lo : v > hi ? hi : v);
}

test("requantize equals the BigInt definition on 3,000 random per-tensor and per-channel cases with dtype edges", () => {
  const op = getOp("requantize");
  for (let trial = 0; trial < 3000; trial++) {
    const dt = pick(DTYPES), out = pick(DTYPES);
    const xs = Array.from({ length: 16 }, () => value(dt));
    const inZero = r(2) ? 0 : value(dt);
    const ms = [multiplier(), multiplier(), multiplier(), multiplier()];
    const ts = ms.map(() => r(63));
    const z = zeroOf(out);
    const perChannel = r(2) === 1;
    const attrs: Attrs = perChannel
      ? { multiplier: ms, shift: ts, zeroPoint: z, inZero, outDtype: DTYPES.indexOf(out), axis: 1 }
      : { multiplier: ms[0]!, shift: ts[0]!, zeroPoint: z, inZero, outDtype: DTYPES.indexOf(out) };
    const [y] = op.run([tensor(dt, [4, 4], xs)], attrs);
    xs.forEach((x, i) => {
      const c = perChannel ? i % 4 : 0;
      assert.equal(y!.data[i], exact(BigInt(x - inZero), ms[c]!, ts[c]!, z, out), `trial ${trial} element ${i}`);
    });
  }
});

test("mul with a rescale equals the BigInt definition on 3,000 random cases, with and without zero points", () => {
  const op = getOp("mul");
  for (let trial = 0; trial < 3000; trial++) {
    const da = pick(DTYPES), db = pick(DTYPES.slice(0, 2)), out = pick(DTYPES);
    const aZero = r(3) === 0 ? value(da) : 0, bZero = r(3) === 0 ? value(db) : 0;
    const m = multiplier(), t = r(63), z = zeroOf(out);
    const a = Array.from({ length: 8 }, () => value(da)), b = Array.from({ length: 8 }, () => value(db));
    const [y] = op.run([tensor(da, [8], a), tensor(db, [8], b)], { multiplier: m, shift: t, zeroPoint: z, aZero, bZero, outDtype: DTYPES.indexOf(out) });
    a.forEach((x, i) => assert.equal(y!.data[i], exact(BigInt(x - aZero) * BigInt(b[i]! - bZero), m, t, z, out), `trial ${trial} element ${i}`));
  }
});
