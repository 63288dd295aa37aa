// npm run bench:node — dev node throughput and latency over real HTTP JSON-RPC, printed as JSON.
//   - tx/s with automine (one block per tx, one client sending serially) and with batched blocks
//     (automine off; 8 senders post JSON-RPC batches of 100 at once, then evm_mine until the pool is
//     empty; an untimed round per workload, then three timed rounds, the median reported);
//   - p50/p99 eth_call latency under 16 concurrent clients, each making its calls one after another
//     (three rounds per workload, interleaved; the median round by p50 is reported, with every round's p50).
// Three workloads, each with its own inputs per request (random int8 tensors), so nothing can be
// answered from a cache of earlier requests:
//   - "contract": InferenceDemo, a Solidity contract whose inference is one TMATMUL through the AIVM
//     library (infer() for calls; inferAndRecord() for transactions, which also stores the output,
//     counts it and emits an event);
//   - "precompile": the same inference sent straight to TMATMUL at 0x…A101 (weights by handle);
//   - "reference": plain-EVM work measured in the same run: ETH transfers, and an eth_call of one
//     storage read on InferenceDemo.
// The clients run in a worker thread (bench/node-clients.ts), as real clients run outside the node.
import { Worker } from "node:worker_threads";
import { availableParallelism, loadavg } from "node:os";
import { encodeAbiParameters, encodeFunctionData, bytesToHex, parseEther, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { deployDemo } from "../src/cli/demo.ts";
import { encodeTensor } from "../src/codec/tensor.ts";
import { startNodeServer } from "../src/rpc/server.ts";
import { nativeSecp256k1Loaded } from "../src/evm/crypto.ts";
import { TMATMUL_INPUT } from "../precompiles/a101-tmatmul.ts";
import { PRECOMPILE_ADDRESSES } from "../precompiles/addresses.ts";
import type { ClientJob, ClientReport } from "./node-clients.ts";
import { rerunWithAllocatorEnv, tuneNodeProcess } from "../src/cli/process-tuning.ts";

rerunWithAllocatorEnv();
tuneNodeProcess();

const N_AUTOMINE = Number(process.env.BENCH_AUTOMINE_TXS ?? 200);
const N_BATCHED = Number(process.env.BENCH_BATCHED_TXS ?? 2000);
const CLIENTS = 16;
const CALLS_PER_CLIENT = Number(process.env.BENCH_CALLS_PER_CLIENT ?? 50);
const SENDERS = 8;
const BATCH = 100;

// BENCH_JS_CRYPTO=1: EthereumJS's pure-JS secp256k1 instead of the native default (src/evm/crypto.ts).
const JS_CRYPTO = process.env.BENCH_JS_CRYPTO === "1";
const server = await startNodeServer({ port: 0, ...(JS_CRYPTO ? { customCrypto: {} } : {}) });
const { node, url } = server;
const demo = await deployDemo(node);
let id = 0;

const worker = new Worker(new URL("./node-clients.ts", import.meta.url), { execArgv: ["--import", "tsx"] });
let pending: { resolve: (r: ClientReport) => void; reject: (e: unknown) => void } | undefined;
worker.on("message", (report: ClientReport) => pending?.resolve(report));
worker.on("error", (error) => pending?.reject(error));
async function clients(job: ClientJob): Promise<ClientReport> {
  const report = await new Promise<ClientReport>((resolve, reject) => {
    pending = { resolve, reject };
    worker.postMessage(job);
  });
  if (report.error) throw new Error(`client: ${report.error}`);
  return report;
}

const body = (method: string, params: unknown[]) => JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params });
async function request(method: string, params: unknown[] = []): Promise<any> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: body(method, params) });
  const json = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (json.error) throw new Error(`${method}: ${json.error.message}`);
  return json.result;
}

/** A reproducible stream of int8 [1, 4] input tensors (xorshift32), wire-encoded. */
function* inputs(seed: number): Generator<Hex> {
  let x = seed >>> 0 || 1;
  for (;;) {
    const data = new Int8Array(4);
    for (let i = 0; i < 4; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      data[i] = (x & 0xff) - 128;
    }
    yield bytesToHex(encodeTensor({ dtype: "int8", shape: [1, 4], data }));
  }
}
const nextInput = inputs(20261122);
const weightsRef = (await node.call({ to: demo.address, data: encodeFunctionData({ abi: demo.abi, functionName: "weightsRef" }) })).returnData;
const weightsHandle = `0x${weightsRef.slice(2 + 128, 2 + 128 + 2 * Number(BigInt(`0x${weightsRef.slice(2 + 64, 2 + 128)}`)))}` as Hex;

type Workload = "contract" | "precompile" | "reference";
const callData = (w: Workload): { to: Hex; data: Hex } =>
  w === "contract"
    ? { to: demo.address, data: encodeFunctionData({ abi: demo.abi, functionName: "infer", args: [nextInput.next().value as Hex] }) }
    : w === "precompile"
      ? { to: PRECOMPILE_ADDRESSES.TMATMUL, data: encodeAbiParameters(TMATMUL_INPUT, [[nextInput.next().value as Hex, weightsHandle], [], [], 0]) }
      : { to: demo.address, data: encodeFunctionData({ abi: demo.abi, functionName: "inferences" }) };
