// Deploys a model package: weight shards and the program go to the persistent tensor store through
// TSTORE transactions, then the version is registered in ModelRegistry (H6's contract, IModelRegistry).
import { decodeEventLog, encodeFunctionData, hexToBytes, stringToHex, type Abi, type Hex } from "viem";
import { DTYPE_CODES } from "../codec/tensor.ts";
import { TSTORE_TARGET } from "../../precompiles/flags.ts";
import type { DType } from "../engine/tensor.ts";
import { tstore, type ChainConnection } from "./chain.ts";
import { ModelPackageError, type ModelPackage } from "./package.ts";
import type { IoSpec } from "./quantize.ts";

/** IModelRegistry.Status.Active */
const STATUS_ACTIVE = 3;

export interface DeployResult {
  shards: { id: Hex; txHash: Hex; gasUsed: string }[];
  programId: Hex;
  programTx: Hex;
  registry?: { address: Hex; modelId: string; version: number; active: boolean; note?: string };
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

export async function uploadPackage(conn: ChainConnection, pkg: ModelPackage, onProgress?: (done: number, total: number) => void): Promise<DeployResult> {
  const manifests = pkg.manifests ?? [];
  const total = pkg.shards.length + manifests.length + 1;
  const shards: DeployResult["shards"] = [];
  for (const s of pkg.shards) {
    const r = await tstore(conn, TSTORE_TARGET.persistent, hexToBytes(s.tensor));
    if (r.id.toLowerCase() !== s.id.toLowerCase()) throw new ModelPackageError(`the store assigned ${r.id} to a shard the package calls ${s.id}`);
    shards.push({ id: r.id, txHash: r.txHash, gasUsed: r.gasUsed.toString() });
    onProgress?.(shards.length, total);
  }
  for (const m of manifests) {
    const r = await tstore(conn, TSTORE_TARGET.sharded, hexToBytes(m.data));
    if (r.id.toLowerCase() !== m.id.toLowerCase()) throw new ModelPackageError(`the store assigned ${r.id} to the manifest of value ${m.value}, the package expects ${m.id}`);
    onProgress?.(shards.length + manifests.indexOf(m) + 1, total);
  }
  const p = await tstore(conn, TSTORE_TARGET.program, hexToBytes(pkg.program));
  if (p.id.toLowerCase() !== pkg.programId.toLowerCase()) throw new ModelPackageError(`the store assigned program id ${p.id}, the package expects ${pkg.programId}`);
  onProgress?.(total, total);
  return { shards, programId: p.id, programTx: p.txHash };
}

async function send(conn: ChainConnection, to: Hex, abi: Abi, functionName: string, args: readonly unknown[]): Promise<{ logs: { data: Hex; topics: Hex[] }[] }> {
  const data = encodeFunctionData({ abi, functionName, args } as never);
  const hash = await conn.wallet.sendTransaction({ to, data, account: conn.account, chain: null });
  const receipt = await conn.public.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new ModelPackageError(`ModelRegistry.${functionName} reverted (tx ${hash})`);
  return { logs: receipt.logs as never };
}

/**
 * Registers the package as a new model in ModelRegistry: createModel, proposeVersion with the
 * pinned content; approveVersion and activateVersion when the deployer may (a dev registry with
 * the deployer as sole approver and no timelock). Otherwise the version stays proposed.
 */
export async function registerPackage(conn: ChainConnection, registry: Hex, abi: Abi, pkg: ModelPackage, deployed: DeployResult): Promise<NonNullable<DeployResult["registry"]>> {
  const name = stringToHex(pkg.name.slice(0, 31), { size: 32 });
  const created = await send(conn, registry, abi, "createModel", [name, 0]);
  let modelId: bigint | undefined;
  let version: number | undefined;
  for (const log of created.logs) {
    try {
      const ev = decodeEventLog({ abi, data: log.data, topics: log.topics as [Hex, ...Hex[]] }) as unknown as { eventName: string; args: Record<string, unknown> };
      if (ev.eventName === "ModelCreated") modelId = ev.args.modelId as bigint;
    } catch {
      // not a registry event
    }
  }
  if (modelId === undefined) throw new ModelPackageError("ModelRegistry.createModel emitted no ModelCreated event");
  const spec = {
    weightsRoot: pkg.weightsRoot,
    shardHandles: pkg.shards.map((s) => s.id),
    programHash: pkg.programId,
    programHandle: deployed.programId,
    inputSchema: packSchema(pkg.inputs),
    outputSchema: packSchema(pkg.outputs),
    engineVersion: pkg.config.engineVersion,
    quantization: pkg.config.wide.length > 0 ? 1 : 0,
    aggregation: 0,
    gasQuote: BigInt(pkg.quote.gas),
    fee: 0n,
    revenueShareBps: 0,
  };
  const proposed = await send(conn, registry, abi, "proposeVersion", [modelId, spec]);
  for (const log of proposed.logs) {
    try {
      const ev = decodeEventLog({ abi, data: log.data, topics: log.topics as [Hex, ...Hex[]] }) as unknown as { eventName: string; args: Record<string, unknown> };
      if (ev.eventName === "VersionProposed") version = Number(ev.args.version);
    } catch {
      // not a registry event
    }
  }
  if (version === undefined) throw new ModelPackageError("ModelRegistry.proposeVersion emitted no VersionProposed event");
  const status = async () => ((await conn.public.readContract({ address: registry, abi, functionName: "getVersion", args: [modelId, version] })) as { status: number }).status;
  try {
    await send(conn, registry, abi, "approveVersion", [modelId, version]);
    // With a threshold of one and no timelock the approval may already activate the version.
    if ((await status()) !== STATUS_ACTIVE) await send(conn, registry, abi, "activateVersion", [modelId, version]);
    return { address: registry, modelId: modelId.toString(), version, active: (await status()) === STATUS_ACTIVE };
  } catch (e) {
    return { address: registry, modelId: modelId.toString(), version, active: false, note: `proposed; governance must approve and activate it (${(e as Error).message.split("\n")[0]})` };
  }
}
