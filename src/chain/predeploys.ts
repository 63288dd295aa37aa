// The ModelRegistry and AgentScheduler predeploys: runtime code plus the storage that `initialize`
// would have written, so a fresh chain has both contracts live at block 0 with no setup
// transaction. The layout follows the declaration order documented in docs/registry.md and
// docs/scheduler.md; test/contracts/predeploy.test.ts checks it against the contracts' getters.
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

const word = (v: bigint): Hex => `0x${v.toString(16).padStart(64, "0")}` as Hex;
const addr = (a: Hex) => BigInt(a);
/** Solidity mapping slot: keccak256(key ‖ slot). */
const mapSlot = (key: bigint, slot: bigint): bigint =>
  BigInt(keccak256(encodeAbiParameters([{ type: "uint256" }, { type: "uint256" }], [key, slot])));

export function registryGenesisStorage(g: RegistryGenesis): Record<Hex, Hex> {
  if (g.threshold < 1 || g.threshold > g.approvers.length) throw new Error("threshold must be in 1..approvers.length");
  const storage: Record<Hex, Hex> = {};
  // slot 0: governor (20 bytes) | threshold (uint16) | timelock (uint64)
  storage[word(0n)] = word(addr(g.governor) | (BigInt(g.threshold) << 160n) | (g.timelock << 176n));
  // slot 1: approverSetId = 1 | modelCount = 0
  storage[word(1n)] = word(1n);
  // slot 2: _isApprover[1][approver] = true
  const set = mapSlot(1n, 2n);
  for (const a of g.approvers) storage[word(mapSlot(addr(a), set))] = word(1n);
  return storage;
}

export function schedulerGenesisStorage(g: SchedulerGenesis): Record<Hex, Hex> {
  if (g.epochLength === 0 || g.guaranteedCapacity >= g.capacity || g.guaranteedCapacity < 100_000n || g.stakeUnit === 0n) {
    throw new Error("invalid scheduler config (see AgentScheduler.initialize)");
  }
  const nextSlot = g.nextSlot ?? 1n;
  return {
    // slot 0: registry | epochLength (uint32) | nextSlot (uint64)
    [word(0n)]: word(addr(g.registry) | (BigInt(g.epochLength) << 160n) | (nextSlot << 192n)),
    // slot 1: congestion | maxCallbackGas (uint32) | agentCount (uint64) = 0
    [word(1n)]: word(addr(g.congestion) | (BigInt(g.maxCallbackGas) << 160n)),
    // slot 2: governor | stakeUnit (uint96)
    [word(2n)]: word(addr(g.governor) | (g.stakeUnit << 160n)),
    // slot 3: capacity | guaranteedCapacity | unitPrice | requestCount = 0 (uint64 each)
    [word(3n)]: word(g.capacity | (g.guaranteedCapacity << 64n) | (g.unitPrice << 128n)),
  };
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

/** Scheduler storage slot 0 → (epochLength, nextSlot); slot 3 → capacity. What the epoch call needs. */
export function decodeSchedulerSlots(slot0: bigint, slot3: bigint): { epochLength: bigint; nextSlot: bigint; capacity: bigint } {
  const mask64 = (1n << 64n) - 1n;
  return { epochLength: (slot0 >> 160n) & 0xffffffffn, nextSlot: (slot0 >> 192n) & mask64, capacity: slot3 & mask64 };
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