const txData = (w: Workload): { to: Hex; data: Hex; value: bigint } =>
  w === "contract"
    ? { to: demo.address, data: encodeFunctionData({ abi: demo.abi, functionName: "inferAndRecord", args: [nextInput.next().value as Hex] }), value: 0n }
    : w === "precompile"
      ? { ...callData("precompile"), value: 0n }
      : { to: "0x00000000000000000000000000000000000000ee", data: "0x", value: parseEther("0.000001") };

const chainId = node.chainId;
const senders = node.accounts.slice(1, 1 + SENDERS).map((a) => privateKeyToAccount(a.privateKey));
const nonces = new Map<string, number>();
for (const s of senders) nonces.set(s.address, Number(BigInt(await request("eth_getTransactionCount", [s.address, "pending"]))));
const gasOf = async (w: Workload) => (w === "reference" ? 21_000n : (BigInt(await request("eth_estimateGas", [{ from: senders[0]!.address, ...txData(w), value: "0x0" }])) * 12n) / 10n);
const gasLimits = { contract: await gasOf("contract"), precompile: await gasOf("precompile"), reference: 21_000n };
const maxFeePerGas = 100n * 10n ** 9n;

/** Pre-signs `count` transactions round-robin over the senders (signing is not what we measure); grouped per sender, in nonce order. */
async function sign(count: number, w: Workload): Promise<Hex[][]> {
  const perSender: Hex[][] = senders.map(() => []);
  for (let i = 0; i < count; i++) {
    const s = i % senders.length;
    const account = senders[s]!;
    const nonce = nonces.get(account.address)!;
    nonces.set(account.address, nonce + 1);
    const tx = txData(w);
    perSender[s]!.push(await account.signTransaction({ chainId, type: "eip1559", nonce, ...tx, gas: gasLimits[w], maxFeePerGas, maxPriorityFeePerGas: 10n ** 9n }));
  }
  return perSender;
}

const round = (x: number) => Math.round(x * 100) / 100;

async function automineTps(w: Workload): Promise<number> {
  const signed = (await sign(N_AUTOMINE, w)).flat();
  const head0 = node.headNumber;
  const report = await clients({ kind: "serial", url, bodies: signed.map((raw) => body("eth_sendRawTransaction", [raw])) });
  if (node.headNumber - head0 !== BigInt(N_AUTOMINE)) throw new Error(`automine: ${node.headNumber - head0} blocks for ${N_AUTOMINE} transactions`);
  return round(N_AUTOMINE / (report.elapsedMs / 1000));
}

async function batchedTps(w: Workload): Promise<{ txPerSec: number; blocks: number; failed: number }> {
  const signed = await sign(N_BATCHED, w);
  await request("evm_setAutomine", [false]);
  const head0 = node.headNumber;
  const t0 = performance.now();
  const batches = signed.map((list) => {
    const out: string[] = [];
    for (let i = 0; i < list.length; i += BATCH) out.push(JSON.stringify(list.slice(i, i + BATCH).map((raw) => ({ jsonrpc: "2.0", id: ++id, method: "eth_sendRawTransaction", params: [raw] }))));
    return out;
  });
  await clients({ kind: "concurrent", url, clients: batches });
  while (node.pendingCount > 0) await request("evm_mine");
  const seconds = (performance.now() - t0) / 1000;
  await request("evm_setAutomine", [true]);
  const records = node.records.slice(Number(head0) + 1);
  const included = records.reduce((n, r) => n + r.txs.length, 0);
  if (included !== N_BATCHED) throw new Error(`only ${included} of ${N_BATCHED} transactions were mined`);
  const failed = records.reduce((n, r) => n + r.txs.filter((t) => t.status === 0).length, 0);
  return { txPerSec: round(N_BATCHED / seconds), blocks: records.length, failed };
}

async function callLatency(w: Workload): Promise<{ p50Ms: number; p99Ms: number; callsPerSec: number }> {
  const perClient = Array.from({ length: CLIENTS }, () => Array.from({ length: CALLS_PER_CLIENT }, () => body("eth_call", [callData(w), "latest"])));
  const report = await clients({ kind: "concurrent", url, clients: perClient });
  const latencies = report.latenciesMs.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
  return { p50Ms: round(pct(50)), p99Ms: round(pct(99)), callsPerSec: round(latencies.length / (report.elapsedMs / 1000)) };
}

/** Serial node.call without HTTP or a client: what the node itself spends on one eth_call. */
async function inProcessCallMs(w: Workload): Promise<number> {
  const requests = Array.from({ length: CALLS_PER_CLIENT * 4 }, () => callData(w));
  const t0 = performance.now();
  for (const r of requests) await node.call(r, "latest");
  return round((performance.now() - t0) / requests.length);
}

