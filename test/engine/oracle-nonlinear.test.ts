// softmax, log_softmax, layer_norm and rms_norm against the independent BigInt oracle over
// randomized cases with extremes (int32 edges, constant rows, rows of 4096), and against the real
// functions in floating point (test-only) with the accuracy bounds documented in docs/ops-nonlinear.md.
import assert from "node:assert/strict";
import { test } from "node:test";
import { getOp } from "../../src/engine/registry.ts";
import { EXP2_COARSE_Q30, EXP2_FINE_Q30, LN2_Q30, LOG2E_Q30 } from "../../src/engine/intmath.ts";
import { allocate, DTYPE_MAX, DTYPE_MIN, numElements, type DType, type Tensor } from "../../src/engine/tensor.ts";
import { LN2, LOG2E, ORACLE_COARSE, ORACLE_FINE, oracleLogSoftmaxRow, oracleNormRow, oracleSoftmaxRow } from "../golden/nonlinear/oracle.ts";
import { prng, type Prng } from "../golden/nonlinear/prng.ts";

const DTYPES: readonly DType[] = ["int8", "int16", "int32"];

function randomValues(r: Prng, dtype: DType, count: number): number[] {
  const lo = DTYPE_MIN[dtype];
  const hi = DTYPE_MAX[dtype];
  const mode = r.int(0, 5);
  const c = r.int(lo, hi);
  const span = r.pick([1, 4, 50, 1000]);
  return Array.from({ length: count }, () => {
    switch (mode) {
      case 0: // extremes only
        return r.pick([lo, hi, lo + 1, hi - 1, 0]);
      case 1: // constant row
        return c;
      case 2: // narrow band around a random centre
        return Math.min(hi, Math.max(lo, c + r.int(-span, span)));
      default:
        return r.int(lo, hi);
    }
  });
}

function makeTensor(dtype: DType, shape: number[], values: readonly number[]): Tensor {
  const data = allocate(dtype, values.length);
  values.forEach((v, i) => (data[i] = v));
  return { dtype, shape, data };
}

function randomScale(r: Prng): { multiplier: number; shift: number } {
  const multiplier = r.pick([0, 1, 0x7fffffff, r.int(0, 0x7fffffff), r.int(2 ** 29, 2 ** 31 - 1)]);
  const shift = r.int(0, 9) < 2 ? r.int(0, 62) : r.int(17, 50);
  return { multiplier, shift };
}

/** A row length: mostly short, sometimes long, rarely the 4096 extreme. */
function rowLength(r: Prng): number {
  const k = r.int(0, 99);
  if (k < 2) return 4096;
  if (k < 12) return r.int(65, 600);
  return r.int(1, 64);
}

test("EXP2 tables and log constants equal their exact integer derivations", () => {
  assert.deepEqual(EXP2_COARSE_Q30.map(BigInt), ORACLE_COARSE);
  assert.deepEqual(EXP2_FINE_Q30.map(BigInt), ORACLE_FINE);
  assert.equal(BigInt(LOG2E_Q30), LOG2E);
  assert.equal(BigInt(LN2_Q30), LN2);
  // The constants are round(log2(e)·2^30) and round(ln2·2^30) (float check, test-only).
  assert.equal(LOG2E_Q30, Math.round(Math.LOG2E * 2 ** 30));
  assert.equal(LN2_Q30, Math.round(Math.LN2 * 2 ** 30));
});

