// Calibrates γ (gas per FLOP): measures the engine's ns per FLOP (matmul through the op registry)
// against the ns per gas of EthereumJS's own ecrecover (0x01) and sha256 (0x02) precompiles, in
// this process, and prints the γ that makes AIVM compute cost as much gas per second as they do.
// Also times Tensor Commits and receipt verification. `npm run bench:gas` → JSON on stdout.
import { performance } from "node:perf_hooks";
import { Common, Hardfork, Mainnet } from "@ethereumjs/common";
import { createEVM } from "@ethereumjs/evm";
import { keccak256, toBytes, concat, numberToHex, pad } from "viem";
import { sign } from "viem/accounts";
import { getOp } from "../src/engine/registry.ts";
import { tensor, type Tensor } from "../src/engine/tensor.ts";
import { commitTensor, makeReceipt, opParamsHash, anchorRoot, receiptProof, verifyReceipt, toHex } from "../src/commit/index.ts";
import { GAMMA_DEN, GAMMA_NUM, HASH_GAS_PER_WORD, quoteOp, MULTIPLIER_ONE } from "../src/gas/index.ts";
import { createChainCommon } from "../src/evm/chain-vm.ts";
import { decoderStep, nodeDispatch, nodeSweep } from "./gas-nodes.ts";
import { pathSweep } from "./gas-paths.ts";
import { seededInts } from "../test/xorshift.ts";
import { ALLOCATOR_WARM_UP_BYTES, NODE_V8_FLAGS, rerunWithAllocatorEnv, tuneNodeProcess } from "../src/cli/process-tuning.ts";
import { matmulKernelName } from "../src/engine/kernels/matmul-wasm.ts";

// Gas is priced against the WASM matmul kernel, which every node has, not the native one some
// nodes build (docs/ops.md): the sweep runs on it unless AIVM_MATMUL_KERNEL names another.
process.env.AIVM_MATMUL_KERNEL ??= "wasm";
rerunWithAllocatorEnv();
tuneNodeProcess();

const TARGET_MS = Number(process.env.BENCH_MS ?? 400);

/**
 * Runs `fn` repeatedly for about `ms` after a warm-up; returns mean wall ns per call and mean CPU
 * ns per call (this process's user + system time, which a loaded shared machine does not inflate).
 */
function timeIt(fn: () => unknown, ms: number = TARGET_MS): { nsPerCall: number; cpuNsPerCall: number; calls: number } {
  for (let i = 0; i < 3; i++) fn();
  let calls = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    fn();
    calls++;
    now = performance.now();
  }
  const cpu = process.cpuUsage(cpu0);
  return { nsPerCall: ((now - start) * 1e6) / calls, cpuNsPerCall: ((cpu.user + cpu.system) * 1e3) / calls, calls };
}

