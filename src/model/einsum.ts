// ONNX Einsum in its matmul-shaped forms: one operand (transpose and sums) or two operands
// (batch, contracted and free indices: transpose → reshape → matmul → reshape → transpose). Repeated
// indices within one operand (diagonals) are not supported.
import { OnnxFormatError } from "./onnx.ts";

export interface EinsumSpec {
  inputs: string[];
  output: string;
}

/** Parses an equation, expanding "..." to fresh letters from each operand's rank. */
export function parseEinsum(equation: string, ranks: readonly number[], where: string): EinsumSpec {
  const eq = equation.replace(/\s+/g, "");
  const [lhs, rhs] = eq.split("->") as [string, string | undefined];
  const terms = lhs.split(",");
  if (terms.length !== ranks.length) throw new OnnxFormatError(where, `equation "${equation}" has ${terms.length} operands, the node ${ranks.length}`);
  const free = "ABCDEFGHIJKLMNOPQRSTUVWXYZ".split("").filter((c) => !eq.includes(c));
  let ellipsis = 0;
  const expand = (t: string, rank: number) => {
    if (!t.includes("...")) return t;
    const n = rank - (t.length - 3);
    ellipsis = Math.max(ellipsis, n);
    return t.replace("...", free.slice(Math.max(0, ellipsis - n), ellipsis).join(""));
  };
  const inputs = terms.map((t, i) => expand(t, ranks[i]!));
  inputs.forEach((t) => {
    if (new Set(t).size !== t.length) throw new OnnxFormatError(where, `repeated index in "${t}" (a diagonal) is not supported`);
  });
  let output: string;
  if (rhs !== undefined) output = rhs.replace("...", free.slice(0, ellipsis).join(""));
  else {
    // Implicit output: the ellipsis, then the indices that appear once, in alphabetical order.
    const counts = new Map<string, number>();
    for (const t of inputs) for (const ch of t) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    output = free.slice(0, ellipsis).join("") + [...counts].filter(([ch, k]) => k === 1 && !free.slice(0, ellipsis).includes(ch)).map(([ch]) => ch).sort().join("");
  }
  if (inputs.length > 2) throw new OnnxFormatError(where, "Einsum with more than two operands is not supported");
  return { inputs, output };
}

/** Builds the decomposition; `add(op, inputs, attrs, out?)` emits a node and `ints` a constant int64 vector. */
export function lowerEinsum(
  spec: EinsumSpec,
  operands: readonly string[],
  shapes: readonly (readonly number[])[],
  out: string,
  add: (op: string, inputs: string[], attrs?: Record<string, number | number[]>, out?: string) => string,
  ints: (v: number[]) => string,
): void {
  const dim = new Map<string, number>();
  spec.inputs.forEach((t, i) => [...t].forEach((ch, d) => dim.set(ch, Math.max(dim.get(ch) ?? 1, shapes[i]![d]!))));
  const size = (letters: string[]) => letters.reduce((p, ch) => p * dim.get(ch)!, 1);
  const permute = (x: string, from: string[], to: string[], dst?: string) =>
    from.join() === to.join() ? (dst ? add("Identity", [x], {}, dst) : x) : add("Transpose", [x], { perm: to.map((ch) => from.indexOf(ch)) }, dst);
  const others = (i: number) => spec.inputs.filter((_, j) => j !== i).join("") + spec.output;
  // Indices only one operand has and the output drops are summed first.
  const terms = spec.inputs.map((t, i) => {
    const drop = [...t].filter((ch) => !others(i).includes(ch));
    if (drop.length === 0) return { x: operands[i]!, letters: [...t] };
    const kept = [...t].filter((ch) => !drop.includes(ch));
    const axes = drop.map((ch) => t.indexOf(ch));
    return { x: add("ReduceSum", [operands[i]!], { axes, keepdims: 0 }), letters: kept };
  });
  const o = [...spec.output];
  if (terms.length === 1) {
    permute(terms[0]!.x, terms[0]!.letters, o, out);
    return;
  }
  const [A, B] = terms as [{ x: string; letters: string[] }, { x: string; letters: string[] }];
  const batch = o.filter((ch) => A.letters.includes(ch) && B.letters.includes(ch));
  const contract = A.letters.filter((ch) => B.letters.includes(ch) && !o.includes(ch));
  const aFree = A.letters.filter((ch) => !B.letters.includes(ch));
  const bFree = B.letters.filter((ch) => !A.letters.includes(ch));
  const a3 = add("Reshape", [permute(A.x, A.letters, [...batch, ...aFree, ...contract]), ints([size(batch), size(aFree), size(contract)])]);
  const b3 = add("Reshape", [permute(B.x, B.letters, [...batch, ...contract, ...bFree]), ints([size(batch), size(contract), size(bFree)])]);
  const prod = add("MatMul", [a3, b3]);
  const natural = [...batch, ...aFree, ...bFree];
  const shaped = add("Reshape", [prod, ints(natural.map((ch) => dim.get(ch)!))]);
  permute(shaped, natural, o, out);
}
