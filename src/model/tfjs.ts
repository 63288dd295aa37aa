// TF.js graph-model reader ("bring your TF.js model"): model.json's GraphDef nodes plus the weight
// shards its manifest names, as a graph of nodes with float32/int32 host tensors. Offline only.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { AivmError } from "../engine/errors.ts";

export type TfjsDType = "float32" | "int32" | "bool";

/** A host tensor of the float reference executor (bool stored as 0/1 in an Int32Array). */
export interface TfjsTensor {
  dtype: TfjsDType;
  shape: number[];
  data: Float32Array | Int32Array;
}

/** One attribute of a GraphDef node, decoded from its JSON form. */
export type TfjsAttr = number | boolean | string | number[] | TfjsDType | undefined;

export interface TfjsNode {
  name: string;
  op: string;
  /** Data inputs as "node" or "node:k"; control inputs ("^node") are dropped. */
  inputs: string[];
  attrs: Record<string, TfjsAttr>;
}

export interface TfjsGraph {
  nodes: TfjsNode[];
  /** Const node values, by node name, from the weight shards. */
  weights: Map<string, TfjsTensor>;
  /** Placeholder names in graph order. */
  inputs: string[];
  /** Nodes no other node reads: the graph's outputs. */
  outputs: string[];
}

/** The model.json or its shards do not describe a graph this reader understands. */
export class TfjsFormatError extends AivmError {
  override name = "TfjsFormatError";
  override readonly code = "TFJS_FORMAT";
  constructor(reason: string) {
    super(`TF.js graph model: ${reason}.`, { docsPath: "embeddings.md#tfjs-graph-models" });
  }
}

/** Every op the graph uses that the executor lacks, each with the nodes that use it, in one error. */
export class TfjsUnsupportedOpsError extends AivmError {
  override name = "TfjsUnsupportedOpsError";
  override readonly code = "TFJS_UNSUPPORTED_OPS";
  constructor(
    readonly unsupported: ReadonlyMap<string, readonly string[]>,
    readonly supported: readonly string[],
  ) {
    const lines = [...unsupported].map(([op, nodes]) => `${op}: ${nodes.join(", ")}`);
    super(`TF.js graph model uses ${unsupported.size} unsupported op type(s): ${[...unsupported.keys()].join(", ")}.`, {
      docsPath: "embeddings.md#tfjs-graph-models",
      metaMessages: [...lines, `Supported: ${supported.join(", ")}`],
    });
  }
}

// GraphDef DataType enum values the reader accepts.
const DT_FLOAT = 1;
const DT_INT32 = 3;
const DT_INT64 = 9;
const DT_BOOL = 10;

function dtypeFromEnum(code: number, where: string): TfjsDType {
  if (code === DT_FLOAT) return "float32";
  if (code === DT_INT32 || code === DT_INT64) return "int32"; // int64 ids and indices are narrowed: TF.js does the same
  if (code === DT_BOOL) return "bool";
  throw new TfjsFormatError(`${where} has data type ${code}; supported: float32 (1), int32 (3), int64 (9, as int32), bool (10)`);
}

function decodeAttr(value: any, where: string): TfjsAttr {
  if (value === null || typeof value !== "object") return undefined;
  if ("i" in value) return Number(value.i);
  if ("f" in value) return Number(value.f);
  if ("b" in value) return Boolean(value.b);
  if ("type" in value) return dtypeFromEnum(Number(value.type), where);
  if ("s" in value) {
    const s = value.s;
    if (Array.isArray(s)) return String.fromCharCode(...s.map(Number));
    return typeof s === "string" ? Buffer.from(s, "base64").toString("latin1") : undefined;
  }
  if ("list" in value) {
    const l = value.list ?? {};
    const items = l.i ?? l.f ?? [];
    return (items as unknown[]).map(Number);
  }
  return undefined; // shapes, tensors (Const values come from the manifest)
}

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
}

