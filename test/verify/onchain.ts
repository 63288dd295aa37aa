// contracts/verify on a dev node: installs AivmReceiptVerifier and a gas probe, writes synthetic
// anchors into BlockAnchor, and measures the gas of each check (test/verify and bench/verify.ts).
import { bytesToHex, decodeFunctionResult, encodeAbiParameters, encodeFunctionData, hexToBigInt, keccak256, numberToHex, type Abi, type Hex } from "viem";
import type { DevNode } from "../../src/chain/node.ts";
import { getContract } from "../../src/chain/solc.ts";
import { BLOCK_ANCHOR_ADDRESS } from "../../src/chain/genesis.ts";
import { receiptLeaf, type ReceiptFields } from "../../src/commit/receipt.ts";
import { leavesRoot, receiptProof } from "../../src/commit/trace.ts";

export const VERIFIER_ADDRESS: Hex = "0x00000000000000000000000000000000000a17e1";
export const PROBE_ADDRESS: Hex = "0x00000000000000000000000000000000000a17e2";

export function verifierContract() {
  return getContract("AivmReceiptVerifier", undefined, ["verify/AivmReceiptVerifier.sol"]);
}

export function probeContract() {
  return getContract("VerifierGasProbe", undefined, ["verify/test/VerifierGasProbe.sol"]);
}

export const verifierAbi = (): Abi => verifierContract().abi as Abi;

/** Puts the verifier's and the probe's runtime code on `node` (neither has a constructor). */
export async function installVerifier(node: DevNode): Promise<void> {
  await node.setCode(VERIFIER_ADDRESS, verifierContract().deployedBytecode as Hex);
  await node.setCode(PROBE_ADDRESS, probeContract().deployedBytecode as Hex);
}

/** BlockAnchor's storage slots of block `n`'s anchor: root, receiptCount, flops. */
export function anchorSlots(n: bigint): [Hex, Hex, Hex] {
  const base = hexToBigInt(keccak256(encodeAbiParameters([{ type: "uint256" }, { type: "uint256" }], [n, 1n])));
  return [0n, 1n, 2n].map((i) => numberToHex(base + i, { size: 32 })) as [Hex, Hex, Hex];
}

/** Deterministic receipts with 1–3 inputs and 1–2 outputs (xorshift-seeded hashes). */
export function syntheticReceipts(count: number, seed = 17): ReceiptFields[] {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  const word = (): Hex => `0x${Array.from({ length: 8 }, () => next().toString(16).padStart(8, "0")).join("")}`;
  return Array.from({ length: count }, () => ({
    precompile: `0x${"0".repeat(36)}a10${1 + (next() % 8)}` as Hex,
    paramsHash: word(),
    inputCommits: Array.from({ length: 1 + (next() % 3) }, word),
    outputCommits: Array.from({ length: 1 + (next() % 2) }, word),
    gasUsed: BigInt(next()),
    flops: BigInt(next()) * 1000n,
  }));
}

export interface SyntheticAnchor {
  blockNumber: bigint;
  receipts: ReceiptFields[];
  leaves: Hex[];
  root: Hex;
}

/** Writes an anchor over `receipts` into BlockAnchor for `blockNumber`, as the end-of-block hook would. */
export async function writeSyntheticAnchor(node: DevNode, blockNumber: bigint, receipts: ReceiptFields[]): Promise<SyntheticAnchor> {
  const leaves = receipts.map(receiptLeaf);
  const root = leavesRoot(leaves);
  const [rootSlot, countSlot] = anchorSlots(blockNumber);
  await node.setStorageAt(BLOCK_ANCHOR_ADDRESS as Hex, rootSlot, root);
  await node.setStorageAt(BLOCK_ANCHOR_ADDRESS as Hex, countSlot, numberToHex(receipts.length, { size: 32 }));
  return { blockNumber, receipts, leaves, root };
}

/** The verifyReceipt call for leaf `index` of an anchor. */
export function verifyReceiptCalldata(a: SyntheticAnchor, index: number): Hex {
  const r = a.receipts[index]!;
  return encodeFunctionData({
    abi: verifierAbi(),
    functionName: "verifyReceipt",
    args: [a.blockNumber, { ...r, precompile: r.precompile }, BigInt(index), receiptProof(a.leaves, index)],
  });
}

