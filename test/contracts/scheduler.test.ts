// AgentScheduler: every entry point and custom error, admission control, deadlines and refunds,
// gas-limited callbacks, reentrancy through callbacks, fees with the congestion multiplier, and the
// governance rule that an unapproved or revoked version is never executed.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { toFunctionSelector, type Hex } from "viem";
import type { Deployed } from "./harness.ts";
import { Class, UNIT_CONFIG, freshScheduler, makeSpec, proposeAndApprove, setMultiplier, type SchedulerFixture } from "./fixtures.ts";

const OVERHEAD = 100_000n;
const INFER_OVERHEAD = 150_000n;
const ZERO = `0x${"00".repeat(20)}` as Hex;
const INPUT = `0x${"11".repeat(32)}` as Hex;

async function expectError(f: SchedulerFixture, from: number, target: Deployed, fn: string, args: unknown[], errorName: string, value = 0n) {
  const r = await f.chain.send(f.chain.accounts[from]!, target, fn, args, { value });
  assert.equal(r.error?.errorName, errorName, `${fn} should revert with ${errorName}, got ${r.error?.errorName ?? "success"}`);
  return r.error!;
}

/** A TestAgent registered as its own agent with `stake`. */
async function testAgent(f: SchedulerFixture, stake = 1_000n): Promise<Deployed> {
  const agent = await f.chain.deploy("TestAgent", f.chain.accounts[0]!, [f.scheduler.address]);
  await f.chain.sendOk(f.chain.accounts[0]!, agent, "register", [], { value: stake });
  return agent;
}

async function tick(f: SchedulerFixture, agent: Deployed, cls: number, callbackGas = 100_000) {
  return f.chain.send(f.chain.accounts[0]!, agent, "submitTick", [cls, callbackGas], { value: BigInt(callbackGas) + OVERHEAD });
}

async function process(f: SchedulerFixture, gas?: bigint) {
  return f.chain.send(f.chain.accounts[6]!, f.scheduler, "processEpoch", [], gas ? { gas } : {});
}

