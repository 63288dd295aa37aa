import { test } from "node:test";
import assert from "node:assert/strict";
import { requantize, requantizeBig, roundingMultiplyShift, checkRequant } from "../../src/engine/requant.ts";
import { AivmError, InvalidArgumentError } from "../../src/engine/errors.ts";
import type { DType } from "../../src/engine/tensor.ts";

// xorshift32: a seeded PRNG so failures reproduce.
function prng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

const INT32_EDGES = [-2147483648, -2147483647, -1, 0, 1, 2147483646, 2147483647, -65536, 65535, 32768, -32769];
const M_EDGES = [0, 1, 65535, 65536, 65537, 0x3fffffff, 0x40000000, 0x7fffffff];

test("requantize equals the BigInt formula floor((acc·M + 2^(t−1)) / 2^t) + z, clamped, over 20,000 cases", () => {
  const rnd = prng(0xa1f0);
  const dtypes: DType[] = ["int8", "int16", "int32"];
  let checked = 0;
  for (let i = 0; i < 20000; i++) {
    const acc = i < 400 ? INT32_EDGES[i % INT32_EDGES.length]! : (rnd() | 0);
    const m = i < 400 ? M_EDGES[Math.floor(i / INT32_EDGES.length) % M_EDGES.length]! : rnd() & 0x7fffffff;
    const t = rnd() % 63;
    const out = dtypes[rnd() % 3]!;
    const z = out === "int32" ? 0 : (rnd() % 21) - 10;
    const got = requantize(acc, m, t, z, out);
    const want = requantizeBig(BigInt(acc), BigInt(m), BigInt(t), BigInt(z), out);
    assert.equal(BigInt(got), want, `acc=${acc} M=${m} t=${t} z=${z} ${out}`);
    checked++;
  }
  assert.equal(checked, 20000);
});

test("roundingMultiplyShift rounds halves toward +infinity", () => {
  // 3·1/2 = 1.5 → 2 ; −3·1/2 = −1.5 → −1
  assert.equal(roundingMultiplyShift(3, 1 << 16, 17), 2);
  assert.equal(roundingMultiplyShift(-3, 1 << 16, 17), -1);
  assert.equal(roundingMultiplyShift(5, 1, 1), 3);
  assert.equal(roundingMultiplyShift(-5, 1, 1), -2);
});

test("checkRequant rejects out-of-range multiplier, shift and zero point with a typed error", () => {
  assert.throws(() => checkRequant("matmul", -1, 20, 0, "int8"), InvalidArgumentError);
  assert.throws(() => checkRequant("matmul", 2 ** 31, 20, 0, "int8"), InvalidArgumentError);
  assert.throws(() => checkRequant("matmul", 1, 63, 0, "int8"), InvalidArgumentError);
  assert.throws(() => checkRequant("matmul", 1, 20, 128, "int8"), (e: unknown) => e instanceof AivmError && e.docsPath === "spec.md#ops");
  assert.doesNotThrow(() => checkRequant("matmul", 0x7fffffff, 62, -128, "int8"));
});
