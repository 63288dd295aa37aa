// Runs the ONNX backend node cases through the `aivm onnx run` pipeline and requires every case
// recorded as passing in pass-set.json (written by `npm run conformance:onnx -- --write`) to pass.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { conformanceRoot, listCases, runCase, compareOutput, tally, type CaseResult } from "../../src/model/conformance.ts";
import { importOnnx } from "../../src/model/import.ts";
import { OnnxUnsupportedOpsError } from "../../src/model/onnx-ops.ts";
import { buildModel } from "../model/onnx-builder.ts";
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

test("the summary counts cases refused by design apart: the pass rate over the rest", () => {
  const r = (status: CaseResult["status"], refused?: boolean): CaseResult => ({ case: "c", op: "Op", status, reason: "", error: 0, ...(refused ? { refused } : {}) });
  const t = tally([r("pass"), r("pass"), r("fail"), r("unsupported"), r("unsupported", true)]);
  assert.deepEqual({ total: t.total, passed: t.passed, refused: t.refused, open: t.open }, { total: 5, passed: 2, refused: 1, open: 4 });
  assert.equal(t.openRate, 0.5);
});

test("a float comparison on run-time data and a string input are refused by design, an unknown op is not", () => {
  const refusal = (bytes: Uint8Array) => {
    try {
      importOnnx(bytes);
    } catch (e) {
      if (e instanceof OnnxUnsupportedOpsError) return e.problems.map((p) => `${p.op}:${p.refused}`);
      throw e;
    }
    return [];
  };
  const less = buildModel({ inputs: [{ name: "a", shape: [3] }, { name: "b", shape: [3] }], outputs: [{ name: "y", shape: [3], elemType: 9 }], nodes: [{ op: "Less", inputs: ["a", "b"], outputs: ["y"] }] });
  assert.deepEqual(refusal(less), ["Less:true"]);
  const text = buildModel({ inputs: [{ name: "s", shape: [2], elemType: 8 }], outputs: [{ name: "y", shape: [2], elemType: 8 }], nodes: [{ op: "Identity", inputs: ["s"], outputs: ["y"] }] });
  assert.deepEqual(refusal(text), ["string tensor value:true", "string tensor value:true"]);
  const unknown = buildModel({ inputs: [{ name: "a", shape: [2, 2] }], outputs: [{ name: "y", shape: [] }], nodes: [{ op: "Det", inputs: ["a"], outputs: ["y"] }] });
  assert.deepEqual(refusal(unknown), ["Det:false"]);
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
