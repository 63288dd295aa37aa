// The precompile and RPC fuzzer (scripts/fuzz.ts) as a gate: a short seeded slice, 300 inputs over
// the eight precompiles and the JSON-RPC server, must find nothing: no crash, no non-AIVM exception,
// no growth past the memory budget, no call slower per gas than 3× native ecrecover (plus the per-call
// slack), no stall. The long run is `npm run fuzz -- --iterations N` (docs/fuzz.md).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { FuzzReport } from "./run.ts";

test("300 fuzzed inputs over every precompile and the RPC server: no crash, no non-AIVM exception, no budget overrun, no underpriced call", () => {
  const script = fileURLToPath(new URL("../../scripts/fuzz.ts", import.meta.url));
  const run = spawnSync(process.execPath, ["--import", "tsx", script, "--iterations", "300", "--seed", "1313"], { encoding: "utf8", timeout: 120_000 });
  assert.ok(run.stdout.trim().startsWith("{"), `the fuzzer printed no report:\n${run.stdout}\n${run.stderr}`);
  const report = JSON.parse(run.stdout) as FuzzReport;
  assert.deepEqual(report.findings, [], `findings (replay each with its command):\n${JSON.stringify(report.findings, null, 2)}`);
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(report.generatorErrors, [], "the fuzzer built every input");
  // The slice must reach every target, and get past decoding and planning into execution on each precompile.
  for (const [target, tally] of Object.entries(report.inputs)) {
    assert.ok(tally.tried >= 33, `${target}: ${tally.tried} inputs`);
    if (target !== "rpc") assert.ok((tally.outcomes.ok ?? 0) >= 5, `${target}: only ${tally.outcomes.ok ?? 0} inputs ran to completion`);
  }
  assert.ok((report.inputs.rpc?.outcomes.ok ?? 0) >= 3, "some RPC requests succeed");
});
