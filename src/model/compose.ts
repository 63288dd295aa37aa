// ONNX ops with run-time inputs rewritten onto ops the quantizer already lowers (after constant
// folding, so every constant operand, shape and index list here is known). Data movement (Expand,
// Tile, Pad, Split, GatherElements, DepthToSpace…) becomes gather/slice/reshape/transpose and is
// exact; arithmetic (Neg, Abs, Max, Min, PRelu…) becomes sub/relu/add with the usual one
// requantization per op. Every rewrite keeps the ONNX output names.
import { conv1dAs2d, scatterTargets, gatherElementsIndex, gatherNDIndex, normAxis, padSource, sizeOf, spaceDepthSteps } from "./float-exec.ts";
import type { FloatGraph, FloatNode } from "./graph.ts";
import { dataTypeCode, hostTensor, type HostTensor, type OnnxAttr } from "./onnx.ts";
import { isIdentityMap, resizeMaps } from "./resize.ts";
import { RECURRENT_CONSTANT_INPUTS, unrollRecurrent } from "./recurrent.ts";
import { planConvTranspose } from "./conv-transpose.ts";
import { lowerEinsum, parseEinsum } from "./einsum.ts";
import { gatherElementsRuntime, gatherRuntime } from "./compose-select.ts";
import { composeLoss } from "./compose-loss.ts";
import { composeGridSample } from "./compose-grid-sample.ts";
import { composeDft, composeStft, dftAxisGiven } from "./compose-spectral.ts";
import { composeBitShift, composeIntegerDiv, composeIntegerMod, composeIntegerPow, composeLrn, composeMeanVarianceNormalization, composeReduceProd, composeReverseSequence } from "./compose-arith.ts";

type Meta = { shape: number[]; dtype: HostTensor["dtype"] };

function num(v: OnnxAttr | undefined, fallback: number): number {
  return typeof v === "number" ? v : fallback;
}

let counter = 0;

/** Emits replacement nodes for one ONNX node; the last one writes the node's output. */
export class Rewriter {
  readonly nodes: FloatNode[] = [];
  constructor(
    readonly graph: FloatGraph,
    readonly node: FloatNode,
  ) {}
  fresh(base: string): string {
    let n: string;
    do n = `${this.node.name}_${base}__c${counter++}`;
    while (this.graph.constants.has(n));
    return n;
  }
  konst(base: string, t: HostTensor): string {
    const name = this.fresh(base);
    this.graph.constants.set(name, t);
    return name;
  }
  add(op: string, inputs: string[], attrs: FloatNode["attrs"] = {}, out = this.fresh(op)): string {
    this.nodes.push({ op, name: `${this.node.name}/${op}${this.nodes.length}`, inputs, outputs: [out], attrs });
    return out;
  }
  neg(x: string): string {
    return this.add("Sub", [this.konst("zero", hostTensor("float32", [], [0])), x]);
  }
  gatherAxis(x: string, idx: number[], axis: number, out?: string): string {
    return this.add("Gather", [x, this.konst("idx", hostTensor("int64", [idx.length], idx))], { axis }, out);
  }
}

function isConst(graph: FloatGraph, v: string): boolean {
  return graph.constants.has(v);
}

/** Inputs that must be constant (after folding) for the op to be composed. */
export const COMPOSE_CONSTANT_INPUTS: Readonly<Record<string, readonly number[]>> = {
  Expand: [1], Tile: [1], Pad: [1, 2, 3], Split: [1], Trilu: [1], GatherND: [1], CumSum: [1], NegativeLogLikelihoodLoss: [2], SoftmaxCrossEntropyLoss: [2], ReduceProd: [1], ReverseSequence: [1], GridSample: [1], DFT: [1, 2], STFT: [1, 2, 3], MelWeightMatrix: [0, 1, 2, 3, 4],
  ...RECURRENT_CONSTANT_INPUTS, TopK: [1], OneHot: [1, 2], ScatterElements: [1], Scatter: [1], ScatterND: [1], ConvTranspose: [1, 2], InstanceNormalization: [1, 2], GroupNormalization: [1, 2], Resize: [1, 2, 3], Upsample: [1], ReduceMin: [1], ReduceL1: [1], ReduceL2: [1], ReduceSumSquare: [1], ReduceLogSum: [1], ReduceLogSumExp: [1],
};

