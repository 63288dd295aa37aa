// The matmul/conv output stage requantizes accumulators with per-channel constants hoisted out of
// the element loop (shift ≥ 17) or through requantize() (shift < 17): both must equal the exact
// BigInt definition for every dtype, zero point, multiplier, shift and channel layout.
import { test } from "node:test";
import assert from "node:assert/strict";
import { applyOutputStage, parseOutputStage, OUT_DTYPE_CODES } from "../../src/engine/kernels/output-stage.ts";
import { CHUNK_ELEMENTS, outputStagePaths, outputStageWasm } from "../../src/engine/kernels/output-stage-wasm.ts";
import { nativeRequant } from "../../src/engine/kernels/matmul-native.ts";
import { getOp } from "../../src/engine/registry.ts";
import { DTYPE_MAX, DTYPE_MIN, tensor, type DType } from "../../src/engine/tensor.ts";
import { rng } from "../xorshift.ts";

const r = rng(61206);
const pick = <T>(xs: readonly T[]) => xs[r(xs.length)]!;
const accumulator = () => pick([-2147483648, 2147483647, 0, -1, 1, r(1 << 16) - (1 << 15), r(2 ** 31) - r(2 ** 31)]);
const multiplier = () => pick([0, 1, 2 ** 31 - 1, 1 << 30, 65535, 65536, r(2 ** 31)]);
const shiftOf = () => pick([r(63), 17 + r(46), 16, 17, 31, 62]);

function exact(acc: number, m: number, t: number, z: number, out: DType): number {
  const v = ((BigInt(acc) * BigInt(m) + (t > 0 ? 1n << BigInt(t - 1) : 0n)) >> BigInt(t)) + BigInt(z);
  const lo = BigInt(DTYPE_MIN[out]), hi = BigInt(DTYPE_MAX[out]);
  return Number(v < lo ? lo : v > hi ? hi : v);
}

test("the output stage equals the BigInt definition on 4,000 random per-tensor and per-channel stages", () => {
  for (let trial = 0; trial < 4000; trial++) {
    const code = r(3);
    const out = OUT_DTYPE_CODES[code]!;
    const channels = 1 + r(5), inner = 1 + r(3), rows = 1 + r(3);
    const perChannel = r(2) === 1;
    const count = perChannel ? channels : 1;
    // Mix fast (all shifts ≥ 17) and general stages.
    const allFast = r(2) === 1;
    const ms = Array.from({ length: count }, multiplier);
    const ts = Array.from({ length: count }, () => (allFast ? 17 + r(46) : shiftOf()));
    const z = DTYPE_MIN[out] + r(Math.min(DTYPE_MAX[out] - DTYPE_MIN[out] + 1, 2 ** 30));
    const stage = parseOutputStage("matmul", { outDtype: code, multiplier: perChannel ? ms : ms[0]!, shift: perChannel ? ts : ts[0]!, zeroPoint: z }, channels);
    const acc = Int32Array.from({ length: rows * channels * inner }, accumulator);
    // Two different starting fills: an element the stage skipped would show in one of them (the
    // matmul op hands it unzeroed memory, tensor.ts unfilled).
    for (const fill of [0, -1]) {
      const got = out === "int8" ? new Int8Array(acc.length) : out === "int16" ? new Int16Array(acc.length) : new Int32Array(acc.length);
      // The op's path (the addon's loop, or WASM, from 32 elements), the same without the addon, the
      // JavaScript loop alone, and the WASM module at any size.
      for (const path of ["op", "no addon", "js", "wasm"] as const) {
        got.fill(fill);
        outputStagePaths.wasm = path !== "js";
        outputStagePaths.native = path === "op";
        try {
          if (path === "wasm") outputStageWasm()!.run(acc, stage as typeof stage & { multiplier: number[] }, z, DTYPE_MIN[out], DTYPE_MAX[out], channels, inner, got);
          else applyOutputStage(acc, stage, channels, inner, got);
        } finally {
          outputStagePaths.wasm = true;
          outputStagePaths.native = true;
        }
        acc.forEach((a, i) => {
          const c = perChannel ? Math.floor(i / inner) % channels : 0;
          assert.equal(got[i], exact(a, ms[c]!, ts[c]!, z, out), `trial ${trial} (${path}): acc ${a}, M ${ms[c]}, t ${ts[c]}, z ${z}, ${out}, fill ${fill}`);
        });
      }
    }
  }
});