test("softmax and log_softmax match the BigInt oracle bit for bit over 2,400 randomized cases", () => {
  const r = prng(0x50f7);
  let cases = 0;
  for (let c = 0; c < 2400; c++) {
    const isLog = c % 2 === 1;
    const dtype = r.pick(DTYPES);
    const n = rowLength(r);
    const rank = n > 64 ? 1 : r.int(1, 3);
    const shape = Array.from({ length: rank }, () => r.int(1, 4));
    const axis = r.int(0, rank - 1);
    shape[axis] = n;
    const x = makeTensor(dtype, shape, randomValues(r, dtype, numElements(shape)));
    const scale = randomScale(r);
    const out = isLog ? r.pick(["int16", "int32"] as const) : r.pick(["int8", "int16"] as const);
    const attrs = { axis: axis - (r.int(0, 1) ? rank : 0), ...scale, outDtype: ["int8", "int16", "int32"].indexOf(out) };
    const y = getOp(isLog ? "log_softmax" : "softmax").run([x], attrs)[0]!;
    assert.equal(y.dtype, out);
    const outer = numElements(shape.slice(0, axis));
    const inner = numElements(shape.slice(axis + 1));
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < inner; k++) {
        const idx = Array.from({ length: n }, (_, i) => (o * n + i) * inner + k);
        const row = idx.map((i) => x.data[i]!);
        const want = isLog ? oracleLogSoftmaxRow(row, scale, out as "int16" | "int32") : oracleSoftmaxRow(row, scale, out as "int8" | "int16");
        const got = idx.map((i) => y.data[i]!);
        assert.deepEqual(got, want, `case ${c}: ${isLog ? "log_softmax" : "softmax"} ${dtype}[${shape}] axis ${axis} M=${scale.multiplier} t=${scale.shift} → ${out}`);
      }
    }
    cases++;
  }
  assert.equal(cases, 2400);
});

test("layer_norm and rms_norm match the BigInt oracle bit for bit over 2,000 randomized cases", () => {
  const r = prng(0x1a7e);
  for (let c = 0; c < 2000; c++) {
    const centred = c % 2 === 0;
    const dtype = r.pick(DTYPES);
    const n = rowLength(r);
    // The normalized dimensions are x.shape[axis:], sometimes split into two.
    const split = n > 1 && n <= 64 && r.int(0, 3) === 0 ? r.pick([...Array(n).keys()].filter((d) => d > 1 && n % d === 0).concat([n])) : n;
    const normShape = split === n ? [n] : [split, n / split];
    const rows = n > 64 ? 1 : r.int(1, 4);
    const shape = [rows, ...normShape];
    const x = makeTensor(dtype, shape, randomValues(r, dtype, rows * n));
    const gamma = makeTensor("int8", normShape, Array.from({ length: n }, () => r.pick([-128, 127, 1, r.int(-128, 127)])));
    const withBeta = r.int(0, 1) === 1;
    const beta = makeTensor("int32", normShape, Array.from({ length: n }, () => r.pick([0, -2147483648, 2147483647, r.int(-100000, 100000)])));
    const out = r.pick(DTYPES);
    const realistic = r.int(0, 3) > 0;
    const scale = realistic ? { multiplier: r.int(2 ** 29, 2 ** 31 - 1), shift: r.int(12, 40) } : randomScale(r);
    const epsilon = r.pick([0, 0, 1, r.int(0, 1000), 0x7fffffff]);
    const zeroPoint = r.int(Math.max(DTYPE_MIN[out], -1000), Math.min(DTYPE_MAX[out], 1000));
    const attrs = { axis: 1, epsilon, ...scale, zeroPoint, outDtype: DTYPES.indexOf(out) };
    const y = getOp(centred ? "layer_norm" : "rms_norm").run(withBeta ? [x, gamma, beta] : [x, gamma], attrs)[0]!;
    assert.equal(y.dtype, out);
    for (let row = 0; row < rows; row++) {
      const xs = Array.from(x.data.subarray(row * n, (row + 1) * n));
      const want = oracleNormRow(xs, Array.from(gamma.data), withBeta ? Array.from(beta.data) : null, { centred, epsilon, ...scale, zeroPoint, out });
      assert.deepEqual(Array.from(y.data.subarray(row * n, (row + 1) * n)), want, `case ${c}: ${centred ? "layer_norm" : "rms_norm"} ${dtype}[${shape}] eps=${epsilon} → ${out}`);
    }
  }
});

// ---------------------------------------------------------------- accuracy against the real functions

