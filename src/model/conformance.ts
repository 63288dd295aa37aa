// ONNX backend node tests through `aivm onnx run`: calibrate on the case's own inputs, run the
// integer program, compare under the AIVM rule (float32: max|y − y_ref| ≤ 0.02·max|y_ref|;
// int64/bool: exact). See ../shared/conformance/README.md and docs/conformance.md.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { AivmError } from "../engine/errors.ts";
import { checkOnnxOps } from "./import.ts";
import { OnnxUnsupportedOpsError } from "./onnx-ops.ts";
import { runOnnx, type ProgramExecutor } from "./onnx-run.ts";
import { decodeModel, decodeTensorFile, type HostTensor } from "./onnx.ts";

export const FLOAT_TOLERANCE = 0.02;

export interface CaseResult {
  case: string;
  op: string;
  status: "pass" | "fail" | "unsupported";
  /** Why it did not pass (unsupported op/attribute, or the error against tolerance). */
  reason: string;
  /** Worst output's max|y − y_ref| / max|y_ref| (float outputs), or mismatches (integer outputs). */
  error: number;
  /** Unsupported only because every node in the way is refused by design (docs/onnx-ops.md). */
  refused?: boolean;
}

export function conformanceRoot(repoRoot: string): string {
  return path.resolve(repoRoot, "../shared/conformance/onnx-node");
}

export function listCases(root: string): string[] {
  return readdirSync(root).filter((d) => d.startsWith("test_") && existsSync(path.join(root, d, "model.onnx"))).sort();
}

function readSet(dir: string, prefix: "input" | "output"): HostTensor[] {
  const out: HostTensor[] = [];
  for (let k = 0; existsSync(path.join(dir, `${prefix}_${k}.pb`)); k++) out.push(decodeTensorFile(readFileSync(path.join(dir, `${prefix}_${k}.pb`))).tensor);
  return out;
}

/** Compares one output under the AIVM rule; returns the normalized error and whether it passes. */
export function compareOutput(y: HostTensor, ref: HostTensor): { ok: boolean; error: number; why: string } {
  if (y.shape.join(",") !== ref.shape.join(",")) return { ok: false, error: Infinity, why: `shape [${y.shape}] vs expected [${ref.shape}]` };
  if (ref.dtype !== "float32" && ref.dtype !== "float64") {
    let bad = 0;
    for (let i = 0; i < ref.data.length; i++) if (y.data[i] !== ref.data[i]) bad++;
    return { ok: bad === 0, error: bad, why: bad ? `${bad} of ${ref.data.length} ${ref.dtype} elements differ` : "" };
  }
  let mx = 0, err = 0;
  for (let i = 0; i < ref.data.length; i++) {
    if (Number.isFinite(ref.data[i]!)) mx = Math.max(mx, Math.abs(ref.data[i]!));
    if (y.data[i] === ref.data[i]) continue; // equal infinities (masked scores) match exactly
    err = Math.max(err, Math.abs(y.data[i]! - ref.data[i]!));
  }
  const rel = mx > 0 ? err / mx : err;
  const ok = mx > 0 ? err <= FLOAT_TOLERANCE * mx : err === 0;
  return { ok, error: rel, why: ok ? "" : `max error ${rel.toFixed(4)} of max|y_ref| exceeds ${FLOAT_TOLERANCE}` };
}

/**
 * The ONNX op a case tests: the first node's op, or for an "_expanded" case (the op's function body
 * inlined by the ONNX test generator) the op its value names are prefixed with.
 */
export function caseOp(model: ReturnType<typeof decodeModel>, name: string): string {
  const nodes = model.graph?.node ?? [];
  if (name.endsWith("_expanded")) {
    for (const n of nodes) {
      const m = /^([A-Z][A-Za-z0-9]*)_test_/.exec(n.output?.[0] ?? "");
      if (m) return m[1]!;
    }
  }
  return nodes[0]?.opType ?? "?";
}

export async function runCase(root: string, name: string, executor?: ProgramExecutor): Promise<CaseResult> {
  const dir = path.join(root, name);
  const bytes = readFileSync(path.join(dir, "model.onnx"));
  const op = caseOp(decodeModel(bytes), name);
  const data = path.join(dir, "test_data_set_0");
  try {
    // Refused and unknown ops first: their test data may not even be tensors (sequences, optionals).
    checkOnnxOps(bytes);
    const inputs = readSet(data, "input");
    const expected = readSet(data, "output");
    const { outputs } = await runOnnx(bytes, inputs, { executor });
    let worst = 0;
    const reasons: string[] = [];
    expected.forEach((ref, k) => {
      const y = outputs[k];
      if (!y) {
        reasons.push(`output ${k} missing`);
        worst = Infinity;
        return;
      }
      const c = compareOutput(y, ref);
      worst = Math.max(worst, c.error);
      if (!c.ok) reasons.push(`output ${k}: ${c.why}`);
    });
    return { case: name, op, status: reasons.length ? "fail" : "pass", reason: reasons.join("; "), error: worst };
  } catch (e) {
    if (e instanceof AivmError && (e.code === "UNSUPPORTED_OP" || e.code === "ONNX_FORMAT")) {
      const refused = e instanceof OnnxUnsupportedOpsError && e.problems.every((p) => p.refused);
      return { case: name, op, status: "unsupported", reason: e.shortMessage, error: Infinity, ...(refused ? { refused } : {}) };
    }
    return { case: name, op, status: "fail", reason: e instanceof AivmError ? `${e.name}: ${e.shortMessage}` : String((e as Error).message ?? e).split("\n")[0]!, error: Infinity };
  }
}

/** Pass counts over a set, and over the cases not refused by design (the figure the ≥ 95 % aim is about). */
export interface Tally {
  total: number;
  passed: number;
  refused: number;
  /** Cases not refused by design. */
  open: number;
  /** passed / open. */
  openRate: number;
}

export function tally(results: readonly CaseResult[]): Tally {
  const passed = results.filter((r) => r.status === "pass").length;
  const refused = results.filter((r) => r.refused).length;
  const open = results.length - refused;
  return { total: results.length, passed, refused, open, openRate: passed / Math.max(1, open) };
}

/** One line: "608/932 pass; 608/765 (79.5 %) of the cases not refused by design (167 refused)". */
export function tallyLine(t: Tally): string {
  return `${t.passed}/${t.total} pass; ${t.passed}/${t.open} (${(100 * t.openRate).toFixed(1)} %) of the cases not refused by design (${t.refused} refused)`;
}

export interface OpSummary {
  op: string;
  cases: number;
  pass: number;
  refused: number;
}

export function summarize(results: readonly CaseResult[]): OpSummary[] {
  const by = new Map<string, OpSummary>();
  for (const r of results) {
    const s = by.get(r.op) ?? { op: r.op, cases: 0, pass: 0, refused: 0 };
    s.cases++;
    if (r.status === "pass") s.pass++;
    if (r.refused) s.refused++;
    by.set(r.op, s);
  }
  return [...by.values()].sort((a, b) => a.op.localeCompare(b.op));
}
