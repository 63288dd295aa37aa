// Deploys a model package: weight shards and the program go to the persistent tensor store through
// TSTORE transactions, then the version is registered in ModelRegistry (H6's contract, IModelRegistry).
import { decodeEventLog, encodeAbiParameters, encodeFunctionData, hexToBytes, keccak256, stringToHex, type Abi, type AbiFunction, type Hex } from "viem";
import { DTYPE_CODES } from "../codec/tensor.ts";
import { TSTORE_TARGET } from "../../precompiles/flags.ts";
import type { DType } from "../engine/tensor.ts";
import { isStored, tstore, type ChainConnection } from "./chain.ts";
import { ModelPackageError, type ModelPackage } from "./package.ts";
import type { IoSpec } from "./quantize.ts";

/** IModelRegistry.Status.Proposed and Active */
const STATUS_PROPOSED = 1;
const STATUS_ACTIVE = 3;

export interface DeployResult {
  /** Every shard of the package; `stored` is false for one the store already held (no transaction sent). */
  shards: { id: Hex; stored: boolean; txHash?: Hex; gasUsed: string }[];
  programId: Hex;
  /** Absent when the store already held the program. */
  programTx?: Hex;
  /** How many shards, manifests and programs this deploy stored, and how many it found already stored. */
  stored: { count: number; skipped: number };
  /** Gas of every transaction this deploy sent (stores and registry calls). */
  gasUsed: string;
  /** `active`: this version is executable (pinnable); `defaultVersion`: the model's active version, what `resolve(id, 0)` runs. */
  registry?: { address: Hex; modelId: string; version: number; active: boolean; defaultVersion: number; alreadyRegistered: boolean; newModel: boolean; note?: string };
}