// Warm up the JIT and the caches on every path before measuring.
for (const w of ["contract", "precompile", "reference"] as const) await callLatency(w);

const automine = { contract: await automineTps("contract"), precompile: await automineTps("precompile"), reference: await automineTps("reference") };
/**
 * Batched blocks: one untimed round per workload first (the JIT is still compiling the block
 * builder's and the interpreter's paths for the first ones), then BATCH_ROUNDS timed rounds,
 * interleaved like the call rounds; the median round by tx/s is reported, with every round's figure.
 */
const BATCH_ROUNDS = Number(process.env.BENCH_BATCH_ROUNDS ?? 3);
const WORKLOADS = ["contract", "precompile", "reference"] as const;
const failedTxs: Record<Workload, number> = { contract: 0, precompile: 0, reference: 0 };
for (const w of WORKLOADS) failedTxs[w] += (await batchedTps(w)).failed;
const batchRounds: Record<Workload, Awaited<ReturnType<typeof batchedTps>>[]> = { contract: [], precompile: [], reference: [] };
for (let r = 0; r < BATCH_ROUNDS; r++) {
  for (const w of WORKLOADS) {
    const round = await batchedTps(w);
    failedTxs[w] += round.failed;
    batchRounds[w].push(round);
  }
}
const medianBatch = (w: Workload) => {
  const sorted = [...batchRounds[w]].sort((a, b) => a.txPerSec - b.txPerSec);
  return { ...sorted[Math.floor(sorted.length / 2)]!, txPerSecPerRound: batchRounds[w].map((x) => x.txPerSec) };
};
const batchedContract = medianBatch("contract");
const batchedPrecompile = medianBatch("precompile");
const batchedReference = medianBatch("reference");
/** CALL_ROUNDS rounds per workload, interleaved so load changes hit all three alike; the median round by p50 is reported. */
const CALL_ROUNDS = Number(process.env.BENCH_CALL_ROUNDS ?? 3);
const rounds: Record<Workload, Awaited<ReturnType<typeof callLatency>>[]> = { contract: [], precompile: [], reference: [] };
for (let r = 0; r < CALL_ROUNDS; r++) for (const w of ["contract", "precompile", "reference"] as const) rounds[w].push(await callLatency(w));
const median = (w: Workload) => {
  const sorted = [...rounds[w]].sort((a, b) => a.p50Ms - b.p50Ms);
  return { ...sorted[Math.floor(sorted.length / 2)]!, p50MsPerRound: rounds[w].map((x) => x.p50Ms) };
};
const calls = { contract: median("contract"), precompile: median("precompile"), reference: median("reference") };
const inProcess = { contract: await inProcessCallMs("contract"), precompile: await inProcessCallMs("precompile"), reference: await inProcessCallMs("reference") };

await worker.terminate();
await server.close();

console.log(
  JSON.stringify(
    {
      bench: "node",
      transport: "HTTP JSON-RPC, 127.0.0.1; clients in a worker thread",
      secp256k1: JS_CRYPTO ? "EthereumJS pure JS" : nativeSecp256k1Loaded ? "native (libsecp256k1)" : "EthereumJS pure JS (native binding failed to load)",
      workloads: {
        contract: "InferenceDemo (Solidity + AIVM library): calls infer(x), transactions inferAndRecord(x); one TMATMUL int8[1,4]x[4,3] each",
        precompile: "the same TMATMUL called directly at 0x…A101, weights by handle",
        reference: "plain EVM: transactions are ETH transfers, calls read one storage slot",
      },
      txPerSec: {
        automine: { ...automine, txs: N_AUTOMINE, ratioContractToReference: round(automine.contract / automine.reference) },
        batched: {
          contract: batchedContract.txPerSec,
          precompile: batchedPrecompile.txPerSec,
          reference: batchedReference.txPerSec,
          txs: N_BATCHED,
          rounds: BATCH_ROUNDS,
          txPerSecPerRound: { contract: batchedContract.txPerSecPerRound, precompile: batchedPrecompile.txPerSecPerRound, reference: batchedReference.txPerSecPerRound },
          blocks: { contract: batchedContract.blocks, precompile: batchedPrecompile.blocks, reference: batchedReference.blocks },
          // Over every round, the untimed one included.
          failedTxs,
          ratioContractToReference: round(batchedContract.txPerSec / batchedReference.txPerSec),
        },
      },
      ethCall: {
        concurrentClients: CLIENTS,
        callsPerClient: CALLS_PER_CLIENT,
        rounds: CALL_ROUNDS,
        ...calls,
        ratioP50ContractToReference: round(calls.contract.p50Ms / calls.reference.p50Ms),
        // The same calls made serially in process (no HTTP, no client): what the node itself costs.
        inProcessMsPerCall: inProcess,
      },
      // The machine may be shared: wall-clock figures scale with its load.
      loadAverage1m: round(loadavg()[0]!),
      cpus: availableParallelism(),
    },
    null,
    2,
  ),
);
