// ns per gas of program nodes, one row per op class, for bench/gas.ts: each class runs as a one-node
// program through runProgram with its inference precomputed (what a TGRAPH/TCUSTOM/TSTREAM run does
// per node) and is priced by src/gas's node rule (compute + NODE_BASE_GAS + output writes). Shapes
// are the decoder step's (d 288, FFN 768, 6 heads of 48, vocab 257) and the demo MLP's.
import type { Program } from "../src/codec/program.ts";
import { inferProgram } from "../src/codec/program-infer.ts";
import { runProgram } from "../src/codec/program-run.ts";
import type { Attrs } from "../src/engine/op.ts";
import { OP_CODES, type OpName } from "../src/engine/registry.ts";
import { tensor, type DType, type Tensor } from "../src/engine/tensor.ts";
import { MULTIPLIER_ONE, batchEntries, quoteInferred, writeGas } from "../src/gas/index.ts";
import { compileLm, initialState, readLmConfig } from "../src/model/lm.ts";
import { emptyCalibration } from "../src/model/lm-float.ts";
import { tinyWeights } from "../test/model/lm-fixture.ts";
import { seededInts } from "../test/xorshift.ts";

export type TimeFn = (fn: () => unknown, ms?: number) => { nsPerCall: number; cpuNsPerCall: number; calls: number };

/** A reference call and its gas (the node's native ecrecover). */
export interface Reference {
  run: () => unknown;
  gas: number;
}

/** Rounds per row: node and reference timed alternately, the median ratio kept. */
const ROUNDS = 5;
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 60);

const RANGE: Record<DType, [number, number]> = { int8: [-128, 256], int16: [-2000, 4000], int32: [-100_000, 200_000] } as Record<DType, [number, number]>;
let seed = 1;
function rand(dtype: DType, shape: number[], lo?: number, span?: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const [l, s] = RANGE[dtype] ?? [-100, 200];
  return tensor(dtype, shape, seededInts(n, seed++, lo ?? l, span ?? s));
}

export interface NodeCase {
  name: string;
  op: OpName;
  inputs: Tensor[];
  attrs?: Attrs;
  outputs?: number;
  /**
   * Inputs given as a fresh array at every run, as a previous node's output is: nothing kept
   * between calls for the same array (the matmul kernel's packed-weight cache) can help. The array
   * is allocated and copied before each run, inside the timing, and the row's gas adds what the
   * producing node pays for writing it (writeGas; an inline input pays more: copy and hash).
   */
  fresh?: number[];
}

const REQ = { multiplier: 1 << 30, shift: 38 };
/** A requantizing shift past 52: multiplyShiftRound's exact BigInt fallback unless a kernel avoids it. */
const REQ_WIDE = { multiplier: 1 << 30, shift: 58 };
const OUT8 = { outDtype: 0, multiplier: [1 << 30], shift: [40], zeroPoint: 0 };
const SOFT = { axis: -1, multiplier: 1 << 30, shift: 40 };
const NORM = { axis: -1, ...REQ, epsilon: 1 };
const idx = (shape: number[], n: number) => rand("int32", shape, 0, n);
/**
 * Every op, each dtype and kernel path (requantizing or not, BigInt-prone shifts, per-channel),
 * small shapes (dispatch-bound) and large ones (kernel-bound), broadcast and batch shapes. The
 * decoder step's shapes (d 288, FFN 768, 6 heads of 48, vocab 257, context 128) and the demo MLP's.
 */
