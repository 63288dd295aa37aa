// ONNX RNN, GRU and LSTM unrolled over the static sequence length into ops the quantizer lowers:
// one matmul of the whole input sequence by Wᵀ (+ Wb + Rb) per direction, then per step a matmul of
// the hidden state by Rᵀ, gate slices, the gate activations (tables), element-wise mul/add, and
// concat/reshape for Y, Y_h, Y_c. The same unrolled graph is the float reference (float-exec.ts),
// so folding, calibration and the integer program all see one definition.
import type { FloatNode } from "./graph.ts";
import { OnnxFormatError, hostTensor, type HostTensor, type OnnxAttr } from "./onnx.ts";

/** Weights (W, R, B), sequence_lens and peepholes must be constants; X and the initial states may be run-time. */
export const RECURRENT_CONSTANT_INPUTS: Readonly<Record<string, readonly number[]>> = { RNN: [1, 2, 3, 4], GRU: [1, 2, 3, 4], LSTM: [1, 2, 3, 4, 7] };

const GATES: Record<string, number> = { RNN: 1, GRU: 3, LSTM: 4 };
const DEFAULT_ACTIVATIONS: Record<string, string[]> = { RNN: ["Tanh"], GRU: ["Sigmoid", "Tanh"], LSTM: ["Sigmoid", "Tanh", "Tanh"] };
const ACTIVATIONS = new Set(["Sigmoid", "Tanh", "Relu", "Softsign", "Softplus"]);

export interface Unrolled {
  nodes: FloatNode[];
  constants: Map<string, HostTensor>;
}

function num(v: OnnxAttr | undefined, d: number): number {
  return typeof v === "number" ? v : d;
}

