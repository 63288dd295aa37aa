import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { network } from "hardhat";
import {
  deployModelPackage,
  encodeModelInput,
  hasFashionMnist,
  loadFashionMnist,
  loadModelPackage,
  predictLocally,
} from "aivm/hardhat";

// Built with: npx aivm model pack fashion_mlp.onnx --calibration /usr/share/datasets/fashion-mnist --samples 64
const pkg = await loadModelPackage(readFileSync(new URL("../models/fashion_mlp.aivm.json", import.meta.url), "utf8"));

/** Real test images when the Debian dataset is installed, else deterministic synthetic ones. */
function images(n: number): { pixels: number[]; label?: number }[] {
  if (hasFashionMnist("test")) {
    const set = loadFashionMnist("test");
    return Array.from({ length: n }, (_, i) => ({ pixels: Array.from(set.images[i]!, (p) => p / 255), label: set.labels[i] }));
  }
  return Array.from({ length: n }, (_, i) => ({ pixels: Array.from({ length: 784 }, (_, j) => ((j * (i + 3)) % 97) / 96) }));
}

describe("FashionClassifier (a model deployed through the ModelRegistry)", async function () {
  const { viem, provider } = await network.create();
  const [owner] = await viem.getWalletClients();

  // A dev registry: the deployer is the only approver and there is no timelock, so a version activates at once.
  const registry = await viem.deployContract("DevModelRegistry", [owner!.account.address, [owner!.account.address], 1, 0n]);
  const deployed = await deployModelPackage(provider, pkg, { registry: { address: registry.address, abi: registry.abi } });
  const classifier = await viem.deployContract("FashionClassifier", [registry.address, BigInt(deployed.registry!.modelId)]);

  it("registers the package and activates its version", async function () {
    assert.equal(deployed.registry?.active, true);
    assert.equal(deployed.programId.toLowerCase(), pkg.programId.toLowerCase());
  });

  it("classifies images on chain exactly as the integer engine does off chain", async function () {
    let agree = 0;
    const sample = images(8);
    for (const { pixels, label } of sample) {
      const input = await encodeModelInput(pkg, [1, 784], pixels);
      const onChain = Number(await classifier.read.classify([input]));
      assert.equal(onChain, await predictLocally(pkg, [1, 784], pixels));
      if (onChain === label) agree++;
    }
    if (sample[0]!.label !== undefined) assert.ok(agree >= 6, `${agree}/8 agree with the dataset labels`);
  });

  it("records a classification in a transaction", async function () {
    const [{ pixels }] = images(1);
    const expected = BigInt(await predictLocally(pkg, [1, 784], pixels!));
    const input = await encodeModelInput(pkg, [1, 784], pixels!);
    await viem.assertions.emit(classifier.write.classifyAndCount([input]), classifier, "Classified");
    assert.equal(await classifier.read.countOf([expected]), 1n);
  });
});
