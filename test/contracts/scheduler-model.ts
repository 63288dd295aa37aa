// Reference model of AgentScheduler's admission control and Bulk fair queuing, in plain TypeScript
// with BigInt arithmetic. The property tests check it against the contract request by request on a
// shared workload, then use it for workloads too large to push through the EVM in a test run.

export const REQUEST_OVERHEAD = 100_000n;
const TAG_SCALE = 1n << 20n;
const MAX_STAKE_STEPS = 32n;
const STAKE_STEP_WEIGHT = 4n;
const MAX_LATENCY_CREDIT = 4n;

export const RT = 0;
export const INTERACTIVE = 1;
export const BULK = 2;

export interface ModelConfig {
  capacity: bigint;
  guaranteedCapacity: bigint;
  stakeUnit: bigint;
}

interface AgentState {
  stake: bigint;
  lastFinish: bigint;
  recentWait: bigint;
}

export interface ModelRequest {
  id: number;
  agent: number;
  cls: number;
  units: bigint;
  submitEpoch: bigint;
  deadline: bigint;
  slot: bigint;
  status: "queued" | "executed" | "refunded";
}

export function isqrtCapped(x: bigint, cap: bigint): bigint {
  if (x >= cap * cap) return cap;
  let lo = 0n;
  let hi = cap;
  while (lo < hi) {
    const mid = (lo + hi + 1n) / 2n;
    if (mid * mid <= x) lo = mid;
    else hi = mid - 1n;
  }
  return lo;
}

export class SchedulerModel {
  readonly requests: ModelRequest[] = [];
  readonly agents: AgentState[] = [];
  nextSlot: bigint;
  private virtualTime = 0n;
  private readonly heap: bigint[] = [];
  private readonly slots = new Map<bigint, { reserved: bigint; interactive: bigint; queue: number[] }>();

  constructor(
    readonly cfg: ModelConfig,
    startEpoch: bigint,
  ) {
    this.nextSlot = startEpoch + 1n;
  }

  addAgent(stake: bigint): number {
    this.agents.push({ stake, lastFinish: 0n, recentWait: 0n });
    return this.agents.length; // ids from 1, like the contract
  }

  weight(agentId: number): bigint {
    const a = this.agents[agentId - 1]!;
    const steps = isqrtCapped(a.stake / this.cfg.stakeUnit, MAX_STAKE_STEPS);
    return STAKE_STEP_WEIGHT * steps + (a.recentWait < MAX_LATENCY_CREDIT ? a.recentWait : MAX_LATENCY_CREDIT);
  }

  private slot(s: bigint) {
    let info = this.slots.get(s);
    if (!info) this.slots.set(s, (info = { reserved: 0n, interactive: 0n, queue: [] }));
    return info;
  }

  /** Returns the request id, or 0 when the contract would refuse the submission. */
  submitTick(agentId: number, cls: number, callbackGas: bigint, epoch: bigint): number {
    const units = callbackGas + REQUEST_OVERHEAD;
    const g = this.cfg.guaranteedCapacity;
    let slot = 0n;
    let deadline = 0n;
    if (cls === BULK) {
      if (units > this.cfg.capacity - g) return 0;
    } else {
      if (units > g) return 0;
      if (cls === RT) {
        const info = this.slot(epoch + 1n);
        if (info.reserved + units > g) return 0;
        info.reserved += units;
        slot = deadline = epoch + 1n;
      } else {
        const cap = g - g / 4n;
        deadline = epoch + 3n;
        for (let s = epoch + 1n; s <= deadline; s++) {
          const info = this.slot(s);
          if (info.reserved + units <= g && info.interactive + units <= cap) {
            info.reserved += units;
            info.interactive += units;
            slot = s;
            break;
          }
        }
        if (slot === 0n) return 0;
      }
    }
    const id = this.requests.length + 1;
    this.requests.push({ id, agent: agentId, cls, units, submitEpoch: epoch, deadline, slot, status: "queued" });
    if (cls === BULK) {
      const a = this.agents[agentId - 1]!;
      const start = a.lastFinish > this.virtualTime ? a.lastFinish : this.virtualTime;
      const finish = start + (units * TAG_SCALE) / this.weight(agentId);
      a.lastFinish = finish;
      this.push((finish << 64n) | BigInt(id));
    } else {
      this.slot(slot).queue.push(id);
    }
    return id;
  }

  /** processEpoch at `current`; returns the ids executed, in order. */
  processEpoch(current: bigint): number[] {
    const slot = this.nextSlot;
    if (slot > current) throw new Error(`EpochNotReached(${slot}, ${current})`);
    this.nextSlot = slot + 1n;
    const ran: number[] = [];
    let used = 0n;
    for (const id of this.slots.get(slot)?.queue ?? []) {
      const r = this.requests[id - 1]!;
      if (current > r.deadline) {
        r.status = "refunded";
        continue;
      }
      used += r.units;
      r.status = "executed";
      ran.push(id);
    }
    this.slots.delete(slot);
    const budget = this.cfg.capacity - used;
    let bulkUsed = 0n;
    while (this.heap.length) {
      const top = this.heap[0]!;
      const r = this.requests[Number(top & 0xffffffffffffffffn) - 1]!;
      if (bulkUsed + r.units > budget) break;
      bulkUsed += r.units;
      this.virtualTime = top >> 64n;
      this.pop();
      const first = r.submitEpoch + 1n;
      const waited = slot > first ? slot - first : 0n;
      const a = this.agents[r.agent - 1]!;
      a.recentWait = (a.recentWait + waited) / 2n;
      r.status = "executed";
      r.slot = slot;
      ran.push(r.id);
    }
    return ran;
  }

  get backlog(): number {
    return this.heap.length;
  }

  private push(key: bigint): void {
    const h = this.heap;
    let i = h.length;
    h.push(key);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]! <= key) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = key;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (!h.length) return;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= h.length) break;
      if (c + 1 < h.length && h[c + 1]! < h[c]!) c++;
      if (last <= h[c]!) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
}