describe("AgentScheduler setup and agents", () => {
  it("is configured by its constructor, which refuses zero links and out-of-range configs", async () => {
    const f = await freshScheduler();
    const a = f.chain.accounts;
    const deploy = (registry: Hex, governor: Hex, config: typeof UNIT_CONFIG) =>
      f.chain.deployTx("AgentScheduler", a[5]!, [registry, ZERO, governor, config]);
    assert.equal((await deploy(ZERO, a[0]!.address, UNIT_CONFIG)).error?.errorName, "ZeroAddress");
    assert.equal((await deploy(f.registry.address, ZERO, UNIT_CONFIG)).error?.errorName, "ZeroAddress");
    for (const bad of [
      { epochLength: 0 },
      { stakeUnit: 0n },
      { capacity: 0n },
      { guaranteedCapacity: UNIT_CONFIG.capacity },
      { guaranteedCapacity: OVERHEAD - 1n },
    ]) {
      const r = await deploy(f.registry.address, a[0]!.address, { ...UNIT_CONFIG, ...bad });
      assert.equal(r.error?.errorName, "InvalidConfig", `config ${JSON.stringify(bad, (_, v) => (typeof v === "bigint" ? String(v) : v))}`);
    }
    assert.ok(!f.scheduler.abi.some((e) => e.type === "function" && e.name === "initialize"), "nothing is left to claim after deployment");

    const [cfg, registry, , governor] = await f.chain.read(f.scheduler, "config");
    assert.equal(cfg.capacity, UNIT_CONFIG.capacity);
    assert.equal(String(registry).toLowerCase(), f.registry.address.toLowerCase());
    assert.equal(String(governor).toLowerCase(), a[7]!.address.toLowerCase(), "the governor is the argument, not the deployer");
    assert.equal(await f.chain.read(f.scheduler, "nextSlot"), 1n);

    // Deployed in block 25 (epoch 2 of 10 blocks): the first slot to process is 3, and the event carries the config.
    await f.chain.setBlock(25n);
    const late = await deploy(f.registry.address, a[0]!.address, UNIT_CONFIG);
    assert.deepEqual(late.events.map((e) => e.eventName), ["Initialized"]);
    assert.equal(await f.chain.read(late.deployed!, "nextSlot"), 3n);
  });

  it("registers, tops up, re-points and unstakes agents with owner-only access", async () => {
    const f = await freshScheduler();
    const a = f.chain.accounts;
    const s = f.scheduler;
    await expectError(f, 1, s, "registerAgent", [ZERO], "ZeroAddress", 1_000n);
    await expectError(f, 1, s, "registerAgent", [a[1]!.address], "StakeTooLow", 999n);
    await expectError(f, 1, s, "registerAgent", [a[1]!.address], "StakeOverflow", 2n ** 96n);
    const reg = await f.chain.sendOk(a[1]!, s, "registerAgent", [a[1]!.address], { value: 4_000n });
    assert.equal(reg.result, 1n);
    assert.equal(reg.events[0]!.eventName, "AgentRegistered");
    await expectError(f, 2, s, "addStake", [9n], "UnknownAgent", 1n);
    const top = await f.chain.sendOk(a[2]!, s, "addStake", [1n], { value: 5_000n });
    assert.equal(top.events[0]!.args.stake, 9_000n);
    await expectError(f, 2, s, "addStake", [1n], "StakeOverflow", 2n ** 96n - 9_000n);
    assert.equal(await f.chain.read(s, "weightOf", [1n]), 12n); // 4·isqrt(9) + 0
    await expectError(f, 2, s, "setCallback", [1n, a[2]!.address], "NotAgentOwner");
    await expectError(f, 1, s, "setCallback", [1n, ZERO], "ZeroAddress");
    assert.equal((await f.chain.sendOk(a[1]!, s, "setCallback", [1n, a[3]!.address])).events[0]!.eventName, "CallbackChanged");
    await expectError(f, 2, s, "unstake", [1n, 1_000n], "NotAgentOwner");
    await expectError(f, 1, s, "unstake", [1n, 0n], "InvalidUnstake");
    await expectError(f, 1, s, "unstake", [1n, 9_001n], "InvalidUnstake");
    await expectError(f, 1, s, "unstake", [1n, 8_500n], "InvalidUnstake"); // would leave 500 < stakeUnit
    await f.chain.sendOk(a[1]!, s, "unstake", [1n, 9_000n]);
    assert.equal(await f.chain.read(s, "balanceOf", [a[1]!.address]), 9_000n);
    // A fully unstaked agent cannot submit.
    await expectError(f, 1, s, "submitTick", [1n, Class.Bulk, 0], "StakeTooLow", 200_000n);
    const before = await f.chain.balance(a[1]!.address);
    const w = await f.chain.sendOk(a[1]!, s, "withdraw", []);
    assert.equal(w.events[0]!.eventName, "Withdrawn");
    assert.equal(await f.chain.balance(a[1]!.address), before + 9_000n - w.gasUsed * 10n);
    await expectError(f, 1, s, "withdraw", [], "NothingToWithdraw");
  });

  it("refuses unstaking with pending requests and reports a failed withdrawal transfer", async () => {
    const f = await freshScheduler();
    const agent = await testAgent(f, 2_000n);
    assert.equal((await tick(f, agent, Class.Bulk)).error, undefined);
    const r = await f.chain.send(f.chain.accounts[0]!, agent, "unstakeFromScheduler", [1_000n]);
    assert.equal(r.error?.errorName, "RequestsPending");
    await f.chain.setBlock(10n);
    assert.equal((await process(f)).error, undefined);
    await f.chain.sendOk(f.chain.accounts[0]!, agent, "unstakeFromScheduler", [1_000n]);
    await f.chain.sendOk(f.chain.accounts[0]!, agent, "setAcceptEth", [false]);
    const w = await f.chain.send(f.chain.accounts[0]!, agent, "withdrawFromScheduler", []);
    assert.equal(w.error?.errorName, "TransferFailed");
  });
});

