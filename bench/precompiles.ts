// npm run bench:precompiles — prints JSON.
// (a) gas of a 64×64×64 int8 matmul through TMATMUL against the same product in plain Solidity
//     (contracts/examples/PlainMatmul.sol), both measured in real transactions of the same chain.
// (b) wall time of a 256×256×256 TMATMUL inside a transaction (runTx through the block builder)
//     against the engine's matmul alone, same process, same inputs.
// (c) addTransaction cost at the start and the end of a 300-transaction block: upstream BlockBuilder
//     (O(n) per transaction) against AivmBlockBuilder (O(1)).
import { performance } from "node:perf_hooks";
import type { Log } from "@ethereumjs/evm";
import { bytesToHex, decodeEventLog, encodeAbiParameters, encodeFunctionData, parseAbiParameters, type Hex } from "viem";
import { createTestChain, contract, watchPrecompiles } from "../test/precompiles/chain.ts";
import { buildBlock } from "@ethereumjs/vm";
import { buildAivmBlock } from "../src/chain/builder.ts";
import { encodeTensor } from "../src/codec/tensor.ts";
import { getOp } from "../src/engine/registry.ts";
import { tensor, type Tensor } from "../src/engine/tensor.ts";
import { PRECOMPILE_ADDRESSES } from "../precompiles/index.ts";
import { quoteOp } from "../precompiles/gas.ts";
import { commitTensor } from "../src/commit/index.ts";
import { rerunWithAllocatorEnv, tuneNodeProcess } from "../src/cli/process-tuning.ts";

rerunWithAllocatorEnv();
tuneNodeProcess();

function ints(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s % 255) - 127;
  });
}
const rand = (shape: number[], seed: number) => tensor("int8", shape, ints(shape[0]! * shape[1]!, seed));
const raw = (t: Tensor) => bytesToHex(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)]!;

const chain = await createTestChain();
const charges = watchPrecompiles(chain.vm);
const plainAddr = await chain.deploy("PlainMatmul");
const plainAbi = contract("PlainMatmul").abi;

// ── (a) gas ──
const a64 = rand([64, 64], 1);
const b64 = rand([64, 64], 2);
/** The Done(first, gasUsed) event of a PlainMatmul call; EthereumJS logs are [address, topics, data]. */
const doneGas = (logs: Log[] | undefined) => {
  const [, topics, data] = logs!.at(-1)!;
  const ev = decodeEventLog({ abi: plainAbi, data: bytesToHex(data), topics: topics.map((t) => bytesToHex(t)) as [Hex, ...Hex[]] });
  return (ev.args as unknown as { gasUsed: bigint }).gasUsed;
};
const plainTx = await chain.send({
  to: plainAddr,
  data: encodeFunctionData({ abi: plainAbi, functionName: "plain", args: [raw(a64), raw(b64), 64n, 64n, 64n] }),
  gasLimit: 95_000_000n,
});
if (plainTx.result.execResult.exceptionError) throw new Error(`plain matmul failed: ${plainTx.result.execResult.exceptionError.error}`);
const m = chain.runtime.multiplier;
const tmTx = await chain.send({
  to: plainAddr,
  data: encodeFunctionData({ abi: plainAbi, functionName: "precompiled", args: [bytesToHex(encodeTensor(a64)), bytesToHex(encodeTensor(b64))] }),
});
if (tmTx.result.execResult.exceptionError) throw new Error(`TMATMUL call failed: ${tmTx.result.execResult.exceptionError.error}`);
const plainGas = doneGas(plainTx.result.execResult.logs);
const tmatmulCallGas = doneGas(tmTx.result.execResult.logs);
const precompileGas = charges.at(-1)!.gasUsed;
const quoted = quoteOp(getOp("matmul"), [a64, b64], {}, m).gas;

