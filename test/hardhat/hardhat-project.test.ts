// examples/hardhat-project, a standalone user project depending on "aivm": its own node:test +
// hardhat-viem tests pass on the in-process aivm network, with no install step of its own.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, linkAivmPackage, runHardhat } from "./hardhat-cli.ts";

const PROJECT = join(REPO_ROOT, "examples/hardhat-project");

// Build output is not source: remove it so `eslint .` never sees the generated artifacts.d.ts files.
after(() => {
  for (const dir of ["artifacts", "cache"]) rmSync(join(PROJECT, dir), { recursive: true, force: true });
});

test("the example project's tests (TMATMUL contract, registry-deployed Fashion-MNIST model) pass on aivm", async () => {
  linkAivmPackage(PROJECT);
  const r = await runHardhat(PROJECT, ["test", "nodejs", "--network", "aivm"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(Number(/(\d+) passing/.exec(r.stdout)?.[1] ?? 0), 5, r.stdout);
  assert.doesNotMatch(r.stdout, /failing/);
});
