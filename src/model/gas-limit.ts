// A model whose one inference needs more gas than the node allows is refused before any work:
// the quote follows from shapes (src/gas), so it is known as soon as the graph is imported,
// long before calibration, storing shards or calling the precompile.
import { hexToBytes, type Hex } from "viem";
import { AivmError } from "../engine/errors.ts";
import type { TensorMeta } from "../engine/tensor.ts";
import { MULTIPLIER_ONE } from "../gas/constants.ts";
import { quoteProgram } from "../gas/quote.ts";
import type { FloatGraph } from "./graph.ts";
import { valueMetas } from "./import.ts";
import { quantizeGraph, type ValueStats } from "./quantize.ts";

/** The limit a call or transaction runs under, and where it comes from. */
export interface GasLimit {
  gas: bigint;
  /** "block gas limit" or "rpc.gascap" (what the user can change). */
  kind: "block gas limit" | "rpc.gascap";
  /** The node it belongs to ("http://…", "the in-process dev node"). */
  node: string;
}

export const OVER_LIMIT_OPTIONS = [
  "Options:",
  "  - Run on a node with a higher limit: `aivm node --rpc.gascap <gas>` raises the eth_call cap (aivm onnx run, aivm model run); `aivm node --block-gas-limit <gas>` raises the block gas limit (transactions, aivm model deploy's registry calls; the DevNode / createAivmProvider option blockGasLimit, default 60,000,000).",
  "  - Shrink the work: a smaller input shape (batch, resolution, sequence length) or fewer / narrower layers; gas grows with FLOPs (docs/gas.md).",
  "  - Split the model into stages that each fit, exported as separate ONNX files, and call them one after another, passing the intermediate tensors.",
];

/** One inference needs more gas than the node's limit; raised before any import, calibration or chain work that would fail anyway. */
export class ModelOverGasLimitError extends AivmError {
  override name = "ModelOverGasLimitError";
  override readonly code = "MODEL_OVER_GAS_LIMIT";
  readonly data: { quote: string; quoteKind: string; limit: string; limitKind: string; node: string };
  constructor(
    readonly model: string,
    readonly quote: bigint,
    /** What the quote is: "exact quote of the package", "quote of the all-int8 program before calibration"... */
    quoteKind: string,
    readonly limit: GasLimit,
  ) {
    super(`${model}: one inference needs ${quote} gas (${quoteKind}), above the ${limit.kind} of ${limit.gas} gas on ${limit.node}.`, {
      metaMessages: OVER_LIMIT_OPTIONS,
      docsPath: "models.md#limits-and-known-gaps",
    });
    this.data = { quote: quote.toString(), quoteKind, limit: limit.gas.toString(), limitKind: limit.kind, node: limit.node };
  }
}

/** Intrinsic gas of a call with this calldata (21,000 + 16 per non-zero byte + 4 per zero byte). */
export function intrinsicGas(calldata: Hex | Uint8Array): bigint {
  const bytes = typeof calldata === "string" ? hexToBytes(calldata) : calldata;
  let zeros = 0;
  for (const b of bytes) if (b === 0) zeros++;
  return 21_000n + 16n * BigInt(bytes.length - zeros) + 4n * BigInt(zeros);
}

/** Throws ModelOverGasLimitError when `quote` (AIVM gas plus the call's own gas) is above the limit. */
export function assertWithinGasLimit(model: string, quote: bigint, quoteKind: string, limit: GasLimit | undefined): void {
  if (limit && limit.gas > 0n && quote > limit.gas) throw new ModelOverGasLimitError(model, quote, quoteKind, limit);
}

/**
 * Gas of one TGRAPH run of the imported graph before calibration: the program quantized with every
 * activation int8 and unit ranges. Calibration only changes scales and widens tensors to int16,
 * which keeps every node's FLOPs and adds bytes, so the calibrated program costs at least this.
 * Returns the program's encoded size too (the weights travel inline in the calldata).
 */
export function quoteImportedGraph(graph: FloatGraph, multiplier: bigint = MULTIPLIER_ONE): { gas: bigint; flops: bigint; inputs: TensorMeta[]; program: ReturnType<typeof quantizeGraph>["program"] } {
  const stats = new Map<string, ValueStats>();
  for (const [name, m] of valueMetas(graph)) stats.set(name, { shape: m.shape, dtype: m.dtype, maxAbs: 1 });
  const model = quantizeGraph(graph, stats);
  const inputs = model.inputs.map((i) => ({ dtype: i.quant.dtype, shape: i.shape }));
  const q = quoteProgram(model.program, inputs, multiplier);
  return { gas: q.gas, flops: q.flops, inputs, program: model.program };
}
