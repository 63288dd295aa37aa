// `aivm trace <txhash>`: asks a node for the transaction's aivmTracer trace (debug_traceTransaction,
// docs/node.md#tracing) and prints it as a tree: every call frame, and on each AIVM precompile call
// its op, shapes and dtypes, FLOPs, gas split and commits. `--json` prints the trace as the node gave it.
import { SYSTEM_CONTRACT_ADDRESSES } from "../../precompiles/addresses.ts";
import { AGENT_SCHEDULER_ADDRESS, MODEL_REGISTRY_ADDRESS } from "../chain/predeploys.ts";

type Hex = `0x${string}`;

interface TracedTensor {
  dtype: string;
  shape: number[];
  source?: string;
}

/** One frame of an aivmTracer result (src/chain/trace.ts callTracerResult). */
export interface AivmTraceFrame {
  type: string;
  from: Hex;
  to?: Hex;
  value?: Hex;
  gas: Hex;
  gasUsed: Hex;
  input: Hex;
  output?: Hex;
  error?: string;
  revertReason?: string;
  calls?: AivmTraceFrame[];
  aivm?: {
    opcode: string;
    op?: string;
    rejected?: string;
    inputs?: TracedTensor[];
    outputs?: TracedTensor[];
    flops?: Hex;
    steps?: number;
    gas?: Record<"compute" | "base" | "bytes" | "program" | "reads" | "total" | "charged", Hex>;
    nodes?: { op: string; flops: Hex; gas: Hex; outputs: TracedTensor[] }[];
    receipts: { index: number | null; inputCommits: Hex[]; outputCommits: Hex[]; gasUsed: Hex; flops: Hex; leaf: Hex; reverted?: boolean }[];
  };
  aivmTrace?: { traceRoot: Hex; receiptCount: number; gas: Hex; flops: Hex };
}

export class TraceRpcError extends Error {
  override name = "TraceRpcError";
  constructor(
    readonly rpcCode: number,
    message: string,
  ) {
    super(message);
  }
}

async function rpcCall(url: string, method: string, params: unknown[]): Promise<unknown> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  const body = (await res.json()) as { result?: unknown; error?: { code: number; message: string } };
  if (body.error) throw new TraceRpcError(body.error.code, body.error.message);
  return body.result;
}

/** The aivmTracer trace of `hash` and its receipt's block and status, from the node at `url`. */
export async function fetchAivmTrace(url: string, hash: Hex): Promise<{ trace: AivmTraceFrame; blockNumber: bigint | undefined; status: string | undefined }> {
  const trace = (await rpcCall(url, "debug_traceTransaction", [hash, { tracer: "aivmTracer" }])) as AivmTraceFrame;
  const receipt = (await rpcCall(url, "eth_getTransactionReceipt", [hash])) as { blockNumber: Hex; status: Hex } | null;
  return { trace, blockNumber: receipt ? BigInt(receipt.blockNumber) : undefined, status: receipt?.status };
}

const n = (hex: Hex | undefined): string => (hex === undefined ? "?" : BigInt(hex).toLocaleString("en-US"));
/** A 32-byte hash or commit as 0x1234ab…cdef. */
export const short = (hex: string): string => (hex.length > 14 ? `${hex.slice(0, 8)}…${hex.slice(-4)}` : hex);
const tensor = (t: TracedTensor): string => `${t.dtype}[${t.shape.join(",")}]${t.source && t.source !== "inline" ? ` (${t.source})` : ""}`;
const GAS_PARTS = ["compute", "base", "bytes", "program", "reads"] as const;
/** The chain's own contracts, named in the tree. */
const SYSTEM_NAMES = new Map<string, string>([
  ...Object.entries(SYSTEM_CONTRACT_ADDRESSES).map(([name, address]) => [address.toLowerCase(), name] as [string, string]),
  [MODEL_REGISTRY_ADDRESS, "ModelRegistry"],
  [AGENT_SCHEDULER_ADDRESS, "AgentScheduler"],
]);

