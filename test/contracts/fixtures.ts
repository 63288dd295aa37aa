// Shared fixtures for the registry and scheduler tests: version specs, deployments, a seeded PRNG.
import { encodeAbiParameters, keccak256, type Hex } from "viem";
import { createChain, type Chain, type Deployed } from "./harness.ts";

export const ZERO32 = `0x${"00".repeat(32)}` as Hex;

/** Packed tensor spec: dtype, rank, big-endian uint32 dims (docs/registry.md#schemas). */
export function packSchema(tensors: { dtype: number; shape: number[] }[]): Hex {
  let hex = "0x";
  for (const t of tensors) {
    hex += t.dtype.toString(16).padStart(2, "0") + t.shape.length.toString(16).padStart(2, "0");
    for (const d of t.shape) hex += d.toString(16).padStart(8, "0");
  }
  return hex as Hex;
}

export interface VersionSpec {
  weightsRoot: Hex;
  shardHandles: Hex[];
  programHash: Hex;
  programHandle: Hex;
  inputSchema: Hex;
  outputSchema: Hex;
  engineVersion: number;
  quantization: number;
  aggregation: number;
  gasQuote: bigint;
  fee: bigint;
  revenueShareBps: number;
}

const word = (n: number): Hex => `0x${n.toString(16).padStart(64, "0")}` as Hex;

export function makeSpec(seed: number, overrides: Partial<VersionSpec> = {}): VersionSpec {
  return {
    weightsRoot: word(0x1000 + seed),
    shardHandles: [word(0x2000 + seed), word(0x3000 + seed)],
    programHash: word(0x4000 + seed),
    programHandle: word(0x4000 + seed),
    inputSchema: packSchema([{ dtype: 1, shape: [1, 16] }]),
    outputSchema: packSchema([{ dtype: 1, shape: [1, 4] }]),
    engineVersion: 1,
    quantization: 0,
    aggregation: 0,
    gasQuote: 50_000n,
    fee: 1_000_000n,
    revenueShareBps: 7_000,
    ...overrides,
  };
}

const SPEC_ABI = [
  {
    type: "tuple",
    components: [
      { name: "weightsRoot", type: "bytes32" },
      { name: "shardHandles", type: "bytes32[]" },
      { name: "programHash", type: "bytes32" },
      { name: "programHandle", type: "bytes32" },
      { name: "inputSchema", type: "bytes" },
      { name: "outputSchema", type: "bytes" },
      { name: "engineVersion", type: "uint32" },
      { name: "quantization", type: "uint8" },
      { name: "aggregation", type: "uint8" },
      { name: "gasQuote", type: "uint64" },
      { name: "fee", type: "uint128" },
      { name: "revenueShareBps", type: "uint16" },
    ],
  },
] as const;

/** keccak256(abi.encode(spec)): the content hash the registry pins. */
export function contentHashOf(spec: VersionSpec): Hex {
  return keccak256(encodeAbiParameters(SPEC_ABI, [spec]));
}

/** Mulberry32: a small seeded PRNG so workloads are reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RegistryFixture {
  chain: Chain;
  registry: Deployed;
}

/** A chain with a deployed registry: governor = accounts[0], approvers = accounts[1..3], threshold 2. */
export async function registryFixture(timelock = 0n): Promise<RegistryFixture> {
  const chain = await createChain();
  const a = chain.accounts;
  const registry = await chain.deploy("ModelRegistry", a[0]!, [a[0]!.address, [a[1]!.address, a[2]!.address, a[3]!.address], 2, timelock]);
  return { chain, registry };
}

/** Creates a model owned by accounts[4] and returns its id. */
export async function createModel(f: RegistryFixture, kind = 0): Promise<bigint> {
  const r = await f.chain.sendOk(f.chain.accounts[4]!, f.registry, "createModel", [word(0xabc), kind]);
  return r.result as bigint;
}