const requant = nativeRequant();
const nativeParams = (ms: readonly number[], ts: readonly number[]) =>
  BigInt64Array.from([...ms.map(BigInt), ...ts.map((t) => (t === 0 ? 0n : 1n << BigInt(t - 1))), ...ts.map(BigInt)]);

test("the addon's requantization equals the BigInt definition for every width, row length and channel count (vector steps and tails)", { skip: requant === undefined && "the addon is not built" }, () => {
  for (let trial = 0; trial < 1500; trial++) {
    const out = OUT_DTYPE_CODES[r(3)]!;
    const perChannel = r(2) === 1;
    const channels = perChannel ? 1 + r(40) : 1;
    const count = perChannel ? channels * (1 + r(4)) : 1 + r(100);
    const ms = Array.from({ length: channels }, multiplier);
    const ts = Array.from({ length: channels }, shiftOf);
    const z = DTYPE_MIN[out] + r(Math.min(DTYPE_MAX[out] - DTYPE_MIN[out] + 1, 2 ** 30));
    const acc = Int32Array.from({ length: count }, accumulator);
    // Written at an offset into a larger array filled with a sentinel: nothing outside is touched.
    const got = out === "int8" ? new Int8Array(count + 9) : out === "int16" ? new Int16Array(count + 9) : new Int32Array(count + 9);
    got.fill(-7);
    requant!(acc, got, 4, channels, nativeParams(ms, ts), z, DTYPE_MIN[out], DTYPE_MAX[out]);
    for (let i = 0; i < count; i++) {
      const c = i % channels;
      if (got[4 + i] !== exact(acc[i]!, ms[c]!, ts[c]!, z, out)) assert.fail(`trial ${trial}: element ${i} of ${count} (${channels} channels, ${out}): ${got[4 + i]} for acc ${acc[i]}, M ${ms[c]}, t ${ts[c]}, z ${z}`);
    }
    for (const i of [0, 1, 2, 3, count + 4, count + 5, count + 6, count + 7, count + 8]) assert.equal(got[i], -7, `trial ${trial}: element ${i} outside the outputs was written`);
  }
});

