// The differential fuzzer (scripts/fuzz-evm.ts) as a gate: 40 random programs on the production EVM
// and on stock EthereumJS (in the script's child process, where no override is installed) must
// agree on everything observable, and none may crash out of the EVM.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

test("40 random programs: the production VM and stock EthereumJS agree on status, gas, return data, logs and state root", () => {
  const script = fileURLToPath(new URL("../../scripts/fuzz-evm.ts", import.meta.url));
  const run = spawnSync(process.execPath, ["--import", "tsx", script, "--iterations", "40", "--seed", "9001"], { encoding: "utf8", timeout: 300_000 });
  assert.equal(run.status, 0, `fuzz-evm failed:\n${run.stdout}\n${run.stderr}`);
  const report = JSON.parse(run.stdout.slice(0, run.stdout.indexOf("\n}\n") + 2)) as { differences: unknown[]; outcomes: Record<string, number> };
  assert.deepEqual(report.differences, []);
  // The programs must reach past their first opcodes for the comparison to mean something.
  assert.ok((report.outcomes.success ?? 0) >= 8, `only ${report.outcomes.success ?? 0} of 40 programs ran to completion`);
});