/** Rewrites every composable node; returns nothing, the graph is changed in place. */
export function composeOps(graph: FloatGraph, metas: ReadonlyMap<string, Meta>): void {
  for (const n of [...graph.nodes]) {
    // Left as is (and reported by the importer) when an input it needs as a constant is not one.
    if ((COMPOSE_CONSTANT_INPUTS[n.op] ?? []).some((i) => n.inputs[i] && !graph.constants.has(n.inputs[i]!))) continue;
    const r = new Rewriter(graph, n);
    const out = n.outputs[0]!;
    const shape = (v: string) => metas.get(v)!.shape;
    const c = (i: number) => graph.constants.get(n.inputs[i] ?? "");
    switch (n.op) {
      case "Neg":
        r.add("Sub", [r.konst("zero", hostTensor("float32", [], [0])), n.inputs[0]!], {}, out);
        break;
      case "Abs": {
        const x = n.inputs[0]!;
        r.add("Add", [r.add("Relu", [x]), r.add("Relu", [r.neg(x)])], {}, out);
        break;
      }
      case "Max": case "Min": case "Sum": case "Mean": {
        const ins = n.inputs.filter(Boolean);
        const last = n.op === "Mean" ? r.fresh("sum") : out;
        let acc = ins[0]!;
        ins.slice(1).forEach((b, i) => {
          const dst = i === ins.length - 2 ? last : undefined;
          acc = combine(r, n.op, acc, b, shape, dst);
        });
        if (ins.length === 1) acc = r.add("Identity", [acc], {}, last);
        if (n.op === "Mean") r.add("Mul", [acc, r.konst("inv_n", hostTensor("float32", [], [1 / ins.length]))], {}, out);
        break;
      }
      case "PRelu": {
        const x = n.inputs[0]!;
        const slope = c(1);
        if (slope && slope.data.every((s) => s === slope.data[0]) && slope.data[0]! >= 0 && sizeOf(shape(out)) === sizeOf(shape(x))) {
          r.add("LeakyRelu", [x], { alpha: slope.data[0]! }, out);
        } else {
          const negPart = r.add("Mul", [r.add("Relu", [r.neg(x)]), n.inputs[1]!]);
          r.add("Sub", [r.add("Relu", [x]), negPart], {}, out);
        }
        break;
      }
      case "Expand": {
        const x = n.inputs[0]!;
        const to = shape(out);
        let cur = x;
        const xs = shape(x);
        const padded = [...new Array<number>(to.length - xs.length).fill(1), ...xs];
        if (padded.length !== xs.length) cur = r.add("Reshape", [cur, r.konst("shape", hostTensor("int64", [padded.length], padded))]);
        const axes = to.flatMap((d, i) => (padded[i] === 1 && d !== 1 ? [i] : []));
        if (axes.length === 0) r.add("Identity", [cur], {}, out);
        axes.forEach((ax, k) => (cur = r.gatherAxis(cur, new Array<number>(to[ax]!).fill(0), ax, k === axes.length - 1 ? out : undefined)));
        break;
      }
      case "Tile": {
        const x = n.inputs[0]!;
        const reps = [...c(1)!.data];
        const xs = shape(x);
        const axes = reps.flatMap((k, i) => (k !== 1 ? [i] : []));
        let cur = x;
        if (axes.length === 0) r.add("Identity", [cur], {}, out);
        axes.forEach((ax, k) => {
          const idx = Array.from({ length: xs[ax]! * reps[ax]! }, (_, i) => i % xs[ax]!);
          cur = r.gatherAxis(cur, idx, ax, k === axes.length - 1 ? out : undefined);
        });
        break;
      }
      case "Pad": {
        const x = n.inputs[0]!;
        const xs = shape(x), rank = xs.length;
        const raw = [...c(1)!.data];
        const axes = (c(3) ? [...c(3)!.data] : xs.map((_, i) => i)).map((d) => normAxis(d, rank, n.name));
        const pads = new Array<number>(2 * rank).fill(0);
        axes.forEach((d, i) => {
          pads[d] = raw[i]!;
          pads[d + rank] = raw[i + axes.length]!;
        });
        const mode = typeof n.attrs.mode === "string" ? n.attrs.mode : "constant";
        const value = c(2)?.data[0] ?? num(n.attrs.value, 0);
        const padded = xs.flatMap((_, d) => (pads[d] !== 0 || pads[d + rank] !== 0 ? [d] : []));
        let cur = x;
        if (padded.length === 0) r.add("Identity", [cur], {}, out);
        const curShape = [...xs];
        padded.forEach((d, k) => {
          const len = curShape[d]! + pads[d]! + pads[d + rank]!;
          let idx = Array.from({ length: len }, (_, i) => padSource(mode, i, xs[d]!, pads[d]!));
          if (idx.some((i) => i < 0)) {
            // Constant mode: one slab of the pad value after the data, and pad positions gather it.
            const slabShape = curShape.map((s, i) => (i === d ? 1 : s));
            const slab = r.konst("pad_value", hostTensor("float32", slabShape, new Array<number>(sizeOf(slabShape)).fill(value)));
            cur = r.add("Concat", [cur, slab], { axis: d });
            idx = idx.map((i) => (i < 0 ? xs[d]! : i));
          }
          cur = r.gatherAxis(cur, idx, d, k === padded.length - 1 ? out : undefined);
          curShape[d] = len;
        });
        break;
      }
      case "Split": {
        const x = n.inputs[0]!;
        const xs = shape(x);
        const axis = normAxis(num(n.attrs.axis, 0), xs.length, n.name);
        let start = 0;
        n.outputs.forEach((o) => {
          if (!o) return;
          const len = shape(o)[axis]!;
          const ints = (v: number) => r.konst("i", hostTensor("int64", [1], [v]));
          r.add("Slice", [x, ints(start), ints(start + len), ints(axis)], {}, o);
          start += len;
        });
        break;
      }
      case "Trilu": {
        const x = n.inputs[0]!;
        const xs = shape(x), rank = xs.length;
        const k = c(1)?.data[0] ?? 0;
        const upper = num(n.attrs.upper, 1) === 1;
        const [R, C] = [xs[rank - 2]!, xs[rank - 1]!];
        const mask = hostTensor("bool", [R, C]);
        for (let i = 0; i < R; i++) for (let j = 0; j < C; j++) mask.data[i * C + j] = (upper ? j - i >= k : j - i <= k) ? 1 : 0;
        r.add("Where", [r.konst("mask", mask), x, r.konst("zero", hostTensor(metas.get(x)!.dtype, [], [0]))], {}, out);
        break;
      }
      case "Gather": case "GatherElements": {
        const x = n.inputs[0]!;
        const xs = shape(x);
        const idx = c(1);
        const axis = normAxis(num(n.attrs.axis, 0), xs.length, n.name);
        if (!idx) {
          // Run-time indices: exact only when they are integers (float indices would be quantized).
          const dt = metas.get(n.inputs[1]!)!.dtype;
          if (dt === "float32" || dt === "float64") break;
          const select = n.op === "Gather" ? gatherRuntime : gatherElementsRuntime;
          select(r, x, xs, metas.get(x)!.dtype, n.inputs[1]!, shape(n.inputs[1]!), axis, out);
          break;
        }
        if (n.op === "Gather") break; // constant indices: the engine's gather
        const flat = gatherElementsIndex(xs, idx, axis, n.name);
        const x1 = r.add("Reshape", [x, r.konst("shape", hostTensor("int64", [1], [sizeOf(xs)]))]);
        r.add("Gather", [x1, r.konst("idx", hostTensor("int64", idx.shape, Array.from(flat)))], { axis: 0 }, out);
        break;
      }
      case "GatherND": {
        const x = n.inputs[0]!;
        const xs = shape(x);
        const { shape: outShape, flat, inner } = gatherNDIndex(xs, c(1)!, num(n.attrs.batch_dims, 0), n.name);
        const rows = r.add("Reshape", [x, r.konst("shape", hostTensor("int64", [2], [sizeOf(xs) / inner, inner]))]);
        const g = r.add("Gather", [rows, r.konst("idx", hostTensor("int64", [flat.length], flat.map((f) => f / inner)))], { axis: 0 });
        r.add("Reshape", [g, r.konst("shape", hostTensor("int64", [outShape.length], outShape))], {}, out);
        break;
      }
      case "DepthToSpace": case "SpaceToDepth": {
        const { steps } = spaceDepthSteps(n, shape(n.inputs[0]!));
        let cur = n.inputs[0]!;
        steps.forEach((s, k) => {
          const dst = k === steps.length - 1 ? out : undefined;
          cur = s.perm ? r.add("Transpose", [cur], { perm: s.perm }, dst) : r.add("Reshape", [cur, r.konst("shape", hostTensor("int64", [s.shape!.length], s.shape!))], {}, dst);
        });
        break;
      }
      case "GlobalMaxPool": {
        const xs = shape(n.inputs[0]!);
        r.add("ReduceMax", [n.inputs[0]!], { axes: xs.map((_, i) => i).slice(2), keepdims: 1 }, out);
        break;
      }
      case "ReduceMin": {
        const m = r.add("ReduceMax", [r.neg(n.inputs[0]!), ...n.inputs.slice(1)], n.attrs);
        r.add("Sub", [r.konst("zero", hostTensor("float32", [], [0])), m], {}, out);
        break;
      }
      case "ReduceL1": case "ReduceL2": case "ReduceSumSquare": case "ReduceLogSum": case "ReduceLogSumExp": {
        const x = n.inputs[0]!;
        if (n.op === "ReduceLogSumExp") {
          // log Σ exp(x) = m + log Σ exp(x − m), m the max: the exp table sees only values ≤ 0.
          const m = r.add("ReduceMax", [x, ...n.inputs.slice(1)], { ...n.attrs, keepdims: 1 });
          const s = r.add("ReduceSum", [r.add("Exp", [r.add("Sub", [x, m])]), ...n.inputs.slice(1)], { ...n.attrs, keepdims: 1 });
          const y = r.add("Add", [r.add("Log", [s]), m]);
          r.add("Reshape", [y, r.konst("shape", hostTensor("int64", [shape(out).length], shape(out)))], {}, out);
          break;
        }
        const pre =
          n.op === "ReduceL1" ? r.add("Add", [r.add("Relu", [x]), r.add("Relu", [r.neg(x)])])
          : n.op === "ReduceL2" || n.op === "ReduceSumSquare" ? r.add("Mul", [x, x])
          : x;
        const post = n.op === "ReduceL2" ? "Sqrt" : n.op === "ReduceLogSum" ? "Log" : undefined;
        const s = r.add("ReduceSum", [pre, ...n.inputs.slice(1)], n.attrs, post ? undefined : out);
        if (post) r.add(post, [s], {}, out);
        break;
      }
      case "ArgMin":
        r.add("ArgMax", [r.neg(n.inputs[0]!)], n.attrs, out);
        break;
      case "CumSum": {
        const x = n.inputs[0]!;
        const xs = shape(x);
        const axis = normAxis(c(1)!.data[0]!, xs.length, n.name);
        const len = xs[axis]!;
        const exclusive = num(n.attrs.exclusive, 0) === 1, reverse = num(n.attrs.reverse, 0) === 1;
        // y[i] = Σ_j W[j][i]·x[j] along the axis, W a constant 0/1 matrix.
        const W = hostTensor("float32", [len, len]);
        for (let j = 0; j < len; j++)
          for (let i = 0; i < len; i++) {
            const on = reverse ? (exclusive ? j > i : j >= i) : exclusive ? j < i : j <= i;
            W.data[j * len + i] = on ? 1 : 0;
          }
        const last = axis === xs.length - 1;
        const perm = xs.map((_, i) => i);
        perm[axis] = xs.length - 1;
        perm[xs.length - 1] = axis;
        const moved = last ? x : r.add("Transpose", [x], { perm });
        const y = r.add("aivm.Linear", [moved, r.konst("tri", W), ""], {}, last ? out : undefined);
        if (!last) r.add("Transpose", [y], { perm }, out);
        break;
      }
      case "Conv": {
        // 1-D convolution: the same 2-D convolution over a height of 1.
        const x = n.inputs[0]!;
        const xs = shape(x);
        const w = c(1);
        if (xs.length !== 3 || !w || w.shape.length !== 3) break;
        const x4 = r.add("Reshape", [x, r.konst("shape", hostTensor("int64", [4], [xs[0]!, xs[1]!, 1, xs[2]!]))]);
        const w4 = r.konst("w", { ...w, shape: [w.shape[0]!, w.shape[1]!, 1, w.shape[2]!] });
        const y4 = r.add("Conv", [x4, w4, ...n.inputs.slice(2)], conv1dAs2d(n.attrs));
        const ys = shape(out);
        r.add("Reshape", [y4, r.konst("shape", hostTensor("int64", [3], ys))], {}, out);
        break;
      }
      case "InstanceNormalization": case "GroupNormalization": {
        // Normalise each (n, group) over its channels and positions with layer_norm, then the per-channel affine.
        const x = n.inputs[0]!;
        const xs = shape(x), C = xs[1]!;
        const groups = n.op === "GroupNormalization" ? num(n.attrs.num_groups, C) : C;
        const rows = r.add("Reshape", [x, r.konst("shape", hostTensor("int64", [3], [xs[0]!, groups, sizeOf(xs) / (xs[0]! * groups)]))]);
        const normed = r.add("aivm.LayerNorm", [rows, "", ""], { axis: -1, epsilon: num(n.attrs.epsilon, 1e-5) });
        const back = r.add("Reshape", [normed, r.konst("shape", hostTensor("int64", [xs.length], xs))]);
        const cshape = [C, ...new Array<number>(xs.length - 2).fill(1)];
        const perChannel = (t: HostTensor) => hostTensor("float32", cshape, Array.from({ length: C }, (_, ch) => t.data[t.data.length === C ? ch : Math.floor(ch / (C / groups))]!));
        const scaled = r.add("Mul", [back, r.konst("scale", perChannel(c(1)!))]);
        r.add("Add", [scaled, r.konst("bias", perChannel(c(2)!))], {}, out);
        break;
      }
      case "ConvTranspose": {
        const x = n.inputs[0]!;
        const xs = shape(x);
        const p = planConvTranspose(xs, c(1)!, n.attrs, n.name);
        let cur = p.oneD ? r.add("Reshape", [x, r.konst("shape", hostTensor("int64", [4], [xs[0]!, xs[1]!, 1, xs[2]!]))]) : x;
        const curShape = p.oneD ? [xs[0]!, xs[1]!, 1, xs[2]!] : [...xs];
        p.spread.forEach((idx0, k) => {
          const d = k + 2;
          if (idx0.length === curShape[d] && idx0.every((s, i) => s === i)) return;
          // Zeros between and around the samples: gather from the input with one zero slab appended.
          const slabShape = curShape.map((s, i) => (i === d ? 1 : s));
          cur = r.add("Concat", [cur, r.konst("zeros", hostTensor("float32", slabShape))], { axis: d });
          cur = r.gatherAxis(cur, idx0.map((s) => (s < 0 ? curShape[d]! : s)), d);
          curShape[d] = idx0.length;
        });
        const attrs = { group: p.group, dilations: p.dilations, kernel_shape: p.weight.shape.slice(2) };
        const y = r.add("Conv", [cur, r.konst("w", p.weight), n.inputs[2] ?? ""], attrs, p.oneD ? undefined : out);
        if (p.oneD) r.add("Reshape", [y, r.konst("shape", hostTensor("int64", [3], shape(out)))], {}, out);
        break;
      }
      case "RNN": case "GRU": case "LSTM": {
        const u = unrollRecurrent(n, shape(n.inputs[0]!), (name) => graph.constants.get(name));
        for (const [k, v] of u.constants) graph.constants.set(k, v);
        r.nodes.push(...u.nodes);
        break;
      }
      case "Resize": case "Upsample": {
        const x = n.inputs[0]!;
        const maps = resizeMaps(n, shape(x), (i) => (n.inputs[i] ? graph.constants.get(n.inputs[i]!) : undefined));
        const axes = maps.flatMap((m, d) => (isIdentityMap(m) ? [] : [d]));
        if (axes.length === 0) r.add("Identity", [x], {}, out);
        const curShape = [...shape(x)];
        let cur = x;
        axes.forEach((d, k) => {
          const m = maps[d]!;
          const dst = k === axes.length - 1 ? out : undefined;
          if (m.gather) {
            // Nearest: an exact gather (bias-only rows, tf_crop_and_resize extrapolation, read one slab of the value).
            let idx = m.gather;
            if (idx.some((i) => i < 0)) {
              const slabShape = curShape.map((s, i) => (i === d ? 1 : s));
              const value = m.bias[idx.indexOf(-1)]!;
              cur = r.add("Concat", [cur, r.konst("extrapolation", hostTensor("float32", slabShape, new Array<number>(sizeOf(slabShape)).fill(value)))], { axis: d });
              idx = idx.map((i) => (i < 0 ? m.inLen : i));
            }
            cur = r.gatherAxis(cur, idx, d, dst);
          } else {
            // Linear/cubic: y = x·W (+ b) along the axis, moved last and back.
            const rank = curShape.length;
            const perm = curShape.map((_, i) => i);
            perm[d] = rank - 1;
            perm[rank - 1] = d;
            const last = d === rank - 1;
            const W = hostTensor("float32", [m.inLen, m.outLen]);
            for (let o = 0; o < m.outLen; o++) for (let i = 0; i < m.inLen; i++) W.data[i * m.outLen + o] = m.weights[o * m.inLen + i]!;
            const b = m.bias.some((v) => v !== 0) ? r.konst("bias", hostTensor("float32", [m.outLen], Array.from(m.bias))) : "";
            const moved = last ? cur : r.add("Transpose", [cur], { perm });
            const y = r.add("aivm.Linear", [moved, r.konst("resize_w", W), b], {}, last ? dst : undefined);
            cur = last ? y : r.add("Transpose", [y], { perm }, dst);
          }
          curShape[d] = m.outLen;
        });
        break;
      }
      case "Not": case "And": case "Or": case "Xor": case "Equal": case "Greater": case "Less": case "GreaterOrEqual": case "LessOrEqual": {
        // Exact on integer and bool operands only (float comparisons would flip within one quantization step).
        if (n.inputs.some((v) => { const d = metas.get(v)!.dtype; return d === "float32" || d === "float64"; })) break;
        const [a, b] = n.inputs as [string, string];
        const one = r.konst("one", hostTensor("int64", [], [1]));
        const step = (p: string, q: string) => r.add("Clip", [r.add("Sub", [p, q])], { min: 0, max: 1 }); // p > q as 0/1
        const differ = () => r.add("Add", [step(a, b), step(b, a)]);
        switch (n.op) {
          case "Not": r.add("Sub", [one, a], {}, out); break;
          case "And": r.add("Mul", [a, b], {}, out); break;
          case "Or": r.add("Sub", [r.add("Add", [a, b]), r.add("Mul", [a, b])], {}, out); break;
          case "Xor": r.add("Identity", [differ()], {}, out); break;
          case "Equal": r.add("Sub", [one, differ()], {}, out); break;
          case "Greater": r.add("Identity", [step(a, b)], {}, out); break;
          case "Less": r.add("Identity", [step(b, a)], {}, out); break;
          case "GreaterOrEqual": r.add("Sub", [one, step(b, a)], {}, out); break;
          case "LessOrEqual": r.add("Sub", [one, step(a, b)], {}, out); break;
        }
        break;
      }
      case "Cast": case "CastLike": {
        const from = metas.get(n.inputs[0]!)!.dtype;
        const to = metas.get(out)!.dtype;
        const isFloat = (d: string) => d === "float32" || d === "float64";
        if ((isFloat(from) && isFloat(to)) || (!isFloat(from) && !isFloat(to) && to !== "bool") || (!isFloat(from) && isFloat(to))) {
          // The values pass unchanged; the ONNX type of the result is kept for the model's outputs.
          r.add("aivm.Cast", [n.inputs[0]!], { to: dataTypeCode(to) }, out);
        }
        break;
      }
      case "Einsum": {
        const spec = parseEinsum(String(n.attrs.equation ?? ""), n.inputs.map((v) => shape(v).length), n.name);
        lowerEinsum(spec, n.inputs, n.inputs.map(shape), out, (o, ins, attrs, dst) => r.add(o, ins, attrs, dst), (v) => r.konst("i", hostTensor("int64", [v.length], v)));
        break;
      }
      case "ScatterElements": case "Scatter": case "ScatterND": {
        // Constant indices: every output element is either a data element or an update, so one gather
        // from the flattened data and updates concatenated (at one common scale).
        const reduction = typeof n.attrs.reduction === "string" ? n.attrs.reduction : "none";
        const [x, , u] = n.inputs as [string, string, string];
        const xs = shape(x), us = shape(u);
        const flat = (v: string, s: number[]) => r.add("Reshape", [v, r.konst("shape", hostTensor("int64", [1], [sizeOf(s)]))]);
        if (reduction === "add" || reduction === "mul") {
          // Updates landing on the same element form layers: layer l gathers each element's l-th update
          // (or the neutral 0/1 appended after the updates), and data ⊕ layer₁ ⊕ layer₂ … in index order.
          const landing: number[][] = Array.from({ length: sizeOf(xs) }, () => []);
          scatterTargets(n, xs, c(1)!, n.name).forEach((t, j) => {
            for (let k = 0; k < t.length; k++) landing[t.start + k]!.push(j * t.length + k);
          });
          const depth = Math.max(0, ...landing.map((l) => l.length));
          const neutral = r.konst("neutral", hostTensor("float32", [1], [reduction === "add" ? 0 : 1]));
          const pool = depth ? r.add("Concat", [flat(u, us), neutral], { axis: 0 }) : "";
          let acc = x;
          for (let l = 0; l < depth; l++) {
            const g = r.gatherAxis(pool, landing.map((ls) => ls[l] ?? sizeOf(us)), 0);
            const layer = r.add("Reshape", [g, r.konst("shape", hostTensor("int64", [xs.length], xs))]);
            acc = r.add(reduction === "add" ? "Add" : "Mul", [acc, layer], {}, l === depth - 1 ? out : undefined);
          }
          if (depth === 0) r.add("Identity", [x], {}, out);
          break;
        }
        if (reduction !== "none") break;
        const src = Array.from({ length: sizeOf(xs) }, (_, i) => i);
        scatterTargets(n, xs, c(1)!, n.name).forEach((t, j) => {
          for (let k = 0; k < t.length; k++) src[t.start + k] = sizeOf(xs) + j * t.length + k;
        });
        const both = r.add("Concat", [flat(x, xs), flat(u, us)], { axis: 0 });
        const g = r.gatherAxis(both, src, 0);
        r.add("Reshape", [g, r.konst("shape", hostTensor("int64", [xs.length], xs))], {}, out);
        break;
      }
      case "TopK": {
        // The engine's top_k works on the last axis: move the axis there and both outputs back.
        const x = n.inputs[0]!;
        const xs = shape(x);
        const axis = normAxis(num(n.attrs.axis, -1), xs.length, n.name);
        if (axis === xs.length - 1) break;
        const perm = xs.map((_, i) => i);
        perm[axis] = xs.length - 1;
        perm[xs.length - 1] = axis;
        const moved = r.add("Transpose", [x], { perm });
        const [v, i] = [r.fresh("values"), r.fresh("indices")];
        r.nodes.push({ op: "TopK", name: `${n.name}/TopK`, inputs: [moved, n.inputs[1]!], outputs: [v, i], attrs: { ...n.attrs, axis: -1 } });
        if (n.outputs[0]) r.add("Transpose", [v], { perm }, n.outputs[0]);
        if (n.outputs[1]) r.add("Transpose", [i], { perm }, n.outputs[1]);
        break;
      }
      case "OneHot": {
        // Run-time integer indices compared exactly with the positions 0…depth−1, then where(on, off).
        const [idx0] = n.inputs as [string];
        const dt = metas.get(idx0)!.dtype;
        if (dt === "float32" || dt === "float64") break; // float indices would be quantized: not exact
        const is = shape(idx0);
        const depth = c(1)!.data[0]!, values = c(2)!;
        const axis = normAxis(num(n.attrs.axis, -1), is.length + 1, n.name);
        // A negative index counts from the end: idx + depth·[idx < 0].
        const negative = r.add("Clip", [r.add("Sub", [r.konst("zero", hostTensor("int64", [], [0])), idx0])], { min: 0, max: 1 });
        const idx = r.add("Add", [idx0, r.add("Mul", [negative, r.konst("depth", hostTensor("int64", [], [depth]))])]);
        const expanded = r.add("Unsqueeze", [idx, r.konst("axes", hostTensor("int64", [1], [axis]))]);
        const iotaShape = [...is.slice(0, axis).map(() => 1), depth, ...is.slice(axis).map(() => 1)];
        const iota = r.konst("positions", hostTensor("int64", iotaShape, Array.from({ length: depth }, (_, i) => i)));
        const step = (p: string, q: string) => r.add("Clip", [r.add("Sub", [p, q])], { min: 0, max: 1 });
        const hit = r.add("Sub", [r.konst("one", hostTensor("int64", [], [1])), r.add("Add", [step(expanded, iota), step(iota, expanded)])]);
        const pick = (i: number) => r.konst("value", hostTensor(values.dtype, [], [values.data[i]!]));
        r.add("Where", [hit, pick(1), pick(0)], {}, out);
        break;
      }
      case "DequantizeLinear": {
        // A QuantizeLinear → DequantizeLinear pair on activations (QDQ format) is fake quantization: AIVM
        // quantizes that tensor with its own calibrated scale instead, so the pair becomes the identity.
        const q = graph.nodes.find((p) => p.op === "QuantizeLinear" && p.outputs[0] === n.inputs[0]);
        if (q && graph.nodes.filter((p) => p.inputs.includes(q.outputs[0]!)).length === 1 && !graph.outputs.includes(q.outputs[0]!)) {
          r.add("Identity", [q.inputs[0]!], {}, out);
        }
        break;
      }
      case "Pow": {
        const e = c(1);
        if (e) composeIntegerPow(r, n, metas.get(n.inputs[0]!)!.dtype, e);
        break;
      }
      case "ReduceProd":
        composeReduceProd(r, n, shape(n.inputs[0]!), c(1), shape(out));
        break;
      case "ReverseSequence":
        composeReverseSequence(r, n, shape(n.inputs[0]!), c(1)!);
        break;
      case "MeanVarianceNormalization":
        composeMeanVarianceNormalization(r, n, shape(n.inputs[0]!));
        break;
      case "LRN":
        composeLrn(r, n, shape(n.inputs[0]!));
        break;
      case "Div": {
        const float = (d: HostTensor["dtype"]) => d === "float32" || d === "float64";
        const dt = metas.get(n.inputs[0]!)!.dtype;
        if (!float(dt) && !float(metas.get(n.inputs[1]!)!.dtype)) composeIntegerDiv(r, n, dt);
        break;
      }
      case "Mod": {
        const dt = metas.get(n.inputs[0]!)!.dtype;
        const float = (d: HostTensor["dtype"]) => d === "float32" || d === "float64";
        if (!float(dt) && !float(metas.get(n.inputs[1]!)!.dtype)) composeIntegerMod(r, n, dt);
        break;
      }
      case "BitShift":
        composeBitShift(r, n, shape(n.inputs[1]!), metas.get(n.inputs[0]!)!.dtype);
        break;
      case "DFT": {
        const constInput = (i: number) => (n.inputs[i] ? graph.constants.get(n.inputs[i]!) : undefined);
        // Opset 20 moved the axis to an input with another default: without it, left to the importer's report.
        if (graph.opset < 20 || dftAxisGiven(n, constInput)) composeDft(r, n, shape(n.inputs[0]!), constInput);
        break;
      }
      case "STFT":
        composeStft(r, n, shape(n.inputs[0]!), (i) => (n.inputs[i] ? graph.constants.get(n.inputs[i]!) : undefined));
        break;
      case "GridSample":
        composeGridSample(r, n, shape(n.inputs[0]!), c(1)!);
        break;
      case "NegativeLogLikelihoodLoss": case "SoftmaxCrossEntropyLoss": {
        const dt = metas.get(n.inputs[1]!)!.dtype;
        if (dt !== "float32" && dt !== "float64") composeLoss(r, n, shape, c(2));
        break;
      }
      case "Hardmax": {
        // One-hot of the first maximum: argmax compared exactly (integers) with the positions along the axis.
        const x = n.inputs[0]!;
        const xs = shape(x);
        const axis = normAxis(num(n.attrs.axis, -1), xs.length, n.name);
        const idx = r.add("ArgMax", [x], { axis, keepdims: 1 });
        const iotaShape = xs.map((d, i) => (i === axis ? d : 1));
        const iota = r.konst("positions", hostTensor("int64", iotaShape, Array.from({ length: xs[axis]! }, (_, i) => i)));
        const step = (p: string, q: string) => r.add("Clip", [r.add("Sub", [p, q])], { min: 0, max: 1 });
        const hit = r.add("Sub", [r.konst("one", hostTensor("int64", [], [1])), r.add("Add", [step(idx, iota), step(iota, idx)])]);
        r.add("aivm.Cast", [hit], { to: 1 }, out);
        break;
      }
      default:
        break;
    }
    if (r.nodes.length) graph.nodes.splice(graph.nodes.indexOf(n), 1, ...r.nodes);
  }
}

/** One step of Max/Min/Sum over two operands (constant operands become clip bounds where exact). */
function combine(r: Rewriter, op: string, a: string, b: string, shape: (v: string) => number[], out?: string): string {
  if (op === "Sum" || op === "Mean") return r.add("Add", [a, b], {}, out);
  const g = r.graph;
  const [x, k] = isConst(g, b) ? [a, g.constants.get(b)!] : isConst(g, a) ? [b, g.constants.get(a)!] : [a, undefined];
  if (k && k.data.every((v) => v === k.data[0]) && sizeOf(k.shape) <= sizeOf(shape(x))) {
    const v = k.data[0]!;
    if (op === "Max" && v === 0) return r.add("Relu", [x], {}, out);
    return r.add("Clip", [x], op === "Max" ? { min: v } : { max: v }, out);
  }
  // max(a, b) = a + relu(b − a); min(a, b) = a − relu(a − b).
  if (op === "Max") return r.add("Add", [a, r.add("Relu", [r.add("Sub", [b, a])])], {}, out);
  return r.add("Sub", [a, r.add("Relu", [r.add("Sub", [a, b])])], {}, out);
}