/** The readable tree `aivm trace` prints. */
export function formatAivmTrace(hash: string, trace: AivmTraceFrame, blockNumber?: bigint, status?: string): string {
  const lines: string[] = [];
  const where = blockNumber === undefined ? "" : ` in block ${blockNumber}`;
  const outcome = status === undefined ? "" : status === "0x1" ? ", success" : ", failed";
  lines.push(`tx ${hash}${where}${outcome}: ${n(trace.gasUsed)} gas used of ${n(trace.gas)}`);
  const walk = (frame: AivmTraceFrame, prefix: string, last: boolean, top: boolean) => {
    const branch = top ? "" : last ? "└─ " : "├─ ";
    const inner = top ? "" : last ? "   " : "│  ";
    const a = frame.aivm;
    const name = a?.opcode ?? (frame.to === undefined ? undefined : SYSTEM_NAMES.get(frame.to.toLowerCase()));
    const target = name !== undefined ? `${name} ${short(frame.to ?? "")}` : (frame.to ?? "(create)");
    const value = frame.value !== undefined && BigInt(frame.value) !== 0n ? ` value ${n(frame.value)}` : "";
    const failed = frame.error ? `  ✗ ${frame.error}${frame.revertReason ? `: ${frame.revertReason}` : ""}` : "";
    lines.push(`${prefix}${branch}${frame.type} ${top ? `${frame.from} → ` : ""}${target}${value}  gas ${n(frame.gasUsed)}${failed}`);
    const body = prefix + inner;
    const children = frame.calls ?? [];
    const bar = children.length > 0 ? "│  " : "   ";
    if (a) {
      if (a.rejected !== undefined) lines.push(`${body}${bar}rejected: ${a.rejected}`);
      if (a.inputs && a.outputs) {
        const op = a.op ? `${a.op}: ` : "";
        const steps = a.steps !== undefined ? ` × ${a.steps} steps` : "";
        const flops = a.flops !== undefined && BigInt(a.flops) !== 0n ? `   ${n(a.flops)} FLOPs` : "";
        lines.push(`${body}${bar}${op}${a.inputs.map(tensor).join(", ") || "—"} → ${a.outputs.map(tensor).join(", ") || "—"}${steps}${flops}`);
      }
      if (a.gas) {
        const parts = GAS_PARTS.filter((p) => BigInt(a.gas![p]) !== 0n).map((p) => `${p} ${n(a.gas![p])}`);
        const charged = a.gas.charged !== a.gas.total ? ` (charged ${n(a.gas.charged)})` : "";
        lines.push(`${body}${bar}gas: ${parts.join(" + ") || "0"} = ${n(a.gas.total)}${charged}`);
      }
      for (const node of a.nodes ?? []) lines.push(`${body}${bar}  · ${node.op} → ${node.outputs.map(tensor).join(", ")}   ${n(node.flops)} FLOPs, ${n(node.gas)} gas`);
      for (const r of a.receipts) {
        const ins = r.inputCommits.map(short).join(", ") || "—";
        const outs = r.outputCommits.map(short).join(", ") || "—";
        const index = r.index === null ? "reverted with its caller" : `#${r.index}`;
        lines.push(`${body}${bar}receipt ${index}: in ${ins} → out ${outs}, leaf ${short(r.leaf)}`);
      }
    }
    children.forEach((c, i) => walk(c, body, i === children.length - 1, false));
  };
  walk(trace, "", true, true);
  const t = trace.aivmTrace;
  if (t) lines.push(`AIVM: ${t.receiptCount} receipt${t.receiptCount === 1 ? "" : "s"}, ${n(t.gas)} gas, ${n(t.flops)} FLOPs, trace root ${t.traceRoot}`);
  return lines.join("\n");
}

/** `aivm trace <txhash>` (the command: ./commands/trace.ts). */
export async function printTrace(hash: Hex, opts: { rpc: string; json: boolean }): Promise<void> {
  try {
    const { trace, blockNumber, status } = await fetchAivmTrace(opts.rpc, hash);
    console.log(opts.json ? JSON.stringify(trace, null, 2) : formatAivmTrace(hash, trace, blockNumber, status));
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
    const message = error instanceof TraceRpcError ? `${error.message} (code ${error.rpcCode})` : error instanceof Error ? `${error.message}${cause}` : String(error);
    console.error(`aivm trace: ${message}`);
    process.exitCode = 1;
  }
}
