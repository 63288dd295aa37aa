// The genesis recipe (predeploy.ts) yields contracts indistinguishable from constructed ones: same
// getters, and the full request path works at the proposed addresses. storage-layout.test.ts
// compares the storage itself with a constructor deployment's.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Address, hexToBytes } from "@ethereumjs/util";
import { createChain } from "./harness.ts";
import { getContract } from "../../src/chain/solc.ts";
import { CONGESTION, Class, setMultiplier } from "./fixtures.ts";
import { AGENT_SCHEDULER_ADDRESS, MODEL_REGISTRY_ADDRESS, registrySchedulerGenesis } from "./predeploy.ts";

describe("genesis predeploys", () => {
  it("registry and scheduler placed as runtime code + storage behave as constructed", async () => {
    const chain = await createChain();
    const a = chain.accounts;
    const accounts = registrySchedulerGenesis(
      { governor: a[0]!.address, approvers: [a[1]!.address, a[2]!.address], threshold: 2, timelock: 3600n },
      {
        congestion: CONGESTION,
        governor: a[7]!.address,
        epochLength: 10,
        capacity: 30_000_000n,
        guaranteedCapacity: 20_000_000n,
        maxCallbackGas: 1_000_000,
        stakeUnit: 10n ** 18n,
        unitPrice: 1_000_000_000n,
      },
    );
    for (const acc of accounts) {
      await chain.putCode(acc.address, acc.code!);
      for (const [k, v] of Object.entries(acc.storage!)) {
        await chain.vm.stateManager.putStorage(new Address(hexToBytes(acc.address)), hexToBytes(k as `0x${string}`), hexToBytes(v));
      }
    }
    if (!chain.aivm) await chain.putCode(CONGESTION, getContract("Congestion").deployedBytecode);
    await setMultiplier(chain, 1_000_000n, 1_000_000n);
    const registry = { address: MODEL_REGISTRY_ADDRESS, abi: getContract("ModelRegistry").abi };
    const scheduler = { address: AGENT_SCHEDULER_ADDRESS, abi: getContract("AgentScheduler").abi };
    chain.registerAbi(registry.abi);
    chain.registerAbi(scheduler.abi);

    const [governor, threshold, timelock, setId, count] = await chain.read(registry, "governance");
    assert.deepEqual([String(governor).toLowerCase(), threshold, timelock, setId, count], [a[0]!.address.toLowerCase(), 2, 3600n, 1, 0n]);
    assert.equal(await chain.read(registry, "isApprover", [a[2]!.address]), true);
    assert.equal(await chain.read(registry, "isApprover", [a[3]!.address]), false);

    const [cfg, reg, cong, gov] = await chain.read(scheduler, "config");
    assert.deepEqual(
      [cfg.epochLength, cfg.capacity, cfg.guaranteedCapacity, cfg.maxCallbackGas, cfg.stakeUnit, cfg.unitPrice],
      [10, 30_000_000n, 20_000_000n, 1_000_000, 10n ** 18n, 1_000_000_000n],
    );
    assert.deepEqual([String(reg).toLowerCase(), String(cong).toLowerCase(), String(gov).toLowerCase()], [MODEL_REGISTRY_ADDRESS, CONGESTION, a[7]!.address.toLowerCase()]);
    assert.equal(await chain.read(scheduler, "nextSlot"), 1n);

    // The whole path: register, submit an RT tick, the epoch-boundary call runs it.
    await chain.sendOk(a[1]!, scheduler, "registerAgent", [a[1]!.address], { value: 10n ** 18n });
    const [, fee] = await chain.read(scheduler, "quoteTick", [0]);
    await chain.sendOk(a[1]!, scheduler, "submitTick", [1n, Class.RT, 0], { value: fee });
    await chain.setBlock(10n);
    const r = await chain.sendOk(a[6]!, scheduler, "processEpoch", []);
    assert.deepEqual(r.events.map((e) => e.eventName), ["RequestExecuted", "EpochProcessed"]);
  });
});
