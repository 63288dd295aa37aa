// npm run bench:model — for the Fashion-MNIST MLP and CNN: latency per inference through eth_call
// (TGRAPH on an in-process dev node, weights in the persistent store, after --warmup calls) against onnxruntime-node fp32
// on the same input, the same node served over HTTP to 16 concurrent clients (bench/node-clients.ts
// in a worker thread, a distinct test image per call; see httpLatency), exact gas per inference (the quote of the
// deployed model's TCUSTOM call and what that call is charged), AIVM vs fp32 top-1 accuracy, and
// the same MLP in plain Solidity (contracts/examples/PlainMLP.sol), gas only. Prints JSON.
import { createServer } from "node:http";
import v8 from "node:v8";
import { runInNewContext } from "node:vm";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { bytesToHex, encodeFunctionData, hexToBytes, type Abi, type Hex } from "viem";
import { compileContracts } from "../src/chain/solc.ts";
import { PRECOMPILE_ADDRESSES } from "../precompiles/addresses.ts";
import { connect, tcustomCalldata, tgraphCalldata, type ChainConnection } from "../src/model/chain.ts";
import { uploadPackage } from "../src/model/deploy.ts";
import { calibrateFashion, fashionAccuracy, fashionBatch, type FashionModel } from "../src/model/evaluate.ts";
import { loadFashionMnist } from "../src/model/fashion-mnist.ts";
import { encodeInputs, packCalibrated, quoteModel } from "../src/model/package.ts";
import { decodeProgram } from "../src/codec/program.ts";
import { inferProgram } from "../src/codec/program-infer.ts";
import { createAivmProvider } from "../src/rpc/provider.ts";
import { startNodeServer } from "../src/rpc/server.ts";
import type { ClientJob, ClientReport } from "./node-clients.ts";
import { plainMlpReference, quantizeFashionMlp, weightChunks } from "../test/fixtures/plain-mlp.ts";
import { rerunWithAllocatorEnv, tuneNodeProcess } from "../src/cli/process-tuning.ts";

rerunWithAllocatorEnv();
tuneNodeProcess();
v8.setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const opts = new Command()
  .option("--images <n>", "test images for the accuracy figures", (v) => Number(v), 10_000)
  .option("--runs <n>", "timed inferences per path", (v) => Number(v), 30)
  .option("--warmup <n>", "eth_calls before the timed ones: V8 optimises the call path over the first few thousand", (v) => Number(v), 2000)
  .option("--http-calls <n>", "timed eth_calls per HTTP client (16 clients)", (v) => Number(v), 100)
  .option("--http-rate <n>", "calls per second the 16 paced HTTP clients offer together", (v) => Number(v), 1000)
  .option("--calibration <n>", "calibration images", (v) => Number(v), 64)
  .parse()
  .opts<{ images: number; runs: number; warmup: number; httpCalls: number; httpRate: number; calibration: number }>();

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timeIt(runs: number, f: () => Promise<unknown>, warmup = 3): Promise<number> {
  for (let i = 0; i < warmup; i++) await f();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    await f();
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(ms);
}

async function sendTx(conn: ChainConnection, to: Hex, data: Hex): Promise<{ hash: Hex; gasUsed: bigint }> {
  const hash = await conn.wallet.sendTransaction({ to, data, account: conn.account, chain: null, gas: 55_000_000n });
  const r = await conn.public.waitForTransactionReceipt({ hash });
  if (r.status !== "success") throw new Error(`transaction to ${to} reverted`);
  return { hash, gasUsed: r.gasUsed };
}

const train = loadFashionMnist("train");
const test = loadFashionMnist("test");
const ort = await import("onnxruntime-node");
const provider = await createAivmProvider({ blockGasLimit: 60_000_000n });
const conn = await connect(provider);
const results: Record<string, unknown>[] = [];
// The same node over HTTP, for the concurrent-client figures.
const server = await startNodeServer({ node: provider.node, port: 0 });
const worker = new Worker(new URL("./node-clients.ts", import.meta.url), { execArgv: ["--import", "tsx"] });
const HTTP_CLIENTS = 16;
async function clients(job: ClientJob): Promise<ClientReport> {
  const report = await new Promise<ClientReport>((resolve, reject) => {
    // Each job's listeners go with it: one left per job would pile up on the worker.
    const onMessage = (r: ClientReport) => {
      worker.off("error", onError);
      resolve(r);
    };
    const onError = (e: Error) => {
      worker.off("message", onMessage);
      reject(e);
    };
    worker.once("message", onMessage);
    worker.once("error", onError);
    worker.postMessage(job);
  });
  if (report.error) throw new Error(`client: ${report.error}`);
  return report;
}

