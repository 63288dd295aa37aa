// The ModelRegistry and AgentScheduler predeploys: runtime code plus the storage their constructors
// would have written, so a fresh chain has both contracts live at block 0 with no setup
// transaction (a predeploy's constructor never runs). The slots written are pinned twice: by the
// contracts' `*_SLOT` constants and by REGISTRY_LAYOUT / SCHEDULER_LAYOUT below, which
// test/contracts/storage-layout.test.ts checks against solc's storageLayout and against the storage
// a constructor deployment with the same arguments leaves (docs/registry.md#storage-and-genesis).
import { encodeAbiParameters, keccak256, type Hex } from "viem";
import { getContract } from "./solc.ts";
import type { GenesisAccount } from "./types.ts";

/** Fixed addresses inside the reserved 0x…A109–0x…A1FF range. */
export const MODEL_REGISTRY_ADDRESS = "0x000000000000000000000000000000000000a120" as const;
export const AGENT_SCHEDULER_ADDRESS = "0x000000000000000000000000000000000000a121" as const;

/** The EIP-4788-style system caller of the scheduler's epoch call. */
export const SYSTEM_CALLER_ADDRESS = "0xfffffffffffffffffffffffffffffffffffffffe" as const;

/** Only these entry points are compiled for the predeploys, so edits elsewhere keep the solc cache. */
const PREDEPLOY_SOURCES = ["ModelRegistry.sol", "AgentScheduler.sol"] as const;

export interface RegistryGenesis {
  governor: Hex;
  approvers: Hex[];
  threshold: number;
  timelock: bigint;
}

export interface SchedulerGenesis {
  registry: Hex;
  congestion: Hex;
  governor: Hex;
  epochLength: number;
  capacity: bigint;
  guaranteedCapacity: bigint;
  maxCallbackGas: number;
  stakeUnit: bigint;
  unitPrice: bigint;
  /** First slot processEpoch will run: block number of genesis / epochLength + 1 (1 at block 0). */
  nextSlot?: bigint;
}

/** Hardhat/anvil dev account 0 (mnemonic "test … junk", m/44'/60'/0'/0/0): the dev chain's governor. */
export const DEV_GOVERNOR = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266" as const;

/** Dev registry: dev account 0 governs and is the sole approver, no timelock (deploys activate at once). */
export const DEV_REGISTRY_GENESIS: RegistryGenesis = { governor: DEV_GOVERNOR, approvers: [DEV_GOVERNOR], threshold: 1, timelock: 0n };

/** Dev scheduler config suggested in docs/scheduler.md. */
export const DEV_SCHEDULER_GENESIS: Omit<SchedulerGenesis, "registry" | "congestion"> = {
  governor: DEV_GOVERNOR,
  epochLength: 10,
  capacity: 30_000_000n,
  guaranteedCapacity: 20_000_000n,
  maxCallbackGas: 1_000_000,
  stakeUnit: 10n ** 18n,
  unitPrice: 1_000_000_000n,
};

/** Where solc keeps a state variable: its slot, byte offset within the slot, size and type (storageLayout's label). */
export interface StorageVar {
  slot: bigint;
  offset: number;
  bytes: number;
  type: string;
}

/** ModelRegistry's `*_SLOT` constants: the slots genesis writes (mapping slots are the mappings' roots). */
export const REGISTRY_SLOTS = { GOVERNANCE_SLOT: 0n, COUNTERS_SLOT: 1n, APPROVERS_SLOT: 2n } as const;

/** The ModelRegistry variables genesis writes, where registryGenesisStorage puts them. */
export const REGISTRY_LAYOUT = {
  _governor: { slot: REGISTRY_SLOTS.GOVERNANCE_SLOT, offset: 0, bytes: 20, type: "address" },
  _threshold: { slot: REGISTRY_SLOTS.GOVERNANCE_SLOT, offset: 20, bytes: 2, type: "uint16" },
  _timelock: { slot: REGISTRY_SLOTS.GOVERNANCE_SLOT, offset: 22, bytes: 8, type: "uint64" },
  _approverSetId: { slot: REGISTRY_SLOTS.COUNTERS_SLOT, offset: 0, bytes: 4, type: "uint32" },
  _modelCount: { slot: REGISTRY_SLOTS.COUNTERS_SLOT, offset: 4, bytes: 8, type: "uint64" },
  _isApprover: { slot: REGISTRY_SLOTS.APPROVERS_SLOT, offset: 0, bytes: 32, type: "mapping(uint32 => mapping(address => bool))" },
} as const satisfies Record<string, StorageVar>;