function realSoftmax(real: number[]): number[] {
  const m = Math.max(...real);
  const e = real.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

test("softmax is within 2·2^-15 of the real softmax; log_softmax within 2^-14 where above -60", (t) => {
  const r = prng(0xacc);
  let worstP = 0;
  let worstL = 0;
  for (let c = 0; c < 400; c++) {
    const n = r.pick([2, 8, 64, 512, 4096]);
    const shift = r.int(20, 40);
    const multiplier = r.int(2 ** 30, 2 ** 31 - 1);
    const unit = multiplier / 2 ** shift;
    // Scores spanning a real range of about ±12.
    const span = Math.max(1, Math.floor(12 / unit));
    const xs = Array.from({ length: n }, () => r.int(-span, span));
    const x = makeTensor("int32", [n], xs);
    const real = xs.map((v) => v * unit);
    const want = realSoftmax(real);
    const p = getOp("softmax").run([x], { multiplier, shift, outDtype: 1 })[0]!.data;
    const ls = getOp("log_softmax").run([x], { multiplier, shift })[0]!.data;
    const realMax = Math.max(...real);
    const logSum = Math.log(real.map((v) => Math.exp(v - realMax)).reduce((a, b) => a + b, 0));
    for (let i = 0; i < n; i++) {
      worstP = Math.max(worstP, Math.abs(p[i]! / 2 ** 15 - want[i]!));
      const lReal = real[i]! - realMax - logSum;
      if (lReal > -60) worstL = Math.max(worstL, Math.abs(ls[i]! / 2 ** 16 - lReal));
    }
  }
  t.diagnostic(`softmax worst |error| ${worstP.toExponential(3)} (${(worstP * 2 ** 15).toFixed(3)} ulp of 2^-15); log_softmax ${worstL.toExponential(3)}`);
  assert.ok(worstP <= 2 / 2 ** 15, `softmax worst error ${worstP}`);
  assert.ok(worstL <= 1 / 2 ** 14, `log_softmax worst error ${worstL}`);
  assert.ok(worstP > 0 && worstL > 0, "the comparison measured something");
});

test("layer_norm/rms_norm normalized values n are within 0.5 + |z|/4 of 2^12·z, z = (x−μ)/σ", (t) => {
  const r = prng(0x1ae7);
  let worst = 0;
  for (let c = 0; c < 400; c++) {
    const centred = c % 2 === 0;
    const dtype = r.pick(["int8", "int16"] as const);
    const n = r.pick([4, 16, 64, 768, 4096]);
    const spread = dtype === "int8" ? r.pick([1, 3, 20, 127]) : r.pick([10, 1000, 32767]);
    const base = centred ? r.int(-spread, spread) : 0;
    const xs = Array.from({ length: n }, () => Math.min(DTYPE_MAX[dtype], Math.max(DTYPE_MIN[dtype], base + r.int(-spread, spread))));
    const epsilon = r.pick([0, 1, 5]);
    const x = makeTensor(dtype, [1, n], xs);
    const gamma = makeTensor("int8", [n], new Array<number>(n).fill(1));
    const y = getOp(centred ? "layer_norm" : "rms_norm").run([x, gamma], { epsilon, multiplier: 1, shift: 0, outDtype: 2 })[0]!.data;
    const mean = centred ? xs.reduce((a, b) => a + b, 0) / n : 0;
    const ms = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    const sigma = Math.sqrt(ms + epsilon);
    if (sigma === 0) continue;
    for (let i = 0; i < n; i++) {
      const z = (xs[i]! - mean) / sigma;
      const err = Math.abs(y[i]! - 4096 * z);
      worst = Math.max(worst, err / (0.5 + Math.abs(z) / 4));
    }
  }
  t.diagnostic(`norm worst |n − 2^12·z| / (0.5 + |z|/4) = ${worst.toFixed(4)}`);
  assert.ok(worst <= 1, `worst scaled error ${worst}`);
  assert.ok(worst > 0, "the comparison measured something");
});
