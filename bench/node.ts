// npm run bench:node — dev node throughput and latency over real HTTP JSON-RPC, printed as JSON.
//   - tx/s with automine (one block per tx) and with batched blocks (automine off, one evm_mine);
//   - p50/p99 eth_call latency of a small inference (TMATMUL) under 16 concurrent clients.
// The reference, measured in the same run: the same measures for plain-EVM work (ETH transfers,
// and an eth_call of a storage read on the same contract); ratios are inference / reference.
import { encodeFunctionData, parseEther, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { availableParallelism, loadavg } from "node:os";
import { deployDemo } from "../src/chain/demo.ts";
import { startNodeServer } from "../src/rpc/server.ts";
import { nativeSecp256k1Loaded } from "../src/chain/crypto.ts";

const N_AUTOMINE = Number(process.env.BENCH_AUTOMINE_TXS ?? 200);
const N_BATCHED = Number(process.env.BENCH_BATCHED_TXS ?? 2000);
const CLIENTS = 16;
const CALLS_PER_CLIENT = Number(process.env.BENCH_CALLS_PER_CLIENT ?? 50);
const SENDERS = 8;

// BENCH_JS_CRYPTO=1: EthereumJS's pure-JS secp256k1 instead of the native default (src/chain/crypto.ts).
const JS_CRYPTO = process.env.BENCH_JS_CRYPTO === "1";
const server = await startNodeServer({ port: 0, ...(JS_CRYPTO ? { customCrypto: {} } : {}) });
const { node, url } = server;
const demo = await deployDemo(node);
let id = 0;

async function post(body: unknown): Promise<any> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return res.json();
}
async function request(method: string, params: unknown[] = []): Promise<any> {
  const json = await post({ jsonrpc: "2.0", id: ++id, method, params });
  if (json.error) throw new Error(`${method}: ${json.error.message}`);
  return json.result;
}

const chainId = node.chainId;
const senders = node.accounts.slice(1, 1 + SENDERS).map((a) => privateKeyToAccount(a.privateKey));
const nonces = new Map<string, number>();
for (const s of senders) nonces.set(s.address, Number(BigInt(await request("eth_getTransactionCount", [s.address, "pending"]))));
const inferData = encodeFunctionData({ abi: demo.abi, functionName: "inferAndRecord", args: [demo.sampleInput] });
const inferGas = BigInt(await request("eth_estimateGas", [{ from: senders[0]!.address, to: demo.address, data: inferData }]));
const maxFeePerGas = 100n * 10n ** 9n;

/** Pre-signs `count` transactions round-robin over the senders (signing is not what we measure). */
async function sign(count: number, kind: "transfer" | "inference"): Promise<Hex[][]> {
  const perSender: Hex[][] = senders.map(() => []);
  for (let i = 0; i < count; i++) {
    const s = i % senders.length;
    const account = senders[s]!;
    const nonce = nonces.get(account.address)!;
    nonces.set(account.address, nonce + 1);
    perSender[s]!.push(
      await account.signTransaction(
        kind === "transfer"
          ? { chainId, type: "eip1559", nonce, to: "0x00000000000000000000000000000000000000ee", value: parseEther("0.000001"), gas: 21_000n, maxFeePerGas, maxPriorityFeePerGas: 10n ** 9n }
          : { chainId, type: "eip1559", nonce, to: demo.address, data: inferData, gas: inferGas, maxFeePerGas, maxPriorityFeePerGas: 10n ** 9n },
      ),
    );
  }
  return perSender;
}

/** CPU milliseconds this process spent (node and client share it) since `from`. */
function cpuMsSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
}

async function automineTps(kind: "transfer" | "inference"): Promise<{ txPerSec: number; cpuMsPerTx: number }> {
  const signed = (await sign(N_AUTOMINE, kind)).flat();
  // signed[] is grouped per sender, each group in nonce order.
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  for (const raw of signed) await request("eth_sendRawTransaction", [raw]);
  const seconds = (performance.now() - t0) / 1000;
  return { txPerSec: N_AUTOMINE / seconds, cpuMsPerTx: cpuMsSince(cpu) / N_AUTOMINE };
}

