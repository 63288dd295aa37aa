// Property tests over seeded random workloads. Part 1 pushes ~1,200 mixed requests through the real
// contract (LoadDriver batches) and checks the on-chain outcome request by request against the TS
// reference model, plus the properties directly on the chain's events. Part 2 runs the (now
// cross-checked) model on workloads too large for the EVM in a test run: tens of thousands of requests.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Deployed, Event } from "./harness.ts";
import { prng, schedulerFixture, type SchedulerConfig } from "./fixtures.ts";
import { BULK, INTERACTIVE, REQUEST_OVERHEAD, RT, SchedulerModel } from "./scheduler-model.ts";
import { BULK_SHARE, MODEL_CFG, measureShare, runMixed } from "./workloads.ts";

const CALLBACK_GAS = 30_000n;
const UNITS = CALLBACK_GAS + REQUEST_OVERHEAD;
/** 20 requests of 130k units per slot; 12 of them reservable by RT + Interactive. */
const CFG: SchedulerConfig = {
  epochLength: 1,
  capacity: 20n * UNITS,
  guaranteedCapacity: 12n * UNITS,
  maxCallbackGas: 100_000,
  stakeUnit: 1_000n,
  unitPrice: 1n,
};
const STAKE_UNITS = [1n, 1n, 2n, 4n, 9n, 25n, 100n, 100n];

interface Workload {
  /** Per epoch: [agentIndex (1-based), class][] */
  batches: [number, number][][];
}

/** Mixed load: per epoch ~`perEpoch` requests, classes by the given mix, agents uniform. */
function workload(seed: number, epochs: number, perEpoch: number, mix: [number, number, number]): Workload {
  const rand = prng(seed);
  const batches: [number, number][][] = [];
  for (let e = 0; e < epochs; e++) {
    const n = Math.floor(perEpoch * (0.5 + rand()));
    const batch: [number, number][] = [];
    for (let i = 0; i < n; i++) {
      const x = rand();
      const cls = x < mix[0] ? RT : x < mix[0] + mix[1] ? INTERACTIVE : BULK;
      batch.push([1 + Math.floor(rand() * STAKE_UNITS.length), cls]);
    }
    batches.push(batch);
  }
  return { batches };
}