/** AgentScheduler's `*_SLOT` constants: the slots genesis writes and the block builder reads. */
export const SCHEDULER_SLOTS = { EPOCH_SLOT: 0n, CONGESTION_SLOT: 1n, GOVERNOR_SLOT: 2n, CAPACITY_SLOT: 3n } as const;

/** The AgentScheduler variables genesis writes, where schedulerGenesisStorage puts them. */
export const SCHEDULER_LAYOUT = {
  _registry: { slot: SCHEDULER_SLOTS.EPOCH_SLOT, offset: 0, bytes: 20, type: "contract IModelRegistry" },
  _epochLength: { slot: SCHEDULER_SLOTS.EPOCH_SLOT, offset: 20, bytes: 4, type: "uint32" },
  _nextSlot: { slot: SCHEDULER_SLOTS.EPOCH_SLOT, offset: 24, bytes: 8, type: "uint64" },
  _congestion: { slot: SCHEDULER_SLOTS.CONGESTION_SLOT, offset: 0, bytes: 20, type: "contract ICongestion" },
  _maxCallbackGas: { slot: SCHEDULER_SLOTS.CONGESTION_SLOT, offset: 20, bytes: 4, type: "uint32" },
  _agentCount: { slot: SCHEDULER_SLOTS.CONGESTION_SLOT, offset: 24, bytes: 8, type: "uint64" },
  _governor: { slot: SCHEDULER_SLOTS.GOVERNOR_SLOT, offset: 0, bytes: 20, type: "address" },
  _stakeUnit: { slot: SCHEDULER_SLOTS.GOVERNOR_SLOT, offset: 20, bytes: 12, type: "uint96" },
  _capacity: { slot: SCHEDULER_SLOTS.CAPACITY_SLOT, offset: 0, bytes: 8, type: "uint64" },
  _guaranteedCapacity: { slot: SCHEDULER_SLOTS.CAPACITY_SLOT, offset: 8, bytes: 8, type: "uint64" },
  _unitPrice: { slot: SCHEDULER_SLOTS.CAPACITY_SLOT, offset: 16, bytes: 8, type: "uint64" },
  _requestCount: { slot: SCHEDULER_SLOTS.CAPACITY_SLOT, offset: 24, bytes: 8, type: "uint64" },
} as const satisfies Record<string, StorageVar>;

const word = (v: bigint): Hex => `0x${v.toString(16).padStart(64, "0")}` as Hex;
const addr = (a: Hex) => BigInt(a);
const ZERO_ADDRESS = 0n;
/** Solidity mapping slot: keccak256(key ‖ slot). */
const mapSlot = (key: bigint, slot: bigint): bigint =>
  BigInt(keccak256(encodeAbiParameters([{ type: "uint256" }, { type: "uint256" }], [key, slot])));

/**
 * One storage word: each variable's value at its byte offset. All of them must share one slot and
 * each value must fit its size, so a layout or config mistake throws instead of writing a wrong word.
 */
function packSlot<L extends Record<string, StorageVar>>(layout: L, values: { [K in keyof L]?: bigint }): [Hex, Hex] {
  const names = Object.keys(values);
  const slot = layout[names[0]!]!.slot;
  let packed = 0n;
  for (const name of names) {
    const v = layout[name]!;
    const value = values[name]!;
    if (v.slot !== slot) throw new Error(`${name} is in slot ${v.slot}, not ${slot}`);
    if (value < 0n || value >> BigInt(8 * v.bytes) !== 0n) throw new Error(`${name} = ${value} does not fit ${v.type}`);
    packed |= value << BigInt(8 * v.offset);
  }
  return [word(slot), word(packed)];
}

/** A variable's value out of its slot's word. */
export function unpackSlot(v: StorageVar, slotWord: bigint): bigint {
  return (slotWord >> BigInt(8 * v.offset)) & ((1n << BigInt(8 * v.bytes)) - 1n);
}

