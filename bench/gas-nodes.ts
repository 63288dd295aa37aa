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
import { MULTIPLIER_ONE, quoteInferred } from "../src/gas/index.ts";
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
const ROUND_MS = 80;

const RANGE: Record<DType, [number, number]> = { int8: [-128, 256], int16: [-2000, 4000], int32: [-100_000, 200_000] } as Record<DType, [number, number]>;
let seed = 1;
function rand(dtype: DType, shape: number[], lo?: number, span?: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const [l, s] = RANGE[dtype] ?? [-100, 200];
  return tensor(dtype, shape, seededInts(n, seed++, lo ?? l, span ?? s));
}

interface NodeCase {
  name: string;
  op: OpName;
  inputs: Tensor[];
  attrs?: Attrs;
  outputs?: number;
}

const REQ = { multiplier: 1 << 30, shift: 38 };
const CASES = (): NodeCase[] => [
  { name: "matmul GEMV int16 [1,288]x[288,768]", op: "matmul", inputs: [rand("int16", [1, 288]), rand("int8", [288, 768])] },
  { name: "matmul GEMV int8 [1,784]x[784,128]", op: "matmul", inputs: [rand("int8", [1, 784]), rand("int8", [784, 128])] },
  { name: "matmul int8 [64,64]x[64,64]", op: "matmul", inputs: [rand("int8", [64, 64]), rand("int8", [64, 64])] },
  { name: "matmul int8 [256,256]x[256,256]", op: "matmul", inputs: [rand("int8", [256, 256]), rand("int8", [256, 256])] },
  { name: "add int16 [1,288]", op: "add", inputs: [rand("int16", [1, 288]), rand("int16", [1, 288])] },
  { name: "mul int16 [1,768]", op: "mul", inputs: [rand("int16", [1, 768]), rand("int16", [1, 768])], attrs: { ...REQ, outDtype: 1 } },
  { name: "relu int8 [1,768]", op: "relu", inputs: [rand("int8", [1, 768])] },
  { name: "lut int8 [1,768]", op: "lut", inputs: [rand("int8", [1, 768]), rand("int8", [256])] },
  { name: "requantize int32 [1,768] -> int8", op: "requantize", inputs: [rand("int32", [1, 768])], attrs: { ...REQ, outDtype: 0 } },
  { name: "softmax int32 [6,128]", op: "softmax", inputs: [rand("int32", [6, 128])], attrs: { axis: -1, multiplier: 1 << 30, shift: 40 } },
  { name: "rms_norm int16 [1,288]", op: "rms_norm", inputs: [rand("int16", [1, 288]), rand("int8", [288])], attrs: { axis: -1, ...REQ, epsilon: 1 } },
  { name: "layer_norm int16 [1,288]", op: "layer_norm", inputs: [rand("int16", [1, 288]), rand("int8", [288])], attrs: { axis: -1, ...REQ, epsilon: 1 } },
  { name: "reduce_sum int32 [6,128]", op: "reduce_sum", inputs: [rand("int32", [6, 128])], attrs: { axes: [1] } },
  { name: "argmax int16 [1,257]", op: "argmax", inputs: [rand("int16", [1, 257])], attrs: { axis: 1 } },
  { name: "top_k int16 [257] k 40", op: "top_k", inputs: [rand("int16", [257])], attrs: { k: 40 }, outputs: 2 },
  { name: "gather int16 [257,288] by [1] (embedding row)", op: "gather", inputs: [rand("int16", [257, 288]), rand("int32", [1], 0, 257)], attrs: { axis: 0 } },
  { name: "gather int16 [128,128,96] by [1] (cache row)", op: "gather", inputs: [rand("int16", [128, 128, 96]), rand("int32", [1], 0, 128)], attrs: { axis: 0 } },
  { name: "where int16 [128,96]", op: "where", inputs: [rand("int8", [128, 96], 0, 2), rand("int16", [128, 96]), rand("int16", [128, 96])] },
  { name: "concat int16 [127,48]+[1,48]", op: "concat", inputs: [rand("int16", [127, 48]), rand("int16", [1, 48])], attrs: { axis: 0 } },
  { name: "slice int16 [128,48] -> [64,48]", op: "slice", inputs: [rand("int16", [128, 48])], attrs: { starts: [0], ends: [64], axes: [0] } },
  { name: "transpose int8 [64,64]", op: "transpose", inputs: [rand("int8", [64, 64])], attrs: { perm: [1, 0] } },
  { name: "reshape int16 [1,288] -> [6,48]", op: "reshape", inputs: [rand("int16", [1, 288])], attrs: { shape: [6, 48] } },
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
  flops: number;
  gas: number;
  /** Median over the rounds, CPU time. */
  cpuNsPerCall: number;
  cpuNsPerGas: number;
  /** Node ns per gas / reference ns per gas, median over rounds: above 1 the node is slower per gas. */
  vsNativeEcrecover: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export function nodeSweep(time: TimeFn, ref: Reference): NodeRow[] {
  return CASES().map((c) => {
    const program = oneNode(c);
    const info = inferProgram(program, c.inputs);
    const gas = Number(quoteInferred(info, 0, MULTIPLIER_ONE).nodes[0]!.gas);
    const run = () => runProgram(program, c.inputs, new Map(), { info });
    const perCall: number[] = [];
    const ratios: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const node = time(run, ROUND_MS).cpuNsPerCall;
      const reference = time(ref.run, ROUND_MS).cpuNsPerCall;
      perCall.push(node);
      ratios.push(node / gas / (reference / ref.gas));
    }
    const ns = median(perCall);
    return { node: c.name, flops: Number(info.flops), gas, cpuNsPerCall: Math.round(ns), cpuNsPerGas: +(ns / gas).toFixed(2), vsNativeEcrecover: +median(ratios).toFixed(2) };
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