/**
 * Parses model.json (already JSON-decoded) and its shards, in manifest order, into a graph.
 * Weights are float32 or int32; quantized manifests are refused by name.
 */
export function parseTfjsModel(modelJson: any, shards: readonly Uint8Array[]): TfjsGraph {
  const topology = modelJson?.modelTopology;
  if (!topology || !Array.isArray(topology.node)) throw new TfjsFormatError("modelTopology.node is missing (not a graph model?)");
  const manifest: ManifestEntry[] = (modelJson.weightsManifest ?? []).flatMap((g: any) => g.weights ?? []);
  const total = shards.reduce((a, s) => a + s.length, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const s of shards) {
    bytes.set(s, at);
    at += s.length;
  }
  const weights = new Map<string, TfjsTensor>();
  let offset = 0;
  for (const w of manifest) {
    if (w.quantization) throw new TfjsFormatError(`weight "${w.name}" is quantized; only float32 and int32 weights are read`);
    if (w.dtype !== "float32" && w.dtype !== "int32") throw new TfjsFormatError(`weight "${w.name}" has dtype ${w.dtype}; supported: float32, int32`);
    const count = w.shape.reduce((a, d) => a * d, 1);
    const size = count * 4;
    if (offset + size > total) throw new TfjsFormatError(`weight "${w.name}" ends at byte ${offset + size}, the shards hold ${total}`);
    const copy = bytes.slice(offset, offset + size).buffer; // aligned copy: shard offsets need not be multiples of 4
    weights.set(w.name, { dtype: w.dtype, shape: [...w.shape], data: w.dtype === "float32" ? new Float32Array(copy) : new Int32Array(copy) });
    offset += size;
  }
  if (offset !== total) throw new TfjsFormatError(`the manifest describes ${offset} bytes, the shards hold ${total}`);

  const nodes: TfjsNode[] = topology.node.map((n: any) => {
    const attrs: Record<string, TfjsAttr> = {};
    for (const [k, v] of Object.entries(n.attr ?? {})) {
      if (k === "value" || k === "_output_shapes") continue;
      attrs[k] = decodeAttr(v, `node "${n.name}" attribute ${k}`);
    }
    const inputs = ((n.input ?? []) as string[]).filter((i) => !i.startsWith("^"));
    return { name: String(n.name), op: String(n.op), inputs, attrs };
  });
  const consumed = new Set<string>();
  for (const n of nodes) {
    if (n.op === "Const" && !weights.has(n.name)) throw new TfjsFormatError(`Const node "${n.name}" has no entry in the weights manifest`);
    for (const i of n.inputs) consumed.add(i.split(":")[0]!);
  }
  return {
    nodes,
    weights,
    inputs: nodes.filter((n) => n.op === "Placeholder").map((n) => n.name),
    outputs: nodes.filter((n) => !consumed.has(n.name) && n.op !== "Const").map((n) => n.name),
  };
}

/** Reads a model.json and the shards it names from disk. */
export function readTfjsModel(modelJsonPath: string): TfjsGraph {
  const json = JSON.parse(readFileSync(modelJsonPath, "utf8"));
  const dir = dirname(modelJsonPath);
  const shards = (json.weightsManifest ?? []).flatMap((g: any) => (g.paths ?? []).map((p: string) => new Uint8Array(readFileSync(join(dir, p)))));
  return parseTfjsModel(json, shards);
}

/** Throws one TfjsUnsupportedOpsError naming every unsupported op type and all the nodes using it. */
export function checkTfjsOps(graph: TfjsGraph, supported: readonly string[]): void {
  const known = new Set(supported);
  const missing = new Map<string, string[]>();
  for (const n of graph.nodes) {
    if (known.has(n.op)) continue;
    const list = missing.get(n.op) ?? [];
    list.push(n.name);
    missing.set(n.op, list);
  }
  if (missing.size) throw new TfjsUnsupportedOpsError(missing, [...supported].sort());
}
