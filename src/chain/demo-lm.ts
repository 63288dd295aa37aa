// The language-model demo: stores the committed decoder's weight shards, its two step programs and
// the empty KV cache with TSTORE, then deploys StoryTeller over them. `npm start` runs it after the
// other demos; bench/lm.ts and the tests deploy the same way.
import { encodeDeployData, hexToBytes, type Abi, type Hex } from "viem";
import { connect, tstore, type ChainConnection } from "../model/chain.ts";
import { TSTORE_PERSISTENT, TSTORE_PROGRAM, TSTORE_SHARDED } from "../model/deploy.ts";
import { packLm, type LmPackage } from "../model/lm-package.ts";
import { LM_DIR } from "../model/lm.ts";
import { createAivmProvider } from "../rpc/provider.ts";
import type { DevNode } from "./node.ts";
import { TransactionRejectedError } from "./node-errors.ts";
import { getContract } from "./solc.ts";

export interface LmDeployStats {
  transactions: number;
  gas: bigint;
  blocks: number;
  ms: number;
  /** Bytes stored: shards, manifests, programs and the empty cache. */
  bytes: number;
}

export interface DeployedStoryTeller {
  address: Hex;
  abi: Abi;
  pkg: LmPackage;
  deploy: LmDeployStats;
}

export function storyTellerContract() {
  return getContract("StoryTeller", undefined, ["examples/StoryTeller.sol"]);
}

/** A ChainConnection over an in-process node; each transaction is mined at once when automine is off. */
export async function nodeConnection(node: DevNode): Promise<ChainConnection> {
  const provider = await createAivmProvider({ node });
  return connect({
    async request(args: { method: string; params?: unknown }) {
      const result = await provider.request(args as Parameters<typeof provider.request>[0]);
      if (args.method === "eth_sendTransaction" && !node.automine) await node.mine();
      return result;
    },
  });
}

/** Stores every shard, manifest and program of the package and the empty cache; returns what it cost. */
export async function uploadLm(conn: ChainConnection, pkg: LmPackage, onProgress?: (done: number, total: number) => void): Promise<LmDeployStats> {
  const started = Date.now();
  const first = await conn.public.getBlockNumber();
  const stats: LmDeployStats = { transactions: 0, gas: 0n, blocks: 0, ms: 0, bytes: 0 };
  const total = pkg.shards.length + pkg.manifests.length + 3;
  const put = async (target: number, data: Hex, expected: Hex, what: string) => {
    const bytes = hexToBytes(data);
    const r = await tstore(conn, target, bytes);
    if (r.id.toLowerCase() !== expected.toLowerCase()) throw new TransactionRejectedError(`The store assigned ${r.id} to ${what}; the package expects ${expected}.`);
    stats.transactions++;
    stats.gas += r.gasUsed;
    stats.bytes += bytes.length;
    onProgress?.(stats.transactions, total);
  };
  for (const s of pkg.shards) await put(TSTORE_PERSISTENT, s.tensor, s.id, "a weight shard");
  for (const m of pkg.manifests) await put(TSTORE_SHARDED, m.data, m.id, "a shard manifest");
  await put(TSTORE_PROGRAM, pkg.programs.prefill.program, pkg.programs.prefill.id, "the prefill program");
  await put(TSTORE_PROGRAM, pkg.programs.step.program, pkg.programs.step.id, "the step program");
  await put(TSTORE_PERSISTENT, pkg.emptyCache.tensor, pkg.emptyCache.id, "the empty KV cache");
  stats.blocks = Number((await conn.public.getBlockNumber()) - first);
  stats.ms = Date.now() - started;
  return stats;
}

/** Compiles the committed model, stores it and deploys StoryTeller from dev account 0. */
export async function deployStoryTeller(node: DevNode, dir: string = LM_DIR, onProgress?: (done: number, total: number) => void): Promise<DeployedStoryTeller> {
  const { pkg } = packLm(dir);
  const conn = await nodeConnection(node);
  const deploy = await uploadLm(conn, pkg, onProgress);
  const compiled = storyTellerContract();
  const args = [pkg.programs.prefill.id, pkg.programs.step.id, pkg.emptyCache.id, BigInt(pkg.config.n_layers), BigInt(pkg.config.max_seq)] as const;
  const data = encodeDeployData({ abi: compiled.abi, bytecode: compiled.bytecode, args });
  const hash = await node.sendTransaction({ from: node.accounts[0]!.address, data });
  if (!node.automine) await node.mine();
  const found = node.transaction(hash);
  if (!found?.record.contractAddress || found.record.status !== 1) throw new TransactionRejectedError("Deploying the StoryTeller contract failed.");
  return { address: found.record.contractAddress, abi: compiled.abi, pkg, deploy };
}
