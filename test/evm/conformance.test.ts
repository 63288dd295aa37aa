// Ethereum's own consensus tests on the production EVM (createChainVM, every override installed):
// a fixed sample spread over all categories of ../shared/ethereum-tests (every 25th GeneralStateTests
// case, every 8th BlockchainTests case), leaving out the few stress tests that take seconds each
// (vmPerformance, the 50000-iteration loops). `npm run conformance:evm` runs all of them, and stock
// EthereumJS beside them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { ethereumTestsDir, listCases, sampleCases, type Suite } from "./ethereum-tests/fixtures.ts";
import { runCases } from "./ethereum-tests/run.ts";

const SAMPLE_STRIDE: Record<Suite, number> = { state: 25, blockchain: 8 };
/** Stress tests of several seconds each: in the full run only, to keep the sample fast. */
const STRESS = /vmPerformance\/|50000/;

for (const suite of ["state", "blockchain"] as const) {
  const name = suite === "state" ? "GeneralStateTests" : "BlockchainTests";
  test(`${name} (Cancun), every ${SAMPLE_STRIDE[suite]}th case: the production VM reaches the expected state roots, logs and post states`, async () => {
    assert.ok(existsSync(ethereumTestsDir()), `the suites are missing: ${ethereumTestsDir()} (set AIVM_ETHEREUM_TESTS)`);
    const cases = sampleCases(listCases(suite), SAMPLE_STRIDE[suite]).filter((c) => !STRESS.test(c.id));
    assert.ok(cases.length >= (suite === "state" ? 200 : 50), `only ${cases.length} ${name} cases found`);
    const run = await runCases("chain", cases);
    const failures = run.results.filter((r) => !r.pass).map((r) => `${r.id}: ${r.reason}`);
    assert.deepEqual(failures, [], `${failures.length} of ${cases.length} ${name} cases failed`);
  });
}