async function main() {
  const common = new Common({ chain: Mainnet, hardfork: Hardfork.Prague });
  const evm = await createEVM({ common });
  const call = (address: string, data: Uint8Array) => {
    const fn = evm.getPrecompile(address as `0x${string}`)!;
    return fn({ data, gasLimit: 10_000_000n, common, _EVM: evm }) as { executionGasUsed: bigint; returnValue: Uint8Array };
  };

  // ecrecover on a real signature: hash ‖ v ‖ r ‖ s
  const hash = keccak256(toBytes("aivm gas calibration"));
  const sig = await sign({ hash, privateKey: `0x${"11".repeat(32)}` });
  const ecInput = toBytes(concat([hash, pad(numberToHex(sig.v ?? 27n)), sig.r, sig.s]));
  const references: Record<string, unknown>[] = [];
  const refRow = (name: string, address: string, data: Uint8Array) => {
    const r = call(address, data);
    if (r.returnValue.length === 0) throw new Error(`${name} returned nothing: bad benchmark input`);
    const t = timeIt(() => call(address, data));
    const gas = Number(r.executionGasUsed);
    references.push({ name, inputBytes: data.length, gas, nsPerCall: Math.round(t.nsPerCall), nsPerGas: +(t.nsPerCall / gas).toFixed(3) });
    return t.nsPerCall / gas;
  };
  const ecNsPerGas = refRow("ecrecover (0x01)", "0x0000000000000000000000000000000000000001", ecInput);
  // The node's own ecrecover: libsecp256k1 through the `secp256k1` package (src/evm/crypto.ts), same process.
  const nodeCommon = createChainCommon();
  const nodeEvm = await createEVM({ common: nodeCommon });
  const nativeEc = () => nodeEvm.getPrecompile("0x0000000000000000000000000000000000000001")!({ data: ecInput, gasLimit: 10_000_000n, common: nodeCommon, _EVM: nodeEvm }) as { executionGasUsed: bigint; returnValue: Uint8Array };
  if (nativeEc().returnValue.length === 0) throw new Error("native ecrecover returned nothing");
  const nativeEcGas = Number(nativeEc().executionGasUsed);
  const nativeEcTime = timeIt(nativeEc);
  const nativeEcNsPerGas = nativeEcTime.cpuNsPerCall / nativeEcGas;
  references.push({ name: "ecrecover (0x01), the node's native libsecp256k1", inputBytes: ecInput.length, gas: nativeEcGas, cpuNsPerGas: +nativeEcNsPerGas.toFixed(3) });
  // Program nodes per op class against it (DESIGN: none slower per gas than 3× ecrecover), in CPU time,
  // each row interleaved with ecrecover so both sides see the same load.
  const nodes = nodeSweep(timeIt, { run: nativeEc, gas: nativeEcGas });
  const worst = nodes.reduce((a, b) => (b.vsNativeEcrecover > a.vsNativeEcrecover ? b : a), { node: "(none)", vsNativeEcrecover: 0 });
  // The precompile paths around the kernels (decode, planning, stored reads, streams, commits).
  const paths = process.env.BENCH_NODES === undefined || process.env.BENCH_PATHS !== undefined ? await pathSweep(timeIt, { run: nativeEc, gas: nativeEcGas }) : [];
  const worstPath = paths.reduce<(typeof paths)[number] | undefined>((a, b) => (a === undefined || b.vsNativeEcrecover > a.vsNativeEcrecover ? b : a), undefined);
  if (process.env.BENCH_NODES !== undefined) {
    // Iterating on some node classes: print only those rows.
    console.log(JSON.stringify({ bench: "gas", matmulKernel: matmulKernelName(), references, programNodes: { worst: { node: worst.node, vsNativeEcrecover: worst.vsNativeEcrecover }, rows: nodes }, paths: { worst: worstPath, rows: paths } }, null, 1));
    return;
  }
  const shaNsPerGas = [32, 1024, 65536].map((n) => refRow(`sha256 (0x02) ${n} B`, "0x0000000000000000000000000000000000000002", new Uint8Array(n).fill(7)));

  const matmul = getOp("matmul");
  const engine: Record<string, unknown>[] = [];
  const nsPerFlop: number[] = [];
  for (const [m, k, n] of [[64, 64, 64], [128, 256, 128], [256, 256, 256], [1, 784, 128]] as const) {
    const a = tensor("int8", [m, k], seededInts(m * k, 1, -128, 256));
    const b = tensor("int8", [k, n], seededInts(k * n, 2, -128, 256));
    const inputs: Tensor[] = [a, b];
    const flops = matmul.flops(inputs, {});
    const t = timeIt(() => matmul.run(inputs, {}));
    const perFlop = t.nsPerCall / Number(flops);
    if (m > 1) nsPerFlop.push(perFlop);
    const q = quoteOp(matmul, inputs, {}, MULTIPLIER_ONE);
    engine.push({ shape: `[${m},${k}]x[${k},${n}]`, flops: Number(flops), nsPerCall: Math.round(t.nsPerCall), nsPerFlop: +perFlop.toFixed(4), gas: Number(q.gas), computeGas: Number(q.compute), bytesGas: Number(q.bytes), nsPerChargedGas: +(t.nsPerCall / Number(q.gas)).toFixed(3) });
  }
  // Median over the square-ish sizes: the steady-state kernel rate, not the call overhead of tiny shapes.
  const sorted = [...nsPerFlop].sort((x, y) => x - y);
  const medianNsPerFlop = sorted[Math.floor(sorted.length / 2)]!;
  const shaMedian = [...shaNsPerGas].sort((x, y) => x - y)[1]!;
  const gammaEcrecover = medianNsPerFlop / ecNsPerGas;
  const gammaSha = medianNsPerFlop / shaMedian;
  const gammaGeo = Math.sqrt(gammaEcrecover * gammaSha);
  // γ follows sha256 parity: EthereumJS's ecrecover is pure-JS secp256k1 and costs ~50× more CPU per
  // gas than its hash precompiles, so ecrecover parity would let one block run for minutes.
  // Rounded to the nearest power of two (in log scale) so γ = 1 / 2^k is exact and easy to reason about.
  const k = Math.round(-Math.log2(gammaSha));

  // Tensor Commit throughput and receipt verification (docs/spec.md#verifying-a-receipt).
  const commits: Record<string, unknown>[] = [];
  for (const bytes of [4096, 1 << 20]) {
    const t = tensor("int8", [bytes], new Int8Array(bytes).fill(3));
    const r = timeIt(() => commitTensor(t));
    const nsPerWord = r.nsPerCall / (bytes / 32);
    commits.push({
      bytes,
      msPerCommit: +(r.nsPerCall / 1e6).toFixed(3),
      mbPerSecond: +((bytes / r.nsPerCall) * 1e3).toFixed(1),
      chargedHashGasPerWord: Number(HASH_GAS_PER_WORD),
      // What a hashed word would cost at the same CPU-per-gas as sha256: compare with HASH_GAS_PER_WORD.
      hashGasPerWordAtSha256Parity: +(nsPerWord / shaMedian).toFixed(1),
    });
  }
  const outputs = Array.from({ length: 1024 }, (_, i) => tensor("int8", [64], seededInts(64, i + 5, -128, 256)));
  const receipts = outputs.map((o, i) =>
    makeReceipt(i, "TMATMUL", { precompile: "0x000000000000000000000000000000000000a101", paramsHash: opParamsHash(1, {}), inputCommits: [toHex(commitTensor(o))], outputCommits: [toHex(commitTensor(o))], gasUsed: 1000n, flops: 10n }),
  );
  const leaves = receipts.map((r) => r.leaf);
  const anchor = { anchorRoot: anchorRoot(leaves), receiptCount: leaves.length };
  const proof = receiptProof(leaves, 517);
  if (!verifyReceipt(receipts[517]!, anchor, 517, proof, [outputs[517]!]).ok) throw new Error("receipt failed to verify");
  const vInclusion = timeIt(() => verifyReceipt(receipts[517]!, anchor, 517, proof));
  const vOutput = timeIt(() => verifyReceipt(receipts[517]!, anchor, 517, proof, [outputs[517]!]));
  const big = tensor("int8", [1 << 20], new Int8Array(1 << 20).fill(1));
  const bigReceipt = makeReceipt(0, "TMATMUL", { ...receipts[0]!, outputCommits: [toHex(commitTensor(big))] });
  const bigLeaves = [bigReceipt.leaf, ...leaves.slice(1)];
  const bigAnchor = { anchorRoot: anchorRoot(bigLeaves), receiptCount: bigLeaves.length };
  const bigProof = receiptProof(bigLeaves, 0);
  const vBig = timeIt(() => verifyReceipt(bigReceipt, bigAnchor, 0, bigProof, [big]));

  console.log(
    JSON.stringify(
      {
        bench: "gas",
        node: process.version,
        matmulKernel: matmulKernelName(),
        v8Flags: NODE_V8_FLAGS,
        allocatorWarmUpBytes: ALLOCATOR_WARM_UP_BYTES,
        allocatorEnv: process.env["GLIBC_TUNABLES"] ?? null,
        targetMsPerRow: TARGET_MS,
        references,
        nodeDispatch: nodeDispatch(timeIt),
        // DESIGN: no class slower per gas than 3× the node's native ecrecover, in this run.
        worstClass: (worstPath && worstPath.vsNativeEcrecover > worst.vsNativeEcrecover
          ? { class: worstPath.path, vsNativeEcrecover: worstPath.vsNativeEcrecover }
          : { class: worst.node, vsNativeEcrecover: worst.vsNativeEcrecover }),
        programNodes: { referenceNsPerGas: +nativeEcNsPerGas.toFixed(3), reference: "native ecrecover", worst: { node: worst.node, vsNativeEcrecover: worst.vsNativeEcrecover }, rows: nodes },
        paths: { reference: "native ecrecover", worst: worstPath && { path: worstPath.path, vsNativeEcrecover: worstPath.vsNativeEcrecover }, rows: paths },
        decoderStep: decoderStep(timeIt, { run: nativeEc, gas: nativeEcGas }),
        engine,
        calibration: {
          medianEngineNsPerFlop: +medianNsPerFlop.toFixed(4),
          ecrecoverNsPerGas: +ecNsPerGas.toFixed(3),
          sha256MedianNsPerGas: +shaMedian.toFixed(3),
          gammaForEcrecoverParity: +gammaEcrecover.toFixed(5),
          gammaForSha256Parity: +gammaSha.toFixed(5),
          gammaGeometricMean: +gammaGeo.toFixed(5),
          calibrationReference: "sha256",
          suggestedGamma: `1/${2 ** k}`,
          configuredGamma: `${GAMMA_NUM}/${GAMMA_DEN}`,
          /** > 1: AIVM matmul pays more gas per CPU second than ecrecover does. */
          configuredVsEcrecoverRatio: +((Number(GAMMA_NUM) / Number(GAMMA_DEN)) / gammaEcrecover).toFixed(3),
          configuredVsSha256Ratio: +((Number(GAMMA_NUM) / Number(GAMMA_DEN)) / gammaSha).toFixed(3),
        },
        commits,
        verifyReceipt: {
          blockReceipts: leaves.length,
          msInclusionOnly: +(vInclusion.nsPerCall / 1e6).toFixed(4),
          msWith64ByteOutput: +(vOutput.nsPerCall / 1e6).toFixed(4),
          msWith1MiBOutput: +(vBig.nsPerCall / 1e6).toFixed(3),
        },
      },
      null,
      2,
    ),
  );
}

await main();
