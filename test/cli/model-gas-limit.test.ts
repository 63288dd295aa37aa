// A model above the node's gas limit is refused at once, with the quote, the limit and the options:
// `aivm onnx run` right after import (before calibration), `aivm model pack` likewise, `aivm model
// deploy` before any store transaction, `aivm model run` before the call; in --json mode too.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { modelDeploy, modelPack, modelRun } from "../../src/cli/model.ts";
import { runOnnxCli } from "../../src/cli/onnx.ts";
import { DEMO_SAMPLES, type DemoSamples } from "../../scripts/pack-demo-model.ts";
import { quoteProgram } from "../../src/gas/quote.ts";
import { ModelOverGasLimitError, quoteImportedGraph } from "../../src/model/gas-limit.ts";
import { prepareOnnx } from "../../src/model/onnx-run.ts";
import { encodeTensorFile, hostTensor } from "../../src/model/onnx.ts";
import { startNodeServer, type NodeServer } from "../../src/rpc/server.ts";
import { buildModel, randomFloats } from "../model/onnx-builder.ts";
import { REPO } from "./helpers.ts";

// x[256,256] · W[256,256]: 34 M FLOPs; with its weights above a 100,000-gas limit on every path (a
// bigger model only takes longer to import: the shape inference at import runs the float graph).
const N = 256;
const LIMIT = 100_000n;
let dir: string;
let small: NodeServer;
let capped: NodeServer;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "aivm-gas-limit-"));
  const onnx = buildModel({
    inputs: [{ name: "x", shape: [N, N] }],
    outputs: [{ name: "y", shape: [N, N] }],
    nodes: [{ op: "MatMul", inputs: ["x", "w"], outputs: ["y"] }],
    initializers: [{ name: "w", shape: [N, N], data: randomFloats(N * N, 7) }],
  });
  writeFileSync(path.join(dir, "big.onnx"), onnx);
  writeFileSync(path.join(dir, "x.pb"), encodeTensorFile("x", hostTensor("float32", [N, N], randomFloats(N * N, 8))));
  mkdirSync(path.join(dir, "cal"));
  writeFileSync(path.join(dir, "cal", "x.pb"), encodeTensorFile("x", hostTensor("float32", [N, N], randomFloats(N * N, 9))));
  // A node whose blocks hold LIMIT gas, and one with the default block limit but a small eth_call cap.
  small = await startNodeServer({ port: 0, blockGasLimit: LIMIT });
  capped = await startNodeServer({ port: 0, rpcGasCap: LIMIT });
});

