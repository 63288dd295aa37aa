// `aivm verify --sample k` (docs/verify.md#spot-checks): inclusion for every block of a range, and
// re-execution for k of its blocks with receipts, chosen by the VRF output of the block after the
// range. That output did not exist when the range's blocks were produced, so a producer cannot know
// which of its blocks will be re-executed; the verifier's work is bounded by k blocks.
import { createBlockHeaderFromRPC, type JSONRPCBlock } from "@ethereumjs/block";
import { Address, bigIntToBytes, bytesToHex, equalsBytes, hexToBytes, setLengthLeft } from "@ethereumjs/util";
import { keccak256 } from "../../commit/keccak.ts";
import { u32be } from "../../commit/hash.ts";
import { vrfVerify } from "../../commit/vrf.ts";
import { BLOCK_RANDOMNESS_ADDRESS, VRF_PUBLIC_KEY_SLOT, vrfAlpha } from "../../chain/block-randomness.ts";
import { JsonRpcClient } from "./json-rpc.ts";
import { ProvenRpcStateManager } from "./proven-state.ts";
import { chainCommonFor, verifyBlock, type BlockVerdict } from "./verify-blocks.ts";

type Hex = `0x${string}`;

export interface SampledVerification {
  /** The block whose VRF output chose the sample (the one after the range). */
  seedBlock: bigint;
  beta: Hex;
  /** Blocks of the range with AIVM receipts, and the ones re-executed. */
  candidates: bigint[];
  sampled: bigint[];
  /** Every block: re-executed if sampled, inclusion-checked otherwise. */
  blocks: BlockVerdict[];
}

/** Positions 0…count−1 in the order keccak256(beta ‖ i) draws them (a partial Fisher–Yates shuffle). */
export function sampleIndices(beta: Uint8Array, count: number, k: number): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  const out: number[] = [];
  for (let i = 0; i < Math.min(k, count); i++) {
    const h = keccak256(beta, u32be(i));
    // 48 bits of the hash, reduced: the bias is below count / 2^48.
    const draw = (((h[0]! << 16) | (h[1]! << 8) | h[2]!) * 2 ** 24 + ((h[3]! << 16) | (h[4]! << 8) | h[5]!)) % (count - i);
    const j = i + draw;
    [order[i], order[j]] = [order[j]!, order[i]!];
    out.push(order[i]!);
  }
  return out;
}

/** Verifies blocks from…to by inclusion and re-executes k of those with receipts (see the top). */
export async function verifySample(url: string, from: bigint, to: bigint, k: number, hardfork?: string): Promise<SampledVerification> {
  const client = new JsonRpcClient(url);
  const blocks: BlockVerdict[] = [];
  for (let n = from; n <= to; n++) blocks.push(await verifyBlock(client, n, { inclusionOnly: true, hardfork }));

  // The seed: block to+1's VRF output, its proof checked under the producer's key in block to's proven state.
  const seedBlock = to + 1n;
  const seedJson = await client.request<JSONRPCBlock | null>("eth_getBlockByNumber", [`0x${seedBlock.toString(16)}`, false]);
  const vrf = await client.request<{ pi: Hex; beta: Hex } | null>("aivm_getVrf", [`0x${seedBlock.toString(16)}`]);
  if (!seedJson || !vrf) throw new Error(`--sample draws from block ${seedBlock}'s VRF output: wait until block ${seedBlock} is mined.`);
  const common = chainCommonFor(Number(await client.request<Hex>("eth_chainId")), seedJson, hardfork);
  const seedHeader = createBlockHeaderFromRPC(seedJson, { common, skipConsensusFormatValidation: true });
  const last = blocks[blocks.length - 1]!;
  if (bytesToHex(seedHeader.parentHash) !== last.blockHash) throw new Error(`Block ${seedBlock} does not follow block ${to}.`);
  const lastJson = await client.request<JSONRPCBlock>("eth_getBlockByNumber", [`0x${to.toString(16)}`, false]);
  const lastHeader = createBlockHeaderFromRPC(lastJson, { common, skipConsensusFormatValidation: true });
  if (bytesToHex(lastHeader.hash()) !== last.blockHash) throw new Error(`Block ${to}'s header does not hash to its hash.`);
  const state = new ProvenRpcStateManager({ provider: url, blockTag: to, common }, lastHeader.stateRoot, client);
  const publicKey = setLengthLeft(await state.getStorage(new Address(hexToBytes(BLOCK_RANDOMNESS_ADDRESS)), setLengthLeft(bigIntToBytes(VRF_PUBLIC_KEY_SLOT), 32)), 32);
  const beta = vrfVerify(publicKey, hexToBytes(vrf.pi), vrfAlpha(seedHeader.parentHash, seedBlock));
  if (!beta || !equalsBytes(beta, hexToBytes(vrf.beta))) throw new Error(`Block ${seedBlock}'s VRF proof does not verify under the producer's key.`);

  const candidates = blocks.filter((b) => b.receipts.length > 0).map((b) => b.blockNumber);
  const sampled = sampleIndices(beta, candidates.length, k).map((i) => candidates[i]!);
  for (const n of sampled) blocks[Number(n - from)] = await verifyBlock(client, n, { hardfork });
  return { seedBlock, beta: bytesToHex(beta) as Hex, candidates, sampled, blocks };
}
