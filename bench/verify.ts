// npm run bench:verify — prints JSON: what checking one AIVM receipt costs (docs/verify.md).
// (a) Off-chain inclusion check of one receipt (src/commit verifyReceipt: the leaf recomputed from
//     the receipt's fields, then its Merkle path to the block anchor), for every receipt of a
//     10,000-receipt anchor: p50, p90 and p99 per receipt. References in the same run and on the
//     same thread: the node's ecrecover (native libsecp256k1, as it recovers transaction senders)
//     and one keccak256 of each receipt's leaf preimage.
// (b) On-chain gas of contracts/verify/AivmReceiptVerifier for trees of 1, 100 and 10,000 leaves:
//     against BlockAnchor, and from a block header's EIP-1186 proof (test/verify/onchain.ts).
// (c) Freivalds at n = 512 (src/commit/freivalds.ts): checking an int8 matmul's int32 accumulator
//     and its requantization against recomputing them with the node's kernel (matmulFast: WASM
//     SIMD, worker threads) and with the single-threaded reference kernel, interleaved, beside the
//     check's JS path and its first implementation (freivalds-reference.ts); then the false-accept
//     rate over 10,000 accumulators each one element off by one, per |S|.
import { loadavg } from "node:os";
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
import { freivaldsBound, freivaldsMatmul, freivaldsPaths, requantizationMismatch } from "../src/commit/freivalds.ts";
import { freivaldsMatmulReference } from "../src/commit/freivalds-reference.ts";
import { matmulFast } from "../src/engine/kernels/matmul-fast.ts";
import { matmulReference } from "../src/engine/kernels/matmul-reference.ts";
import { applyRescale, rescaleOf } from "../src/engine/kernels/elementwise-loops.ts";
import { rng } from "../test/xorshift.ts";
import { rerunWithAllocatorEnv, tuneNodeProcess } from "../src/cli/process-tuning.ts";

rerunWithAllocatorEnv();
tuneNodeProcess();

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

// (c) Freivalds at n = 512.
const N = 512;
const pick = rng(512);
const fa = Int8Array.from({ length: N * N }, () => pick(256) - 128);
const fb = Int8Array.from({ length: N * N }, () => pick(256) - 128);
const fbias = Int32Array.from({ length: N }, () => pick(1 << 16) - (1 << 15));
const facc = new Int32Array(N * N);
const REQ = { multiplier: 1 << 20, shift: 36, zeroPoint: 0 };
const kernelArgs = (out: Int32Array) => ({ a: fa, aOffset: 0, aZero: 0, b: fb, bOffset: 0, transB: false, bias: fbias, m: N, k: N, n: N, out, outOffset: 0 });
// The engine's per-element requantization (rescaleOf/applyRescale: the kernels' hoisted form of requantize).
const rescale = rescaleOf(REQ.multiplier, REQ.shift, REQ.zeroPoint, -128, 127, true);
const requantizeAll = (acc: Int32Array) => {
  const out = new Int8Array(acc.length);
  for (let i = 0; i < acc.length; i++) out[i] = applyRescale(acc[i]!, rescale);
  return out;
};
matmulFast(kernelArgs(facc));
const fout = requantizeAll(facc);
const claimOf = () => ({ a: fa, aZero: 0, b: fb, bias: fbias, acc: facc, m: N, k: N, n: N });
const VERIFY = { rounds: 1, values: 65536 };
const times = { matmulFast: [] as number[], freivalds: [] as number[], freivaldsJs: [] as number[], freivaldsReference: [] as number[], requantize: [] as number[], requantCheck: [] as number[], matmulReference: [] as number[] };
const timed = (into: number[], run: () => void) => {
  const t = performance.now();
  run();
  into.push(performance.now() - t);
};
// Warm up the check's paths too (the first call compiles its WASM module), as matmulFast is above.
for (let round = 0; round < 10; round++) {
  freivaldsMatmul(claimOf(), Uint8Array.of(round), VERIFY);
  freivaldsPaths.wasm = false;
  freivaldsMatmul(claimOf(), Uint8Array.of(round), VERIFY);
  freivaldsPaths.wasm = true;
  freivaldsMatmulReference(claimOf(), Uint8Array.of(round), VERIFY);
}
for (let round = 0; round < 15; round++) {
  const acc = new Int32Array(N * N);
  timed(times.matmulFast, () => matmulFast(kernelArgs(acc)));
  timed(times.requantize, () => requantizeAll(acc));
  timed(times.freivalds, () => {
    if (!freivaldsMatmul(claimOf(), Uint8Array.of(round), VERIFY)) throw new Error("a correct accumulator failed");
  });
  freivaldsPaths.wasm = false;
  timed(times.freivaldsJs, () => {
    if (!freivaldsMatmul(claimOf(), Uint8Array.of(round), VERIFY)) throw new Error("a correct accumulator failed the JS path");
  });
  freivaldsPaths.wasm = true;
  timed(times.freivaldsReference, () => {
    if (!freivaldsMatmulReference(claimOf(), Uint8Array.of(round), VERIFY)) throw new Error("a correct accumulator failed the reference check");
  });
  timed(times.requantCheck, () => {
    if (requantizationMismatch(facc, fout, REQ.multiplier, REQ.shift, REQ.zeroPoint, "int8") !== -1) throw new Error("a correct output failed");
  });
}
for (let round = 0; round < 3; round++) timed(times.matmulReference, () => matmulReference(kernelArgs(new Int32Array(N * N))));
const falseAccepts = [2, 4, 65536].map((values) => {
  const options = { rounds: 1, values };
  const corrupt = rng(values);
  let accepted = 0;
  const TRIALS = 10_000;
  for (let t = 0; t < TRIALS; t++) {
    const at = corrupt(facc.length);
    const delta = corrupt(2) === 0 ? 1 : -1;
    facc[at]! += delta;
    if (freivaldsMatmul(claimOf(), Uint8Array.of(values & 0xff, values >> 8, t & 0xff, t >> 8), options)) accepted++;
    facc[at]! -= delta;
  }
  return { values, rounds: 1, bound: freivaldsBound(options), trials: TRIALS, accepted, rate: accepted / TRIALS };
});
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

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
      freivalds: {
        n: N,
        dtype: "int8 x int8 + int32 bias -> int32 accumulator -> int8",
        unit: "ms, median",
        accumulator: {
          freivalds: { rounds: VERIFY.rounds, values: VERIFY.values, bound: freivaldsBound(VERIFY), ms: round3(median(times.freivalds)) },
          freivaldsJsPath: round3(median(times.freivaldsJs)),
          freivaldsFirstImplementation: round3(median(times.freivaldsReference)),
          recomputeNodeKernel: round3(median(times.matmulFast)),
          recomputeReferenceKernel: round3(median(times.matmulReference)),
          speedupOverNodeKernel: round3(median(times.matmulFast) / median(times.freivalds)),
          speedupOverReferenceKernel: round3(median(times.matmulReference) / median(times.freivalds)),
        },
        requantization: { check: round3(median(times.requantCheck)), recompute: round3(median(times.requantize)) },
        wholeOp: {
          verify: round3(median(times.freivalds) + median(times.requantCheck)),
          reexecuteNodeKernel: round3(median(times.matmulFast) + median(times.requantize)),
          speedup: round3((median(times.matmulFast) + median(times.requantize)) / (median(times.freivalds) + median(times.requantCheck))),
        },
        falseAccepts,
        loadAverage1m: round3(loadavg()[0]!),
      },
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