describe("scheduler properties on the EVM, checked against the reference model", () => {
  // AIVM_LONG=1 runs the 1,200-request version (about 2 CPU-minutes); the default is ~300 requests.
  const LONG = process.env.AIVM_LONG === "1";
  it(`${LONG ? "1,200" : "300"} mixed requests: contract == model; admitted RT/Interactive meet deadlines; capacity holds; Bulk waits are bounded`, async () => {
    const f = await schedulerFixture(CFG);
    const a = f.chain.accounts;
    const driver: Deployed = await f.chain.deploy("LoadDriver", a[0]!, [f.scheduler.address]);
    await f.chain.sendOk(a[0]!, driver, "registerMany", [STAKE_UNITS.map((s) => s * CFG.stakeUnit)], {
      value: STAKE_UNITS.reduce((x, y) => x + y, 0n) * CFG.stakeUnit,
    });
    const startBlock = f.chain.blockNumber;
    const model = new SchedulerModel(CFG, startBlock);
    for (const s of STAKE_UNITS) model.addAgent(s * CFG.stakeUnit);

    // ~20 requests per epoch: 30% RT, 30% Interactive (more than the guarantee admits at peaks), 40% Bulk.
    const w = workload(42, LONG ? 60 : 15, 20, [0.3, 0.3, 0.4]);
    const events: Event[] = [];
    let block = startBlock;
    const runEpoch = async () => {
      const r = await f.chain.sendOk(a[6]!, f.scheduler, "processEpoch", []);
      events.push(...r.events);
      model.processEpoch(block);
    };
    let submitted = 0;
    const t0 = performance.now();
    for (const batch of w.batches) {
      block += 1n;
      await f.chain.setBlock(block);
      await runEpoch(); // the node's system call at the epoch boundary
      const ids = (
        await f.chain.sendOk(a[0]!, driver, "submitBatch", [batch.map((b) => BigInt(b[0])), batch.map((b) => b[1]), Number(CALLBACK_GAS), UNITS * 2n], {
          value: UNITS * 2n * BigInt(batch.length),
        })
      ).result as bigint[];
      for (let i = 0; i < batch.length; i++) {
        const expected = model.submitTick(batch[i]![0], batch[i]![1], CALLBACK_GAS, block);
        assert.equal(Number(ids[i]), expected, `request ${submitted + i}: contract id ${ids[i]} vs model ${expected}`);
      }
      submitted += batch.length;
    }
    // Drain: past the last Interactive deadline and until the Bulk queue is empty.
    const lastSubmit = block;
    while (block < lastSubmit + 3n || model.backlog > 0 || (await f.chain.read(f.scheduler, "bulkBacklog")) > 0n) {
      block += 1n;
      await f.chain.setBlock(block);
      await runEpoch();
    }

    console.log(`# EVM workload: ${submitted} submitted, ${model.requests.length} admitted, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const executedSlot = new Map<bigint, bigint>();
    for (const e of events) if (e.eventName === "RequestExecuted") executedSlot.set(e.args.requestId as bigint, e.args.slot as bigint);
    assert.equal(events.filter((e) => e.eventName === "DeadlineMissed").length, 0);
    const perSlot = new Map<bigint, bigint>();
    let maxBulkWait = 0n;
    for (const r of model.requests) {
      const slot = executedSlot.get(BigInt(r.id));
      assert.equal(slot, r.slot, `request ${r.id} ran in slot ${slot} on chain, ${r.slot} in the model`);
      assert.equal(r.status, "executed");
      if (r.cls !== BULK) assert.ok(slot! <= r.deadline, `request ${r.id} missed its deadline`);
      else if (slot! - r.submitEpoch - 1n > maxBulkWait) maxBulkWait = slot! - r.submitEpoch - 1n;
      perSlot.set(slot!, (perSlot.get(slot!) ?? 0n) + r.units);
    }
    for (const [slot, units] of perSlot) assert.ok(units <= CFG.capacity, `slot ${slot} ran ${units} units`);
    for (const e of events) {
      if (e.eventName === "EpochProcessed") assert.ok((e.args.unitsUsed as bigint) <= CFG.capacity);
    }
    const admitted = model.requests.length;
    assert.ok(submitted >= (LONG ? 1_000 : 250) && admitted >= submitted * 0.8, `submitted ${submitted}, admitted ${admitted}`);
    assert.ok(admitted < submitted, "the workload must exceed the guarantee at peaks so admission control refuses some");
    // Bulk load here averages ~8 requests per epoch against a Bulk share of ≥ 8 per slot.
    assert.ok(maxBulkWait <= 8n, `max Bulk wait ${maxBulkWait}`);
  });
});

describe("scheduler properties at scale, on the cross-checked reference model", () => {
  const stakes = [1n, 1n, 2n, 4n, 9n, 25n, 100n, 100n];

  it("overload (~45k requests, RT/Interactive demand at the guarantee): admission refuses some, no admitted request misses its deadline, no slot exceeds capacity", () => {
    const r = runMixed(1, 2_500, 12, 6, stakes);
    assert.ok(r.submitted > 40_000, `submitted ${r.submitted}`);
    assert.ok(r.refusedReserved > 0, "the overload must trigger admission control");
    assert.equal(r.missedDeadlines, 0);
    assert.ok(r.maxSlotUnits <= MODEL_CFG.capacity);
  });

  it("stated load (Bulk ≤ 80% of the Bulk share, reserved ≤ 2/3 of the guarantee): every Bulk request runs within 4 epochs", () => {
    const r = runMixed(2, 2_500, 8, 0.8 * BULK_SHARE, stakes);
    assert.ok(r.bulkCount > 15_000, `bulk ${r.bulkCount}`);
    assert.equal(r.missedDeadlines, 0);
    assert.ok(r.maxBulkWait <= 4n, `max Bulk wait ${r.maxBulkWait} epochs`);
  });

  it("an agent with 100× the stake gets at most the promised (4·10+4)/4 = 11× Bulk share, and the small agent is never starved", () => {
    const s = measureShare(100n, 1n);
    assert.equal(s.promised, 11);
    assert.ok(s.ratio <= s.promised, `ratio ${s.ratio}`);
    assert.ok(s.ratio > 1, "stake must still buy priority");
    assert.ok(s.small > 0);
    // The stake weight is capped: 10,000× the stake is worth at most (4·32+4)/4 = 33×.
    const whale = measureShare(10_000n, 1n);
    assert.ok(whale.ratio <= whale.promised && whale.promised === 33, `ratio ${whale.ratio}`);
  });
});