/** What ModelRegistry's constructor writes for `g` (it rejects what the constructor rejects). */
export function registryGenesisStorage(g: RegistryGenesis): Record<Hex, Hex> {
  if (addr(g.governor) === ZERO_ADDRESS || g.approvers.some((a) => addr(a) === ZERO_ADDRESS)) throw new Error("zero governor or approver");
  if (new Set(g.approvers.map(addr)).size !== g.approvers.length) throw new Error("duplicate approver");
  if (g.threshold < 1 || g.threshold > g.approvers.length) throw new Error("threshold must be in 1..approvers.length");
  const L = REGISTRY_LAYOUT;
  const storage = Object.fromEntries([
    packSlot(L, { _governor: addr(g.governor), _threshold: BigInt(g.threshold), _timelock: g.timelock }),
    // The constructor's _setApprovers makes the first approver set, id 1.
    packSlot(L, { _approverSetId: 1n, _modelCount: 0n }),
  ]) as Record<Hex, Hex>;
  const set = mapSlot(1n, L._isApprover.slot);
  for (const a of g.approvers) storage[word(mapSlot(addr(a), set))] = word(1n);
  return storage;
}

/** What AgentScheduler's constructor writes for `g` deployed in epoch nextSlot - 1 (it rejects what the constructor rejects). */
export function schedulerGenesisStorage(g: SchedulerGenesis): Record<Hex, Hex> {
  if (addr(g.registry) === ZERO_ADDRESS || addr(g.governor) === ZERO_ADDRESS) throw new Error("zero registry or governor");
  if (g.epochLength === 0 || g.guaranteedCapacity >= g.capacity || g.guaranteedCapacity < 100_000n || g.stakeUnit === 0n) {
    throw new Error("invalid scheduler config (see the AgentScheduler constructor)");
  }
  const L = SCHEDULER_LAYOUT;
  return Object.fromEntries([
    packSlot(L, { _registry: addr(g.registry), _epochLength: BigInt(g.epochLength), _nextSlot: g.nextSlot ?? 1n }),
    packSlot(L, { _congestion: addr(g.congestion), _maxCallbackGas: BigInt(g.maxCallbackGas), _agentCount: 0n }),
    packSlot(L, { _governor: addr(g.governor), _stakeUnit: g.stakeUnit }),
    packSlot(L, { _capacity: g.capacity, _guaranteedCapacity: g.guaranteedCapacity, _unitPrice: g.unitPrice, _requestCount: 0n }),
  ]) as Record<Hex, Hex>;
}

/** Both predeploys as genesis accounts (the scheduler points at the registry's fixed address). */
export function registrySchedulerGenesis(registry: RegistryGenesis, scheduler: Omit<SchedulerGenesis, "registry">): GenesisAccount[] {
  const code = (name: string) => getContract(name, undefined, PREDEPLOY_SOURCES).deployedBytecode;
  return [
    { address: MODEL_REGISTRY_ADDRESS, code: code("ModelRegistry"), storage: registryGenesisStorage(registry) },
    {
      address: AGENT_SCHEDULER_ADDRESS,
      code: code("AgentScheduler"),
      storage: schedulerGenesisStorage({ ...scheduler, registry: MODEL_REGISTRY_ADDRESS }),
    },
  ];
}

/** Scheduler storage words EPOCH_SLOT and CAPACITY_SLOT → (epochLength, nextSlot, capacity): what the epoch call needs. */
export function decodeSchedulerSlots(epochWord: bigint, capacityWord: bigint): { epochLength: bigint; nextSlot: bigint; capacity: bigint } {
  const L = SCHEDULER_LAYOUT;
  return { epochLength: unpackSlot(L._epochLength, epochWord), nextSlot: unpackSlot(L._nextSlot, epochWord), capacity: unpackSlot(L._capacity, capacityWord) };
}

/**
 * Gas for one processEpoch system call (docs/scheduler.md): capacity · max(m, ONE) / ONE · 64/63 +
 * 200,000, rounded up — every request's units plus the 63/64-rule margin and the registry reserve.
 */
export function epochCallGas(capacity: bigint, multiplier: bigint, one: bigint): bigint {
  const m = multiplier > one ? multiplier : one;
  const den = one * 63n;
  return (capacity * m * 64n + den - 1n) / den + 200_000n;
}
