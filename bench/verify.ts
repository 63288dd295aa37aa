// npm run bench:verify — prints JSON: what checking one AIVM receipt costs (docs/verify.md).
// (a) Off-chain inclusion check of one receipt (src/commit verifyReceipt: the leaf recomputed from
//     the receipt's fields, then its Merkle path to the block anchor), for every receipt of a
//     10,000-receipt anchor: p50, p90 and p99 per receipt. References in the same run and on the
//     same thread: the node's ecrecover (native libsecp256k1, as it recovers transaction senders)
//     and one keccak256 of each receipt's leaf preimage.
// (b) On-chain gas of contracts/verify/AivmReceiptVerifier for trees of 1, 100 and 10,000 leaves:
//     against BlockAnchor, and from a block header's EIP-1186 proof (test/verify/onchain.ts).
import { performance } from "node:perf_hooks";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { DevNode } from "../src/chain/node.ts";
import { defaultCustomCrypto, nativeSecp256k1Loaded } from "../src/evm/crypto.ts";
import { keccak256 } from "../src/commit/keccak.ts";
import { ZERO_HASH } from "../src/commit/hash.ts";
import { fromHex, toHex, type Hex } from "../src/commit/hex.ts";
import { hashNode } from "../src/commit/merkle.ts";
import { makeReceipt } from "../src/commit/receipt.ts";
import { receiptLeafPreimage } from "../src/commit/receipt-preimage.ts";
import { anchorRoot, receiptProof, verifyReceipt } from "../src/commit/trace.ts";
import { measureVerifierGas, syntheticReceipts } from "../test/verify/onchain.ts";

const RECEIPTS = 10_000;
const ROUNDS = 3;

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const stats = (us: number[]) => ({ p50: quantile(us, 0.5), p90: quantile(us, 0.9), p99: quantile(us, 0.99) });
const round3 = (x: number) => Math.round(x * 1000) / 1000;

// (a) One anchor of 10,000 synthetic receipts (1–3 inputs, 1–2 outputs), each with its proof.
const receipts = syntheticReceipts(RECEIPTS, 2026).map((f, i) => makeReceipt(i, "TMATMUL", f));
const leaves = receipts.map((r) => r.leaf);
const anchor = { anchorRoot: anchorRoot(leaves), receiptCount: RECEIPTS };
const proofs = allProofs(leaves);
if (proofs[RECEIPTS - 1]!.join() !== receiptProof(leaves, RECEIPTS - 1).join()) throw new Error("allProofs differs from src/commit receiptProof");
const preimages = receipts.map(receiptLeafPreimage);

const ecrecover = defaultCustomCrypto().ecrecover ?? ((h: Uint8Array, v: bigint, r: Uint8Array, s: Uint8Array) => {
  const sig = secp256k1.Signature.fromBytes(new Uint8Array([...r, ...s]), "compact").addRecoveryBit(Number(v - 27n));
  return sig.recoverPublicKey(h).toBytes(false).slice(1);
});
const signatures = receipts.map((_, i) => {
  const hash = keccak256(preimages[i]!);
  const sk = keccak256(Uint8Array.of(1, i & 0xff, i >> 8));
  const sig = secp256k1.sign(hash, sk, { prehash: false, format: "recovered" });
  return { hash, v: BigInt(sig[0]! + 27), r: sig.slice(1, 33), s: sig.slice(33, 65) };
});

/** Every leaf's proof from one pass over the tree's levels (receiptProof rebuilds the tree per call). */
function allProofs(hexLeaves: readonly Hex[]): Hex[][] {
  const levels: Uint8Array[][] = [hexLeaves.map((l) => fromHex(l))];
  while (levels[levels.length - 1]!.length > 1) {
    const level = levels[levels.length - 1]!;
    const up: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) up.push(hashNode(level[i]!, level[i + 1] ?? ZERO_HASH));
    levels.push(up);
  }
  return hexLeaves.map((_, index) => levels.slice(0, -1).map((level, d) => toHex(level[(index >> d) ^ 1] ?? ZERO_HASH)));
}

const timeEach = (run: (i: number) => void): number[] => {
  const us: number[] = [];
  for (let i = 0; i < RECEIPTS; i++) {
    const t = performance.now();
    run(i);
    us.push((performance.now() - t) * 1000);
  }
  return us;
};

// Warm up every path, then interleave rounds so a slow phase of the machine hits all three alike.
for (let i = 0; i < 500; i++) {
  verifyReceipt(receipts[i]!, anchor, i, proofs[i]!);
  ecrecover(signatures[i]!.hash, signatures[i]!.v, signatures[i]!.r, signatures[i]!.s);
  keccak256(preimages[i]!);
}
const all = { inclusion: [] as number[], ecrecover: [] as number[], keccakPreimage: [] as number[] };
let failures = 0;
for (let round = 0; round < ROUNDS; round++) {
  all.inclusion.push(
    ...timeEach((i) => {
      if (!verifyReceipt(receipts[i]!, anchor, i, proofs[i]!).ok) failures++;
    }),
  );
  all.ecrecover.push(...timeEach((i) => ecrecover(signatures[i]!.hash, signatures[i]!.v, signatures[i]!.r, signatures[i]!.s)));
  all.keccakPreimage.push(...timeEach((i) => keccak256(preimages[i]!)));
}
if (failures > 0) throw new Error(`${failures} receipts failed their inclusion check`);
// A tampered receipt must fail, or the timing measures nothing.
if (verifyReceipt({ ...receipts[0]!, gasUsed: receipts[0]!.gasUsed + 1n }, anchor, 0, proofs[0]!).ok) throw new Error("a tampered receipt verified");

const inclusion = stats(all.inclusion);
const ecr = stats(all.ecrecover);
const kec = stats(all.keccakPreimage);

// (b) On-chain gas.
const node = await DevNode.create();
let gas;
try {
  gas = await measureVerifierGas(node, [1, 100, 10_000]);
} finally {
  await node.close();
}

console.log(
  JSON.stringify(
    {
      offChainInclusion: {
        receipts: RECEIPTS,
        proofLength: proofs[RECEIPTS - 1]!.length,
        samplesPerPath: RECEIPTS * ROUNDS,
        unit: "µs per receipt",
        inclusion: { p50: round3(inclusion.p50), p90: round3(inclusion.p90), p99: round3(inclusion.p99) },
        ecrecover: { native: nativeSecp256k1Loaded, p50: round3(ecr.p50), p90: round3(ecr.p90), p99: round3(ecr.p99) },
        keccakOfLeafPreimage: { bytes: Math.round(preimages.reduce((n, p) => n + p.length, 0) / RECEIPTS), p50: round3(kec.p50), p90: round3(kec.p90) },
        inclusionOverEcrecoverP50: round3(inclusion.p50 / ecr.p50),
        targetP50Us: 2000,
      },
      onChainGas: gas.map((r) => ({
        leaves: r.leaves,
        proofLength: r.proofLength,
        blockAnchorCall: Number(r.blockAnchorCall),
        blockAnchorTx: Number(r.blockAnchorTx),
        headerProofCall: Number(r.headerProofCall),
        headerProofTx: Number(r.headerProofTx),
      })),
      notes: {
        blockAnchorCall: "AivmReceiptVerifier.verifyReceipt called from a contract (gasleft() around the STATICCALL), the last leaf of the tree",
        blockAnchorTx: "the same call as a transaction of its own (eth_estimateGas: 21,000 + calldata included)",
        headerProofCall: "verifyReceiptFromHeader: header hash → state root → BlockAnchor account proof → root and count slot proofs → Merkle path",
      },
    },
    null,
    2,
  ),
);