interface HttpLatency {
  clients: number;
  calls: number;
  p50Ms: number;
  p99Ms: number;
  callsPerSec: number;
}

function latencyOf(report: ClientReport): HttpLatency {
  const sorted = [...report.latenciesMs].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  return { clients: HTTP_CLIENTS, calls: sorted.length, p50Ms: pct(50), p99Ms: pct(99), callsPerSec: sorted.length / (report.elapsedMs / 1000) };
}

/**
 * A node:http server that answers every POST with one fixed JSON-RPC reply, read to the end first:
 * what the same clients measure when the server does no work, the floor under any node's figures.
 */
async function constantServer(reply: string): Promise<{ url: string; close: () => Promise<void> }> {
  const http = createServer((req, res) => {
    req.on("data", () => {});
    req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end(reply));
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, close: () => new Promise((resolve) => http.close(() => resolve())) };
}

/**
 * eth_call over HTTP from 16 clients, a distinct image per call, after --warmup calls over HTTP:
 * `closedLoop`, each client sending its next call as soon as the last returns (the node saturated:
 * p50 ≈ 16 calls in flight ÷ calls per second); `floor`, the same clients and bodies against a
 * server that answers at once with a reply of the same length; `paced`, the 16 clients together
 * offering --http-rate calls per second, each call timed from when it was due; `pacedFloor`, the
 * paced clients against that server (what the harness and the machine add to `paced`, its p99 included).
 */
async function httpLatency(calldataOf: (image: number) => string): Promise<{ closedLoop: HttpLatency; floor: HttpLatency; paced: HttpLatency & { offeredCallsPerSec: number }; pacedFloor: HttpLatency }> {
  let rpcId = 0;
  let image = 0;
  const bodies = (perClient: number) =>
    Array.from({ length: HTTP_CLIENTS }, () =>
      Array.from({ length: perClient }, () => JSON.stringify({ jsonrpc: "2.0", id: ++rpcId, method: "eth_call", params: [{ to: PRECOMPILE_ADDRESSES.TGRAPH, data: calldataOf(image++), from: conn.account }, "latest"] })),
    );
  const perClient = opts.httpCalls;
  const warm = bodies(Math.ceil(opts.warmup / HTTP_CLIENTS));
  await clients({ kind: "concurrent", url: server.url, clients: warm });
  const closedLoop = latencyOf(await clients({ kind: "concurrent", url: server.url, clients: bodies(perClient) }));
  const paced = latencyOf(await clients({ kind: "paced", url: server.url, clients: bodies(perClient), callsPerSec: opts.httpRate }));
  const answer = (await provider.request({ method: "eth_call", params: [{ to: PRECOMPILE_ADDRESSES.TGRAPH, data: calldataOf(0), from: conn.account }, "latest"] })) as string;
  const floorServer = await constantServer(JSON.stringify({ jsonrpc: "2.0", id: 1, result: answer }));
  await clients({ kind: "concurrent", url: floorServer.url, clients: warm });
  const floor = latencyOf(await clients({ kind: "concurrent", url: floorServer.url, clients: bodies(perClient) }));
  const pacedFloor = latencyOf(await clients({ kind: "paced", url: floorServer.url, clients: bodies(perClient), callsPerSec: opts.httpRate }));
  await floorServer.close();
  return { closedLoop, floor, paced: { ...paced, offeredCallsPerSec: opts.httpRate }, pacedFloor };
}

