// bench:select — CPU time per FLOP of the engine's sample and top_k ops (docs/ops-nonlinear.md#top_k-33-and-sample-34)
// against softmax and an int8 matmul measured in the same run, so the gas calibration can see how
// their charge (FLOPs · γ) compares with the matmul the γ was set on. Prints JSON.
// Run: npx tsx bench/select.ts
import { GAMMA_DEN, GAMMA_NUM } from "../src/gas/constants.ts";
import type { Attrs } from "../src/engine/op.ts";
import { getOp } from "../src/engine/registry.ts";
import { tensor, type DType, type Tensor } from "../src/engine/tensor.ts";
import { prng } from "../test/golden/nonlinear/prng.ts";

const r = prng(7);
const rand = (dtype: DType, shape: number[], lo: number, hi: number) => tensor(dtype, shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.int(lo, hi)));
const i32 = (data: number[]) => tensor("int32", [data.length], data);

/** Median process CPU ms (user + system) per call over batches of ≥ 20 ms, after warm-up: robust on a shared machine. */
function cpuMsPerCall(run: () => unknown, budgetMs = 1500): number {
  for (let i = 0; i < 5; i++) run();
  const perCall: number[] = [];
  const start = Date.now();
  while (Date.now() - start < budgetMs || perCall.length < 5) {
    const c0 = process.cpuUsage();
    let calls = 0;
    const t0 = Date.now();
    while (Date.now() - t0 < 20 || calls < 1) {
      run();
      calls++;
    }
    const c = process.cpuUsage(c0);
    perCall.push((c.user + c.system) / 1000 / calls);
  }
  perCall.sort((a, b) => a - b);
  return perCall[perCall.length >> 1]!;
}

interface Case {
  name: string;
  op: string;
  inputs: Tensor[];
  attrs: Attrs;
}

const logits16 = rand("int16", [1, 32000], -4000, 4000);
const logits32 = rand("int32", [1, 32000], -2_000_000_000, 2_000_000_000);
const logitsMax = rand("int16", [1, 2 ** 20], -4000, 4000);
const seed = i32([1, 2, 3, 4, 5, 6, 7, 8]);
const cases: Case[] = [
  { name: "matmul int8 [128,128]x[128,128] (reference)", op: "matmul", inputs: [rand("int8", [128, 128], -128, 127), rand("int8", [128, 128], -128, 127)], attrs: {} },
  { name: "softmax int32 [1,32000]", op: "softmax", inputs: [logits32], attrs: { multiplier: 1 << 30, shift: 46 } },
  { name: "sample int16 V=32000, T=1", op: "sample", inputs: [logits16, seed, i32([1]), i32([65536, 0, 0, 0])], attrs: { multiplier: 1 << 30, shift: 38 } },
  { name: "sample int16 V=32000, T=0.7, top-k 50, top-p 0.9", op: "sample", inputs: [logits16, seed, i32([1]), i32([45875, 50, 58982, 0])], attrs: { multiplier: 1 << 30, shift: 38 } },
  { name: "sample int32 V=32000 (wide logits), T=1", op: "sample", inputs: [logits32, seed, i32([1]), i32([65536, 0, 0, 0])], attrs: { multiplier: 1 << 30, shift: 46 } },
  { name: "sample int16 V=2^20, T=1", op: "sample", inputs: [logitsMax, seed, i32([1]), i32([65536, 0, 0, 0])], attrs: { multiplier: 1 << 30, shift: 38 } },
  { name: "top_k int32 [1,32000] k=5 (heap)", op: "top_k", inputs: [logits32], attrs: { k: 5 } },
  { name: "top_k int32 [1,32000] k=16000 (radix)", op: "top_k", inputs: [logits32], attrs: { k: 16000 } },
  { name: "top_k int32 [64,500] k=5 (heap, AgentMemory-like rows)", op: "top_k", inputs: [rand("int32", [64, 500], -1e6, 1e6)], attrs: { k: 5 } },
];

const results = cases.map((c) => {
  const op = getOp(c.op);
  const flops = op.flops(c.inputs, c.attrs);
  const ms = cpuMsPerCall(() => op.run(c.inputs, c.attrs));
  const nsPerFlop = (ms * 1e6) / Number(flops);
  return { name: c.name, flops: flops.toString(), cpuMsPerCall: +ms.toFixed(4), nsPerFlop: +nsPerFlop.toFixed(3), nsPerComputeGas: +((nsPerFlop * Number(GAMMA_DEN)) / Number(GAMMA_NUM)).toFixed(1) };
});
const ref = results[0]!.nsPerFlop;
console.log(JSON.stringify({ gamma: `${GAMMA_NUM}/${GAMMA_DEN}`, results: results.map((x) => ({ ...x, ratioToMatmul: +(x.nsPerFlop / ref).toFixed(2) })) }, null, 1));
