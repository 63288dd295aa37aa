// Writes the golden vectors in test/golden/select/ (top_k.json, sample.json, draws.json) from seeded
// inputs. Run once, review the diff, commit: `npx tsx test/golden/select/generate.ts`. The tests
// re-run every case exactly and check each against the independent oracle in ./oracle.ts.
import { writeFileSync } from "node:fs";
import type { Attrs } from "../../../src/engine/op.ts";
import { sampleDraw } from "../../../src/engine/ops/select.ts";
import { DTYPE_MAX, DTYPE_MIN, numElements, type DType } from "../../../src/engine/tensor.ts";
import { evaluate, type GoldenCase, type GoldenFile, type GoldenTensor } from "../nonlinear/golden.ts";
import { prng } from "../nonlinear/prng.ts";

const DIR = new URL("./", import.meta.url);
const r = prng(20261206);

function rand(dtype: DType, shape: number[], lo = DTYPE_MIN[dtype], hi = DTYPE_MAX[dtype]): GoldenTensor {
  return { dtype, shape, data: Array.from({ length: numElements(shape) }, () => r.int(lo, hi)) };
}
const of = (dtype: DType, shape: number[], data: number[]): GoldenTensor => ({ dtype, shape, data });
const i32 = (data: number[]): GoldenTensor => of("int32", [data.length], data);

const files = new Map<string, GoldenCase[]>();
function add(op: string, name: string, attrs: Attrs, inputs: GoldenTensor[]): void {
  const { outputs, flops } = evaluate(op, attrs, inputs);
  if (!files.has(op)) files.set(op, []);
  files.get(op)!.push({ name, attrs, inputs, outputs, flops });
}

// top_k: both selection paths (heap when 8k ≤ n), ties, both orders, every dtype.
add("top_k", "int8 [3,40] k 4 (heap)", { k: 4 }, [rand("int8", [3, 40], -10, 10)]);
add("top_k", "int16 [2,9] k 5 (sort)", { k: 5 }, [rand("int16", [2, 9])]);
add("top_k", "int32 [64] k 8 smallest", { k: 8, largest: 0 }, [rand("int32", [64])]);
add("top_k", "ties go to the lower index", { k: 3 }, [of("int8", [2, 6], [5, 7, 7, 5, 7, 1, 0, 0, 0, 0, 0, 0])]);
add("top_k", "int32 extremes", { k: 2 }, [of("int32", [4], [-2147483648, 2147483647, 2147483647, 0])]);
add("top_k", "k = n on rank 3", { k: 3, largest: 0 }, [rand("int16", [2, 2, 3], -3, 3)]);

// sample: seed, counter, config = [temperatureQ16, topK, topPQ16, 0].
const seed = i32([0x01234567, -0x76543211, 42, -1, 0, 7, 0x7fffffff, -0x80000000]);
const logits16 = rand("int16", [1, 50], -400, 400);
const logits32 = rand("int32", [200], -3_000_000, 3_000_000);
const s16 = { multiplier: 1 << 30, shift: 36 }; // 1/64 per unit
const s32 = { multiplier: 1 << 30, shift: 46 }; // 2^−16 per unit
add("sample", "greedy (temperature 0)", s16, [logits16, seed, i32([3]), i32([0, 0, 0, 0])]);
for (const c of [0, 1, 2, 1000, -5]) add("sample", `temperature 1, counter ${c}`, s16, [logits16, seed, i32([c]), i32([65536, 0, 0, 0])]);
add("sample", "temperature 0.5, top-k 5", s16, [logits16, seed, i32([9]), i32([32768, 5, 0, 0])]);
add("sample", "temperature 1.3, top-p 0.9", s16, [logits16, seed, i32([11]), i32([85197, 0, 58982, 0])]);
add("sample", "top-k 10 and top-p 0.5", s16, [logits16, seed, i32([12]), i32([65536, 10, 32768, 0])]);
add("sample", "int32 logits, temperature 0.7", s32, [logits32, seed, i32([77]), i32([45875, 0, 0, 0])]);
add("sample", "odd temperature, BigInt distance path", { multiplier: 2147483647, shift: 62 }, [logits32, seed, i32([5]), i32([3, 0, 0, 0])]);
add("sample", "V = 1", s16, [of("int16", [1], [-7]), seed, i32([0]), i32([65536, 0, 0, 0])]);
add("sample", "multiplier 0 (uniform)", { multiplier: 0, shift: 0 }, [logits16, seed, i32([8]), i32([65536, 0, 0, 0])]);

for (const [op, cases] of files) {
  const file: GoldenFile = { op, cases };
  writeFileSync(new URL(`${op}.json`, DIR), JSON.stringify(file) + "\n");
}

// The draw u for a few seeds and counters, including int32 extremes.
const seeds = [[1, 2, 3, 4, 5, 6, 7, 8], seed.data, Array.from({ length: 8 }, () => r.int(-2147483648, 2147483647))];
const draws = seeds.flatMap((s) => [0, 1, -1, 2147483647, -2147483648, r.int(0, 1 << 20)].map((counter) => ({ seed: s, counter, u: sampleDraw(s, counter) })));
writeFileSync(new URL("draws.json", DIR), JSON.stringify({ draws }) + "\n");
console.log(JSON.stringify({ files: files.size + 1, cases: [...files.values()].reduce((a, c) => a + c.length, 0) + draws.length }));