for (const which of ["mlp", "cnn"] as FashionModel[]) {
  const model = calibrateFashion(repoRoot, which, opts.calibration, 100, train);
  const pkg = packCalibrated(model.bytes, model.calibration, opts.calibration, { name: `fashion_${which}` });
  await uploadPackage(conn, pkg);
  const program = hexToBytes(pkg.program);
  const x = fashionBatch(which, test, 0, 1);
  const ins = encodeInputs(pkg, [x]);
  const calldataOf = (image: number) => tgraphCalldata(program, encodeInputs(pkg, [fashionBatch(which, test, image % test.labels.length, 1)]));
  // A distinct image per call, encoded before the timing starts.
  const inProcess = Array.from({ length: opts.warmup + opts.runs }, (_, i) => calldataOf(i));
  let next = 0;
  // The timings start from a collected heap: the bench's own garbage (the calibration, the last
  // model's accuracy run) is not the node's, and a full collection of it would stall node and floor alike.
  collectGarbage();
  const ethCallMs = await timeIt(opts.runs, () => conn.public.call({ to: PRECOMPILE_ADDRESSES.TGRAPH, data: inProcess[next++ % inProcess.length], account: conn.account }), opts.warmup);
  const http = await httpLatency(calldataOf);
  // What the program cache (precompiles/program-cache.ts) saves a call: one decode and one inference.
  const decoded = decodeProgram(program);
  const decodeProgramMs = await timeIt(opts.runs * 10, async () => decodeProgram(program));
  const inputMetas = decoded.values.flatMap((v) => (v.kind === "input" ? [{ dtype: v.dtype, shape: v.shape }] : []));
  const inferProgramMs = await timeIt(opts.runs * 10, async () => inferProgram(decoded, inputMetas));
  const session = await ort.InferenceSession.create(model.bytes, { intraOpNumThreads: 1 });
  const feeds = { input: new ort.Tensor("float32", Float32Array.from(x.data), x.shape) };
  const ortMs = await timeIt(opts.runs * 10, () => session.run(feeds));
  // The quote prices the deployed model's call: TCUSTOM on the stored program (quoteModel), so that is the call sent.
  const tx = await sendTx(conn, PRECOMPILE_ADDRESSES.TCUSTOM, tcustomCalldata(pkg.programId, ins));
  const receipts = (await provider.request({ method: "aivm_getReceipts", params: [tx.hash] })) as { receipts: { gasUsed: Hex }[] };
  const charged = receipts.receipts.reduce((s, r) => s + BigInt(r.gasUsed), 0n);
  const quote = quoteModel(pkg);
  const accuracy = await fashionAccuracy(which, model, test, Math.floor(opts.images / 100) * 100);
  results.push({
    model: which,
    programNodes: decodeProgram(program).nodes.length,
    int16Tensors: pkg.config.wide.length,
    latencyMs: { warmupCalls: opts.warmup, ethCallTgraph: ethCallMs, onnxruntimeFp32: ortMs, ratio: ethCallMs / ortMs, cachedPerCall: { decodeProgram: decodeProgramMs, inferProgram: inferProgramMs }, ethCallHttp: { ...http, ratioClosedLoopP50ToFloor: http.closedLoop.p50Ms / http.floor.p50Ms, ratioPacedP50ToOnnxruntime: http.paced.p50Ms / ortMs } },
    gasPerInference: { quote: quote.gas.toString(), charged: charged.toString(), quoteEqualsCharge: quote.gas === charged, flops: quote.flops.toString(), txGasUsed: tx.gasUsed.toString() },
    accuracy: { images: accuracy.images, aivmPercent: accuracy.aivmAccuracy, fp32Percent: accuracy.floatAccuracy, differencePoints: accuracy.aivmAccuracy - accuracy.floatAccuracy, agreement: accuracy.agreement },
  });
}

// The same MLP in plain Solidity (H8's contracts/examples/PlainMLP.sol), gas only.
let plain: Record<string, unknown>;
try {
  const compiled = compileContracts(path.join(repoRoot, "contracts"), ["examples/PlainMLP.sol"]).get("PlainMLP")!;
  const abi = compiled.abi as Abi;
  const p = quantizeFashionMlp(train.images.slice(0, 500));
  const hash = await conn.wallet.deployContract({ abi, bytecode: compiled.bytecode as Hex, args: [BigInt(p.inputSize), BigInt(p.hiddenSize), BigInt(p.outputSize)], account: conn.account, chain: null, gas: 55_000_000n });
  const address = (await conn.public.waitForTransactionReceipt({ hash })).contractAddress!;
  await sendTx(conn, address, encodeFunctionData({ abi, functionName: "loadWeights", args: [weightChunks(p).map((c) => bytesToHex(c)), p.b1, p.m1, p.t1, p.b2] }));
  const tx = await sendTx(conn, address, encodeFunctionData({ abi, functionName: "infer", args: [bytesToHex(test.images[0]!)] }));
  plain = { contract: "contracts/examples/PlainMLP.sol", inferTxGasUsed: tx.gasUsed.toString(), referenceLabel: plainMlpReference(p, test.images[0]!).label };
} catch (e) {
  plain = { contract: "contracts/examples/PlainMLP.sol", error: (e as Error).message.split("\n")[0] };
}
const mlp = results[0]!.gasPerInference as { charged: string; txGasUsed: string };
if (plain.inferTxGasUsed) plain.ratioPlainToAivmTx = Number(plain.inferTxGasUsed) / Number(mlp.txGasUsed);

console.log(JSON.stringify({ bench: "model", node: process.version, models: results, plainSolidityMlp: plain }, null, 2));
await worker.terminate();
await server.close();
await provider.close();
