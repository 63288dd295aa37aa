// Integer helpers: exact division and rounding, floor square root, the exp/log fixed-point kernels.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  EXP_ARG_CAP_Q16,
  expNegQ24,
  floorDiv,
  isqrt,
  isqrtBig,
  log2Q16OfQ24,
  roundDivAway,
  roundDivAwayBig,
  scaledDistanceQ16,
} from "../../src/engine/intmath.ts";
import { oracleDistance, oracleExp, oracleLog2 } from "../golden/nonlinear/oracle.ts";
import { prng } from "../golden/nonlinear/prng.ts";

test("floorDiv and roundDivAway equal BigInt floor/round-half-away near 2^53, where float division misrounds", () => {
  const r = prng(1);
  const cases: [number, number][] = [
    [2 ** 53 - 1, 3],
    [-(2 ** 53 - 1), 3],
    [2 ** 30 * 8388607 - 1, 8388607], // a/b rounds up to an integer in double precision
    [7, 2],
    [-7, 2],
    [0, 5],
  ];
  for (let i = 0; i < 5000; i++) {
    const b = r.int(1, 2 ** r.int(1, 30));
    cases.push([r.int(-(2 ** 52), 2 ** 52 - 1), b]);
    const q = r.int(-(2 ** 20), 2 ** 20);
    cases.push([q * b + r.int(-1, 1), b]);
  }
  for (const [a, b] of cases) {
    const A = BigInt(a);
    const B = BigInt(b);
    const floor = A >= 0n ? A / B : -((-A + B - 1n) / B);
    assert.equal(BigInt(floorDiv(a, b)), floor, `floorDiv(${a}, ${b})`);
    if (Math.abs(2 * a) + b < 2 ** 53) {
      assert.equal(BigInt(roundDivAway(a, b)), roundDivAwayBig(A, B), `roundDivAway(${a}, ${b})`);
    }
  }
  assert.equal(roundDivAway(5, 2), 3);
  assert.equal(roundDivAway(-5, 2), -3);
  assert.equal(roundDivAway(-4, 3), -1);
});

test("isqrt is the exact floor square root up to 2^53 and isqrtBig beyond", () => {
  const r = prng(2);
  for (let i = 0; i < 5000; i++) {
    const root = r.int(0, 94906265); // root² < 2^53
    for (const n of [root * root, root * root - 1, root * root + 1].filter((v) => v >= 0 && v < 2 ** 53)) {
      const s = isqrt(n);
      assert.ok(s * s <= n && (s + 1) * (s + 1) > n, `isqrt(${n}) = ${s}`);
    }
  }
  for (let i = 0; i < 500; i++) {
    const root = BigInt(r.int(0, 2 ** 30)) * BigInt(r.int(1, 2 ** 30)) + BigInt(r.int(0, 1000));
    for (const n of [root * root, root * root - 1n, root * root + 2n * root]) {
      if (n < 0n) continue;
      const s = isqrtBig(n);
      assert.ok(s * s <= n && (s + 1n) * (s + 1n) > n, `isqrtBig(${n})`);
    }
  }
  assert.equal(isqrt(2 ** 53 - 1), 94906265);
});

test("scaledDistanceQ16 equals min(2^22, round(d·M·2^16 / 2^t)) for every shift, including d near 2^32", () => {
  const r = prng(3);
  for (let i = 0; i < 20000; i++) {
    const d = r.pick([0, 1, 2 ** 32 - 1, 2 ** 31, r.int(0, 2 ** 32 - 1), r.int(0, 1000)]);
    const m = r.pick([0, 1, 0x7fffffff, r.int(0, 0x7fffffff)]);
    const t = r.int(0, 62);
    assert.equal(BigInt(scaledDistanceQ16(d, m, t)), oracleDistance(BigInt(d), BigInt(m), BigInt(t)), `d=${d} M=${m} t=${t}`);
  }
});

test("expNegQ24 matches the BigInt recipe on its whole domain and e^-x within 1 ulp + 2^-16 relative", () => {
  let worst = 0;
  for (let rq = 0; rq <= EXP_ARG_CAP_Q16; rq += rq < 70000 ? 1 : 97) {
    const e = expNegQ24(rq);
    assert.equal(BigInt(e), oracleExp(BigInt(rq)), `R=${rq}`);
    const real = Math.exp(-rq / 65536) * 2 ** 24;
    worst = Math.max(worst, Math.abs(e - real) / (1 + real * 2 ** -16));
  }
  assert.equal(expNegQ24(0), 2 ** 24);
  assert.equal(expNegQ24(EXP_ARG_CAP_Q16), 0);
  assert.ok(worst <= 1, `worst ${worst}`);
});

test("log2Q16OfQ24 matches the BigInt recipe and log2 within 2^-15", () => {
  const r = prng(4);
  for (let i = 0; i < 5000; i++) {
    const s = r.pick([2 ** 24, 2 ** 53 - 1, r.int(2 ** 24, 2 ** 30), r.int(2 ** 24, 2 ** 53 - 1)]);
    const l = log2Q16OfQ24(s);
    assert.equal(BigInt(l), oracleLog2(BigInt(s)), `S=${s}`);
    assert.ok(Math.abs(l / 65536 - Math.log2(s / 2 ** 24)) <= 2 ** -15, `S=${s}`);
  }
});