export const CASES = (): NodeCase[] => [
  // matmul (the WASM/threads kernels, src/engine/kernels)
  { name: "matmul GEMV int16 [1,288]x[288,768]", op: "matmul", inputs: [rand("int16", [1, 288]), rand("int8", [288, 768])] },
  { name: "matmul GEMV int8 [1,784]x[784,128]", op: "matmul", inputs: [rand("int8", [1, 784]), rand("int8", [784, 128])] },
  { name: "matmul GEMV int8 [1,784]x[784,128] +bias -> int8", op: "matmul", inputs: [rand("int8", [1, 784]), rand("int8", [784, 128]), rand("int32", [128])], attrs: OUT8 },
  { name: "matmul int8 [64,64]x[64,64]", op: "matmul", inputs: [rand("int8", [64, 64]), rand("int8", [64, 64])] },
  { name: "matmul int8 [256,256]x[256,256]", op: "matmul", inputs: [rand("int8", [256, 256]), rand("int8", [256, 256])] },
  { name: "matmul int8 [256,256]x[256,256] transB -> int8", op: "matmul", inputs: [rand("int8", [256, 256]), rand("int8", [256, 256])], attrs: { ...OUT8, transB: 1 } },
  { name: "matmul int16 [64,288]x[288,288]", op: "matmul", inputs: [rand("int16", [64, 288]), rand("int8", [288, 288])] },
  { name: "matmul batch [1024,2,2]x[2,2] (broadcast tiny)", op: "matmul", inputs: [rand("int8", [1024, 2, 2]), rand("int8", [2, 2])] },
  { name: "matmul batch [256,4,4]x[256,4,4]", op: "matmul", inputs: [rand("int8", [256, 4, 4]), rand("int8", [256, 4, 4])] },
  { name: "matmul batch [6,1,48]x[6,48,128]", op: "matmul", inputs: [rand("int8", [6, 1, 48]), rand("int8", [6, 48, 128])] },
  { name: "matmul [1,1]x[1,1]", op: "matmul", inputs: [rand("int8", [1, 1]), rand("int8", [1, 1])] },
  // Tall and skinny: few FLOPs per A element, so packing A, not the kernel, is the work.
  { name: "matmul int8 [4096,1024]x[1024,1]", op: "matmul", inputs: [rand("int8", [4096, 1024]), rand("int8", [1024, 1])] },
  { name: "matmul int8 [1024,1024]x[1024,4]", op: "matmul", inputs: [rand("int8", [1024, 1024]), rand("int8", [1024, 4])] },
  { name: "matmul int16 [4096,256]x[256,2]", op: "matmul", inputs: [rand("int16", [4096, 256]), rand("int8", [256, 2])] },
  { name: "matmul int8 [1,4096]x[4096,1]", op: "matmul", inputs: [rand("int8", [1, 4096]), rand("int8", [4096, 1])] },
  // B not seen before (an inline input, a previous node's output): packed at every call.
  { name: "matmul GEMV int8 [1,4096]x[4096,1024] fresh B", op: "matmul", inputs: [rand("int8", [1, 4096]), rand("int8", [4096, 1024])], fresh: [1] },
  { name: "matmul GEMV int16 [1,1024]x[1024,1024] fresh B", op: "matmul", inputs: [rand("int16", [1, 1024]), rand("int8", [1024, 1024])], fresh: [1] },
  { name: "matmul GEMV int8 [1,1024]x[1024,1024] transB fresh B", op: "matmul", inputs: [rand("int8", [1, 1024]), rand("int8", [1024, 1024])], attrs: { transB: 1 }, fresh: [1] },
  { name: "matmul int8 [8,64]x[64,64] fresh B", op: "matmul", inputs: [rand("int8", [8, 64]), rand("int8", [64, 64])], fresh: [1] },
  // conv2d
  { name: "conv2d int8 [1,8,28,28] 3x3 x16", op: "conv2d", inputs: [rand("int8", [1, 8, 28, 28]), rand("int8", [16, 8, 3, 3])], attrs: { pads: [1, 1, 1, 1] } },
  { name: "conv2d int8 [1,8,28,28] 3x3 dilated 4", op: "conv2d", inputs: [rand("int8", [1, 8, 28, 28]), rand("int8", [16, 8, 3, 3])], attrs: { dilations: [4, 4] } },
  { name: "conv2d int8 depthwise [1,32,28,28] 3x3", op: "conv2d", inputs: [rand("int8", [1, 32, 28, 28]), rand("int8", [32, 1, 3, 3])], attrs: { groups: 32, pads: [1, 1, 1, 1] } },
  { name: "conv2d int8 [1,1,28,28] 5x5 x1 -> int8", op: "conv2d", inputs: [rand("int8", [1, 1, 28, 28]), rand("int8", [1, 1, 5, 5])], attrs: OUT8 },
  // the positions × taps path: int16 input, or an int8 input with a zero point
  { name: "conv2d int16 [1,16,14,14] 3x3 x32", op: "conv2d", inputs: [rand("int16", [1, 16, 14, 14]), rand("int8", [32, 16, 3, 3])], attrs: { pads: [1, 1, 1, 1] } },
  { name: "conv2d int8 zero point 5 [1,8,28,28] 3x3 x16", op: "conv2d", inputs: [rand("int8", [1, 8, 28, 28]), rand("int8", [16, 8, 3, 3])], attrs: { pads: [1, 1, 1, 1], xZero: 5 } },
  { name: "conv2d int8 [1,3,64,64] 3x3 stride 2 x16", op: "conv2d", inputs: [rand("int8", [1, 3, 64, 64]), rand("int8", [16, 3, 3, 3])], attrs: { pads: [1, 1, 1, 1], strides: [2, 2] } },
  // add / sub
  { name: "add int16 [1,288]", op: "add", inputs: [rand("int16", [1, 288]), rand("int16", [1, 288])] },
  { name: "add int8 [1,16]", op: "add", inputs: [rand("int8", [1, 16]), rand("int8", [1, 16])] },
  { name: "add int8 [256,1024]", op: "add", inputs: [rand("int8", [256, 1024]), rand("int8", [256, 1024])] },
  { name: "add int32 broadcast [512,288]+[288]", op: "add", inputs: [rand("int32", [512, 288]), rand("int32", [288])] },
  { name: "add int8 broadcast [512,1]+[1,512]", op: "add", inputs: [rand("int8", [512, 1]), rand("int8", [1, 512])] },
  { name: "add int8 requantizing (TFLite) [16384]", op: "add", inputs: [rand("int8", [16384]), rand("int8", [16384])], attrs: { aZero: 3, bZero: -2, leftShift: 20, aMultiplier: 1 << 30, aShift: 31, bMultiplier: 1 << 30, bShift: 31, outMultiplier: 1 << 30, outShift: 50, outDtype: 0 } },
  { name: "add int32 requantizing shifts > 52 [16384]", op: "add", inputs: [rand("int32", [16384]), rand("int32", [16384])], attrs: { aMultiplier: 1 << 30, aShift: 58, bMultiplier: 1 << 30, bShift: 58, outMultiplier: 1 << 30, outShift: 58 } },
  { name: "sub int16 [4096]", op: "sub", inputs: [rand("int16", [4096]), rand("int16", [4096])] },
  // mul
  { name: "mul int16 [1,768]", op: "mul", inputs: [rand("int16", [1, 768]), rand("int16", [1, 768])], attrs: { ...REQ, outDtype: 1 } },
  { name: "mul int8 broadcast [256,256]x[256]", op: "mul", inputs: [rand("int8", [256, 256]), rand("int8", [256])], attrs: { ...REQ, outDtype: 0 } },
  { name: "mul int32xint32 [4096] (wide product)", op: "mul", inputs: [rand("int32", [4096]), rand("int32", [4096])], attrs: { ...REQ_WIDE, outDtype: 2 } },
  { name: "mul int32 zero points [4096] shift 58", op: "mul", inputs: [rand("int32", [4096]), rand("int16", [4096])], attrs: { aZero: 7, ...REQ_WIDE, outDtype: 2 } },
  // clamps, lut, requantize
  { name: "relu int8 [1,768]", op: "relu", inputs: [rand("int8", [1, 768])] },
  { name: "relu int32 [65536]", op: "relu", inputs: [rand("int32", [65536])] },
  { name: "relu6 int8 [16384]", op: "relu6", inputs: [rand("int8", [16384])], attrs: { six: 60 } },
  { name: "clip int16 [16384]", op: "clip", inputs: [rand("int16", [16384])], attrs: { min: -100, max: 100 } },
  { name: "leaky_relu int16 [16384] shift 20", op: "leaky_relu", inputs: [rand("int16", [16384])], attrs: { alphaMultiplier: 1 << 17, alphaShift: 20 } },
  { name: "leaky_relu int32 [16384] shift 60", op: "leaky_relu", inputs: [rand("int32", [16384])], attrs: { alphaMultiplier: (1 << 30) + 12345, alphaShift: 60 } },
  { name: "lut int8 [1,768]", op: "lut", inputs: [rand("int8", [1, 768]), rand("int8", [256])] },
  { name: "lut int8 -> int16 [65536]", op: "lut", inputs: [rand("int8", [65536]), rand("int16", [256])] },
  { name: "requantize int32 [1,768] -> int8", op: "requantize", inputs: [rand("int32", [1, 768])], attrs: { ...REQ, outDtype: 0 } },
  { name: "requantize int32 [65536] -> int8 shift 58", op: "requantize", inputs: [rand("int32", [65536])], attrs: { ...REQ_WIDE, outDtype: 0 } },
  { name: "requantize int32 inZero [16384] shift 58", op: "requantize", inputs: [rand("int32", [16384])], attrs: { inZero: 1000, ...REQ_WIDE, outDtype: 1 } },
  { name: "requantize int32 per-channel [128,128] shift 12", op: "requantize", inputs: [rand("int32", [128, 128])], attrs: { axis: 0, multiplier: Array.from({ length: 128 }, (_, i) => 1000 + i), shift: Array.from({ length: 128 }, () => 12), outDtype: 0 } },
  // softmax / norms
  { name: "softmax int32 [6,128]", op: "softmax", inputs: [rand("int32", [6, 128])], attrs: SOFT },
  { name: "softmax int32 [1,8]", op: "softmax", inputs: [rand("int32", [1, 8])], attrs: SOFT },
  { name: "softmax int16 [64,1024] -> int8", op: "softmax", inputs: [rand("int16", [64, 1024])], attrs: { ...SOFT, outDtype: 0 } },
  { name: "softmax int32 [1024,4] axis 0", op: "softmax", inputs: [rand("int32", [1024, 4])], attrs: { ...SOFT, axis: 0 } },
  { name: "log_softmax int32 [6,128]", op: "log_softmax", inputs: [rand("int32", [6, 128])], attrs: SOFT },
  { name: "log_softmax int16 [64,1024]", op: "log_softmax", inputs: [rand("int16", [64, 1024])], attrs: { ...SOFT, outDtype: 1 } },
  { name: "rms_norm int16 [1,288]", op: "rms_norm", inputs: [rand("int16", [1, 288]), rand("int8", [288])], attrs: NORM },
  { name: "rms_norm int8 [128,768]", op: "rms_norm", inputs: [rand("int8", [128, 768]), rand("int8", [768])], attrs: NORM },
  { name: "rms_norm int32 [1,8]", op: "rms_norm", inputs: [rand("int32", [1, 8]), rand("int8", [8])], attrs: NORM },
  { name: "layer_norm int16 [1,288]", op: "layer_norm", inputs: [rand("int16", [1, 288]), rand("int8", [288])], attrs: NORM },
  { name: "layer_norm int8 +beta [128,768]", op: "layer_norm", inputs: [rand("int8", [128, 768]), rand("int8", [768]), rand("int32", [768])], attrs: NORM },
  { name: "layer_norm int32 [4096,4] -> int16", op: "layer_norm", inputs: [rand("int32", [4096, 4]), rand("int8", [4])], attrs: { ...NORM, outDtype: 1 } },
  // reductions
  { name: "reduce_sum int32 [6,128]", op: "reduce_sum", inputs: [rand("int32", [6, 128])], attrs: { axes: [1] } },
  { name: "reduce_sum int8 [256,1024] all", op: "reduce_sum", inputs: [rand("int8", [256, 1024])] },
  { name: "reduce_sum int16 [64,64,64] axes 0,2", op: "reduce_sum", inputs: [rand("int16", [64, 64, 64])], attrs: { axes: [0, 2] } },
  { name: "reduce_mean int16 [256,1024] axis 1", op: "reduce_mean", inputs: [rand("int16", [256, 1024])], attrs: { axes: [1] } },
  { name: "reduce_mean int32 [1024,256] axis 0", op: "reduce_mean", inputs: [rand("int32", [1024, 256])], attrs: { axes: [0] } },
  { name: "reduce_max int8 [256,1024] axis 1", op: "reduce_max", inputs: [rand("int8", [256, 1024])], attrs: { axes: [1] } },
  { name: "reduce_max int32 [4]", op: "reduce_max", inputs: [rand("int32", [4])] },
  { name: "argmax int16 [1,257]", op: "argmax", inputs: [rand("int16", [1, 257])], attrs: { axis: 1 } },
  { name: "argmax int8 [1024,256] axis 0", op: "argmax", inputs: [rand("int8", [1024, 256])], attrs: { axis: 0 } },
  { name: "argmax int32 [65536]", op: "argmax", inputs: [rand("int32", [65536])], attrs: { axis: 0 } },
  // pooling
  { name: "max_pool int8 [1,16,28,28] 2x2/2", op: "max_pool", inputs: [rand("int8", [1, 16, 28, 28])], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
  { name: "max_pool int16 [1,8,28,28] 3x3 dilated 2", op: "max_pool", inputs: [rand("int16", [1, 8, 28, 28])], attrs: { kernel_shape: [3, 3], dilations: [2, 2] } },
  { name: "avg_pool int8 [1,16,28,28] 3x3 pads", op: "avg_pool", inputs: [rand("int8", [1, 16, 28, 28])], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
  { name: "max_pool int8 3-D [1,4,16,16,16] 3x3x3", op: "max_pool", inputs: [rand("int8", [1, 4, 16, 16, 16])], attrs: { kernel_shape: [3, 3, 3] } },
  { name: "avg_pool int16 4-D [1,2,8,8,8,8] 2x2x2x2", op: "avg_pool", inputs: [rand("int16", [1, 2, 8, 8, 8, 8])], attrs: { kernel_shape: [2, 2, 2, 2] } },
  { name: "avg_pool int8 [1,1,64,64] 1x1", op: "avg_pool", inputs: [rand("int8", [1, 1, 64, 64])], attrs: { kernel_shape: [1, 1] } },
  { name: "global_avg_pool int8 [1,64,14,14]", op: "global_avg_pool", inputs: [rand("int8", [1, 64, 14, 14])] },
  { name: "global_avg_pool int32 [1,1024,2,2]", op: "global_avg_pool", inputs: [rand("int32", [1, 1024, 2, 2])] },
  // movement
  { name: "gather int16 [257,288] by [1] (embedding row)", op: "gather", inputs: [rand("int16", [257, 288]), idx([1], 257)], attrs: { axis: 0 } },
  { name: "gather int16 [128,128,96] by [1] (cache row)", op: "gather", inputs: [rand("int16", [128, 128, 96]), idx([1], 128)], attrs: { axis: 0 } },
  { name: "gather int8 [512,512] by [4096] axis 1", op: "gather", inputs: [rand("int8", [512, 512]), idx([4096], 512)], attrs: { axis: 1 } },
  { name: "gather int32 [65536] by [65536]", op: "gather", inputs: [rand("int32", [65536]), idx([65536], 65536)], attrs: { axis: 0 } },
  { name: "where int16 [128,96]", op: "where", inputs: [rand("int8", [128, 96], 0, 2), rand("int16", [128, 96]), rand("int16", [128, 96])] },
  { name: "where int8 broadcast [512,1],[1,512],[512]", op: "where", inputs: [rand("int8", [512, 1], 0, 2), rand("int8", [1, 512]), rand("int8", [512])] },
  { name: "concat int16 [127,48]+[1,48]", op: "concat", inputs: [rand("int16", [127, 48]), rand("int16", [1, 48])], attrs: { axis: 0 } },
  { name: "concat int8 [512,1]+[512,1] axis 1", op: "concat", inputs: [rand("int8", [512, 1]), rand("int8", [512, 1])], attrs: { axis: 1 } },
  { name: "slice int16 [128,48] -> [64,48]", op: "slice", inputs: [rand("int16", [128, 48])], attrs: { starts: [0], ends: [64], axes: [0] } },
  { name: "slice int8 [256,256] step -3 both axes", op: "slice", inputs: [rand("int8", [256, 256])], attrs: { starts: [-1, -1], ends: [-300, -300], axes: [0, 1], steps: [-3, -3] } },
  { name: "transpose int8 [64,64]", op: "transpose", inputs: [rand("int8", [64, 64])], attrs: { perm: [1, 0] } },
  { name: "transpose int16 [16,16,16,16] reversed", op: "transpose", inputs: [rand("int16", [16, 16, 16, 16])] },
  { name: "transpose int8 [4,4,4,4,4,4,4,4] reversed", op: "transpose", inputs: [rand("int8", [4, 4, 4, 4, 4, 4, 4, 4])] },
  { name: "reshape int16 [1,288] -> [6,48]", op: "reshape", inputs: [rand("int16", [1, 288])], attrs: { shape: [6, 48] } },
  { name: "reshape int32 [65536] -> [256,256]", op: "reshape", inputs: [rand("int32", [65536])], attrs: { shape: [256, 256] } },
  { name: "flatten int8 [4,16,16]", op: "flatten", inputs: [rand("int8", [4, 16, 16])] },
  { name: "squeeze int16 [1,288,1]", op: "squeeze", inputs: [rand("int16", [1, 288, 1])] },
  { name: "unsqueeze int8 [288]", op: "unsqueeze", inputs: [rand("int8", [288])], attrs: { axes: [0] } },
  // attention (composed: matmuls, softmax, movement)
  { name: "attention decode step q[1,6,1,48] kv[1,2,128,48]", op: "attention", inputs: [rand("int8", [1, 6, 1, 48]), rand("int8", [1, 2, 128, 48]), rand("int8", [1, 2, 128, 48])], attrs: { q_num_heads: 6, kv_num_heads: 2, scoreMultiplier: 1 << 30, scoreShift: 35, multiplier: 1 << 30, shift: 45 } },
  { name: "attention prefill causal [1,6,64,48] kv 2 heads", op: "attention", inputs: [rand("int8", [1, 6, 64, 48]), rand("int8", [1, 2, 64, 48]), rand("int8", [1, 2, 64, 48])], attrs: { q_num_heads: 6, kv_num_heads: 2, causal: 1, scoreMultiplier: 1 << 30, scoreShift: 35, multiplier: 1 << 30, shift: 45 } },
  { name: "attention tiny heads [1,64,4,2] packed dh 1", op: "attention", inputs: [rand("int8", [1, 64, 2]), rand("int8", [1, 64, 2]), rand("int8", [1, 64, 2])], attrs: { q_num_heads: 2, kv_num_heads: 2, scoreMultiplier: 1 << 30, scoreShift: 35, multiplier: 1 << 30, shift: 45 } },
  // selection
  { name: "top_k int16 [257] k 40", op: "top_k", inputs: [rand("int16", [257])], attrs: { k: 40 }, outputs: 2 },
  { name: "top_k int8 [64,257] k 1", op: "top_k", inputs: [rand("int8", [64, 257])], attrs: { k: 1 }, outputs: 2 },
  { name: "top_k int32 [65536] k 256", op: "top_k", inputs: [rand("int32", [65536])], attrs: { k: 256 }, outputs: 2 },
  { name: "top_k int32 [4096] k 4096 (full sort)", op: "top_k", inputs: [rand("int32", [4096])], attrs: { k: 4096 }, outputs: 2 },
  { name: "sample int16 [1,257]", op: "sample", inputs: [rand("int16", [1, 257]), rand("int32", [8]), tensor("int32", [1], [3]), tensor("int32", [4], [1 << 16, 40, 58982, 0])], attrs: { multiplier: 1 << 30, shift: 36 } },
  { name: "sample int32 [65536]", op: "sample", inputs: [rand("int32", [65536]), rand("int32", [8]), tensor("int32", [1], [3]), tensor("int32", [4], [1 << 16, 0, 65536, 0])], attrs: { multiplier: 1 << 30, shift: 46 } },
  { name: "relu int8 [1] (dispatch floor)", op: "relu", inputs: [rand("int8", [1])] },
];

function oneNode(c: NodeCase): Program {
  return {
    stateCount: 0,
    values: c.inputs.map((t) => ({ kind: "input" as const, dtype: t.dtype, shape: t.shape })),
    nodes: [{ op: OP_CODES[c.op], inputs: c.inputs.map((_, i) => i), outputs: c.outputs ?? 1, attrs: c.attrs ?? {} }],
    outputs: Array.from({ length: c.outputs ?? 1 }, (_, j) => c.inputs.length + j),
  };
}

/** One row per op class: ns per node run, its node gas at m = 1, and ns per gas. */
export interface NodeRow {
  node: string;
  op: string;
  flops: number;
  /** Output elements and batch entries (what OpWeight's element and entry weigh). */
  outputElements: number;
  entries: number;
  gas: number;
  /** Of which the fresh inputs' writes, paid by the node that produced them (NodeCase.fresh). */
  producerWriteGas?: number;
  /** Of which compute (weighted FLOPs at γ); the rest is NODE_BASE_GAS and output writes. */
  computeGas: number;
  /** Median over the rounds, CPU time. */
  cpuNsPerCall: number;
  cpuNsPerGas: number;
  /** Node ns per gas / reference ns per gas, median over rounds: above 1 the node is slower per gas. */
  vsNativeEcrecover: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** BENCH_NODES=<substring> keeps only the matching rows (for iterating on one class). */
export function nodeSweep(time: TimeFn, ref: Reference, only = process.env.BENCH_NODES): NodeRow[] {
  return CASES().filter((c) => only === undefined || c.name.includes(only)).map((c) => {
    const program = oneNode(c);
    const info = inferProgram(program, c.inputs);
    const quote = quoteInferred(info, 0, MULTIPLIER_ONE).nodes[0]!;
    const producerWriteGas = (c.fresh ?? []).reduce((g, i) => g + writeGas(c.inputs[i]!), 0n);
    const gas = Number(quote.gas + producerWriteGas);
    const outputElements = info.nodes[0]!.outputs.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
    const entries = info.nodes[0]!.outputs.reduce((n, t) => n + Number(batchEntries(t)), 0);
    const fresh = new Set(c.fresh ?? []);
    const run = fresh.size === 0
      ? () => runProgram(program, c.inputs, new Map(), { info })
      : () => runProgram(program, c.inputs.map((t, i) => (fresh.has(i) ? tensor(t.dtype, t.shape, t.data.slice()) : t)), new Map(), { info });
    const perCall: number[] = [];
    const ratios: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const node = time(run, ROUND_MS).cpuNsPerCall;
      const reference = time(ref.run, ROUND_MS).cpuNsPerCall;
      perCall.push(node);
      ratios.push(node / gas / (reference / ref.gas));
    }
    const ns = median(perCall);
    return { node: c.name, op: c.op, flops: Number(info.flops), outputElements, entries, gas, ...(c.fresh ? { producerWriteGas: Number(producerWriteGas) } : {}), computeGas: Number(quote.compute), cpuNsPerCall: Math.round(ns), cpuNsPerGas: +(ns / gas).toFixed(2), vsNativeEcrecover: +median(ratios).toFixed(2) };
  });
}

/** ns per node dispatched: a chain of `n` one-element relus against a single one (the program's fixed cost cancels). */
export function nodeDispatch(time: TimeFn): { nsPerNode: number } {
  const chain = (n: number): Program => ({
    stateCount: 0,
    values: [{ kind: "input", dtype: "int8", shape: [1] }],
    nodes: Array.from({ length: n }, (_, i) => ({ op: OP_CODES.relu, inputs: [i], outputs: 1, attrs: {} })),
    outputs: [n],
  });
  const x = tensor("int8", [1], [3]);
  const run = (n: number) => {
    const p = chain(n);
    const info = inferProgram(p, [x]);
    return time(() => runProgram(p, [x], new Map(), { info })).cpuNsPerCall;
  };
  const one = run(1);
  const many = run(2001);
  return { nsPerNode: +((many - one) / 2000).toFixed(1) };
}

const BREAKDOWN_RUNS = 10;

/** The committed model's shapes (models/lm/config.json), with random weights. */
const LM_CONFIG = readLmConfig();

/**
 * One whole decoder step (the TSTREAM step program, seeded weights, unit calibration: the scales do
 * not change a shape or a kernel path) in CPU time against its node gas, and where the time goes:
 * per op and output dtype, wall time from the run's node hooks.
 */
export function decoderStep(time: TimeFn, ref: Reference): Record<string, unknown> {
  const cal = emptyCalibration(LM_CONFIG.n_layers);
  for (const k of Object.keys(cal) as (keyof typeof cal)[]) {
    const v = cal[k];
    if (Array.isArray(v)) v.fill(1);
    else (cal as unknown as Record<string, number>)[k] = 1;
  }
  const lm = compileLm(LM_CONFIG, tinyWeights(7, LM_CONFIG), cal);
  const program = lm.build({ token: "state", emit: "token" });
  const state = initialState(lm, tensor("int32", [8], [1, 2, 3, 4, 5, 6, 7, 8]));
  const info = inferProgram(program, state);
  const nodes = quoteInferred(info, 0, MULTIPLIER_ONE).nodes;
  const stepGas = Number(nodes.reduce((s, n) => s + n.gas, 0n));
  const run = () => runProgram(program, state, new Map(), { info });
  const ratios: number[] = [];
  const perStep: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const step = time(run, 4 * ROUND_MS).cpuNsPerCall;
    const reference = time(ref.run, ROUND_MS).cpuNsPerCall;
    perStep.push(step);
    ratios.push(step / stepGas / (reference / ref.gas));
  }
  const byOp = new Map<string, { ns: number; gas: number; nodes: number }>();
  let t0 = 0n;
  const hooks = {
    beforeNode: () => {
      t0 = process.hrtime.bigint();
    },
    afterNode: (e: { node: { index: number; op: { name: string }; outputs: { dtype: DType }[] } }) => {
      const key = `${e.node.op.name} → ${e.node.outputs[0]!.dtype}`;
      const row = byOp.get(key) ?? { ns: 0, gas: 0, nodes: 0 };
      row.ns += Number(process.hrtime.bigint() - t0);
      row.gas += Number(nodes[e.node.index]!.gas);
      row.nodes++;
      byOp.set(key, row);
    },
  };
  for (let r = 0; r < BREAKDOWN_RUNS; r++) runProgram(program, state, new Map(), { info, hooks });
  const rows = [...byOp].sort((a, b) => b[1].ns - a[1].ns).slice(0, 10);
  return {
    nodes: info.nodes.length,
    stepGas,
    cpuNsPerStep: Math.round(median(perStep)),
    cpuNsPerGas: +(median(perStep) / stepGas).toFixed(1),
    vsNativeEcrecover: +median(ratios).toFixed(2),
    // Per step: the sums over BREAKDOWN_RUNS runs divided back.
    slowestOps: rows.map(([op, r]) => ({ op, nodes: r.nodes / BREAKDOWN_RUNS, wallUsPerStep: Math.round(r.ns / 1e3 / BREAKDOWN_RUNS), gas: r.gas / BREAKDOWN_RUNS, wallNsPerGas: Math.round(r.ns / r.gas) })),
  };
}
