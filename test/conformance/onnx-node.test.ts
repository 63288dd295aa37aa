// Runs the ONNX backend node cases through the `aivm onnx run` pipeline and requires every case
// recorded as passing in pass-set.json (written by `npm run conformance:onnx -- --write`) to pass.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { conformanceRoot, listCases, runCase, compareOutput } from "../../src/model/conformance.ts";
import { chainExecutor, connect } from "../../src/model/chain.ts";
import { createAivmProvider } from "../../src/rpc/provider.ts";
import { hostTensor } from "../../src/model/onnx.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const root = conformanceRoot(repoRoot);
const passSet: string[] = JSON.parse(readFileSync(path.join(repoRoot, "test/conformance/pass-set.json"), "utf8"));

test("the tolerance rule: float within 2% of max|y_ref| passes, beyond fails; integers exact", () => {
  const ref = hostTensor("float32", [3], [1, -2, 0.5]);
  assert.equal(compareOutput(hostTensor("float32", [3], [1.039, -2, 0.5]), ref).ok, true);
  assert.equal(compareOutput(hostTensor("float32", [3], [1.041, -2, 0.5]), ref).ok, false);
  assert.equal(compareOutput(hostTensor("float32", [1, 3], [1, -2, 0.5]), ref).ok, false);
  assert.equal(compareOutput(hostTensor("int64", [2], [1, 2]), hostTensor("int64", [2], [1, 3])).ok, false);
});

test("every case recorded in pass-set.json still passes, executed through TGRAPH eth_call as `aivm onnx run` does", async () => {
  const all = new Set(listCases(root));
  const regressions: string[] = [];
  const provider = await createAivmProvider();
  try {
    const executor = chainExecutor(await connect(provider));
    for (const name of passSet) {
      assert.ok(all.has(name), `${name} is no longer in the conformance folder`);
      const r = await runCase(root, name, executor);
      if (r.status !== "pass") regressions.push(`${name}: ${r.reason}`);
    }
  } finally {
    await provider.close();
  }
  assert.deepEqual(regressions, []);
  assert.ok(passSet.length >= 191, `pass set has ${passSet.length} cases`);
});