describe("AgentScheduler submission and admission control", () => {
  it("checks submitter, callback gas, fee and size, and credits overpayment", async () => {
    const f = await freshScheduler();
    const a = f.chain.accounts;
    const s = f.scheduler;
    await f.chain.sendOk(a[1]!, s, "registerAgent", [a[3]!.address], { value: 1_000n });
    await expectError(f, 2, s, "submitTick", [1n, Class.RT, 0], "NotAgentSubmitter", OVERHEAD);
    await expectError(f, 1, s, "submitTick", [7n, Class.RT, 0], "UnknownAgent", OVERHEAD);
    await expectError(f, 1, s, "submitTick", [1n, Class.RT, 800_001], "CallbackGasTooHigh", 10n ** 6n);
    await expectError(f, 1, s, "submitTick", [1n, Class.RT, 0], "InsufficientFee", OVERHEAD - 1n);
    const big = await expectError(f, 1, s, "submitTick", [1n, Class.RT, 600_000], "RequestTooLarge", 10n ** 6n);
    assert.deepEqual(big.args, [700_000n, 600_000n]);
    const bulkBig = await expectError(f, 1, s, "submitTick", [1n, Class.Bulk, 350_000], "RequestTooLarge", 10n ** 6n);
    assert.deepEqual(bulkBig.args, [450_000n, 400_000n]);
    // The callback contract may submit for its agent too; the overpayment is credited.
    const ok = await f.chain.sendOk(a[3]!, s, "submitTick", [1n, Class.RT, 0], { value: OVERHEAD + 5n });
    assert.equal(ok.events[0]!.eventName, "RequestSubmitted");
    assert.equal(await f.chain.read(s, "balanceOf", [a[3]!.address]), 5n);
    const [units, fee] = await f.chain.read(s, "quoteTick", [0]);
    assert.deepEqual([units, fee], [OVERHEAD, OVERHEAD]);
  });

  it("admits RT only into the next slot and refuses it once the guaranteed capacity is reserved", async () => {
    const f = await freshScheduler();
    const agent = await testAgent(f);
    for (let i = 0; i < 3; i++) assert.equal((await tick(f, agent, Class.RT)).error, undefined); // 3 × 200k = 600k
    const refused = await tick(f, agent, Class.RT);
    assert.equal(refused.error?.errorName, "CapacityExhausted");
    assert.deepEqual(refused.error?.args, [Class.RT, 1n, 1n]);
    assert.deepEqual(await f.chain.read(f.scheduler, "slotLoad", [1n]), [600_000n, 3n]);
  });

  it("places Interactive in the earliest of the next three slots within 3/4 of the guarantee, keeping RT room", async () => {
    const f = await freshScheduler();
    const agent = await testAgent(f);
    const slots: bigint[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await tick(f, agent, Class.Interactive);
      assert.equal(r.error, undefined);
      slots.push(r.events.find((e) => e.eventName === "RequestSubmitted")!.args.slot as bigint);
    }
    assert.deepEqual(slots, [1n, 1n, 2n, 2n, 3n, 3n]); // 2 × 200k ≤ 450k per slot
    const refused = await tick(f, agent, Class.Interactive);
    assert.deepEqual([refused.error?.errorName, ...(refused.error?.args ?? [])], ["CapacityExhausted", Class.Interactive, 1n, 3n]);
    // RT still fits in slot 1 (400k of 600k reserved).
    assert.equal((await tick(f, agent, Class.RT)).error, undefined);
  });
});

