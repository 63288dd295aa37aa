// Writes the golden vectors in test/golden/nonlinear/<op>.json from seeded inputs. Run once, review
// the diff, commit: `npx tsx test/golden/generate-nonlinear.ts`. The tests re-run every case exactly.
import { writeFileSync } from "node:fs";
import type { Attrs } from "../../src/engine/op.ts";
import { DTYPE_MAX, DTYPE_MIN, numElements, type DType } from "../../src/engine/tensor.ts";
import { evaluate, GOLDEN_DIR, type GoldenCase, type GoldenFile, type GoldenTensor } from "./nonlinear/golden.ts";
import { prng } from "./nonlinear/prng.ts";

const r = prng(20261122);

function rand(dtype: DType, shape: number[], lo = DTYPE_MIN[dtype], hi = DTYPE_MAX[dtype]): GoldenTensor {
  return { dtype, shape, data: Array.from({ length: numElements(shape) }, () => r.int(lo, hi)) };
}
const of = (dtype: DType, shape: number[], data: number[]): GoldenTensor => ({ dtype, shape, data });

const files = new Map<string, GoldenCase[]>();
function add(op: string, name: string, attrs: Attrs, inputs: GoldenTensor[]): void {
  const { outputs, flops } = evaluate(op, attrs, inputs);
  if (!files.has(op)) files.set(op, []);
  files.get(op)!.push({ name, attrs, inputs, outputs, flops });
}

// softmax / log_softmax: scores as int32 accumulators with a real scale M/2^t.
const s1 = { multiplier: 1 << 30, shift: 37 }; // 1/128 per unit
add("softmax", "int32 rows, int16 out", s1, [rand("int32", [3, 8], -2000, 2000)]);
add("softmax", "axis 0, int8 out", { ...s1, axis: 0, outDtype: 0 }, [rand("int32", [5, 3], -1000, 1000)]);
add("softmax", "int32 extremes", s1, [of("int32", [2, 4], [-2147483648, 2147483647, 0, 2147483647, 5, 5, 5, 5])]);
add("softmax", "int8 scores, coarse scale", { multiplier: 1518500250, shift: 31 }, [rand("int8", [2, 16])]);
add("softmax", "length 1", s1, [rand("int32", [4, 1])]);
add("log_softmax", "int32 out Q16", s1, [rand("int32", [2, 10], -3000, 3000)]);
add("log_softmax", "int16 out Q10, axis 1 of 3", { ...s1, axis: 1, outDtype: 1 }, [rand("int16", [2, 6, 2])]);
add("log_softmax", "one dominant score", s1, [of("int32", [5], [100000, 0, 0, 0, 0])]);

// layer_norm / rms_norm
const n1 = { multiplier: 1 << 30, shift: 36, zeroPoint: 0 };
for (const op of ["layer_norm", "rms_norm"]) {
  add(op, "int8 [4,16], int8 out", n1, [rand("int8", [4, 16]), rand("int8", [16]), rand("int32", [16], -5000, 5000)]);
  add(op, "int16, no beta, int16 out, eps", { ...n1, epsilon: 7, outDtype: 1 }, [rand("int16", [2, 32]), rand("int8", [32])]);
  add(op, "int32 input, int32 out", { multiplier: 1, shift: 0, outDtype: 2 }, [rand("int32", [2, 8]), rand("int8", [8], -4, 4)]);
  add(op, "axis 1 over [3,4]", { ...n1, axis: 1, zeroPoint: -3 }, [rand("int8", [2, 3, 4]), rand("int8", [3, 4]), rand("int32", [3, 4], -100, 100)]);
  add(op, "constant row", n1, [of("int8", [1, 4], [9, 9, 9, 9]), of("int8", [4], [64, 64, 64, 64]), of("int32", [4], [1, 2, 3, 4])]);
}

// reductions
const x34 = rand("int16", [3, 4, 5]);
add("reduce_sum", "all axes", {}, [x34]);
add("reduce_sum", "axes [0,2] keepdims 0", { axes: [0, 2], keepdims: 0 }, [x34]);
add("reduce_sum", "int32 saturation", { axes: [1] }, [of("int32", [1, 3], [2147483647, 2147483647, 5])]);
add("reduce_mean", "axis -1 rounds half away", { axes: [-1] }, [of("int8", [2, 2], [1, 2, -1, -2])]);
add("reduce_mean", "axes [1]", { axes: [1] }, [x34]);
add("reduce_max", "axis 1 keepdims 0", { axes: [1], keepdims: 0 }, [x34]);
add("reduce_max", "all", {}, [rand("int32", [7])]);
add("argmax", "axis 1", { axis: 1 }, [x34]);
add("argmax", "ties, select_last_index", { axis: 0, keepdims: 0, select_last_index: 1 }, [of("int8", [3, 2], [5, 1, 5, 1, 2, 1])]);
add("argmax", "ties, first index", { axis: 0, keepdims: 0 }, [of("int8", [3, 2], [5, 1, 5, 1, 2, 1])]);

