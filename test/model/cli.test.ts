// `aivm onnx run` as a library: it writes output_K.pb files that meet the conformance rule when
// executed through TGRAPH on an in-process dev node (its default path).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { runOnnxCli } from "../../src/cli/onnx.ts";
import { compareOutput, conformanceRoot } from "../../src/model/conformance.ts";
import { decodeTensorFile } from "../../src/model/onnx.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const root = conformanceRoot(repoRoot);

test("aivm onnx run executes through TGRAPH eth_call and writes float32 output_K.pb within tolerance", async () => {
  const dir = path.join(root, "test_layer_normalization_4d_axis1");
  const out = mkdtempSync(path.join(tmpdir(), "aivm-onnx-run-"));
  try {
    const data = path.join(dir, "test_data_set_0");
    const result = await runOnnxCli(path.join(dir, "model.onnx"), {
      input: [0, 1, 2].map((k) => path.join(data, `input_${k}.pb`)),
      outputDir: out,
      json: true,
    });
    assert.match(String(result.executedVia), /TGRAPH eth_call on an in-process dev node/);
    for (let k = 0; k < 3; k++) {
      const got = decodeTensorFile(readFileSync(path.join(out, `output_${k}.pb`))).tensor;
      const ref = decodeTensorFile(readFileSync(path.join(data, `output_${k}.pb`))).tensor;
      assert.equal(got.dtype, "float32");
      const c = compareOutput(got, ref);
      assert.ok(c.ok, `output ${k}: ${c.why}`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