describe("AgentScheduler epoch processing", () => {
  it("runs reserved requests by their deadline, then Bulk in the leftover capacity", async () => {
    const f = await freshScheduler();
    const agent = await testAgent(f);
    await tick(f, agent, Class.RT);
    await tick(f, agent, Class.Interactive);
    for (let i = 0; i < 5; i++) await tick(f, agent, Class.Bulk); // 5 × 200k
    const early = await process(f);
    assert.equal(early.error?.errorName, "EpochNotReached");
    assert.deepEqual(early.error?.args, [1n, 0n]);
    await f.chain.setBlock(10n);
    const r = await process(f);
    assert.equal(r.error, undefined);
    const done = r.events.find((e) => e.eventName === "EpochProcessed")!.args;
    // 400k reserved; 600k left fits 3 Bulk requests of 200k.
    assert.deepEqual([done.slot, done.reservedRun, done.bulkRun, done.unitsUsed], [1n, 2n, 3n, 1_000_000n]);
    assert.equal(await f.chain.read(agent, "ticks"), 5n);
    assert.equal(await f.chain.read(f.scheduler, "bulkBacklog"), 2n);
    const req = await f.chain.read(f.scheduler, "getRequest", [1n]);
    assert.deepEqual([req.status, req.slot], [2, 1n]);
    assert.equal(await f.chain.read(agent, "lastSlot"), 1n);
    // The fees went to the governor.
    assert.equal(await f.chain.read(f.scheduler, "balanceOf", [f.chain.accounts[7]!.address]), 1_000_000n);
    await f.chain.setBlock(20n);
    const second = (await process(f)).events.find((e) => e.eventName === "EpochProcessed")!.args;
    assert.deepEqual([second.slot, second.bulkRun], [2n, 2n]);
    assert.equal((await process(f)).error?.errorName, "EpochNotReached");
  });

  it("refunds and reports a reserved request whose slot is processed after its deadline", async () => {
    const f = await freshScheduler();
    const agent = await testAgent(f);
    await tick(f, agent, Class.RT);
    await f.chain.setBlock(25n); // epoch 2: slot 1 is late
    const r = await process(f);
    assert.deepEqual(r.events.map((e) => e.eventName), ["DeadlineMissed", "Refunded", "EpochProcessed"]);
    assert.deepEqual([r.events[0]!.args.deadline, r.events[0]!.args.executedIn], [1n, 2n]);
    assert.equal(await f.chain.read(f.scheduler, "balanceOf", [agent.address]), 200_000n);
    assert.equal((await f.chain.read(f.scheduler, "getRequest", [1n])).status, 3);
    assert.equal(await f.chain.read(agent, "ticks"), 0n);
    assert.equal((await f.chain.read(f.scheduler, "getAgent", [1n])).pending, 0);
  });

  it("limits callbacks to their gas and records failures without undoing the bookkeeping", async () => {
    const f = await freshScheduler();
    const burner = await testAgent(f);
    const reverter = await testAgent(f);
    const good = await testAgent(f);
    await f.chain.sendOk(f.chain.accounts[0]!, burner, "setMode", [2]);
    await f.chain.sendOk(f.chain.accounts[0]!, reverter, "setMode", [1]);
    await tick(f, burner, Class.RT, 80_000);
    await tick(f, reverter, Class.RT, 80_000);
    await tick(f, good, Class.RT, 80_000);
    await f.chain.setBlock(10n);
    const r = await process(f);
    const executed = r.events.filter((e) => e.eventName === "RequestExecuted").map((e) => e.args.callbackOk);
    assert.deepEqual(executed, [false, false, true]);
    // The burner used at most its 80k callback gas, so the epoch stays within its 3 × 180k units.
    assert.ok(r.gasUsed < 540_000n, `gasUsed ${r.gasUsed}`);
    assert.equal(await f.chain.read(good, "ticks"), 1n);
    for (const id of [1n, 2n, 3n]) assert.equal((await f.chain.read(f.scheduler, "getRequest", [id])).status, 2);
  });

  it("reverts when the caller gives too little gas to honour a callback's gas limit", async () => {
    const f = await freshScheduler();
    const agent = await testAgent(f);
    await tick(f, agent, Class.RT, 500_000);
    await f.chain.setBlock(10n);
    const r = await process(f, 300_000n);
    assert.equal(r.error?.errorName, "InsufficientGas");
    assert.equal(await f.chain.read(f.scheduler, "nextSlot"), 1n); // nothing was consumed
    assert.equal((await process(f)).error, undefined);
    assert.equal(await f.chain.read(agent, "ticks"), 1n);
  });

  it("blocks re-entry from callbacks into every state-changing entry point", async () => {
    const f = await freshScheduler();
    const reentrancy = toFunctionSelector("Reentrancy()");
    for (const mode of [3, 4, 5, 6]) {
      const agent = await testAgent(f, 5_000n);
      await f.chain.sendOk(f.chain.accounts[0]!, agent, "setMode", [mode]);
      await tick(f, agent, Class.Bulk, 150_000);
    }
    await f.chain.setBlock(10n);
    const r = await process(f);
    assert.equal(r.error, undefined);
    // 4 bulk requests of 250k fit exactly in the 1M capacity of slot 1 (nothing reserved).
    assert.equal(r.events.filter((e) => e.eventName === "RequestExecuted").length, 4);
    for (let i = 1n; i <= 4n; i++) {
      const agentAddr = (await f.chain.read(f.scheduler, "getAgent", [i])).callback as Hex;
      const agent = { address: agentAddr, abi: (await import("../../src/chain/solc.ts")).getContract("TestAgent").abi };
      assert.equal(await f.chain.read(agent, "lastReentryError"), reentrancy);
      assert.equal(await f.chain.read(agent, "reentrySucceeded"), 0n);
      assert.equal(await f.chain.read(agent, "ticks"), 1n);
    }
    assert.equal(await f.chain.read(f.scheduler, "nextSlot"), 2n);
  });

  it("blocks re-entry into withdraw from the ETH transfer, and pays exactly once", async () => {
    const f = await freshScheduler();
    const agent = await testAgent(f, 3_000n);
    await f.chain.sendOk(f.chain.accounts[0]!, agent, "unstakeFromScheduler", [2_000n]);
    await f.chain.sendOk(f.chain.accounts[0]!, agent, "setMode", [4]);
    const before = await f.chain.balance(agent.address);
    const w = await f.chain.sendOk(f.chain.accounts[0]!, agent, "withdrawFromScheduler", []);
    assert.equal(w.events.filter((e) => e.eventName === "Withdrawn").length, 1);
    assert.equal(await f.chain.balance(agent.address), before + 2_000n);
    assert.equal(await f.chain.read(agent, "lastReentryError"), toFunctionSelector("Reentrancy()"));
    assert.equal(await f.chain.read(agent, "reentrySucceeded"), 0n);
  });
});