async function batchedTps(kind: "transfer" | "inference"): Promise<{ txPerSec: number; blocks: number; cpuMsPerTx: number }> {
  const signed = await sign(N_BATCHED, kind);
  await request("evm_setAutomine", [false]);
  const head0 = node.headNumber;
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  // Each sender submits its transactions as JSON-RPC batches of 100 (kept in nonce order).
  await Promise.all(
    signed.map(async (list) => {
      for (let i = 0; i < list.length; i += 100) {
        const replies = await post(list.slice(i, i + 100).map((raw) => ({ jsonrpc: "2.0", id: ++id, method: "eth_sendRawTransaction", params: [raw] })));
        const failed = replies.find((r: any) => r.error);
        if (failed) throw new Error(`send failed: ${failed.error.message}`);
      }
    }),
  );
  while (node.pendingCount > 0) await request("evm_mine");
  const seconds = (performance.now() - t0) / 1000;
  const cpuMsPerTx = cpuMsSince(cpu) / N_BATCHED;
  await request("evm_setAutomine", [true]);
  const mined = Number(node.headNumber - head0);
  const included = node.blocks.slice(Number(head0) + 1).reduce((n, b) => n + b.transactions.length, 0);
  if (included !== N_BATCHED) throw new Error(`only ${included} of ${N_BATCHED} transactions were mined`);
  return { txPerSec: N_BATCHED / seconds, blocks: mined, cpuMsPerTx };
}

async function callLatency(data: Hex): Promise<{ p50Ms: number; p99Ms: number; callsPerSec: number; cpuMsPerCall: number }> {
  const latencies: number[] = [];
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let i = 0; i < CALLS_PER_CLIENT; i++) {
        const start = performance.now();
        await request("eth_call", [{ to: demo.address, data }, "latest"]);
        latencies.push(performance.now() - start);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
  return { p50Ms: round(pct(50)), p99Ms: round(pct(99)), callsPerSec: round(latencies.length / seconds), cpuMsPerCall: round(cpuMsSince(cpu) / latencies.length) };
}

/** Serial node.call without HTTP or a client: the node's own cost of one eth_call. */
async function inProcessCallMs(data: Hex): Promise<number> {
  const calls = CALLS_PER_CLIENT * 4;
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) await node.call({ to: demo.address, data }, "latest");
  return round((performance.now() - t0) / calls);
}

const round = (x: number) => Math.round(x * 100) / 100;

// Warm up the JIT and the caches on both paths before measuring.
await callLatency(encodeFunctionData({ abi: demo.abi, functionName: "infer", args: [demo.sampleInput] }));
await callLatency(encodeFunctionData({ abi: demo.abi, functionName: "inferences" }));

const automineTransfer = await automineTps("transfer");
const automineInference = await automineTps("inference");
const batchedTransfer = await batchedTps("transfer");
const batchedInference = await batchedTps("inference");
const inferenceCall = await callLatency(encodeFunctionData({ abi: demo.abi, functionName: "infer", args: [demo.sampleInput] }));
const referenceCall = await callLatency(encodeFunctionData({ abi: demo.abi, functionName: "inferences" }));
const inferenceInProcess = await inProcessCallMs(encodeFunctionData({ abi: demo.abi, functionName: "infer", args: [demo.sampleInput] }));
const referenceInProcess = await inProcessCallMs(encodeFunctionData({ abi: demo.abi, functionName: "inferences" }));

await server.close();

console.log(
  JSON.stringify(
    {
      bench: "node",
      transport: "HTTP JSON-RPC, 127.0.0.1",
      secp256k1: JS_CRYPTO ? "EthereumJS pure JS" : nativeSecp256k1Loaded ? "native (libsecp256k1)" : "EthereumJS pure JS (native binding failed to load)",
      txPerSec: {
        automine: {
          inference: round(automineInference.txPerSec),
          referenceTransfer: round(automineTransfer.txPerSec),
          cpuMsPerTx: { inference: round(automineInference.cpuMsPerTx), referenceTransfer: round(automineTransfer.cpuMsPerTx) },
          txs: N_AUTOMINE,
          ratio: round(automineInference.txPerSec / automineTransfer.txPerSec),
        },
        batched: {
          inference: round(batchedInference.txPerSec),
          referenceTransfer: round(batchedTransfer.txPerSec),
          cpuMsPerTx: { inference: round(batchedInference.cpuMsPerTx), referenceTransfer: round(batchedTransfer.cpuMsPerTx) },
          txs: N_BATCHED,
          blocks: { inference: batchedInference.blocks, transfer: batchedTransfer.blocks },
          ratio: round(batchedInference.txPerSec / batchedTransfer.txPerSec),
        },
      },
      ethCall: {
        concurrentClients: CLIENTS,
        callsPerClient: CALLS_PER_CLIENT,
        inference: { what: "InferenceDemo.infer: TMATMUL int8[1,4]x[4,3]", ...inferenceCall },
        reference: { what: "InferenceDemo.inferences(): one SLOAD, no AIVM work", ...referenceCall },
        ratioP50: round(inferenceCall.p50Ms / referenceCall.p50Ms),
        // The same calls made serially in process (no HTTP, no client): what the node itself costs.
        inProcessMsPerCall: { inference: inferenceInProcess, reference: referenceInProcess },
      },
      // The machine is shared: wall-clock figures scale with load; cpuMs* are this process's CPU time.
      loadAverage1m: round(loadavg()[0]!),
      cpus: availableParallelism(),
    },
    null,
    2,
  ),
);
