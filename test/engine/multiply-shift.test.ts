// multiplyShiftRound rebuilds products beyond 2^52 from partial products below 2^53 instead of
// BigInt: it must equal the exact BigInt definition, floor((x·M + 2^(t−1)) / 2^t) capped at ±2^40,
// for every shift 0…62, the safe-integer and multiplier edges, and results on both sides of the cap.
import { test } from "node:test";
import assert from "node:assert/strict";
import { multiplyShiftRound, multiplyShiftRoundWide } from "../../src/engine/kernels/multiply-shift.ts";
import { rng } from "../xorshift.ts";

const CAP = 1n << 40n;
function exact(x: number, m: number, t: number): number {
  const q = (BigInt(x) * BigInt(m) + (t > 0 ? 1n << BigInt(t - 1) : 0n)) >> BigInt(t);
  return q > CAP ? 2 ** 40 : q < -CAP ? -(2 ** 40) : Number(q);
}

const EDGE_X = [0, 1, -1, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 31, -(2 ** 31), 2 ** 22, -(2 ** 22), 2 ** 22 - 1, -(2 ** 22) - 1, 2 ** 40, -(2 ** 40), 2 ** 41 + 3, -(2 ** 41) - 3];
const EDGE_M = [0, 1, 2 ** 31 - 1, 2 ** 30, 2 ** 16, 2 ** 16 - 1, 12345];

test("multiplyShiftRound and its wide path equal the BigInt definition on edges and 200,000 random cases", () => {
  const r = rng(20261206);
  const check = (x: number, m: number, t: number) => {
    const want = exact(x, m, t);
    // + 0: a −0 (from x < 0, M = 0) is the integer 0 once stored in a typed array.
    assert.equal(multiplyShiftRoundWide(x, m, t) + 0, want, `wide x=${x} M=${m} t=${t}`);
    assert.equal(multiplyShiftRound(x, m, t) + 0, want, `x=${x} M=${m} t=${t}`);
  };
  for (let t = 0; t <= 62; t++) {
    for (const x of EDGE_X) for (const m of EDGE_M) check(x, m, t);
    for (let i = 0; i < 3200; i++) {
      // magnitude 2^0 … 2^53 and multipliers 2^0 … 2^31, so every carry and the cap are reached
      const bits = r(54);
      const x = Math.floor((r(1 << 30) / 2 ** 30) * 2 ** bits) * (r(2) === 0 ? 1 : -1);
      const m = Math.min(2 ** 31 - 1, Math.floor((r(1 << 30) / 2 ** 30) * 2 ** r(32)));
      check(x + 0, m, t);
    }
  }
});
