// Regenerates the golden vectors under test/golden/linear and test/golden/elementwise from the
// BigInt oracles (never from the engine). Run: npx tsx test/golden/generate-linear.ts
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { conv2dCase, matmulCase, rng } from "./linear/cases.ts";
import { conv2dOracle, matmulOracle, type PlainTensor } from "./linear/oracle.ts";
import { ELEMENTWISE_OPS, elementwiseCase } from "./elementwise/cases.ts";
import { elementwiseOracle } from "./elementwise/oracle.ts";
import type { Attrs } from "../../src/engine/op.ts";

export interface GoldenCase {
  name: string;
  inputs: PlainTensor[];
  attrs: Attrs;
  expected: PlainTensor;
}

const here = dirname(fileURLToPath(import.meta.url));
const t = (dtype: PlainTensor["dtype"], shape: number[], data: number[]): PlainTensor => ({ dtype, shape, data });

function write(dir: string, op: string, cases: GoldenCase[]): void {
  const body = { op, source: "BigInt oracle (test/golden/*/oracle.ts) via test/golden/generate-linear.ts", cases };
  writeFileSync(join(here, dir, `${op}.json`), JSON.stringify(body) + "\n");
}

function linear(op: "matmul" | "conv2d", name: string, inputs: PlainTensor[], attrs: Attrs): GoldenCase {
  const [x, w, b] = inputs as [PlainTensor, PlainTensor, PlainTensor | undefined];
  const expected = op === "matmul" ? matmulOracle(x, w, b, attrs) : conv2dOracle(x, w, b, attrs);
  return { name, inputs, attrs, expected };
}

// Hand-picked cases first (readable), then seeded random ones.
const matmul: GoldenCase[] = [
  linear("matmul", "2x3 by 3x2, int32 out", [t("int8", [2, 3], [1, 2, 3, 4, 5, 6]), t("int8", [3, 2], [1, 0, 0, 1, 1, 1])], {}),
  linear("matmul", "extremes with bias, per-tensor requant to int8", [
    t("int8", [2, 2], [-128, 127, 127, -128]), t("int8", [2, 2], [-128, -128, 127, 127]), t("int32", [2], [1000, -1000]),
  ], { outDtype: 0, multiplier: [1518500250], shift: [38], zeroPoint: 3 }),
  linear("matmul", "transB with aZero and per-channel int16 out", [
    t("int8", [1, 4], [-128, 0, 5, 127]), t("int8", [3, 4], [1, 2, 3, 4, -1, -2, -3, -4, 127, -128, 0, 1]),
  ], { transB: 1, aZero: -128, outDtype: 1, multiplier: [1073741824, 1431655765, 2147483647], shift: [31, 33, 40], zeroPoint: -7 }),
  linear("matmul", "int32 saturation", [
    t("int16", [1, 300], new Array(300).fill(-32768)), t("int8", [300, 1], new Array(300).fill(-128)),
  ], { aZero: 32767 }),
  linear("matmul", "broadcast batch [2,1]x[3]", [
    t("int8", [2, 1, 1, 2], [1, 2, 3, 4]), t("int8", [3, 2, 1], [1, 1, 2, 2, -3, 3]),
  ], {}),
];
const conv2d: GoldenCase[] = [
  linear("conv2d", "3x3 input, 2x2 kernel, top-left pad", [t("int8", [1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]), t("int8", [1, 1, 2, 2], [1, 1, 1, 1])], { pads: [1, 1, 0, 0] }),
  linear("conv2d", "depthwise stride 2 with zero point and requant", [
    t("int8", [1, 2, 4, 4], Array.from({ length: 32 }, (_, i) => (i * 37) % 256 - 128)), t("int8", [2, 1, 3, 3], Array.from({ length: 18 }, (_, i) => (i * 53) % 256 - 128)),
    t("int32", [2], [500, -500]),
  ], { groups: 2, strides: [2, 2], pads: [1, 1, 1, 1], xZero: -5, outDtype: 0, multiplier: [1200000000, 1900000000], shift: [40, 41], zeroPoint: 1 }),
];
const r = rng(2024);
for (let i = 0; i < 40; i++) {
  const c = matmulCase(r, i < 35 ? 24 : 300, i >= 35);
  matmul.push(linear("matmul", `random ${i}`, c.inputs, c.attrs));
}
for (let i = 0; i < 40; i++) {
  const c = conv2dCase(r);
  conv2d.push(linear("conv2d", `random ${i}`, c.inputs, c.attrs));
}
write("linear", "matmul", matmul);
write("linear", "conv2d", conv2d);

for (const op of ELEMENTWISE_OPS) {
  const cases: GoldenCase[] = [];
  for (let i = 0; i < 30; i++) {
    const c = elementwiseCase(r, op);
    cases.push({ name: `random ${i}`, inputs: c.inputs, attrs: c.attrs, expected: elementwiseOracle(op, c.inputs, c.attrs) });
  }
  write("elementwise", op, cases);
}
console.log(`wrote ${matmul.length + conv2d.length} linear and ${ELEMENTWISE_OPS.length * 30} element-wise golden cases`);