// ── (b) wall time ──
const a256 = rand([256, 256], 3);
const b256 = rand([256, 256], 4);
const op = getOp("matmul");
const runs = 7;
op.run([a256, b256], {});
const engineMs: number[] = [];
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  op.run([a256, b256], {});
  engineMs.push(performance.now() - t0);
}
// The Tensor Commits a TMATMUL receipt needs (both inputs and the int32 output), timed alone.
const out256 = op.run([a256, b256], {})[0]!;
const commitMs: number[] = [];
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  commitTensor(a256);
  commitTensor(b256);
  commitTensor(out256);
  commitMs.push(performance.now() - t0);
}
const probe = await chain.deploy("AivmProbe");
const input = encodeAbiParameters(parseAbiParameters("bytes[] inputs, string[] attrNames, int64[][] attrValues, uint8 flags"), [
  [bytesToHex(encodeTensor(a256)), bytesToHex(encodeTensor(b256))],
  [],
  [],
  1, // OUT_SCRATCH: the output stays in VM memory, as in a chained call
]);
const callData = encodeFunctionData({ abi: contract("AivmProbe").abi, functionName: "probe", args: [PRECOMPILE_ADDRESSES.TMATMUL, input] });
const txMs: number[] = [];
const warmup = 2;
for (let i = 0; i < warmup + runs; i++) {
  // Timed: addTransaction = runTx with the runtime hooks (decode, gas, engine, commit, receipt).
  const builder = await buildAivmBlock(chain.vm, chain.runtime, {
    parentBlock: chain.blocks.at(-1)!,
    headerData: { timestamp: chain.blocks.at(-1)!.header.timestamp + 12n, gasLimit: 100_000_000n },
    blockOpts: { putBlockIntoBlockchain: false },
  });
  const tx = chain.signTx({ to: probe, data: callData, gasLimit: 30_000_000n });
  const t0 = performance.now();
  const r = await builder.addTransaction(tx);
  if (i >= warmup) txMs.push(performance.now() - t0);
  if (r.execResult.exceptionError) throw new Error(`256×256 TMATMUL tx failed: ${r.execResult.exceptionError.error}`);
  await chain.adopt(builder);
}

// ── (c) block building: per-transaction cost early vs late in a block, upstream BlockBuilder vs AivmBlockBuilder ──
const blockTxs = 300;
async function perTxMs(kind: "upstream" | "aivm") {
  const c = await createTestChain();
  const parent = c.blocks.at(-1)!;
  const opts = { parentBlock: parent, headerData: { timestamp: parent.header.timestamp + 12n, gasLimit: 30_000_000_000n }, blockOpts: { putBlockIntoBlockchain: false } };
  const builder = kind === "aivm" ? await buildAivmBlock(c.vm, c.runtime, opts) : await buildBlock(c.vm, opts);
  const txs = Array.from({ length: blockTxs }, () => c.signTx({ to: "0x00000000000000000000000000000000000000aa", data: "0x", gasLimit: 21_000n }));
  const times: number[] = [];
  for (const tx of txs) {
    const t0 = performance.now();
    await builder.addTransaction(tx);
    times.push(performance.now() - t0);
  }
  const avg = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  return { first50AvgMs: avg(times.slice(0, 50)), last50AvgMs: avg(times.slice(-50)) };
}
const upstreamBuild = await perTxMs("upstream");
const aivmBuild = await perTxMs("aivm");

console.log(
  JSON.stringify(
    {
      a_gas_64x64x64_int8_matmul: {
        plainSolidityGas: Number(plainGas),
        tmatmulPrecompileGas: Number(precompileGas),
        tmatmulQuotedGas: Number(quoted),
        tmatmulViaAIVMsolGas: Number(tmatmulCallGas),
        ratioPlainOverPrecompile: Number(plainGas) / Number(precompileGas),
        ratioPlainOverAIVMsolCall: Number(plainGas) / Number(tmatmulCallGas),
        multiplier: Number(m),
        note: "gas measured with gasleft() inside the contract around the work; precompile gas = the EVM's charge for the A101 frame",
      },
      b_walltime_256x256x256_tmatmul: {
        runs,
        warmupTransactions: warmup,
        engineMedianMs: median(engineMs),
        inTransactionMedianMs: median(txMs),
        overheadRatio: median(txMs) / median(engineMs),
        commitsMedianMs: median(commitMs),
        commitShareOfTransaction: median(commitMs) / median(txMs),
        note: "in-transaction = AivmBlockBuilder.addTransaction (runTx: calldata, ABI decode, gas, engine, commits, receipt) with the output kept in scratch",
      },
      c_block_builder_addTransaction: {
        transactionsPerBlock: blockTxs,
        upstream: upstreamBuild,
        aivm: aivmBuild,
        upstreamGrowthLastOverFirst: upstreamBuild.last50AvgMs / upstreamBuild.first50AvgMs,
        aivmGrowthLastOverFirst: aivmBuild.last50AvgMs / aivmBuild.first50AvgMs,
        note: "value transfers; upstream rebuilds a Block of all transactions so far before each runTx",
      },
    },
    null,
    2,
  ),
);
