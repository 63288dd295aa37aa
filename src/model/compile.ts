// Builds a static tensor program (src/codec/program.ts) node by node. Each node is shape-checked
// with the engine's own `infer` as it is added, so a compiled program is valid by construction
// and its exact gas follows from quoteProgram.
import { getOp } from "../engine/registry.ts";
import type { Attrs } from "../engine/op.ts";
import type { DType, Tensor, TensorMeta } from "../engine/tensor.ts";
import type { Program, ValueDecl } from "../codec/program.ts";

/** A value under construction: a declaration or the j-th output of a node. */
export type ValueRef = { readonly decl: number } | { readonly node: number; readonly out: number };

interface PendingNode {
  op: string;
  inputs: ValueRef[];
  attrs: Attrs;
  outputs: TensorMeta[];
  /** What the node computes, for reports (the float graph node it lowers). */
  label: string;
}

export class ProgramBuilder {
  private readonly decls: ValueDecl[] = [];
  private readonly nodes: PendingNode[] = [];
  private readonly metas = new Map<ValueRef, TensorMeta>();

  input(dtype: DType, shape: readonly number[]): ValueRef {
    const ref = { decl: this.decls.length };
    this.decls.push({ kind: "input", dtype, shape: [...shape] });
    this.metas.set(ref, { dtype, shape: [...shape] });
    return ref;
  }

  constant(t: Tensor): ValueRef {
    const ref = { decl: this.decls.length };
    this.decls.push({ kind: "const", tensor: t });
    this.metas.set(ref, { dtype: t.dtype, shape: [...t.shape] });
    return ref;
  }

  meta(ref: ValueRef): TensorMeta {
    const m = this.metas.get(ref);
    if (!m) throw new Error("ProgramBuilder: unknown value reference");
    return m;
  }

  /** Adds a node after checking it with the op's own shape inference; returns its outputs. */
  node(op: string, inputs: readonly ValueRef[], attrs: Attrs, label: string): ValueRef[] {
    const def = getOp(op);
    const outputs = def.infer(inputs.map((r) => this.meta(r)), attrs);
    const index = this.nodes.length;
    this.nodes.push({ op, inputs: [...inputs], attrs, outputs, label });
    return outputs.map((m, out) => {
      const ref = { node: index, out };
      this.metas.set(ref, m);
      return ref;
    });
  }

  /** Single-output shorthand. */
  one(op: string, inputs: readonly ValueRef[], attrs: Attrs, label: string): ValueRef {
    return this.node(op, inputs, attrs, label)[0]!;
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  /** Program value id of a reference (declarations first, then node outputs in order). */
  private idOf(ref: ValueRef, firstOutputId: number[]): number {
    return "decl" in ref ? ref.decl : firstOutputId[ref.node]! + ref.out;
  }

  /** Finishes the program; also returns, for each node, the label it was built for. */
  build(outputs: readonly ValueRef[]): { program: Program; labels: string[]; ids: (ref: ValueRef) => number } {
    const first: number[] = [];
    let next = this.decls.length;
    for (const n of this.nodes) {
      first.push(next);
      next += n.outputs.length;
    }
    const ids = (ref: ValueRef) => this.idOf(ref, first);
    const program: Program = {
      stateCount: 0,
      values: this.decls,
      nodes: this.nodes.map((n) => ({ op: getOp(n.op).code, inputs: n.inputs.map(ids), outputs: n.outputs.length, attrs: n.attrs })),
      outputs: outputs.map(ids),
    };
    return { program, labels: this.nodes.map((n) => n.label), ids };
  }
}
