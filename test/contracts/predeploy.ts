// Genesis recipe for the registry and scheduler predeploys: runtime code plus the storage that
// `initialize` would have written, so the dev node needs no setup transaction. The layout follows
// the declaration order documented in docs/registry.md and docs/scheduler.md; predeploy.test.ts
// checks it against the contracts' own getters. The lead may move this into src/chain/genesis.ts.
import { encodeAbiParameters, keccak256, type Hex } from "viem";
import { getContract } from "../../src/chain/solc.ts";
import type { GenesisAccount } from "../../src/chain/types.ts";

/** Proposed addresses inside the reserved 0x…A109–0x…A1FF range. */
export const MODEL_REGISTRY_ADDRESS = "0x000000000000000000000000000000000000a120" as const;
export const AGENT_SCHEDULER_ADDRESS = "0x000000000000000000000000000000000000a121" as const;

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

/** Both predeploys as genesis accounts. */
export function registrySchedulerGenesis(registry: RegistryGenesis, scheduler: Omit<SchedulerGenesis, "registry">): GenesisAccount[] {
  return [
    { address: MODEL_REGISTRY_ADDRESS, code: getContract("ModelRegistry").deployedBytecode, storage: registryGenesisStorage(registry) },
    {
      address: AGENT_SCHEDULER_ADDRESS,
      code: getContract("AgentScheduler").deployedBytecode,
      storage: schedulerGenesisStorage({ ...scheduler, registry: MODEL_REGISTRY_ADDRESS }),
    },
  ];
}