describe("AgentScheduler fees and models", () => {
  it("charges the exact gas units times the congestion multiplier, plus the model fee", async () => {
    const f = await freshScheduler();
    await setMultiplier(f.chain, 1_500_000n, 1_000_000n);
    const [units, fee] = await f.chain.read(f.scheduler, "quoteTick", [1]);
    assert.deepEqual([units, fee], [100_001n, 150_002n]); // ceil(100001 · 1.5)
    const [iu, ifee] = await f.chain.read(f.scheduler, "quoteInfer", [f.modelId, 0, 0]);
    assert.equal(iu, 50_000n + INFER_OVERHEAD);
    assert.equal(ifee, ((iu * 3n + 1n) / 2n) + 1_000_000n);
  });

  it("refuses a fee that does not fit the request record, and a version quote larger than a slot", async () => {
    const f = await freshScheduler();
    const a = f.chain.accounts;
    await f.chain.sendOk(a[1]!, f.scheduler, "registerAgent", [a[1]!.address], { value: 1_000n });
    const dear = await proposeAndApprove(f, f.modelId, makeSpec(3, { fee: 2n ** 100n }));
    const e = await expectError(f, 1, f.scheduler, "submitInfer", [1n, f.modelId, dear, INPUT, Class.Bulk, 0], "FeeTooLarge", 10n ** 6n);
    assert.equal(e.args[0], 2n ** 100n + 50_000n + INFER_OVERHEAD);
    const huge = await proposeAndApprove(f, f.modelId, makeSpec(4, { gasQuote: 2n ** 64n - 1n }));
    const big = await expectError(f, 1, f.scheduler, "submitInfer", [1n, f.modelId, huge, INPUT, Class.Bulk, 0], "RequestTooLarge", 10n ** 6n);
    assert.deepEqual(big.args, [2n ** 64n - 1n + INFER_OVERHEAD, UNIT_CONFIG.capacity]);
  });

  it("never admits an unapproved version; followers get the active version at submission", async () => {
    const f = await freshScheduler();
    const a = f.chain.accounts;
    const agent = await testAgent(f);
    const v2 = (await f.chain.sendOk(a[4]!, f.registry, "proposeVersion", [f.modelId, makeSpec(2, { gasQuote: 70_000n })])).result;
    const refused = await f.chain.send(a[0]!, agent, "submitInfer", [f.modelId, v2, INPUT, Class.RT, 0], { value: 10n ** 7n });
    assert.equal(refused.error?.errorName, "VersionNotExecutable");
    await expectError(f, 0, f.scheduler, "quoteInfer", [f.modelId, v2, 0], "VersionNotExecutable");
    const follow = await f.chain.sendOk(a[0]!, agent, "submitInfer", [f.modelId, 0, INPUT, Class.Bulk, 0], { value: 10n ** 7n });
    const id1 = follow.result as bigint;
    assert.equal((await f.chain.read(f.scheduler, "getRequest", [id1])).version, 1);
    await f.chain.sendOk(a[1]!, f.registry, "approveVersion", [f.modelId, v2]);
    await f.chain.sendOk(a[2]!, f.registry, "approveVersion", [f.modelId, v2]);
    const follow2 = await f.chain.sendOk(a[0]!, agent, "submitInfer", [f.modelId, 0, INPUT, Class.Bulk, 0], { value: 10n ** 7n });
    const pinned = await f.chain.sendOk(a[0]!, agent, "submitInfer", [f.modelId, 1, INPUT, Class.Bulk, 0], { value: 10n ** 7n });
    const r2 = await f.chain.read(f.scheduler, "getRequest", [follow2.result]);
    const r3 = await f.chain.read(f.scheduler, "getRequest", [pinned.result]);
    assert.deepEqual([r2.version, r2.units], [2, 70_000n + INFER_OVERHEAD]);
    assert.deepEqual([r3.version, r3.units], [1, 50_000n + INFER_OVERHEAD]);
  });

  it("refunds a request whose version is revoked before it runs, and never runs it", async () => {
    const f = await freshScheduler();
    const agent = await testAgent(f);
    const sub = await f.chain.sendOk(f.chain.accounts[0]!, agent, "submitInfer", [f.modelId, 1, INPUT, Class.RT, 0], { value: 10n ** 7n });
    const fee = sub.events.find((e) => e.eventName === "RequestSubmitted")!.args.fee as bigint;
    await f.chain.sendOk(f.chain.accounts[0]!, f.registry, "revokeVersion", [f.modelId, 1]);
    await f.chain.setBlock(10n);
    const r = await process(f);
    assert.deepEqual(r.events.map((e) => e.eventName), ["ExecutionFailed", "Refunded", "EpochProcessed"]);
    assert.equal(r.events[1]!.args.amount, fee);
    assert.equal(await f.chain.read(agent, "results"), 0n);
    assert.equal((await f.chain.read(f.scheduler, "getRequest", [sub.result])).status, 3);
  });
});
