// src/commit/freivalds.ts: a correct int32 accumulator always passes (int8 and int16 A, zero
// points, bias, shapes with odd sizes); an accumulator one off in one element is caught at the
// stated rate: with r over [0, 2) one round passes iff that element's r is 0 (rate 1/2 within
// binomial noise), and with 2 rounds over [0, 65536) (bound 2^-32) it never passes. The WASM and
// JS paths of freivaldsMatmul accept exactly when the first implementation
// (freivalds-reference.ts) does, on correct and corrupted accumulators.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { freivaldsBound, freivaldsMatmul, freivaldsPaths, requantizationMismatch, type MatmulClaim } from "../../src/commit/freivalds.ts";
import { freivaldsMatmulReference } from "../../src/commit/freivalds-reference.ts";
import { freivaldsWasm } from "../../src/commit/freivalds-wasm.ts";
import { matmulReference } from "../../src/engine/kernels/matmul-reference.ts";
import { requantize } from "../../src/engine/requant.ts";
import { rng } from "../xorshift.ts";

function claim(m: number, k: number, n: number, seed: number, int16 = false, withBias = true, zero?: number): MatmulClaim {
  const r = rng(seed);
  const a = int16 ? Int16Array.from({ length: m * k }, () => r(65536) - 32768) : Int8Array.from({ length: m * k }, () => r(256) - 128);
  const b = Int8Array.from({ length: k * n }, () => r(256) - 128);
  const bias = withBias ? Int32Array.from({ length: n }, () => r(1 << 20) - (1 << 19)) : null;
  const aZero = zero ?? (int16 ? 0 : r(21) - 10);
  const acc = new Int32Array(m * n);
  matmulReference({ a, aOffset: 0, aZero, b, bOffset: 0, transB: false, bias, m, k, n, out: acc, outOffset: 0 });
  return { a, aZero, b, bias, acc, m, k, n };
}

const seedOf = (i: number) => Uint8Array.of(i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff, 17);

describe("Freivalds check of a matmul accumulator", () => {
  it("accepts every correct accumulator", () => {
    for (const [i, [m, k, n, int16]] of ([[1, 1, 1, false], [3, 5, 7, false], [17, 33, 9, true], [8, 64, 40, false], [2, 300, 3, true]] as const).entries()) {
      const c = claim(m, k, n, 100 + i, int16);
      assert.ok(freivaldsMatmul(c, seedOf(i), { rounds: 3, values: 65536 }), `${m}x${k}x${n}`);
    }
  });

  it("catches one element off by one at the stated rate", () => {
    const c = claim(12, 48, 20, 7);
    const pick = rng(99);
    let passedHalf = 0;
    const trials = 2000;
    for (let t = 0; t < trials; t++) {
      const at = pick(c.acc.length);
      const delta = pick(2) === 0 ? 1 : -1;
      c.acc[at]! += delta;
      if (freivaldsMatmul(c, seedOf(t), { rounds: 1, values: 2 })) passedHalf++;
      assert.equal(freivaldsMatmul(c, seedOf(t), { rounds: 2, values: 65536 }), false, `trial ${t}: bound ${freivaldsBound({ rounds: 2, values: 65536 })}`);
      c.acc[at]! -= delta;
    }
    // Bound 1/2, exact for one wrong element; 2000 trials: 5 standard deviations is ±0.056.
    assert.ok(Math.abs(passedHalf / trials - 0.5) < 0.056, `${passedHalf} of ${trials} passed`);
    assert.equal(freivaldsBound({ rounds: 1, values: 2 }), 0.5);
  });

  it("accepts exactly when the reference implementation does, on the WASM and the JS path", () => {
    assert.ok(freivaldsWasm(), "WebAssembly SIMD is available to the tests");
    const pick = rng(2026);
    // Odd sizes leave row tails to JS; int16 A, zero points and no bias take the other branches.
    const shapes = [[1, 1, 1], [5, 9, 7], [16, 16, 16], [13, 31, 37], [33, 64, 9], [4, 3, 130], [2, 300, 3]] as const;
    let cases = 0;
    let accepted = 0;
    for (const [s, [m, k, n]] of shapes.entries()) {
      for (const int16 of [false, true]) {
        const c = claim(m, k, n, 300 + s, int16, s % 2 === 0, int16 ? pick(2001) - 1000 : undefined);
        for (let t = 0; t < 40; t++) {
          const corrupted = t % 4 !== 0;
          const saved = Int32Array.from(c.acc);
          if (corrupted) {
            // One element off by one, several elements off, or extreme int32 values.
            const count = t % 3 === 0 ? 1 + pick(4) : 1;
            for (let e = 0; e < count; e++) {
              const at = pick(c.acc.length);
              c.acc[at] = t % 5 === 0 ? [-(2 ** 31), 2 ** 31 - 1][pick(2)]! : c.acc[at]! + (pick(2) === 0 ? 1 : -1) * (1 + pick(t % 7 === 0 ? 1 << 30 : 2));
            }
          }
          const options = { rounds: 1 + (t % 2), values: [2, 4, 65536][t % 3]! };
          const seed = seedOf(1000 * s + t);
          const expected = freivaldsMatmulReference(c, seed, options);
          assert.equal(freivaldsMatmul(c, seed, options), expected, `WASM path, ${m}x${k}x${n} int16=${int16} case ${t}`);
          freivaldsPaths.wasm = false;
          try {
            assert.equal(freivaldsMatmul(c, seed, options), expected, `JS path, ${m}x${k}x${n} int16=${int16} case ${t}`);
          } finally {
            freivaldsPaths.wasm = true;
          }
          if (!corrupted) assert.ok(expected, "a correct accumulator passes");
          cases++;
          if (expected) accepted++;
          c.acc.set(saved);
        }
      }
    }
    // Both outcomes occur among the corrupted cases (|S| = 2 accepts about half), or the comparison proves little.
    assert.ok(accepted > cases / 4 + 10 && accepted < cases, `${accepted} of ${cases} accepted`);
  });

  it("checks requantization element by element", () => {
    const c = claim(4, 16, 6, 3);
    const out = Array.from(c.acc, (v) => requantize(v, 1 << 20, 30, -3, "int8"));
    assert.equal(requantizationMismatch(c.acc, out, 1 << 20, 30, -3, "int8"), -1);
    out[5]! += out[5]! === 127 ? -1 : 1;
    assert.equal(requantizationMismatch(c.acc, out, 1 << 20, 30, -3, "int8"), 5);
  });

  it("agrees with requantizing each element, across the int8 intervals and the clamps", () => {
    const pick = rng(11);
    for (let t = 0; t < 40; t++) {
      const multiplier = 1 + pick(1 << 30);
      const shift = 20 + pick(20);
      const zeroPoint = pick(21) - 10;
      const acc = Int32Array.from({ length: 64 }, (_, i) => (i < 4 ? [-(2 ** 31), 2 ** 31 - 1, 0, -1][i]! : pick(2 ** 32) - 2 ** 31) >> pick(24));
      const exact = Array.from(acc, (v) => requantize(v, multiplier, shift, zeroPoint, "int8"));
      assert.equal(requantizationMismatch(acc, exact, multiplier, shift, zeroPoint, "int8"), -1, `case ${t}`);
      const at = pick(64);
      const wrong = [...exact];
      wrong[at] = exact[at]! === -128 ? -127 : exact[at]! - 1;
      assert.equal(requantizationMismatch(acc, wrong, multiplier, shift, zeroPoint, "int8"), at, `case ${t}`);
    }
  });
});
