// `aivm verify-vrf <block>`: fetches a block's VRF proof from a node and checks it independently:
// the input is rebuilt from the block's own parent hash, the proof is verified with RFC 9381's
// ECVRF-EDWARDS25519-SHA512-TAI, and BlockRandomness.vrfOutput must equal keccak256(beta).
// Prints valid/invalid; exit code 1 when invalid (docs/vrf.md).
import { createPublicClient, custom, http, keccak256, parseAbi, type Client, type EIP1193RequestFn, type Hex } from "viem";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { vrfVerify } from "../commit/vrf.ts";
import { BLOCK_RANDOMNESS_ADDRESS, vrfAlpha } from "../chain/block-randomness.ts";
import { getVrf } from "../viem/actions/getVrf.ts";

const RANDOMNESS_ABI = parseAbi(["function vrfOutput(uint256 blockNumber) view returns (bytes32)"]);

export interface VrfCheck {
  blockNumber: bigint;
  valid: boolean;
  /** Why the check failed (absent when valid). */
  reason?: string;
  publicKey?: Hex;
  beta?: Hex;
}

const strip = (h: string) => h.toLowerCase().replace(/^0x/, "");

/**
 * Checks block `blockNumber`'s VRF on the node behind `target` (an RPC URL or an EIP-1193 provider).
 * `publicKey` pins the producer key; without it the key the chain stores at genesis is used.
 */
export async function verifyBlockVrf(target: string | { request: EIP1193RequestFn }, blockNumber: bigint, publicKey?: Hex): Promise<VrfCheck> {
  const transport = typeof target === "string" ? http(target) : custom(target);
  const client = createPublicClient({ transport });
  let vrf: Awaited<ReturnType<typeof getVrf>>;
  try {
    vrf = await getVrf(client as Client, { blockNumber });
  } catch (error) {
    // A block past the head is a bad-params error from the node.
    const why = (error as { details?: string }).details ?? (error as Error).message.split("\n")[0];
    return { blockNumber, valid: false, reason: `the node has no VRF for block ${blockNumber}: ${why}` };
  }
  if (!vrf) return { blockNumber, valid: false, reason: `the node has no VRF for block ${blockNumber} (genesis has none)` };
  const seen = { blockNumber, publicKey: vrf.publicKey, beta: vrf.beta };
  const block = await client.getBlock({ blockNumber });
  const alpha = vrfAlpha(hexToBytes(strip(block.parentHash)), blockNumber);
  if (bytesToHex(alpha) !== strip(vrf.alpha)) return { ...seen, valid: false, reason: "alpha is not the block's parent hash ‖ uint64 number" };
  if (publicKey !== undefined && strip(publicKey) !== strip(vrf.publicKey)) return { ...seen, valid: false, reason: "the chain's VRF key is not the expected one" };
  const beta = vrfVerify(hexToBytes(strip(vrf.publicKey)), hexToBytes(strip(vrf.pi)), alpha);
  if (!beta) return { ...seen, valid: false, reason: "the proof does not verify under the key" };
  if (bytesToHex(beta) !== strip(vrf.beta)) return { ...seen, valid: false, reason: "the stored output is not the proof's" };
  const onChain = await client.readContract({ address: BLOCK_RANDOMNESS_ADDRESS, abi: RANDOMNESS_ABI, functionName: "vrfOutput", args: [blockNumber] });
  if (onChain !== keccak256(`0x${bytesToHex(beta)}`)) return { ...seen, valid: false, reason: "BlockRandomness.vrfOutput is not keccak256(beta)" };
  return { ...seen, valid: true };
}

/** `aivm verify-vrf <block>` (the command: ./commands/vrf.ts). */
export async function verifyVrf(block: bigint, opts: { rpc: string; publicKey?: Hex; json: boolean }): Promise<void> {
  const check = await verifyBlockVrf(opts.rpc, block, opts.publicKey);
  if (opts.json) console.log(JSON.stringify(check, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
  else if (check.valid) console.log(`valid: block ${block} VRF output ${check.beta} under key ${check.publicKey}`);
  else console.log(`invalid: block ${block}: ${check.reason}`);
  if (!check.valid) process.exitCode = 1;
}
