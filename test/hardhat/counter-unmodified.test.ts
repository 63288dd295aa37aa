// Hardhat's own sample project (examples/counter-unmodified) passes its own, unmodified tests on the
// `aivm` network, in-process and over HTTP against `hardhat aivm node`, with only the config change
// that docs/migrating.md documents.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, linkAivmPackage, runHardhat, startAivmNode } from "./hardhat-cli.ts";

const PROJECT = join(REPO_ROOT, "examples/counter-unmodified");
const TEMPLATE = join(REPO_ROOT, "node_modules/hardhat/templates/01-node-test-runner-viem");

// Build output is not source: remove it so `eslint .` never sees the generated artifacts.d.ts files.
after(() => {
  for (const dir of ["artifacts", "cache"]) rmSync(join(PROJECT, dir), { recursive: true, force: true });
});

function passing(stdout: string): number {
  return Number(/(\d+) passing/.exec(stdout)?.[1] ?? 0);
}

test("the sample's contract, tests, scripts and ignition module are byte-identical to Hardhat's template", () => {
  for (const f of ["contracts/Counter.sol", "test/Counter.ts", "ignition/modules/Counter.ts", "scripts/send-op-tx.ts", "tsconfig.json"]) {
    assert.equal(readFileSync(join(PROJECT, f), "utf8"), readFileSync(join(TEMPLATE, f), "utf8"), f);
  }
});

test("docs/migrating.md shows exactly the sample's hardhat.config.ts", () => {
  const docs = readFileSync(join(REPO_ROOT, "docs/migrating.md"), "utf8");
  const config = readFileSync(join(PROJECT, "hardhat.config.ts"), "utf8");
  assert.ok(docs.includes("```ts\n" + config + "```"), "the config block in docs/migrating.md is out of date");
});

test("the unmodified Counter tests pass on the in-process aivm network", async () => {
  linkAivmPackage(PROJECT);
  const r = await runHardhat(PROJECT, ["test", "nodejs", "--network", "aivm"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(passing(r.stdout), 2, r.stdout);
  assert.doesNotMatch(r.stdout, /failing/);
});

test("the unmodified Counter tests pass over HTTP against `hardhat aivm node`", async () => {
  linkAivmPackage(PROJECT);
  const node = await startAivmNode(PROJECT);
  try {
    const r = await runHardhat(PROJECT, ["test", "nodejs", "--network", "aivmNode"], { AIVM_NODE_URL: node.url });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(passing(r.stdout), 2, r.stdout);
  } finally {
    const code = await node.stop();
    assert.equal(code, 0, `aivm node exit code ${code}:\n${node.output()}`);
  }
});
