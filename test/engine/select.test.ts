// top_k (33) and sample (34): golden vectors, the engine against the independent oracle
// (test/golden/select/oracle.ts), the two top_k selection paths against each other, sample's
// statistics (softmax within a chi-square bound, greedy limits), FLOPs and typed errors.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { AivmError, DTypeMismatchError, InvalidArgumentError, ShapeMismatchError } from "../../src/engine/errors.ts";
import type { Attrs } from "../../src/engine/op.ts";
import { ceilLog2, readSampleConfig, sampleDraw, temperatureDistance, topKRowHeap, topKRowRadix, topKRowSort } from "../../src/engine/ops/select.ts";
import { getOp, OP_CODES } from "../../src/engine/registry.ts";
import { DTYPE_MAX, DTYPE_MIN, tensor, type DType, type Tensor } from "../../src/engine/tensor.ts";
import { decodeProgram, encodeProgram, type Program } from "../../src/codec/program.ts";
import { runProgram } from "../../src/codec/program-run.ts";
import { evaluate, type GoldenFile } from "../golden/nonlinear/golden.ts";
import { prng } from "../golden/nonlinear/prng.ts";
import { oracleDraw, oracleMurmur3, oracleSample, oracleTopK } from "../golden/select/oracle.ts";

const GOLDEN = new URL("../golden/select/", import.meta.url);
const readJson = <T>(name: string): T => JSON.parse(readFileSync(new URL(name, GOLDEN), "utf8")) as T;
const i32 = (data: number[]) => tensor("int32", [data.length], data);
const topK = getOp("top_k");
const sample = getOp("sample");

function runSample(logits: Tensor, seed: number[], counter: number, config: number[], attrs: Attrs): number {
  return sample.run([logits, i32(seed), i32([counter]), i32(config)], attrs)[0]!.data[0]!;
}

describe("top_k", () => {
  it("has op code 33 and reproduces its golden vectors, which the oracle agrees with", () => {
    assert.equal(OP_CODES.top_k, 33);
    assert.equal(topK.code, 33);
    const file = readJson<GoldenFile>("top_k.json");
    assert.ok(file.cases.length >= 6);
    for (const c of file.cases) {
      const got = evaluate("top_k", c.attrs, c.inputs);
      assert.deepEqual(got.outputs, c.outputs, c.name);
      assert.equal(got.flops, c.flops, `${c.name} FLOPs`);
      const x = c.inputs[0]!;
      const n = x.shape[x.shape.length - 1]!;
      const k = c.attrs["k"] as number;
      for (let row = 0; row * n < x.data.length; row++) {
        const want = oracleTopK(x.data.slice(row * n, row * n + n), k, c.attrs["largest"] !== 0);
        assert.deepEqual(c.outputs[1]!.data.slice(row * k, row * k + k), want, `${c.name} row ${row}`);
      }
    }
  });

  it("heap, radix and comparison-sort selection agree with the oracle on random rows, both orders, all dtypes", () => {
    const r = prng(33);
    for (let trial = 0; trial < 600; trial++) {
      const dtype = r.pick<DType>(["int8", "int16", "int32"]);
      const n = r.int(1, 300);
      const k = r.pick([1, 2, r.int(1, n), n, Math.max(1, n >> 3)]);
      // A narrow value range forces many ties.
      const span = r.pick([3, 100, DTYPE_MAX[dtype]]);
      const row = Array.from({ length: n }, () => r.int(Math.max(DTYPE_MIN[dtype], -span), Math.min(DTYPE_MAX[dtype], span)));
      const largest = r.int(0, 1) === 1;
      const want = oracleTopK(row, k, largest);
      for (const [name, select] of [["heap", topKRowHeap], ["radix", topKRowRadix], ["sort", topKRowSort]] as const) {
        const got = new Int32Array(k);
        select(row, 0, n, k, largest, got);
        assert.deepEqual([...got], want, `${name} n=${n} k=${k}`);
      }
      const [values, indices] = topK.run([tensor(dtype, [1, n], row)], { k, largest: largest ? 1 : 0 });
      assert.deepEqual([...indices!.data], want);
      assert.deepEqual([...values!.data], want.map((i) => row[i]!));
    }
  });

  it("selects across the full int32 range (keys of 32 bits) on every path", () => {
    const row = [-2147483648, 2147483647, 0, -2147483648, 2147483647, 5, -1, 1];
    for (const largest of [true, false]) {
      for (const k of [1, 3, 8]) {
        const want = oracleTopK(row, k, largest);
        for (const select of [topKRowHeap, topKRowRadix, topKRowSort]) {
          const got = new Int32Array(k);
          select(row, 0, row.length, k, largest, got);
          assert.deepEqual([...got], want, `${select.name} k=${k} largest=${largest}`);
        }
      }
    }
  });

  it("works on the last axis of every row of a rank-3 tensor", () => {
    const x = tensor("int16", [2, 3, 4], Array.from({ length: 24 }, (_, i) => (i * 7) % 11));
    const [values, indices] = topK.run([x], { k: 2 });
    assert.deepEqual(values!.shape, [2, 3, 2]);
    for (let row = 0; row < 6; row++) {
      const want = oracleTopK([...x.data.slice(row * 4, row * 4 + 4)], 2, true);
      assert.deepEqual([...indices!.data.slice(row * 2, row * 2 + 2)], want);
    }
  });

  it("charges elements · (1 + ceil(log2(k + 1))) FLOPs", () => {
    assert.deepEqual([1, 2, 3, 4, 5, 8, 9].map(ceilLog2), [0, 1, 2, 2, 3, 3, 4]);
    const meta = [{ dtype: "int8" as const, shape: [3, 100] }];
    assert.equal(topK.flops(meta, { k: 1 }), 300n * 2n);
    assert.equal(topK.flops(meta, { k: 3 }), 300n * 3n);
    assert.equal(topK.flops(meta, { k: 100 }), 300n * 8n);
  });

  it("rejects bad input with typed errors that carry no values", () => {
    const x = { dtype: "int8" as const, shape: [2, 5] };
    assert.throws(() => topK.infer([x], {}), InvalidArgumentError, "k is required");
    assert.throws(() => topK.infer([x], { k: 0 }), InvalidArgumentError);
    assert.throws(() => topK.infer([x], { k: 6 }), /must be in \[1, 5\]/);
    assert.throws(() => topK.infer([x], { k: 2, largest: 2 }), InvalidArgumentError);
    assert.throws(() => topK.infer([x], { k: 2, axis: 0 }), InvalidArgumentError);
    assert.throws(() => topK.infer([{ dtype: "int8", shape: [] }], { k: 1 }), ShapeMismatchError);
    assert.throws(() => topK.infer([{ dtype: "int8", shape: [3, 0] }], { k: 1 }), InvalidArgumentError);
    assert.throws(() => topK.infer([x, x], { k: 1 }), InvalidArgumentError);
  });
});