// pooling (ONNX attribute semantics)
const img = rand("int8", [1, 2, 5, 5]);
const seq = of("int16", [1, 1, 4, 4], Array.from({ length: 16 }, (_, i) => i + 1));
add("max_pool", "2x2 stride 2", { kernel_shape: [2, 2], strides: [2, 2] }, [img]);
add("max_pool", "3x3 stride 2 ceil_mode (ONNX maxpool_2d_ceil)", { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }, [seq]);
add("max_pool", "dilations 2, pads 1", { kernel_shape: [2, 2], dilations: [2, 2], pads: [1, 1, 1, 1] }, [img]);
add("max_pool", "1-D SAME_UPPER", { kernel_shape: [3], auto_pad: 1 }, [rand("int32", [1, 3, 7])]);
add("avg_pool", "3x3 pads 1, count_include_pad 0", { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, [img]);
add("avg_pool", "3x3 pads 1, count_include_pad 1", { kernel_shape: [3, 3], pads: [1, 1, 1, 1], count_include_pad: 1 }, [img]);
add("avg_pool", "ceil_mode stride 2", { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }, [img]);
add("avg_pool", "SAME_LOWER", { kernel_shape: [2, 2], auto_pad: 2 }, [seq]);
add("global_avg_pool", "NCHW", {}, [img]);
add("global_avg_pool", "1-D", {}, [rand("int32", [2, 2, 3])]);

// movement
const m = rand("int8", [2, 3, 4]);
add("reshape", "0 and -1", { shape: [0, -1] }, [m]);
add("reshape", "to 4x6", { shape: [4, 6] }, [m]);
add("transpose", "default reverse", {}, [m]);
add("transpose", "perm [1,0,2]", { perm: [1, 0, 2] }, [m]);
add("concat", "axis 1, three inputs", { axis: 1 }, [m, rand("int8", [2, 1, 4]), rand("int8", [2, 2, 4])]);
add("concat", "axis -1 int32", { axis: -1 }, [rand("int32", [2, 2]), rand("int32", [2, 3])]);
add("slice", "negative step", { starts: [-1], ends: [-100], axes: [2], steps: [-2] }, [m]);
add("slice", "clamped ends, two axes", { starts: [0, 1], ends: [100, 3], axes: [0, 1] }, [m]);
add("gather", "axis 1 with negative indices", { axis: 1 }, [m, of("int32", [2, 2], [0, -1, 2, 1])]);
add("gather", "scalar index axis 0", {}, [m, of("int32", [], [1])]);
add("flatten", "axis 2", { axis: 2 }, [m]);
add("flatten", "axis 0", { axis: 0 }, [m]);
add("squeeze", "all unit axes", {}, [rand("int16", [1, 3, 1])]);
add("squeeze", "axis -1", { axes: [-1] }, [rand("int16", [1, 3, 1])]);
add("unsqueeze", "axes [0, 3]", { axes: [0, 3] }, [rand("int8", [2, 3])]);
add("where", "broadcast cond row", {}, [of("int8", [4], [1, 0, 0, 1]), m, rand("int8", [3, 1])]);

// attention
const q = rand("int8", [1, 4, 3, 8], -20, 20);
const k = rand("int8", [1, 2, 5, 8], -20, 20);
const v = rand("int8", [1, 2, 5, 6], -50, 50);
const at = { scoreMultiplier: 1 << 30, scoreShift: 35, multiplier: 1 << 30, shift: 45 };
add("attention", "GQA 4/2 heads", at, [q, k, v]);
add("attention", "causal 1 (upper-left, ONNX)", { ...at, causal: 1 }, [q, k, v]);
add("attention", "causal 2 (bottom-right, KV cache)", { ...at, causal: 2 }, [q, k, v]);
add("attention", "boolean mask", at, [q, k, v, of("int8", [1, 1, 1, 5], [1, 1, 0, 1, 0])]);
add("attention", "additive int32 mask", at, [q, k, v, rand("int32", [3, 5], -300, 0)]);
add("attention", "3-D packed heads", { ...at, q_num_heads: 2, kv_num_heads: 1, zeroPoint: 3 }, [rand("int8", [2, 3, 8], -20, 20), rand("int8", [2, 4, 4], -20, 20), rand("int8", [2, 4, 4])]);

for (const [op, cases] of files) {
  const file: GoldenFile = { op, cases };
  writeFileSync(new URL(`${op}.json`, GOLDEN_DIR), JSON.stringify(file) + "\n");
}
console.log(JSON.stringify({ files: files.size, cases: [...files.values()].reduce((a, c) => a + c.length, 0) }));
