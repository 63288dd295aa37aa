// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss from engine ops. The labels are a run-time
// integer input: each label is compared exactly with the class positions (compose-select.ts), the
// (weighted) log-probability of the label class is picked with where + reduce_sum, and the
// reductions none/sum/mean follow. Class weights are constant; ignore_index gets weight 0.
import type { Rewriter } from "./compose.ts";
import { indexHit, pickHits } from "./compose-select.ts";
import type { FloatNode } from "./graph.ts";
import { hostTensor, type HostTensor } from "./onnx.ts";

const sizeOf = (shape: readonly number[]) => shape.reduce((p, q) => p * q, 1);

/** The class weights with ignore_index (when it names a class) set to 0. */
function effectiveWeights(C: number, weight: HostTensor | undefined, ignore: number | undefined): number[] {
  const w = Array.from({ length: C }, (_, c) => (weight ? weight.data[c]! : 1));
  if (ignore !== undefined && ignore >= 0 && ignore < C) w[ignore] = 0;
  return w;
}

function attrs(node: FloatNode): { reduction: string; ignore: number | undefined } {
  const reduction = typeof node.attrs.reduction === "string" ? node.attrs.reduction : "mean";
  const ignore = typeof node.attrs.ignore_index === "number" ? node.attrs.ignore_index : undefined;
  return { reduction, ignore };
}

/** Rewrites one loss node; `weight` is its constant third input when given. */
export function composeLoss(r: Rewriter, node: FloatNode, shape: (v: string) => number[], weight: HostTensor | undefined): void {
  const [x, target] = node.inputs as [string, string];
  const xs = shape(x), ts = shape(target), C = xs[1]!;
  const { reduction, ignore } = attrs(node);
  const out = node.outputs[0]!;
  const logp = node.op === "SoftmaxCrossEntropyLoss" ? r.add("LogSoftmax", [x], { axis: 1 }, node.outputs[1] || undefined) : x;
  const w = effectiveWeights(C, weight, ignore);
  const cshape = [C, ...xs.slice(2).map(() => 1)];
  const unweighted = w.every((v) => v === 1);
  const weighted = unweighted ? logp : r.add("Mul", [logp, r.konst("weight", hostTensor("float32", cshape, w))]);
  // A label outside 0…C−1 (only ignore_index may be) selects nothing: loss and weight 0.
  const hit = indexHit(r, target, ts, C, 1, false);
  const zero = r.konst("zero", hostTensor("float32", [], [0]));
  const negate = (v: string, dst?: string) => r.add("Sub", [zero, v], {}, dst);
  if (reduction === "none") {
    negate(pickHits(r, hit, weighted, "float32", 1), out);
    return;
  }
  const total = r.add("ReduceSum", [pickHits(r, hit, weighted, "float32", 1)], { keepdims: 0 });
  if (reduction === "sum") {
    negate(total, out);
    return;
  }
  if (unweighted && ignore === undefined) {
    r.add("Mul", [total, r.konst("inv_count", hostTensor("float32", [], [-1 / sizeOf(ts)]))], {}, out);
    return;
  }
  // mean: Σ loss / Σ weight of the picked labels (a run-time value when labels may be ignored or weighted).
  const wsum = r.add("ReduceSum", [pickHits(r, hit, r.konst("weight", hostTensor("float32", cshape, w)), "float32", 1)], { keepdims: 0 });
  r.add("Div", [negate(total), wsum], {}, out);
}

/** The float reference (ONNX semantics), for folding, shapes and calibration. */
export function lossReference(node: FloatNode, input: HostTensor, target: HostTensor, weight: HostTensor | undefined): HostTensor[] {
  const sce = node.op === "SoftmaxCrossEntropyLoss";
  const xs = input.shape, C = xs[1]!, N = xs[0]!, D = sizeOf(xs.slice(2));
  const { reduction, ignore } = attrs(node);
  const logp = hostTensor("float32", xs, Array.from(input.data));
  if (sce) {
    for (let n = 0; n < N; n++)
      for (let d = 0; d < D; d++) {
        let m = -Infinity, s = 0;
        for (let c = 0; c < C; c++) m = Math.max(m, input.data[(n * C + c) * D + d]!);
        for (let c = 0; c < C; c++) s += Math.exp(input.data[(n * C + c) * D + d]! - m);
        for (let c = 0; c < C; c++) logp.data[(n * C + c) * D + d] = input.data[(n * C + c) * D + d]! - m - Math.log(s);
      }
  }
  const loss = hostTensor("float32", [N, ...xs.slice(2)]);
  let lossSum = 0, weightSum = 0;
  for (let n = 0; n < N; n++)
    for (let d = 0; d < D; d++) {
      const t = target.data[n * D + d]!;
      if (t === ignore) continue;
      const w = weight ? weight.data[t]! : 1;
      loss.data[n * D + d] = -w * logp.data[(n * C + t) * D + d]!;
      lossSum += loss.data[n * D + d]!;
      weightSum += w;
    }
  const result = reduction === "none" ? loss : hostTensor("float32", [], [reduction === "sum" ? lossSum : lossSum / weightSum]);
  return sce ? [result, logp] : [result];
}
