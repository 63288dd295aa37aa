// Seeded workloads run on the scheduler reference model (scheduler-model.ts, cross-checked against
// the contract in properties.test.ts). Shared by the property tests and `npm run measure:scheduler`.
import { prng } from "./fixtures.ts";
import { BULK, INTERACTIVE, REQUEST_OVERHEAD, RT, SchedulerModel, type ModelConfig } from "./scheduler-model.ts";

export const CALLBACK_GAS = 30_000n;
export const UNITS = CALLBACK_GAS + REQUEST_OVERHEAD;
/** 20 requests of 130k units per slot; at most 12 reserved by RT + Interactive, so ≥ 8 for Bulk. */
export const MODEL_CFG: ModelConfig = { capacity: 20n * UNITS, guaranteedCapacity: 12n * UNITS, stakeUnit: 1_000n };
export const BULK_SHARE = 8;

export interface MixedResult {
  submitted: number;
  admitted: number;
  refusedReserved: number;
  missedDeadlines: number;
  maxSlotUnits: bigint;
  maxBulkWait: bigint;
  bulkCount: number;
}

/**
 * `epochs` epochs; each epoch a random number (mean `reservedPerEpoch`) of RT/Interactive requests
 * and a random number (mean `bulkPerEpoch`) of Bulk requests from `stakes.length` agents.
 */
export function runMixed(seed: number, epochs: number, reservedPerEpoch: number, bulkPerEpoch: number, stakes: bigint[]): MixedResult {
  const rand = prng(seed);
  const model = new SchedulerModel(MODEL_CFG, 0n);
  for (const s of stakes) model.addAgent(s * MODEL_CFG.stakeUnit);
  let submitted = 0;
  let refusedReserved = 0;
  const slotUnits = new Map<bigint, bigint>();
  const count = (mean: number) => Math.floor(2 * mean * rand() + 0.5);
  let epoch = 0n;
  const process = () => {
    for (const id of model.processEpoch(epoch)) {
      const r = model.requests[id - 1]!;
      slotUnits.set(r.slot, (slotUnits.get(r.slot) ?? 0n) + r.units);
    }
  };
  for (let e = 1; e <= epochs; e++) {
    epoch = BigInt(e);
    process();
    const n = count(reservedPerEpoch);
    const b = count(bulkPerEpoch);
    const batch: number[] = [];
    for (let i = 0; i < n; i++) batch.push(rand() < 0.5 ? RT : INTERACTIVE);
    for (let i = 0; i < b; i++) batch.push(BULK);
    // Interleave classes and agents as they would arrive.
    for (let i = batch.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [batch[i], batch[j]] = [batch[j]!, batch[i]!];
    }
    for (const cls of batch) {
      submitted++;
      const agent = 1 + Math.floor(rand() * stakes.length);
      const id = model.submitTick(agent, cls, CALLBACK_GAS, epoch);
      if (id === 0 && cls !== BULK) refusedReserved++;
    }
  }
  while (model.backlog > 0 || model.nextSlot <= BigInt(epochs) + 3n) {
    epoch += 1n;
    process();
  }
  let missed = 0;
  let maxBulkWait = 0n;
  let bulkCount = 0;
  for (const r of model.requests) {
    if (r.status !== "executed") missed++;
    else if (r.cls !== BULK && r.slot > r.deadline) missed++;
    if (r.cls === BULK) {
      bulkCount++;
      const w = r.slot - r.submitEpoch - 1n;
      if (w > maxBulkWait) maxBulkWait = w;
    }
  }
  let maxSlotUnits = 0n;
  for (const u of slotUnits.values()) if (u > maxSlotUnits) maxSlotUnits = u;
  return { submitted, admitted: model.requests.length, refusedReserved, missedDeadlines: missed, maxSlotUnits, maxBulkWait, bulkCount };
}

export interface ShareResult {
  stakeRatio: bigint;
  /** Bulk requests executed for the big and the small agent over the measured window. */
  big: number;
  small: number;
  ratio: number;
  /** The formula's bound: (4·S_big + 4) / (4·S_small). */
  promised: number;
}

/**
 * Two agents (stake `bigUnits` and `smallUnits` stake units) keep the Bulk queue saturated (each
 * submits `perAgent` requests per epoch, more than the whole Bulk share); counts who gets served.
 */
export function measureShare(bigUnits: bigint, smallUnits: bigint, epochs = 400, depth = 60): ShareResult {
  const model = new SchedulerModel(MODEL_CFG, 0n);
  const big = model.addAgent(bigUnits * MODEL_CFG.stakeUnit);
  const small = model.addAgent(smallUnits * MODEL_CFG.stakeUnit);
  const served = [0, 0, 0];
  const pending = [0, 0, 0];
  const warmup = 50;
  for (let e = 1; e <= epochs; e++) {
    for (const id of model.processEpoch(BigInt(e))) {
      const agent = model.requests[id - 1]!.agent;
      pending[agent]!--;
      if (e > warmup) served[agent]!++;
    }
    // Both agents stay backlogged: each keeps `depth` requests queued (three whole slots of capacity).
    for (const agent of [big, small]) {
      while (pending[agent]! < depth) {
        model.submitTick(agent, BULK, CALLBACK_GAS, BigInt(e));
        pending[agent]!++;
      }
    }
  }
  const steps = (u: bigint) => {
    let s = 0n;
    while ((s + 1n) * (s + 1n) <= u && s < 32n) s++;
    return s;
  };
  const promised = Number(4n * steps(bigUnits) + 4n) / Number(4n * steps(smallUnits));
  return { stakeRatio: bigUnits / smallUnits, big: served[big]!, small: served[small]!, ratio: served[big]! / served[small]!, promised };
}