/** Proposes `spec` for `modelId` and gets it approved by two approvers (activates when timelock is 0). */
export async function proposeAndApprove(f: RegistryFixture, modelId: bigint, spec: VersionSpec): Promise<number> {
  const a = f.chain.accounts;
  const v = (await f.chain.sendOk(a[4]!, f.registry, "proposeVersion", [modelId, spec])).result as number;
  await f.chain.sendOk(a[1]!, f.registry, "approveVersion", [modelId, v]);
  await f.chain.sendOk(a[2]!, f.registry, "approveVersion", [modelId, v]);
  return v;
}

export const CONGESTION = "0x000000000000000000000000000000000000a111" as Hex;
export const Class = { RT: 0, Interactive: 1, Bulk: 2 } as const;

export interface SchedulerConfig {
  epochLength: number;
  capacity: bigint;
  guaranteedCapacity: bigint;
  maxCallbackGas: number;
  stakeUnit: bigint;
  unitPrice: bigint;
}

export const UNIT_CONFIG: SchedulerConfig = {
  epochLength: 10,
  capacity: 1_000_000n,
  guaranteedCapacity: 600_000n,
  maxCallbackGas: 800_000,
  stakeUnit: 1_000n,
  unitPrice: 1n,
};

export interface SchedulerFixture extends RegistryFixture {
  scheduler: Deployed;
  modelId: bigint;
}

/**
 * Registry (with model 1, version 1 active) and a deployed scheduler whose congestion source is
 * the Congestion system contract at 0x…A111 (placed there when the runtime has not already).
 */
export async function schedulerFixture(config: SchedulerConfig = UNIT_CONFIG): Promise<SchedulerFixture> {
  const f = await registryFixture();
  const a = f.chain.accounts;
  const modelId = await createModel(f);
  await proposeAndApprove(f, modelId, makeSpec(1));
  f.chain.registerAbi((await import("../../src/chain/solc.ts")).getContract("TestAgent").abi);
  if (!f.chain.aivm) {
    const { getContract } = await import("../../src/chain/solc.ts");
    await f.chain.putCode(CONGESTION, getContract("Congestion").deployedBytecode);
  }
  // Multiplier 1.0 (MULTIPLIER_ONE = 10^6, src/gas/constants.ts) unless a test says otherwise.
  await setMultiplier(f.chain, 1_000_000n, 1_000_000n);
  await f.chain.setBlock(f.chain.blockNumber);
  const scheduler = await f.chain.deploy("AgentScheduler", a[0]!, [f.registry.address, CONGESTION, a[7]!.address, config]);
  return { ...f, scheduler, modelId };
}

/** Writes the Congestion contract's storage (slot 0 multiplier, slot 1 one), as the node's hook does. */
export async function setMultiplier(chain: Chain, multiplier: bigint, one: bigint): Promise<void> {
  const { Address, hexToBytes, setLengthLeft, bigIntToBytes } = await import("@ethereumjs/util");
  const addr = new Address(hexToBytes(CONGESTION));
  const w = (v: bigint) => setLengthLeft(bigIntToBytes(v), 32);
  await chain.vm.stateManager.putStorage(addr, w(0n), w(multiplier));
  await chain.vm.stateManager.putStorage(addr, w(1n), w(one));
}

const reusable = new Map<string, { fixture: SchedulerFixture | RegistryFixture; restore: () => Promise<void> }>();

async function reuse<T extends RegistryFixture>(key: string, build: () => Promise<T>): Promise<T> {
  const hit = reusable.get(key);
  if (hit) {
    await hit.restore();
    hit.restore = await hit.fixture.chain.snapshot();
    return hit.fixture as T;
  }
  const fixture = await build();
  reusable.set(key, { fixture, restore: await fixture.chain.snapshot() });
  return fixture;
}

/** `schedulerFixture(UNIT_CONFIG)`, built once per test file and rolled back before each reuse. */
export function freshScheduler(): Promise<SchedulerFixture> {
  return reuse("scheduler", () => schedulerFixture());
}

/** `registryFixture(timelock)`, built once per test file and timelock, rolled back before each reuse. */
export function freshRegistry(timelock = 0n): Promise<RegistryFixture> {
  return reuse(`registry:${timelock}`, () => registryFixture(timelock));
}