/** The unrolled graph of one RNN/GRU/LSTM node, writing the node's own output names. */
export function unrollRecurrent(node: FloatNode, xShape: readonly number[], constant: (name: string) => HostTensor | undefined): Unrolled {
  const where = `node "${node.name}" (${node.op})`;
  const op = node.op;
  const a = node.attrs;
  const G = GATES[op]!;
  const nodes: FloatNode[] = [];
  const constants = new Map<string, HostTensor>();
  let k = 0;
  const fresh = (b: string) => `${node.name}_${b}__r${k++}`;
  const konst = (b: string, t: HostTensor) => {
    const n = fresh(b);
    constants.set(n, t);
    return n;
  };
  const add = (o: string, inputs: string[], attrs: FloatNode["attrs"] = {}, out = fresh(o)) => {
    nodes.push({ op: o, name: `${node.name}/${o}${nodes.length}`, inputs, outputs: [out], attrs });
    return out;
  };
  const ints = (v: number[]) => konst("i", hostTensor("int64", [v.length], v));
  const slice = (x: string, start: number, end: number, axis: number) => add("Slice", [x, ints([start]), ints([end]), ints([axis])]);
  const reshape = (x: string, shape: number[], out?: string) => add("Reshape", [x, ints(shape)], {}, out);
  const need = (i: number, what: string) => {
    const t = node.inputs[i] ? constant(node.inputs[i]!) : undefined;
    if (!t) throw new OnnxFormatError(where, `${what} must be a constant`);
    return t;
  };

  const layout = num(a.layout, 0);
  const [S, B] = layout === 1 ? [xShape[1]!, xShape[0]!] : [xShape[0]!, xShape[1]!];
  const W = need(1, "W"), R = need(2, "R");
  const H = num(a.hidden_size, R.shape[2]!);
  const direction = typeof a.direction === "string" ? a.direction : "forward";
  const dirs = direction === "bidirectional" ? 2 : 1;
  const Bias = node.inputs[3] ? need(3, "B") : undefined;
  const P = op === "LSTM" && node.inputs[7] ? need(7, "P") : undefined;
  if (node.inputs[4]) {
    const lens = need(4, "sequence_lens");
    if (lens.data.some((v) => v !== S)) throw new OnnxFormatError(where, "sequence_lens shorter than the sequence are not supported (pad to one length)");
  }
  const acts = Array.isArray(a.activations) ? a.activations.map(String) : typeof a.activations === "string" ? [a.activations] : [];
  const perDir = DEFAULT_ACTIVATIONS[op]!.length;
  const activations = acts.length ? acts : [...DEFAULT_ACTIVATIONS[op]!, ...DEFAULT_ACTIVATIONS[op]!];
  for (const f of activations) if (!ACTIVATIONS.has(f)) throw new OnnxFormatError(where, `activation "${f}" is not supported`);
  if (a.activation_alpha !== undefined || a.activation_beta !== undefined) throw new OnnxFormatError(where, "activation_alpha/activation_beta are not supported");
  const clip = typeof a.clip === "number" ? a.clip : undefined;
  const lbr = num(a.linear_before_reset, 0) === 1;
  const inputForget = num(a.input_forget, 0) === 1;
  const one = konst("one", hostTensor("float32", [], [1]));

  const X = layout === 1 ? add("Transpose", [node.inputs[0]!], { perm: [1, 0, 2] }) : node.inputs[0]!;
  const clipped = (x: string) => (clip === undefined ? x : add("Clip", [x], { min: -clip, max: clip }));
  const act = (f: string, x: string) => add(f, [clipped(x)]);
  const initial = (i: number, d: number) => (node.inputs[i] ? reshape(slice(node.inputs[i]!, d, d + 1, 0), [B, H]) : undefined);
  /** Rows [r0, r1) of a [dirs, rows, cols] weight for direction d, transposed to [cols, rows]. */
  const weightT = (t: HostTensor, d: number, r0: number, r1: number) => {
    const cols = t.shape[2]!;
    const out = hostTensor("float32", [cols, r1 - r0]);
    for (let r = r0; r < r1; r++) for (let c = 0; c < cols; c++) out.data[c * (r1 - r0) + (r - r0)] = t.data[(d * t.shape[1]! + r) * cols + c]!;
    return out;
  };
  const biasPart = (d: number, off: number, len: number) => Array.from({ length: len }, (_, j) => Bias?.data[d * 2 * G * H + off + j] ?? 0);

  const yParts: string[] = [], hParts: string[] = [], cParts: string[] = [];
  for (let d = 0; d < dirs; d++) {
    const reverse = direction === "reverse" || d === 1;
    const [fAct, gAct, hAct] = activations.slice(d * perDir, d * perDir + perDir);
    // x-side bias: Wb + Rb, except GRU's Rbh when it is applied inside r ⊙ (…) (linear_before_reset).
    const xb = biasPart(d, 0, G * H).map((w, j) => w + (op === "GRU" && lbr && j >= 2 * H ? 0 : biasPart(d, G * H, G * H)[j]!));
    const GX = add("aivm.Linear", [X, konst("W", weightT(W, d, 0, G * H)), konst("b", hostTensor("float32", [G * H], xb))]);
    let h = initial(5, d);
    let c = op === "LSTM" ? initial(6, d) : undefined;
    const ys = new Array<string>(S);
    const peep = (g: number) => (P ? konst("p", hostTensor("float32", [H], Array.from(P.data.slice(d * 3 * H + g * H, d * 3 * H + (g + 1) * H)))) : undefined);
    for (let step = 0; step < S; step++) {
      const t = reverse ? S - 1 - step : step;
      const gx = reshape(slice(GX, t, t + 1, 0), [B, G * H]);
      const gate = (x: string, g: number) => slice(x, g * H, (g + 1) * H, 1);
      if (op === "RNN") {
        const pre = h ? add("Add", [gx, add("aivm.Linear", [h, konst("R", weightT(R, d, 0, H)), ""])]) : gx;
        h = act(fAct!, pre);
      } else if (op === "GRU") {
        const ghzr = h ? add("aivm.Linear", [h, konst("R", weightT(R, d, 0, 2 * H)), ""]) : undefined;
        const z = act(fAct!, ghzr ? add("Add", [gate(gx, 0), gate(ghzr, 0)]) : gate(gx, 0));
        const r = act(fAct!, ghzr ? add("Add", [gate(gx, 1), gate(ghzr, 1)]) : gate(gx, 1));
        const Rh = konst("Rh", weightT(R, d, 2 * H, 3 * H));
        const rbh = konst("Rbh", hostTensor("float32", [H], biasPart(d, G * H + 2 * H, H)));
        let hh: string;
        if (lbr) hh = add("Mul", [r, h ? add("aivm.Linear", [h, Rh, rbh]) : rbh]);
        else hh = h ? add("aivm.Linear", [add("Mul", [r, h]), Rh, ""]) : "";
        const ht = act(gAct!, hh ? add("Add", [gate(gx, 2), hh]) : gate(gx, 2));
        const keep = add("Mul", [add("Sub", [one, z]), ht]);
        h = h ? add("Add", [keep, add("Mul", [z, h])]) : keep;
      } else {
        const gh = h ? add("aivm.Linear", [h, konst("R", weightT(R, d, 0, 4 * H)), ""]) : undefined;
        const pre = (g: number) => (gh ? add("Add", [gate(gx, g), gate(gh, g)]) : gate(gx, g));
        const withPeep = (x: string, g: number, state: string | undefined) => {
          const p = peep(g);
          return p && state ? add("Add", [x, add("Mul", [state, p])]) : x;
        };
        // Gate order in W/R/B: i, o, f, c; peepholes: i, o, f.
        const i = act(fAct!, withPeep(pre(0), 0, c));
        const f = inputForget ? add("Sub", [one, i]) : act(fAct!, withPeep(pre(2), 2, c));
        const cc = act(gAct!, pre(3));
        const ic = add("Mul", [i, cc]);
        c = c ? add("Add", [add("Mul", [f, c]), ic]) : ic;
        const o = act(fAct!, withPeep(pre(1), 1, c));
        h = add("Mul", [o, act(hAct!, c)]);
      }
      ys[t] = h;
    }
    if (node.outputs[0]) yParts.push(add("Concat", ys.map((y) => reshape(y, [1, 1, B, H])), { axis: 0 }));
    if (node.outputs[1]) hParts.push(reshape(h!, [1, B, H]));
    if (node.outputs[2] && c) cParts.push(reshape(c, [1, B, H]));
  }
  const finish = (parts: string[], axis: number, out: string, perm: number[]) => {
    if (!out) return;
    const joined = parts.length === 1 ? parts[0]! : add("Concat", parts, { axis });
    if (layout === 1) add("Transpose", [joined], { perm }, out);
    else add("Identity", [joined], {}, out);
  };
  finish(yParts, 1, node.outputs[0] ?? "", [2, 0, 1, 3]);
  finish(hParts, 0, node.outputs[1] ?? "", [1, 0, 2]);
  finish(cParts, 0, node.outputs[2] ?? "", [1, 0, 2]);
  return { nodes, constants };
}
