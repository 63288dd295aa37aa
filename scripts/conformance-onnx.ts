// npm run conformance:onnx — every ONNX backend node case in ../shared/conformance/onnx-node through
// the `aivm onnx run` pipeline (import → calibrate on the case's inputs → quantize → integer run),
// judged by the AIVM tolerance rule. Prints JSON (default) or a table (--table).
// --write regenerates docs/conformance.md, docs/onnx-ops.md and test/conformance/pass-set.json; with
// Debian's libonnx-testdata installed, docs/onnx-ops.md also gets that set's per-op counts.
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { conformanceRoot, listCases, runCase, summarize, tally, tallyLine, type CaseResult } from "../src/model/conformance.ts";
import { renderConformanceDoc, renderOnnxOpsDoc, type ConformanceSet } from "../src/model/conformance-docs.ts";
import { chainExecutor, connect } from "../src/model/chain.ts";
import type { ProgramExecutor } from "../src/model/onnx-run.ts";
import { createAivmProvider } from "../src/rpc/provider.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** Debian's libonnx-testdata (ONNX 1.12 backend node tests, expanded cases included). */
const DEBIAN_NODE_TESTS = "/usr/share/libonnx-testdata/data/node";

const program = new Command()
  .option("--filter <substring>", "only cases whose name contains this")
  .option("--root <dir>", "another folder of ONNX node test cases (e.g. /usr/share/libonnx-testdata/data/node from Debian's libonnx-testdata)")
  .option("--table", "print a per-op table instead of JSON")
  .option("--write", "regenerate docs/conformance.md, docs/onnx-ops.md and test/conformance/pass-set.json")
  .option("--chain", "execute through TGRAPH eth_call on an in-process dev node (the default for `aivm onnx run`) instead of the engine directly")
  .parse();
const opts = program.opts<{ filter?: string; root?: string; table?: boolean; write?: boolean; chain?: boolean }>();
if (opts.write && (opts.root || opts.filter)) program.error("--write regenerates the docs from the whole shared set: drop --root and --filter");

const root = opts.root ? path.resolve(opts.root) : conformanceRoot(repoRoot);
const cases = listCases(root).filter((c) => !opts.filter || c.includes(opts.filter));
const results: CaseResult[] = [];
const started = Date.now();
let executor: ProgramExecutor | undefined;
let close = async () => {};
if (opts.chain) {
  const provider = await createAivmProvider();
  executor = chainExecutor(await connect(provider));
  close = () => provider.close();
}
for (const c of cases) results.push(await runCase(root, c, executor));
const debian: CaseResult[] = [];
if (opts.write && existsSync(DEBIAN_NODE_TESTS)) for (const c of listCases(DEBIAN_NODE_TESTS)) debian.push(await runCase(DEBIAN_NODE_TESTS, c, executor));
await close();
const seconds = (Date.now() - started) / 1000;
const perOp = summarize(results);
const t = tally(results);

if (opts.table) {
  console.log("op".padEnd(22) + "pass/cases (refused by design)");
  for (const s of perOp) console.log(s.op.padEnd(22) + `${s.pass}/${s.cases}${s.refused ? ` (${s.refused} refused)` : ""}`);
  for (const r of results.filter((x) => x.status !== "pass")) console.log(`  ${(r.refused ? "refused" : r.status).padEnd(11)} ${r.case}: ${r.reason}`);
  console.log(`total`.padEnd(22) + `${tallyLine(t)}  (${seconds.toFixed(1)} s)`);
} else {
  const { total, passed, refused, open, openRate } = t;
  console.log(JSON.stringify({ executedVia: opts.chain ? "TGRAPH eth_call (in-process dev node)" : "engine runProgram", total, passed, passRate: passed / Math.max(1, total), refused, notRefused: open, passRateNotRefused: openRate, seconds, perOp, cases: results }, null, 2));
}

if (opts.write) {
  writeFileSync(path.join(repoRoot, "docs/conformance.md"), renderConformanceDoc(results, seconds, opts.chain ? "TGRAPH eth_call on an in-process dev node (the `aivm onnx run` default)" : "the engine's runProgram (no chain)"));
  const sets: ConformanceSet[] = [{ label: "shared onnx-node (ONNX 1.22)", results }];
  if (debian.length) sets.push({ label: "Debian libonnx-testdata (ONNX 1.12)", results: debian });
  writeFileSync(path.join(repoRoot, "docs/onnx-ops.md"), renderOnnxOpsDoc(sets));
  const passSet = results.filter((r) => r.status === "pass").map((r) => r.case);
  writeFileSync(path.join(repoRoot, "test/conformance/pass-set.json"), JSON.stringify(passSet, null, 1) + "\n");
}
