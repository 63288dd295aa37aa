// The gas economics of stored weights, measured on the dev chain and quoted exactly from shapes:
// the two demos' per-call and per-transaction gas (InferenceDemo.inferAndRecord, FashionDemo.classify),
// and what one generated token of the ~5.4M-parameter decoder (scripts/train_lm.py's shapes, seeded
// weights) costs through TSTREAM, split into compute, dispatch and writes, commits and weight reads.
// `npx tsx bench/gas-economics.ts` → JSON on stdout.
import { bytesToHex, encodeFunctionData, keccak256 } from "viem";
import { DevNode } from "../src/chain/node.ts";
import { deployDemo } from "../src/cli/demo.ts";
import { encodeProgram } from "../src/codec/program.ts";
import { inferProgram } from "../src/codec/program-infer.ts";
import { compileLm, readLmConfig } from "../src/model/lm.ts";
import { emptyCalibration } from "../src/model/lm-float.ts";
import { packageReads, shardProgram } from "../src/model/package.ts";
import { MULTIPLIER_ONE, OP_BASE_GAS, bytesGas, commitGas, computeGas as computeGasAt, quoteStreamInferred, storedReadsGas } from "../src/gas/index.ts";
import { tinyWeights } from "../test/model/lm-fixture.ts";

async function demos(): Promise<Record<string, unknown>> {
  const node = await DevNode.create({});
  const demo = await deployDemo(node);
  const out: Record<string, unknown> = {};
  const send = async (label: string, to: `0x${string}`, data: `0x${string}`) => {
    const hash = await node.sendTransaction({ from: node.accounts[1]!.address, to, data, gas: 10_000_000n });
    if (!node.automine) await node.mine();
    const f = node.transaction(hash)!;
    out[label] = { status: f.record.status, txGasUsed: Number(f.record.gasUsed), aivmReceipts: f.record.trace.receipts.map((r) => ({ opcode: r.opcode, gas: Number(r.gasUsed) })) };
  };
  const infer = encodeFunctionData({ abi: demo.abi, functionName: "inferAndRecord", args: [demo.sampleInput] });
  await send("InferenceDemo.inferAndRecord", demo.address, infer);
  await send("InferenceDemo.inferAndRecord (again, new tx)", demo.address, infer);
  const f = demo.fashion!;
  await send("FashionDemo.classify", f.address, encodeFunctionData({ abi: f.abi, functionName: "classify", args: [f.sampleInput] }));
  await node.close?.();
  return out;
}

/** The committed model's shapes (models/lm/config.json), with random weights. */
const LM_CONFIG = readLmConfig();

const computeGasOf = (flops: bigint) => computeGasAt(flops, MULTIPLIER_ONE);

function lmToken(): Record<string, unknown> {
  const cal = emptyCalibration(LM_CONFIG.n_layers);
  // Unit maxima: the scales change the integer multipliers, not a single shape, so not the gas.
  for (const k of Object.keys(cal) as (keyof typeof cal)[]) {
    const v = cal[k];
    if (Array.isArray(v)) v.fill(1);
    else (cal as unknown as Record<string, number>)[k] = 1;
  }
  const lm = compileLm(LM_CONFIG, tinyWeights(7, LM_CONFIG), cal);
  const { program, shards, manifests } = shardProgram(lm.build({ token: "state", emit: "token" }));
  const bytes = encodeProgram(program);
  const pkg = { program: bytesToHex(bytes), programId: keccak256(bytes), shards, manifests };
  const params = program.values.reduce((n, v) => n + (v.kind === "handle" ? v.shape.reduce((a, b) => a * b, 1) : 0), 0);
  const weightBytes = shards.reduce((n, s) => n + (s.tensor.length - 2) / 2, 0);
  const reads = packageReads(pkg);
  const cold = storedReadsGas(reads);
  const warm = storedReadsGas(reads, new Set(reads.flatMap((r) => [r.id, ...(r.shards ?? []).map((s) => s.id)])));
  const info = inferProgram(program, lm.stateMetas);
  const stream = (steps: number, readsGas: bigint) =>
    quoteStreamInferred(info, bytes.length, steps, MULTIPLIER_ONE, { stateCount: program.stateCount, inputs: lm.stateMetas, readsGas });
  const one = stream(1, cold);
  const computeGas = one.nodes.reduce((s, n) => s + n.compute, 0n);
  const nodeOverhead = one.nodes.reduce((s, n) => s + n.base + n.bytes, 0n);
  const yCommit = one.stepGas - computeGas - nodeOverhead;
  // The same step under the previous rule: every node paid 200 + copy and hash of all its inputs and outputs.
  const oldRuleStepGas = info.nodes.reduce((s, n) => s + computeGasOf(n.flops) + OP_BASE_GAS + bytesGas(n.inputs) + bytesGas(n.outputs), 0n);
  const perCall = (steps: number) => {
    const q = stream(steps, cold);
    return { steps, gas: Number(q.gas), gasPerToken: Math.round(Number(q.gas) / steps) };
  };
  return {
    config: LM_CONFIG,
    storedParams: params,
    storedWeightBytes: weightBytes,
    storedBlobs: { plainShards: shards.filter((s) => s.value >= 0).length, manifests: manifests.length, manifestShards: shards.filter((s) => s.value < 0).length },
    nodesPerStep: info.nodes.length,
    flopsPerToken: Number(info.flops),
    perToken: {
      computeGas: Number(computeGas),
      nodeDispatchAndWritesGas: Number(nodeOverhead),
      stepOutputCommitGas: Number(yCommit),
      stepGas: Number(one.stepGas),
      previousRuleStepGas: Number(oldRuleStepGas),
    },
    perCall: {
      weightReadsColdGas: Number(cold),
      weightReadsWarmGas: Number(warm),
      programGas: Number(one.programGas),
      stateInputsGas: Number(one.inputsGas),
      finalStateCommitsGas: Number(one.outputsGas),
      stateCommitOfKvCacheGas: Number(lm.stateMetas.reduce((s, m) => s + commitGas(m), 0n)),
    },
    callsOfNSteps: [1, 16, 64, 128].map(perCall),
  };
}

const out = { bench: "gas-economics", node: process.version, demos: await demos(), lmToken: lmToken() };
console.log(JSON.stringify(out, null, 1));
process.exit(0);
