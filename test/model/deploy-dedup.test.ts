// `aivm model deploy` twice: content ids the store already holds are not stored again, and the
// registry gets a version of the existing model rather than a new model. The identical package costs
// only lookups; a package with another calibration becomes version 2 of the same model id.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import type { Abi, Hex } from "viem";
import { DEMO_PACKAGE, DEMO_SAMPLES, type DemoSamples } from "../../scripts/pack-demo-model.ts";
import { getContract } from "../../src/chain/solc.ts";
import { modelDeploy } from "../../src/cli/model.ts";
import { connect } from "../../src/model/chain.ts";
import { hostTensor } from "../../src/model/onnx.ts";
import { packModel, parsePackage, serializePackage } from "../../src/model/package.ts";
import { startNodeServer, type NodeServer } from "../../src/rpc/server.ts";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(path.join(tmpdir(), "aivm-dedup-"));
let server: NodeServer;
let registry: Hex;

interface DeployJson {
  alreadyDeployed: boolean;
  stored: { count: number; skipped: number };
  gasUsed: string;
  shards: { id: Hex; stored: boolean }[];
  registry: { modelId: string; version: number; active: boolean; defaultVersion: number; alreadyRegistered: boolean; newModel: boolean };
}

/** `aivm model deploy --json` in process; returns its parsed output and what it printed in human mode too. */
async function deploy(file: string, json = true): Promise<{ result?: DeployJson; text: string }> {
  const log = console.log;
  let text = "";
  console.log = (...a: unknown[]) => void (text += `${a.join(" ")}\n`);
  const exit = process.exitCode;
  try {
    await modelDeploy(file, { rpc: server.url, registry, register: true, json });
    assert.equal(process.exitCode, exit, text);
  } finally {
    console.log = log;
    process.exitCode = exit;
  }
  return json ? { result: JSON.parse(text) as DeployJson, text } : { text };
}

before(async () => {
  server = await startNodeServer({ port: 0 });
  const conn = await connect(server.url);
  const reg = getContract("ModelRegistry", path.join(repoRoot, "contracts"), ["ModelRegistry.sol"]);
  // The deployer governs and is the sole approver, with no timelock: a version activates at its approval.
  const hash = await conn.wallet.deployContract({ abi: reg.abi as Abi, bytecode: reg.bytecode as Hex, args: [conn.account, [conn.account], 1, 0n], account: conn.account, chain: null });
  registry = (await conn.public.waitForTransactionReceipt({ hash })).contractAddress!;
});

after(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

test("the same package deployed twice: the second deploy stores nothing, sends no transaction and reports the existing model version", async () => {
  const pkg = parsePackage(readFileSync(DEMO_PACKAGE, "utf8"));
  const blobs = pkg.shards.length + pkg.manifests.length + 1;
  const first = (await deploy(DEMO_PACKAGE)).result!;
  assert.equal(first.stored.count, blobs);
  assert.equal(first.stored.skipped, 0);
  assert.equal(first.registry.newModel, true);
  assert.equal(first.registry.version, 1);
  assert.equal(first.registry.active, true);
  assert.equal(first.alreadyDeployed, false);
  const firstGas = BigInt(first.gasUsed);
  assert.ok(firstGas > 1_000_000n, `first deploy gas ${firstGas}`);

  const head = server.node.headNumber;
  const second = (await deploy(DEMO_PACKAGE)).result!;
  assert.equal(second.stored.count, 0, "no shard, manifest or program stored again");
  assert.equal(second.stored.skipped, blobs);
  assert.ok(second.shards.every((s) => !s.stored));
  assert.equal(second.alreadyDeployed, true);
  assert.equal(second.registry.modelId, first.registry.modelId);
  assert.equal(second.registry.version, 1);
  assert.equal(second.registry.alreadyRegistered, true);
  assert.ok(BigInt(second.gasUsed) * 100n < firstGas, `second deploy ${second.gasUsed} gas vs first ${firstGas}`);
  assert.equal(server.node.headNumber, head, "no block mined: only reads");
  console.log(`first deploy ${firstGas} gas (${blobs} blobs), second ${second.gasUsed} gas`);

  const human = await deploy(DEMO_PACKAGE, false);
  assert.match(human.text, new RegExp(`Already deployed: model id ${first.registry.modelId} version 1 \\(active\\)`));
});

test("a package with another calibration becomes version 2 of the same model id, storing only the content that changed", async () => {
  const { samples } = JSON.parse(readFileSync(DEMO_SAMPLES, "utf8")) as DemoSamples;
  const cal = samples.map((s) => [hostTensor("float32", [1, 784], s.pixels.map((p) => p / 255))]);
  const changed = packModel(readFileSync(path.join(repoRoot, "test/fixtures/models/fashion_mlp.onnx")), cal, { name: "fashion_mlp" });
  const original = parsePackage(readFileSync(DEMO_PACKAGE, "utf8"));
  assert.notEqual(changed.programId, original.programId, "the new calibration changes the program");
  const file = path.join(dir, "fashion_v2.aivm.json");
  writeFileSync(file, serializePackage(changed));
  const v2 = (await deploy(file)).result!;
  const first = (await deploy(DEMO_PACKAGE)).result!;
  assert.equal(first.alreadyDeployed, true);
  assert.equal(first.registry.version, 1);
  assert.equal(first.registry.defaultVersion, 2);
  const human = await deploy(DEMO_PACKAGE, false);
  assert.match(human.text, /Already deployed: model id \d+ version 1 \(active; the model's default is version 2\)/);
  assert.equal(v2.registry.newModel, false);
  assert.equal(v2.registry.modelId, first.registry.modelId);
  assert.equal(v2.registry.version, 2);
  assert.equal(v2.registry.active, true);
  assert.equal(v2.registry.defaultVersion, 2, "the new version is what resolve(id, 0) runs");
  // Shards whose content both packages share were found in the store.
  const originalIds = new Set(original.shards.map((s) => s.id.toLowerCase()));
  const shared = changed.shards.filter((s) => originalIds.has(s.id.toLowerCase())).length;
  assert.equal(v2.shards.filter((s) => !s.stored).length, shared);
  assert.equal(v2.stored.count + v2.stored.skipped, changed.shards.length + changed.manifests.length + 1);
  console.log(`version 2: stored ${v2.stored.count}, skipped ${v2.stored.skipped} (shared shards ${shared}), ${v2.gasUsed} gas`);
});
