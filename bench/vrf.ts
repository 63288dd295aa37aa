// npx tsx bench/vrf.ts — prints JSON: what the per-block VRF costs (docs/vrf.md).
// (a) ECVRF prove and verify (src/commit/vrf.ts) against noble's Ed25519 sign on the same curve
//     library, same process: the ratio says how many signatures one proof costs.
// (b) mining an empty block on a dev node (startBlock proves and writes the VRF) against the
//     proof alone, medians of interleaved rounds.
// (c) in-process eth_calls with and without runtime.prepareCall (the pending block's VRF, its record
//     written into the call's state when the call messages BlockRandomness), interleaved: a view
//     that does not touch BlockRandomness (Congestion.multiplier()), and BlockRandomness.latest().
import { performance } from "node:perf_hooks";
import { ed25519 } from "@noble/curves/ed25519.js";
import { vrfKeygen, vrfProve, vrfVerify } from "../src/commit/vrf.ts";
import { encodeFunctionData, parseAbi } from "viem";
import { DevNode } from "../src/chain/node.ts";
import { BLOCK_RANDOMNESS_ADDRESS } from "../src/chain/block-randomness.ts";
import { CONGESTION_ADDRESS } from "../src/chain/genesis.ts";

const ROUNDS = 7;
const PER_ROUND = 20;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function msPerOp(run: (i: number) => void): number {
  const t = performance.now();
  for (let i = 0; i < PER_ROUND; i++) run(i);
  return (performance.now() - t) / PER_ROUND;
}

const secretKey = new Uint8Array(32).fill(7);
const { publicKey } = vrfKeygen(secretKey);
const alphaOf = (i: number) => Uint8Array.from({ length: 40 }, (_, j) => (i * 31 + j) & 0xff);
const proofs = Array.from({ length: PER_ROUND }, (_, i) => vrfProve(secretKey, alphaOf(i)));

const rounds = {
  prove: [] as number[],
  verify: [] as number[],
  sign: [] as number[],
  mineEmptyBlock: [] as number[],
  ethCall: [] as number[],
  ethCallWithoutPrepare: [] as number[],
  ethCallRandomness: [] as number[],
  ethCallRandomnessWithoutPrepare: [] as number[],
};
const node = await DevNode.create();
const CALLS = 500;
const latestCall = { to: BLOCK_RANDOMNESS_ADDRESS, data: encodeFunctionData({ abi: parseAbi(["function latest() view returns (uint256)"]), functionName: "latest" }) } as const;
const multiplierCall = { to: CONGESTION_ADDRESS, data: encodeFunctionData({ abi: parseAbi(["function multiplier() view returns (uint256)"]), functionName: "multiplier" }) } as const;
const runtime = node.runtime as { prepareCall?: unknown };
const prepareCall = runtime.prepareCall;
async function msPerCall(request: typeof latestCall | typeof multiplierCall, prepare: boolean): Promise<number> {
  runtime.prepareCall = prepare ? prepareCall : undefined;
  const t = performance.now();
  for (let i = 0; i < CALLS; i++) await node.call(request);
  runtime.prepareCall = prepareCall;
  return (performance.now() - t) / CALLS;
}
for (let r = 0; r < ROUNDS + 1; r++) {
  const prove = msPerOp((i) => vrfProve(secretKey, alphaOf(i + r)));
  const verify = msPerOp((i) => vrfVerify(publicKey, proofs[i]!, alphaOf(i)));
  const sign = msPerOp((i) => ed25519.sign(alphaOf(i + r), secretKey));
  const t = performance.now();
  for (let i = 0; i < PER_ROUND; i++) await node.mine();
  const mine = (performance.now() - t) / PER_ROUND;
  const ethCall = await msPerCall(multiplierCall, true);
  const ethCallWithoutPrepare = await msPerCall(multiplierCall, false);
  const ethCallRandomness = await msPerCall(latestCall, true);
  const ethCallRandomnessWithoutPrepare = await msPerCall(latestCall, false);
  // Round 0 warms the JIT and the caches.
  if (r === 0) continue;
  rounds.prove.push(prove);
  rounds.verify.push(verify);
  rounds.sign.push(sign);
  rounds.mineEmptyBlock.push(mine);
  rounds.ethCall.push(ethCall);
  rounds.ethCallWithoutPrepare.push(ethCallWithoutPrepare);
  rounds.ethCallRandomness.push(ethCallRandomness);
  rounds.ethCallRandomnessWithoutPrepare.push(ethCallRandomnessWithoutPrepare);
}
await node.close();

const m = Object.fromEntries(Object.entries(rounds).map(([k, v]) => [k, median(v)])) as Record<keyof typeof rounds, number>;
console.log(
  JSON.stringify(
    {
      what: "ms per op, median of rounds (each the mean of 20 ops); prove/verify: ECVRF-EDWARDS25519-SHA512-TAI on @noble/curves; sign: noble ed25519.sign; mineEmptyBlock: DevNode.mine() of an empty block, which proves and writes the block VRF; ethCall*: in-process eth_call (mean of 500) of Congestion.multiplier() and of BlockRandomness.latest(), with and without runtime.prepareCall (the first call after each block also proves; without prepareCall latest() answers the head block, as no record is written)",
      rounds: ROUNDS,
      ms: m,
      proveOverSign: m.prove / m.sign,
      verifyOverSign: m.verify / m.sign,
      proveShareOfEmptyBlock: m.prove / m.mineEmptyBlock,
      ethCallOverWithoutPrepare: m.ethCall / m.ethCallWithoutPrepare,
      ethCallRandomnessOverWithoutPrepare: m.ethCallRandomness / m.ethCallRandomnessWithoutPrepare,
      all: rounds,
    },
    null,
    2,
  ),
);
