// Regenerates test/codec/tensor-vectors.json: `npx tsx test/codec/gen-tensor-vectors.ts`.
// Run once when the format changes on purpose; the test then pins these bytes.
import { writeFileSync } from "node:fs";
import { encodeTensor } from "../../src/codec/tensor.ts";
import { tensor, type DType, type QuantParams } from "../../src/engine/tensor.ts";

interface Vector {
  name: string;
  dtype: DType;
  shape: number[];
  data: number[];
  quant?: QuantParams;
  hex: string;
}

const cases: Omit<Vector, "hex">[] = [
  { name: "int8 [2,3], no quant", dtype: "int8", shape: [2, 3], data: [1, -2, 3, -4, 5, -128] },
  {
    name: "int16 [2], per-tensor quant",
    dtype: "int16",
    shape: [2],
    data: [1, -2],
    quant: { axis: -1, multiplier: [2 ** 30], shift: [31], zeroPoint: [-3] },
  },
  {
    name: "int32 [2,1], per-channel quant on axis 0",
    dtype: "int32",
    shape: [2, 1],
    data: [7, -1],
    quant: { axis: 0, multiplier: [1, 2], shift: [3, 4], zeroPoint: [0, 0] },
  },
  { name: "int32 scalar", dtype: "int32", shape: [], data: [-2147483648] },
  { name: "int8 empty [0,5]", dtype: "int8", shape: [0, 5], data: [] },
  { name: "int16 [3] extremes", dtype: "int16", shape: [3], data: [32767, -32768, 0] },
];

const vectors: Vector[] = cases.map((c) => ({
  ...c,
  hex: Buffer.from(encodeTensor(tensor(c.dtype, c.shape, c.data, c.quant))).toString("hex"),
}));
writeFileSync(new URL("./tensor-vectors.json", import.meta.url), JSON.stringify(vectors, null, 2) + "\n");
console.log(`wrote ${vectors.length} vectors`);
