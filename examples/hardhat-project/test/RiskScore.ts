import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { network } from "hardhat";
import { int8Tensor } from "aivm/hardhat";

// w = [3, -2, 5, 1]: score = 3·a − 2·b + 5·c + d.
const W = int8Tensor([4, 1], [3, -2, 5, 1]);

describe("RiskScore (TMATMUL from Solidity)", async function () {
  const { viem, networkHelpers } = await network.create();

  async function deployed() {
    return viem.deployContract("RiskScore", [W, 20n]);
  }

  it("scores features with the precompile and records the decision", async function () {
    const scorer = await networkHelpers.loadFixture(deployed);
    assert.equal(await scorer.read.score([int8Tensor([1, 4], [4, 1, 2, 0])]), 12n + -2n + 10n);
    await viem.assertions.emitWithArgs(scorer.write.apply_([int8Tensor([1, 4], [4, 1, 2, 0])]), scorer, "Scored", [
      (await viem.getWalletClients())[0]!.account.address,
      20n,
      true,
    ]);
  });

  it("reverts with AIVM's ShapeMismatch when the features have the wrong length", async function () {
    const scorer = await networkHelpers.loadFixture(deployed);
    await viem.assertions.revertWithCustomError(scorer.read.score([int8Tensor([1, 3], [1, 2, 3])]), scorer, "ShapeMismatch");
  });
});