/** Gas a contract spends calling the verifier with `data` (VerifierGasProbe), and whether it succeeded. */
export async function probeGas(node: DevNode, data: Hex): Promise<{ ok: boolean; gas: bigint; ret: Hex }> {
  const probeAbi = probeContract().abi as Abi;
  const res = await node.call({ to: PROBE_ADDRESS, data: encodeFunctionData({ abi: probeAbi, functionName: "measure", args: [VERIFIER_ADDRESS, data] }) });
  const [ok, gas, ret] = decodeFunctionResult({ abi: probeAbi, functionName: "measure", data: res.returnData }) as [boolean, bigint, Hex];
  return { ok, gas, ret };
}

/** A header proof of `anchorBlock`'s anchor at block `atBlock`: the header's RLP and BlockAnchor's account and slot proofs. */
export async function anchorHeaderProof(node: DevNode, anchorBlock: bigint, atBlock: bigint) {
  const [rootSlot, countSlot] = anchorSlots(anchorBlock);
  const mined = node.blockByNumber(atBlock)!;
  const proof = await node.getProof(BLOCK_ANCHOR_ADDRESS as Hex, [rootSlot, countSlot].map((s) => hexToBytes32(s)), atBlock);
  return {
    blockHash: bytesToHex(mined.block.hash()),
    proof: {
      header: bytesToHex(mined.block.header.serialize()),
      accountProof: proof.accountProof,
      rootProof: proof.storageProof[0]!.proof,
      countProof: proof.storageProof[1]!.proof,
    },
  };
}

function hexToBytes32(h: Hex): Uint8Array {
  return Uint8Array.from(Buffer.from(h.slice(2).padStart(64, "0"), "hex"));
}

export interface GasRow {
  leaves: number;
  proofLength: number;
  /** verifyReceipt against BlockAnchor, called from a contract (VerifierGasProbe). */
  blockAnchorCall: bigint;
  /** The same check as a transaction of its own (eth_estimateGas: intrinsic and calldata included). */
  blockAnchorTx: bigint;
  /** verifyReceiptFromHeader (header → state root → BlockAnchor storage → Merkle path), called from a contract. */
  headerProofCall: bigint;
  headerProofTx: bigint;
}

/**
 * On-chain gas of the receipt checks for trees of each size in `sizes`: synthetic anchors for
 * blocks 1…k (written over empty blocks), one more block mined so a header commits to them, then
 * the last leaf of each tree (the longest proof) checked both ways. Every check must succeed.
 */
export async function measureVerifierGas(node: DevNode, sizes: readonly number[]): Promise<GasRow[]> {
  await installVerifier(node);
  while (node.headNumber < BigInt(sizes.length)) await node.mine();
  const anchors: SyntheticAnchor[] = [];
  for (const [i, n] of sizes.entries()) anchors.push(await writeSyntheticAnchor(node, BigInt(i + 1), syntheticReceipts(n, 1000 + i)));
  await node.mine();
  const at = node.headNumber;
  const abi = verifierAbi();
  const rows: GasRow[] = [];
  for (const a of anchors) {
    const index = a.receipts.length - 1;
    const local = verifyReceiptCalldata(a, index);
    const { blockHash, proof } = await anchorHeaderProof(node, a.blockNumber, at);
    const r = a.receipts[index]!;
    const fromHeader = encodeFunctionData({ abi, functionName: "verifyReceiptFromHeader", args: [blockHash, a.blockNumber, proof, r, BigInt(index), receiptProof(a.leaves, index)] });
    const l = await probeGas(node, local);
    const h = await probeGas(node, fromHeader);
    if (!l.ok || !h.ok) throw new Error(`verification of leaf ${index} of ${a.receipts.length} failed (BlockAnchor ${l.ok}, header ${h.ok})`);
    rows.push({
      leaves: a.receipts.length,
      proofLength: receiptProof(a.leaves, index).length,
      blockAnchorCall: l.gas,
      blockAnchorTx: await node.estimateGas({ to: VERIFIER_ADDRESS, data: local }, "latest"),
      headerProofCall: h.gas,
      headerProofTx: await node.estimateGas({ to: VERIFIER_ADDRESS, data: fromHeader }, "latest"),
    });
  }
  return rows;
}