test("the addon's requantization refuses arrays it would overrun, overlapping arrays and bounds outside the output type", { skip: requant === undefined && "the addon is not built" }, () => {
  const acc = new Int32Array(16);
  const out = new Int8Array(16);
  const params = nativeParams([1 << 30, 1 << 30], [31, 31]);
  const refuse = (f: () => void, message: RegExp) => assert.throws(f, message);
  refuse(() => requant!(acc, out, 1, 2, params, 0, -128, 127), /outputs outside the output array/);
  refuse(() => requant!(acc, out, 0, 3, params, 0, -128, 127), /whole rows/);
  refuse(() => requant!(acc, out, 0, 2, nativeParams([1], [0]), 0, -128, 127), /whole rows/);
  refuse(() => requant!(acc, out, 0, 2, params, 0, -129, 127), /output's range/);
  refuse(() => requant!(acc, new Int8Array(acc.buffer), 0, 2, params, 0, -128, 127), /overlap/);
  refuse(() => requant!(acc, new Float32Array(16) as unknown as Int8Array, 0, 2, params, 0, -128, 127), /requant\(acc/);
  refuse(() => requant!(acc, out, 0, 2, new Float64Array(6) as unknown as BigInt64Array, 0, -128, 127), /requant\(acc/);
});

test("the addon's requantization stays within its arrays and bounds whatever the parameters", { skip: requant === undefined && "the addon is not built" }, () => {
  // Parameters parseOutputStage would refuse: defined outputs that mean nothing, never a crash.
  const wild = [-(2n ** 63n), -1n, 0n, 63n, 64n, 2n ** 31n, 2n ** 62n, 2n ** 63n - 1n];
  for (let trial = 0; trial < 200; trial++) {
    const channels = 1 + r(20);
    const params = BigInt64Array.from({ length: 3 * channels }, () => wild[r(wild.length)]!);
    const acc = Int32Array.from({ length: channels * 3 }, accumulator);
    const got = new Int16Array(acc.length + 2).fill(-7);
    requant!(acc, got, 1, channels, params, -5, -100, 100);
    assert.equal(got[0], -7);
    assert.equal(got[acc.length + 1], -7);
    for (let i = 1; i <= acc.length; i++) assert.ok(got[i]! >= -100 && got[i]! <= 100, `element ${i}: ${got[i]} outside [-100, 100]`);
  }
});

test("the WASM output stage equals the definition across its chunks: whole rows, channel blocks of a row, and one channel's elements", () => {
  // [rows, channels, inner] per case, each past CHUNK_ELEMENTS in the way that picks one chunking.
  const cases: [number, number, number, boolean][] = [
    [(CHUNK_ELEMENTS >> 6) + 3, 64, 1, true], // a matmul's rows: several chunks of whole rows
    [2, 3, (CHUNK_ELEMENTS >> 1) + 1, true], // a conv's rows longer than a chunk: blocks of channels
    [1, 2, CHUNK_ELEMENTS + 3, true], // one channel longer than a chunk
    [1, 1, 2 * CHUNK_ELEMENTS + 7, false], // per tensor
  ];
  for (const [rows, channels, inner, perChannel] of cases) {
    const count = perChannel ? channels : 1;
    const ms = Array.from({ length: count }, multiplier);
    const ts = Array.from({ length: count }, () => 17 + r(46));
    const stage = parseOutputStage("conv2d", { outDtype: 1, multiplier: perChannel ? ms : ms[0]!, shift: perChannel ? ts : ts[0]!, zeroPoint: 7 }, channels);
    const acc = Int32Array.from({ length: rows * channels * inner }, accumulator);
    const got = new Int16Array(acc.length).fill(-1);
    applyOutputStage(acc, stage, channels, inner, got);
    for (let i = 0; i < acc.length; i++) {
      const c = perChannel ? Math.floor(i / inner) % channels : 0;
      if (got[i] !== exact(acc[i]!, ms[c]!, ts[c]!, 7, "int16")) assert.fail(`[${rows},${channels},${inner}] element ${i}: ${got[i]} for acc ${acc[i]}, M ${ms[c]}, t ${ts[c]}`);
    }
  }
});

test("matmul with a per-channel int8 output stage equals the BigInt definition of acc then requantize", () => {
  const a = tensor("int8", [3, 64], Array.from({ length: 192 }, () => r(256) - 128));
  const b = tensor("int8", [64, 5], Array.from({ length: 320 }, () => r(256) - 128));
  const ms = [1 << 30, 2 ** 31 - 1, 12345, 0, 987654321];
  const ts = [40, 33, 17, 62, 45];
  const [y] = getOp("matmul").run([a, b], { outDtype: 0, multiplier: ms, shift: ts, zeroPoint: -3 });
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 5; j++) {
      let acc = 0;
      for (let k = 0; k < 64; k++) acc += a.data[i * 64 + k]! * b.data[k * 5 + j]!;
      assert.equal(y!.data[i * 5 + j], exact(acc, ms[j]!, ts[j]!, -3, "int8"), `row ${i} column ${j}`);
    }
  }
});