describe("sample", () => {
  it("has op code 34 and reproduces its golden vectors, which the BigInt oracle agrees with", () => {
    assert.equal(OP_CODES.sample, 34);
    const file = readJson<GoldenFile>("sample.json");
    assert.ok(file.cases.length >= 10);
    for (const c of file.cases) {
      const got = evaluate("sample", c.attrs, c.inputs);
      assert.deepEqual(got.outputs, c.outputs, c.name);
      assert.equal(got.flops, c.flops, `${c.name} FLOPs`);
      const [logits, seed, counter, config] = c.inputs.map((t) => t.data) as [number[], number[], number[], number[]];
      const cfg = { temperatureQ16: config[0]!, topK: config[1]!, topPQ16: config[2]! };
      assert.equal(oracleSample(logits, seed, counter[0]!, cfg, c.attrs["multiplier"] as number, c.attrs["shift"] as number), c.outputs[0]!.data[0], c.name);
    }
  });

  it("draws u as MurmurHash3 x86_32: the oracle matches published vectors, the engine matches the oracle and draws.json", () => {
    const text = (s: string) => new TextEncoder().encode(s);
    // Published MurmurHash3_x86_32 test vectors (key, seed, hash).
    const vectors: [Uint8Array, number, number][] = [
      [text(""), 0, 0],
      [text(""), 1, 0x514e28b7],
      [new Uint8Array(4), 0, 0x2362f9de],
      [text("aaaa"), 0x9747b28c, 0x5a97808a],
      [text("abc"), 0, 0xb3dd93fa],
      [text("Hello, world!"), 0x9747b28c, 0x24884cba],
      [text("The quick brown fox jumps over the lazy dog"), 0x9747b28c, 0x2fa826cd],
    ];
    for (const [key, seed, hash] of vectors) assert.equal(oracleMurmur3(key, seed), hash);
    const { draws } = readJson<{ draws: { seed: number[]; counter: number; u: number }[] }>("draws.json");
    assert.ok(draws.length >= 18);
    for (const d of draws) {
      assert.equal(sampleDraw(d.seed, d.counter), d.u);
      assert.equal(oracleDraw(d.seed, d.counter), d.u);
    }
    const r = prng(34);
    for (let i = 0; i < 2000; i++) {
      const seed = Array.from({ length: 8 }, () => r.int(-2147483648, 2147483647));
      const counter = r.int(-2147483648, 2147483647);
      assert.equal(sampleDraw(seed, counter), oracleDraw(seed, counter));
    }
  });

  it("equals the BigInt oracle bit for bit on 3,000 random logits and configs", () => {
    const r = prng(3434);
    let nonGreedy = 0;
    for (let trial = 0; trial < 3000; trial++) {
      const dtype = r.pick<DType>(["int16", "int32"]);
      const v = r.pick([1, 2, 5, r.int(1, 64), r.int(64, 400)]);
      const span = r.pick([2, 50, 3000, DTYPE_MAX[dtype]]);
      const logits = Array.from({ length: v }, () => r.int(Math.max(DTYPE_MIN[dtype], -span), Math.min(DTYPE_MAX[dtype], span)));
      const multiplier = r.pick([0, 1, 1 << 30, r.int(1, 2147483647)]);
      const shift = r.pick([0, 16, 30, 36, 46, r.int(0, 62)]);
      const temperatureQ16 = r.pick([0, 1, 65536, r.int(1, 200000), r.int(1, 2147483647)]);
      const k = r.pick([0, 1, 3, r.int(0, v + 2)]);
      const topP = r.pick([0, 65536, 70000, r.int(1, 65535)]);
      const seed = Array.from({ length: 8 }, () => r.int(-2147483648, 2147483647));
      const counter = r.int(-2147483648, 2147483647);
      const config = [temperatureQ16, k, topP, 0];
      const shape = r.int(0, 1) ? [v] : [1, v];
      const got = runSample(tensor(dtype, shape, logits), seed, counter, config, { multiplier, shift });
      const want = oracleSample(logits, seed, counter, { temperatureQ16, topK: k, topPQ16: topP }, multiplier, shift);
      assert.equal(got, want, `trial ${trial}: V=${v} M=${multiplier} t=${shift} T=${temperatureQ16} k=${k} p=${topP}`);
      if (temperatureQ16 > 0) nonGreedy++;
    }
    assert.ok(nonGreedy > 2000);
  });

  it("computes the temperature distance exactly on both its paths", () => {
    const r = prng(343);
    for (let i = 0; i < 3000; i++) {
      const m = r.pick([1, r.int(1, 2147483647)]);
      const t = r.int(0, 62);
      const temp = r.pick([1, 65536, r.int(1, 2147483647)]);
      const dist = temperatureDistance(m, t, temp);
      const d = r.pick([0, 1, r.int(0, 1000), r.int(0, 4294967295)]);
      const den = BigInt(temp) << BigInt(t);
      let want = (BigInt(d) * BigInt(m) * 2n ** 32n + den / 2n) / den;
      if (want > 2n ** 22n) want = 2n ** 22n;
      assert.equal(dist(d), Number(want), `M=${m} t=${t} T=${temp} d=${d}`);
    }
  });

  it("greedy (temperature 0) is argmax, and top-k = 1 is greedy at any temperature", () => {
    const r = prng(1);
    const argmax = getOp("argmax");
    for (let trial = 0; trial < 300; trial++) {
      const v = r.int(1, 200);
      const x = tensor("int16", [1, v], Array.from({ length: v }, () => r.int(-20, 20)));
      const best = argmax.run([x], { axis: 1, keepdims: 0 })[0]!.data[0]!;
      const seed = Array.from({ length: 8 }, () => r.int(-1000, 1000));
      assert.equal(runSample(x, seed, trial, [0, 0, 0, 0], { multiplier: 1, shift: 0 }), best);
      assert.equal(runSample(x, seed, trial, [r.int(1, 1 << 20), 1, r.int(0, 65536), 0], { multiplier: 1 << 30, shift: 30 }), best);
    }
  });

  it("draws from softmax of the real logits at temperature 1 (chi-square over 20,000 counters)", () => {
    // One logit unit = 1/16 nat; logits spread over ~5 nats.
    const logits = [40, 10, -16, 25, 0, -40, 33, 8];
    const counts = new Array<number>(logits.length).fill(0);
    const x = tensor("int16", [logits.length], logits);
    const seed = [11, 22, 33, 44, 55, 66, 77, 88];
    const draws = 20_000;
    for (let c = 0; c < draws; c++) counts[runSample(x, seed, c, [65536, 0, 0, 0], { multiplier: 1, shift: 4 })]!++;
    const w = logits.map((l) => Math.exp(l / 16));
    const z = w.reduce((a, b) => a + b, 0);
    let chi2 = 0;
    logits.forEach((_, i) => {
      const expected = (draws * w[i]!) / z;
      chi2 += (counts[i]! - expected) ** 2 / expected;
    });
    // 7 degrees of freedom: P(χ² > 24.32) = 0.001.
    assert.ok(chi2 < 24.32, `chi-square ${chi2.toFixed(2)} for counts ${counts.join(",")}`);
  });

  it("top-k and top-p restrict the draw to the best candidates", () => {
    const logits = [10, 50, 30, 50, 20, 40];
    const x = tensor("int32", [1, 6], logits);
    const seen = (config: number[]) => {
      const s = new Set<number>();
      for (let c = 0; c < 400; c++) s.add(runSample(x, [1, 2, 3, 4, 5, 6, 7, 8], c, config, { multiplier: 1, shift: 4 }));
      return [...s].sort((a, b) => a - b);
    };
    assert.deepEqual(seen([65536, 3, 0, 0]), [1, 3, 5]);
    assert.deepEqual(seen([65536, 2, 0, 0]), [1, 3]);
    // e ∝ [e^−2.5, 1, e^−1.25, 1, e^−1.875, e^−0.625]: top-p 0.5 keeps the two maxima.
    assert.deepEqual(seen([65536, 0, 32768, 0]), [1, 3]);
    assert.deepEqual(seen([65536, 0, 0, 0]), [0, 1, 2, 3, 4, 5]);
  });

  it("approaches greedy as the temperature falls", () => {
    const logits = [0, 3, 1, 2];
    const x = tensor("int16", [4], logits);
    const share = (temperatureQ16: number) => {
      let best = 0;
      for (let c = 0; c < 2000; c++) if (runSample(x, [9, 8, 7, 6, 5, 4, 3, 2], c, [temperatureQ16, 0, 0, 0], { multiplier: 1, shift: 0 }) === 1) best++;
      return best / 2000;
    };
    const shares = [65536 * 4, 65536, 16384, 4096, 1024].map(share);
    for (let i = 1; i < shares.length; i++) assert.ok(shares[i]! >= shares[i - 1]! - 0.02, `shares ${shares.join(", ")}`);
    assert.equal(shares[shares.length - 1], 1);
    assert.ok(shares[0]! < 0.5);
  });

  it("charges 20·V + V·ceil(log2 V) FLOPs", () => {
    const metas = (v: number) => [{ dtype: "int16" as const, shape: [1, v] }, { dtype: "int32" as const, shape: [8] }, { dtype: "int32" as const, shape: [1] }, { dtype: "int32" as const, shape: [4] }];
    const attrs = { multiplier: 1, shift: 0 };
    assert.equal(sample.flops(metas(1), attrs), 20n);
    assert.equal(sample.flops(metas(1000), attrs), 20_000n + 10_000n);
    assert.equal(sample.flops(metas(2 ** 20), attrs), 20n * 2n ** 20n + 20n * 2n ** 20n);
    assert.deepEqual(sample.infer(metas(7), attrs), [{ dtype: "int32", shape: [1] }]);
  });

  it("rejects bad shapes, dtypes, attributes and config values with typed errors", () => {
    const ok = [{ dtype: "int16" as const, shape: [5] }, { dtype: "int32" as const, shape: [8] }, { dtype: "int32" as const, shape: [1] }, { dtype: "int32" as const, shape: [4] }];
    const attrs = { multiplier: 1, shift: 0 };
    const with_ = (i: number, m: { dtype: DType; shape: number[] }) => ok.map((x, j) => (j === i ? m : x));
    assert.throws(() => sample.infer(with_(0, { dtype: "int8", shape: [5] }), attrs), DTypeMismatchError);
    assert.throws(() => sample.infer(with_(0, { dtype: "int16", shape: [2, 5] }), attrs), ShapeMismatchError);
    assert.throws(() => sample.infer(with_(0, { dtype: "int16", shape: [0] }), attrs), ShapeMismatchError);
    assert.throws(() => sample.infer(with_(0, { dtype: "int16", shape: [2 ** 20 + 1] }), attrs), ShapeMismatchError);
    assert.throws(() => sample.infer(with_(1, { dtype: "int32", shape: [7] }), attrs), ShapeMismatchError);
    assert.throws(() => sample.infer(with_(2, { dtype: "int16", shape: [1] }), attrs), DTypeMismatchError);
    assert.throws(() => sample.infer(with_(3, { dtype: "int32", shape: [3] }), attrs), ShapeMismatchError);
    assert.throws(() => sample.infer(ok.slice(0, 3), attrs), InvalidArgumentError);
    assert.throws(() => sample.infer(ok, { multiplier: 1 }), InvalidArgumentError);
    assert.throws(() => sample.infer(ok, { ...attrs, shift: 63 }), InvalidArgumentError);
    assert.throws(() => sample.infer(ok, { ...attrs, temperature: 1 }), InvalidArgumentError);
    const x = tensor("int16", [5], [1, 2, 3, 4, 5]);
    for (const config of [[-1, 0, 0, 0], [65536, -2, 0, 0], [65536, 0, -3, 0], [65536, 0, 0, 1]]) {
      assert.throws(() => runSample(x, [0, 0, 0, 0, 0, 0, 0, 0], 0, config, attrs), (e: unknown) => {
        assert.ok(e instanceof InvalidArgumentError && e instanceof AivmError);
        assert.match(e.message, /config\[\d\]/);
        return true;
      });
    }
    assert.deepEqual(readSampleConfig([65536, 3, 100, 0]), { temperatureQ16: 65536, topK: 3, topPQ16: 100 });
  });

  it("equals the oracle on a 50,000-entry vocabulary with top-k, top-p, both and neither", () => {
    const r = prng(20);
    const v = 50_000;
    const logits = Array.from({ length: v }, () => r.int(-3_000_000, 3_000_000));
    const x = tensor("int32", [v], logits);
    const seed = [1, 2, 3, 4, 5, 6, 7, 8];
    const attrs = { multiplier: 1 << 30, shift: 46 };
    for (const [counter, config] of [[1, [65536, 0, 0, 0]], [2, [45875, 100, 0, 0]], [3, [65536, 0, 58982, 0]], [4, [131072, 40, 60000, 0]]] as const) {
      const want = oracleSample(logits, seed, counter, { temperatureQ16: config[0], topK: config[1], topPQ16: config[2] }, attrs.multiplier, attrs.shift);
      assert.equal(runSample(x, seed, counter, [...config], attrs), want, `config ${config.join(",")}`);
    }
  });
});

