// The language-model demo: stores the committed decoder's weight shards, its two step programs and
// the empty KV cache with TSTORE, then deploys StoryTeller over them. `npm start` runs it after the
// other demos; bench/lm.ts and the tests deploy the same way.
import { bytesToHex, encodeDeployData, getContractAddress, hexToBytes, type Abi, type Hex } from "viem";
import { shardManifestBlob } from "../../precompiles/shards.ts";
import { connect, tstore, type ChainConnection } from "../model/chain.ts";
import { TSTORE_TARGET } from "../../precompiles/flags.ts";
import { packLm, type LmPackage } from "../model/lm-package.ts";
import { LM_DIR } from "../model/lm.ts";
import { createAivmProvider } from "../rpc/provider.ts";
import type { DevNode } from "../chain/node.ts";
import { TransactionRejectedError } from "../chain/node-errors.ts";
import { getContract } from "../chain/solc.ts";
import { STORE_CODE_PREFIX, storeAddressOf } from "../../precompiles/memory.ts";
import type { GenesisAccount } from "../chain/types.ts";

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
  // cacheTime 0: viem keeps a block number for 4 s, longer than a fast deployment takes.
  const first = await conn.public.getBlockNumber({ cacheTime: 0 });
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
  for (const s of pkg.shards) await put(TSTORE_TARGET.persistent, s.tensor, s.id, "a weight shard");
  for (const m of pkg.manifests) await put(TSTORE_TARGET.sharded, m.data, m.id, "a shard manifest");
  await put(TSTORE_TARGET.program, pkg.programs.prefill.program, pkg.programs.prefill.id, "the prefill program");
  await put(TSTORE_TARGET.program, pkg.programs.step.program, pkg.programs.step.id, "the step program");
  await put(TSTORE_TARGET.persistent, pkg.emptyCache.tensor, pkg.emptyCache.id, "the empty KV cache");
  stats.blocks = Number((await conn.public.getBlockNumber({ cacheTime: 0 })) - first);
  stats.ms = Date.now() - started;
  return stats;
}

/** Compiles the committed model, stores it and deploys StoryTeller from dev account 0. */
export async function deployStoryTeller(node: DevNode, dir: string = LM_DIR, onProgress?: (done: number, total: number) => void): Promise<DeployedStoryTeller> {
  const { pkg } = packLm(dir);
  const conn = await nodeConnection(node);
  const deploy = await uploadLm(conn, pkg, onProgress);
  return { address: await deployStoryTellerContract(node, pkg), abi: storyTellerContract().abi, pkg, deploy };
}

/** Dev account that deploys StoryTeller on the demo chain, at nonce 0: the contract's address is fixed. */
export const STORY_TELLER_DEPLOYER_INDEX = 3;

/**
 * The package's blobs as genesis accounts, each with exactly the code TSTORE writes (0xFE ‖ blob):
 * the demo chain starts with the model stored instead of replaying its upload transactions.
 * `uploadLm` is the transaction path; bench:lm reports what it costs.
 */
export function lmGenesisAccounts(pkg: LmPackage): GenesisAccount[] {
  const account = (id: Hex, blob: Uint8Array): GenesisAccount => {
    const code = new Uint8Array(blob.length + 1);
    code[0] = STORE_CODE_PREFIX;
    code.set(blob, 1);
    return { address: storeAddressOf(hexToBytes(id)).toString() as Hex, code: bytesToHex(code) };
  };
  return [
    ...pkg.shards.map((s) => account(s.id, hexToBytes(s.tensor))),
    ...pkg.manifests.map((m) => account(m.id, shardManifestBlob(hexToBytes(m.data)))),
    account(pkg.programs.prefill.id, hexToBytes(pkg.programs.prefill.program)),
    account(pkg.programs.step.id, hexToBytes(pkg.programs.step.program)),
    account(pkg.emptyCache.id, hexToBytes(pkg.emptyCache.tensor)),
  ];
}

/** Deploys StoryTeller over a package already in the store (genesis or uploadLm), from the demo deployer. */
export async function deployStoryTellerContract(node: DevNode, pkg: LmPackage): Promise<Hex> {
  const compiled = storyTellerContract();
  const args = [pkg.programs.prefill.id, pkg.programs.step.id, pkg.emptyCache.id, BigInt(pkg.config.n_layers), BigInt(pkg.config.max_context)] as const;
  const data = encodeDeployData({ abi: compiled.abi, bytecode: compiled.bytecode, args });
  const from = node.accounts[STORY_TELLER_DEPLOYER_INDEX]!.address;
  const hash = await node.sendTransaction({ from, data });
  if (!node.automine) await node.mine();
  const found = node.transaction(hash);
  if (!found?.record.contractAddress || found.record.status !== 1) throw new TransactionRejectedError("Deploying the StoryTeller contract failed.");
  return found.record.contractAddress;
}

/** Where the demo chain's StoryTeller lives (the deployer's first contract). */
export function demoStoryTellerAddress(node: DevNode): Hex {
  return getContractAddress({ from: node.accounts[STORY_TELLER_DEPLOYER_INDEX]!.address, nonce: 0n });
}

/** Dev account that deploys (and so owns) the demo AgentMemory, at nonce 0: a fixed address. */
export const AGENT_MEMORY_DEPLOYER_INDEX = 4;
/** The sentence encoder's embedding width (docs/embeddings.md). */
export const AGENT_MEMORY_DIM = 512;

export function agentMemoryContract() {
  return getContract("AgentMemory", undefined, ["examples/AgentMemory.sol"]);
}

/** Deploys AgentMemory(512) for the sentence encoder's embeddings, owned by dev account 4. */
export async function deployAgentMemory(node: DevNode): Promise<Hex> {
  const compiled = agentMemoryContract();
  const data = encodeDeployData({ abi: compiled.abi, bytecode: compiled.bytecode, args: [AGENT_MEMORY_DIM] });
  const hash = await node.sendTransaction({ from: node.accounts[AGENT_MEMORY_DEPLOYER_INDEX]!.address, data });
  if (!node.automine) await node.mine();
  const found = node.transaction(hash);
  if (!found?.record.contractAddress || found.record.status !== 1) throw new TransactionRejectedError("Deploying the AgentMemory contract failed.");
  return found.record.contractAddress;
}

/** Where the demo chain's AgentMemory lives. */
export function demoAgentMemoryAddress(node: DevNode): Hex {
  return getContractAddress({ from: node.accounts[AGENT_MEMORY_DEPLOYER_INDEX]!.address, nonce: 0n });
}
