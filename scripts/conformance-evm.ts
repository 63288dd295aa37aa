// npm run conformance:evm: every case of ../shared/ethereum-tests (Cancun GeneralStateTests and
// BlockchainTests) on the production VM (createChainVM) and on stock EthereumJS, printing JSON with
// the pass counts and run times of both, every failure, and every case where the two stacks differ
// (pass/fail, state root or logs hash). The overrides patch EthereumJS for the whole process, so the
// stock run is a child process that never loads them; it runs alongside the production one.
//
//   npm run conformance:evm [-- --suite state|blockchain] [--stride N] [--no-stock] [--only REGEX]
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { PINNED_ETHEREUMJS_VERSION } from "../src/evm/version.ts";
import { FORK, ethereumTestsDir, listCases, sampleCases, type CaseRef, type Suite } from "../test/evm/ethereum-tests/fixtures.ts";
import { runCases, type StackRun } from "../test/evm/ethereum-tests/run.ts";
import type { Stack } from "../test/evm/ethereum-tests/stack.ts";
import type { CaseResult } from "../test/evm/ethereum-tests/state.ts";

const { values } = parseArgs({
  options: {
    suite: { type: "string" },
    stride: { type: "string", default: "1" },
    only: { type: "string" },
    "no-stock": { type: "boolean", default: false },
    /** Internal: run one stack and print its StackRun as JSON (the stock child). */
    worker: { type: "string" },
  },
});

function selectedCases(): CaseRef[] {
  const suites: Suite[] = values.suite === undefined ? ["state", "blockchain"] : [values.suite as Suite];
  const only = values.only === undefined ? undefined : new RegExp(values.only);
  const stride = Number(values.stride);
  return suites.flatMap((s) => sampleCases(listCases(s), stride)).filter((c) => only === undefined || only.test(c.id));
}

/** The stock run, in a fresh process. */
function runStockChild(): Promise<StackRun> {
  const args = ["--import", "tsx", fileURLToPath(import.meta.url), "--worker", "stock", "--stride", values.stride!];
  if (values.suite !== undefined) args.push("--suite", values.suite);
  if (values.only !== undefined) args.push("--only", values.only);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => chunks.push(c));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")) as StackRun) : reject(new Error(`stock run exited with ${code}`))));
  });
}

function summary(run: StackRun) {
  return {
    state: run.state,
    blockchain: run.blockchain,
    failures: run.results.filter((r) => !r.pass).map((r) => ({ id: r.id, reason: r.reason })),
  };
}

function differences(chain: StackRun, stock: StackRun) {
  const byId = new Map<string, CaseResult>(stock.results.map((r) => [r.id, r]));
  const out: { id: string; chain: Omit<CaseResult, "id">; stock: Omit<CaseResult, "id"> | null }[] = [];
  for (const { id, ...c } of chain.results) {
    const s = byId.get(id);
    if (s !== undefined && s.pass === c.pass && s.stateRoot === c.stateRoot && s.logsHash === c.logsHash) continue;
    let stockResult: Omit<CaseResult, "id"> | null = null;
    if (s !== undefined) {
      const { id: _, ...rest } = s;
      stockResult = rest;
    }
    out.push({ id, chain: c, stock: stockResult });
  }
  return out;
}

const cases = selectedCases();
if (values.worker !== undefined) {
  process.stdout.write(JSON.stringify(await runCases(values.worker as Stack, cases)));
} else {
  const started = performance.now();
  // Both stacks at once (the stock one in its child process): the wall time is the slower one's.
  const stockRun = values["no-stock"] ? undefined : runStockChild();
  const chain = await runCases("chain", cases);
  const stock = await stockRun;
  const report = {
    fixtures: ethereumTestsDir(),
    fork: FORK,
    ethereumJS: PINNED_ETHEREUMJS_VERSION,
    cases: cases.length,
    stride: Number(values.stride),
    chain: summary(chain),
    ...(stock ? { stock: summary(stock), differences: differences(chain, stock) } : {}),
    totalSeconds: Math.round((performance.now() - started) / 100) / 10,
  };
  console.log(JSON.stringify(report, null, 2));
  const failed = report.chain.failures.length > 0 || (report.differences?.length ?? 0) > 0;
  process.exitCode = failed ? 1 : 0;
}