describe("top_k and sample in a program", () => {
  it("a decode step (matmul → sample, matmul → top_k) through the program format equals the ops run by hand", () => {
    const r = prng(99);
    const w = tensor("int8", [16, 50], Array.from({ length: 800 }, () => r.int(-128, 127)));
    const program: Program = {
      stateCount: 0,
      values: [
        { kind: "input", dtype: "int8", shape: [1, 16] },
        { kind: "input", dtype: "int32", shape: [8] },
        { kind: "input", dtype: "int32", shape: [1] },
        { kind: "input", dtype: "int32", shape: [4] },
        { kind: "const", tensor: w },
      ],
      nodes: [
        { op: OP_CODES.matmul, inputs: [0, 4], outputs: 1, attrs: {} }, // 5: int32 [1, 50]
        { op: OP_CODES.sample, inputs: [5, 1, 2, 3], outputs: 1, attrs: { multiplier: 1 << 30, shift: 42 } }, // 6
        { op: OP_CODES.top_k, inputs: [5], outputs: 2, attrs: { k: 3 } }, // 7 values, 8 indices
      ],
      outputs: [6, 8],
    };
    const p = decodeProgram(encodeProgram(program));
    for (let step = 0; step < 20; step++) {
      const h = tensor("int8", [1, 16], Array.from({ length: 16 }, () => r.int(-128, 127)));
      const seed = i32(Array.from({ length: 8 }, () => r.int(-2147483648, 2147483647)));
      const config = i32([r.pick([0, 65536, 40000]), r.pick([0, 5]), r.pick([0, 50000]), 0]);
      const [token, top] = runProgram(p, [h, seed, i32([step]), config], new Map());
      const logits = getOp("matmul").run([h, w], {})[0]!;
      assert.deepEqual([...token!.data], [...sample.run([logits, seed, i32([step]), config], { multiplier: 1 << 30, shift: 42 })[0]!.data]);
      assert.deepEqual([...top!.data], [...topK.run([logits], { k: 3 })[1]!.data]);
    }
  });
});

describe("top_k and sample leave their inputs untouched", () => {
  it("on every golden case (the precompiles share decoded stored tensors between calls)", () => {
    for (const op of ["top_k", "sample"]) {
      for (const c of readJson<GoldenFile>(`${op}.json`).cases) {
        const inputs = c.inputs.map((t) => tensor(t.dtype, t.shape, t.data));
        getOp(op).run(inputs, c.attrs);
        inputs.forEach((t, i) => assert.deepEqual([...t.data], c.inputs[i]!.data, `${op} / ${c.name}: input ${i}`));
      }
    }
  });
});