after(async () => {
  await small?.close();
  await capped?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs fn with console.log/error captured; returns what was printed and process.exitCode. */
async function captured(fn: () => Promise<void>): Promise<{ out: string; err: string; exitCode: number | undefined }> {
  const log = console.log;
  const error = console.error;
  let out = "";
  let err = "";
  console.log = (...a: unknown[]) => void (out += `${a.join(" ")}\n`);
  console.error = (...a: unknown[]) => void (err += `${a.join(" ")}\n`);
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    await fn();
    return { out, err, exitCode: process.exitCode as number | undefined };
  } finally {
    console.log = log;
    console.error = error;
    process.exitCode = before;
  }
}

test("aivm onnx run names --rpc.gascap when the node's eth_call cap is the limit", async () => {
  // (Also loads the modules the next test times, so its figure is the refusal's alone.)
  await assert.rejects(runOnnxCli(path.join(dir, "big.onnx"), { input: [path.join(dir, "x.pb")], outputDir: path.join(dir, "out"), rpc: capped.url, json: true }), (e: unknown) => {
    assert.ok(e instanceof ModelOverGasLimitError, String(e));
    assert.equal(e.limit.kind, "rpc.gascap");
    assert.equal(e.limit.gas, LIMIT);
    return true;
  });
});

test("aivm onnx run refuses a model above the block gas limit right after import, in under 2 s, naming the quote and the limit", async () => {
  const t0 = performance.now();
  await assert.rejects(runOnnxCli(path.join(dir, "big.onnx"), { input: [path.join(dir, "x.pb")], outputDir: path.join(dir, "out"), rpc: small.url, json: true }), (e: unknown) => {
    assert.ok(e instanceof ModelOverGasLimitError, String(e));
    assert.equal(e.code, "MODEL_OVER_GAS_LIMIT");
    assert.equal(e.limit.gas, LIMIT);
    assert.equal(e.limit.kind, "block gas limit");
    assert.ok(e.quote > LIMIT);
    assert.match(e.shortMessage, new RegExp(`needs ${e.quote} gas \\(estimate after import, before calibration`));
    assert.match(e.shortMessage, /above the block gas limit of 100000 gas/);
    assert.match(e.message, /--rpc\.gascap/);
    assert.match(e.message, /Split the model/);
    return true;
  });
  const ms = performance.now() - t0;
  assert.ok(ms < 2000, `refused after ${ms.toFixed(0)} ms`);
});

test("aivm model pack refuses before calibration; deploy refuses before any store transaction; model run before the call", async () => {
  const pkgFile = path.join(dir, "big.aivm.json");
  const t0 = performance.now();
  const refused = await captured(() => modelPack(path.join(dir, "big.onnx"), { calibration: path.join(dir, "cal"), output: pkgFile, samples: 8, gasLimit: LIMIT, json: true }));
  assert.ok(performance.now() - t0 < 2000);
  assert.equal(refused.exitCode, 1);
  const err = JSON.parse(refused.out) as { error: { code: string; message: string; data: { quote: string; limit: string }; metaMessages: string[] } };
  assert.equal(err.error.code, "MODEL_OVER_GAS_LIMIT");
  assert.equal(err.error.data.limit, LIMIT.toString());
  assert.ok(BigInt(err.error.data.quote) > LIMIT);
  assert.match(err.error.message, /before calibration/);
  assert.ok(err.error.metaMessages.some((m) => /Shrink the work/.test(m)));

  // --rpc: the node's own block gas limit.
  const viaNode = await captured(() => modelPack(path.join(dir, "big.onnx"), { calibration: path.join(dir, "cal"), output: pkgFile, samples: 8, rpc: small.url, json: true }));
  const n = JSON.parse(viaNode.out) as { error: { code: string; data: { limit: string; node: string } } };
  assert.equal(n.error.code, "MODEL_OVER_GAS_LIMIT");
  assert.equal(n.error.data.limit, LIMIT.toString());
  assert.equal(n.error.data.node, small.url);

  // Packed without the check, the package is refused by the small node before anything is stored.
  const packed = await captured(() => modelPack(path.join(dir, "big.onnx"), { calibration: path.join(dir, "cal"), output: pkgFile, samples: 1, gasLimit: 0n, json: true }));
  assert.equal(packed.exitCode, undefined, packed.out + packed.err);
  const blockBefore = small.node.headNumber;
  const deploy = await captured(() => modelDeploy(pkgFile, { rpc: small.url, registry: "0x000000000000000000000000000000000000a120", register: true, json: true }));
  assert.equal(deploy.exitCode, 1);
  const d = JSON.parse(deploy.out) as { error: { code: string; data: { limit: string; limitKind: string } } };
  assert.equal(d.error.code, "MODEL_OVER_GAS_LIMIT");
  assert.equal(d.error.data.limitKind, "block gas limit");
  assert.equal(small.node.headNumber, blockBefore, "no transaction was mined");

  // Human mode: the quote, the limit and the options on stderr.
  const run = await captured(() => modelRun(pkgFile, { input: [path.join(dir, "x.pb")], rpc: capped.url }));
  assert.equal(run.exitCode, 1);
  assert.match(run.err, /one inference needs \d+ gas \(exact quote of the TGRAPH call/);
  assert.match(run.err, /above the rpc\.gascap of 100000 gas on http:\/\/127\.0\.0\.1:\d+/);
  assert.match(run.err, /Options:/);
});

test("the aivm binary prints the refusal as JSON with --json and exits 1", async () => {
  // Asynchronous: the node this process serves must keep answering while the child runs.
  const r = await promisify(execFile)(process.execPath, [path.join(REPO, "bin/aivm.mjs"), "onnx", "run", path.join(dir, "big.onnx"), "--input", path.join(dir, "x.pb"), "--output-dir", path.join(dir, "out"), "--rpc", small.url, "--json"], { cwd: REPO, encoding: "utf8", timeout: 60_000 }).then(
    () => assert.fail("aivm onnx run exited 0"),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
  assert.equal(r.code, 1, r.stderr);
  const out = JSON.parse(r.stdout) as { error: { code: string; data: { quote: string; limit: string } } };
  assert.equal(out.error.code, "MODEL_OVER_GAS_LIMIT");
  assert.equal(out.error.data.limit, LIMIT.toString());
});

test("the estimate made before calibration is at most the calibrated program's quote (Fashion-MNIST MLP, CNN and ResNet)", () => {
  const { samples } = JSON.parse(readFileSync(DEMO_SAMPLES, "utf8")) as DemoSamples;
  for (const [file, shape] of [["fashion_mlp.onnx", [1, 784]], ["fashion_cnn.onnx", [1, 1, 28, 28]], ["fashion_resnet.onnx", [1, 1, 28, 28]]] as const) {
    const cal = samples.map((x) => [hostTensor("float32", shape, x.pixels.map((p) => p / 255))]);
    let estimate = -1n;
    const prepared = prepareOnnx(readFileSync(path.join(REPO, "test/fixtures/models", file)), cal[0]!, { calibration: cal, afterImport: (g) => void (estimate = quoteImportedGraph(g).gas) });
    const m = prepared.calibration.model;
    const exact = quoteProgram(m.program, m.inputs.map((i) => ({ dtype: i.quant.dtype, shape: i.shape })), 1_000_000n).gas;
    assert.ok(estimate > 0n && estimate <= exact, `${file}: estimate ${estimate}, calibrated ${exact}`);
  }
});