/** Packed tensor specs for the registry schema: dtype (1 byte), rank (1 byte), rank × uint32 BE dims. */
export function packSchema(specs: readonly IoSpec[]): Hex {
  const bytes: number[] = [];
  for (const s of specs) {
    bytes.push(DTYPE_CODES[s.quant.dtype as DType], s.shape.length);
    for (const d of s.shape) bytes.push((d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255);
  }
  return `0x${bytes.map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * Stores the package's shards, manifests and program with TSTORE, skipping every content id the
 * store already holds (content addressing: the same id is the same bytes), so a second deploy of the
 * same package, or a new version sharing weights with an old one, pays only for what is new.
 */
export async function uploadPackage(conn: ChainConnection, pkg: ModelPackage, onProgress?: (done: number, total: number) => void): Promise<DeployResult> {
  const manifests = pkg.manifests ?? [];
  const total = pkg.shards.length + manifests.length + 1;
  let done = 0;
  let skipped = 0;
  let gas = 0n;
  const put = async (target: number, data: Hex, id: Hex, what: string): Promise<{ txHash?: Hex; gasUsed: bigint }> => {
    onProgress?.(++done, total);
    if (await isStored(conn, id)) {
      skipped++;
      return { gasUsed: 0n };
    }
    const r = await tstore(conn, target, hexToBytes(data));
    if (r.id.toLowerCase() !== id.toLowerCase()) throw new ModelPackageError(`the store assigned ${r.id} to ${what}, the package expects ${id}`);
    gas += r.gasUsed;
    return { txHash: r.txHash, gasUsed: r.gasUsed };
  };
  const shards: DeployResult["shards"] = [];
  for (const s of pkg.shards) {
    const r = await put(TSTORE_TARGET.persistent, s.tensor, s.id, `shard ${s.id}`);
    shards.push({ id: s.id, stored: r.txHash !== undefined, ...(r.txHash ? { txHash: r.txHash } : {}), gasUsed: r.gasUsed.toString() });
  }
  for (const m of manifests) await put(TSTORE_TARGET.sharded, m.data, m.id, `the manifest of value ${m.value}`);
  const p = await put(TSTORE_TARGET.program, pkg.program, pkg.programId, "the program");
  return { shards, programId: pkg.programId, ...(p.txHash ? { programTx: p.txHash } : {}), stored: { count: total - skipped, skipped }, gasUsed: gas.toString() };
}

async function send(conn: ChainConnection, to: Hex, abi: Abi, functionName: string, args: readonly unknown[]): Promise<{ logs: { data: Hex; topics: Hex[] }[]; gasUsed: bigint }> {
  const data = encodeFunctionData({ abi, functionName, args } as never);
  const hash = await conn.wallet.sendTransaction({ to, data, account: conn.account, chain: null });
  const receipt = await conn.public.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new ModelPackageError(`ModelRegistry.${functionName} reverted (tx ${hash})`);
  return { logs: receipt.logs as never, gasUsed: receipt.gasUsed };
}

function eventArg(abi: Abi, logs: readonly { data: Hex; topics: Hex[] }[], eventName: string, arg: string): unknown {
  for (const log of logs) {
    try {
      const ev = decodeEventLog({ abi, data: log.data, topics: log.topics as [Hex, ...Hex[]] }) as unknown as { eventName: string; args: Record<string, unknown> };
      if (ev.eventName === eventName) return ev.args[arg];
    } catch {
      // not a registry event
    }
  }
  return undefined;
}

/** The registry's VersionSpec for a package (what proposeVersion pins). */
export function versionSpec(pkg: ModelPackage) {
  return {
    weightsRoot: pkg.weightsRoot,
    shardHandles: pkg.shards.map((s) => s.id),
    programHash: pkg.programId,
    programHandle: pkg.programId,
    inputSchema: packSchema(pkg.inputs),
    outputSchema: packSchema(pkg.outputs),
    engineVersion: pkg.config.engineVersion,
    quantization: pkg.config.wide.length > 0 ? 1 : 0,
    aggregation: 0,
    gasQuote: BigInt(pkg.quote.gas),
    fee: 0n,
    revenueShareBps: 0,
  };
}

/** keccak256(abi.encode(spec)): the content hash ModelRegistry gives a version (and refuses twice per model). */
export function versionContentHash(abi: Abi, spec: ReturnType<typeof versionSpec>): Hex {
  const propose = abi.find((x) => x.type === "function" && x.name === "proposeVersion") as AbiFunction | undefined;
  if (!propose) throw new ModelPackageError("the ModelRegistry ABI has no proposeVersion");
  return keccak256(encodeAbiParameters([propose.inputs[1]!], [spec]));
}

/**
 * Registers the package in ModelRegistry. A model of the same name owned by the deployer gets a new
 * version (the newest such model, found through its ModelCreated log); otherwise createModel makes
 * one. A package whose content that model already has is not proposed again: the existing version is
 * returned. approveVersion and activateVersion follow when the deployer may (a dev registry with the
 * deployer as sole approver and no timelock); otherwise the version stays proposed.
 */
export async function registerPackage(conn: ChainConnection, registry: Hex, abi: Abi, pkg: ModelPackage, deployed: DeployResult): Promise<NonNullable<DeployResult["registry"]>> {
  const name = stringToHex(pkg.name.slice(0, 31), { size: 32 });
  const spec = versionSpec(pkg);
  const contentHash = versionContentHash(abi, spec);
  let gas = 0n;
  const created = (await conn.public.getContractEvents({ address: registry, abi, eventName: "ModelCreated", args: { owner: conn.account }, fromBlock: 0n } as never)) as unknown as { args: { modelId: bigint; name: Hex } }[];
  const mine = created.filter((l) => l.args.name.toLowerCase() === name.toLowerCase()).map((l) => l.args.modelId);
  let modelId: bigint | undefined = mine.length ? mine.reduce((a, b) => (b > a ? b : a)) : undefined;
  const newModel = modelId === undefined;
  let version: number | undefined;
  if (modelId !== undefined) {
    const seen = (await conn.public.getContractEvents({ address: registry, abi, eventName: "VersionProposed", args: { modelId, contentHash }, fromBlock: 0n } as never)) as unknown as { args: { version: number } }[];
    if (seen.length) version = Number(seen[0]!.args.version);
  } else {
    const r = await send(conn, registry, abi, "createModel", [name, 0]);
    gas += r.gasUsed;
    modelId = eventArg(abi, r.logs, "ModelCreated", "modelId") as bigint | undefined;
    if (modelId === undefined) throw new ModelPackageError("ModelRegistry.createModel emitted no ModelCreated event");
  }
  const id = modelId;
  const alreadyRegistered = version !== undefined;
  if (version === undefined) {
    const r = await send(conn, registry, abi, "proposeVersion", [id, spec]);
    gas += r.gasUsed;
    const v = eventArg(abi, r.logs, "VersionProposed", "version");
    if (v === undefined) throw new ModelPackageError("ModelRegistry.proposeVersion emitted no VersionProposed event");
    version = Number(v);
  }
  const ver = version;
  const status = async () => ((await conn.public.readContract({ address: registry, abi, functionName: "getVersion", args: [id, ver] })) as { status: number }).status;
  const result = { address: registry, modelId: id.toString(), version: ver, alreadyRegistered, newModel };
  const done = async (active: boolean, note?: string) => {
    deployed.gasUsed = (BigInt(deployed.gasUsed) + gas).toString();
    const model = (await conn.public.readContract({ address: registry, abi, functionName: "getModel", args: [id] })) as { activeVersion: number };
    return { ...result, active, defaultVersion: Number(model.activeVersion), ...(note ? { note } : {}) };
  };
  if ((await status()) === STATUS_ACTIVE) return await done(true);
  try {
    if (!alreadyRegistered || (await status()) === STATUS_PROPOSED) gas += (await send(conn, registry, abi, "approveVersion", [id, ver])).gasUsed;
    // With a threshold of one and no timelock the approval may already activate the version.
    if ((await status()) !== STATUS_ACTIVE) gas += (await send(conn, registry, abi, "activateVersion", [id, ver])).gasUsed;
    return await done((await status()) === STATUS_ACTIVE);
  } catch (e) {
    return await done(false, `proposed; governance must approve and activate it (${(e as Error).message.split("\n")[0]})`);
  }
}
