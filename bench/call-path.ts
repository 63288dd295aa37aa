// npm run bench:call-path — where a small-model eth_call's CPU goes (issue 20, docs/performance.md):
// the Fashion-MNIST MLP and CNN through TGRAPH on an in-process dev node, timed through viem and
// through the provider's request alone, then profiled (V8's sampling profiler, in this process) with
// every sample's self time put in one stage of the call path by the file it ran in. Also measures
// what the node's V8 flags (src/cli/v8-flags.ts) change: a typed array's allocation and a one-node
// program of a tiny movement op, each with the flags off and on. Prints JSON.
//
// A call's CPU keeps falling for the first few thousand calls (V8 tiering up the EVM and the call
// path), so each model is first called BENCH_WARMUP times (3000), then timed in 5 rounds of
// BENCH_CALLS / 4 calls each (the median round is reported, and every round), then profiled.
import { execFileSync } from "node:child_process";
import os from "node:os";
import { Session } from "node:inspector/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { hexToBytes, type Hex } from "viem";
import { PRECOMPILE_ADDRESSES } from "../precompiles/addresses.ts";
import { inferProgram } from "../src/codec/program-infer.ts";
import { runProgram } from "../src/codec/program-run.ts";
import type { Program } from "../src/codec/program.ts";
import { OP_CODES } from "../src/engine/registry.ts";
import { tensor } from "../src/engine/tensor.ts";
import { connect, tgraphCalldata } from "../src/model/chain.ts";
import { uploadPackage } from "../src/model/deploy.ts";
import { calibrateFashion, fashionBatch, type FashionModel } from "../src/model/evaluate.ts";
import { loadFashionMnist } from "../src/model/fashion-mnist.ts";
import { encodeInputs, packCalibrated } from "../src/model/package.ts";
import { createAivmProvider } from "../src/rpc/provider.ts";
import { NODE_V8_FLAGS, applyNodeV8Flags } from "../src/cli/v8-flags.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CALLS = Number(process.env.BENCH_CALLS ?? 2000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3000);
const ROUNDS = 5;

/** CPU and wall ns per call of a synchronous function, after a warm-up. */
function timeNs(fn: () => unknown, ms = 400): { cpu: number; wall: number } {
  for (let i = 0; i < 100; i++) fn();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < ms) {
    fn();
    n++;
  }
  const c = process.cpuUsage(c0);
  return { cpu: ((c.user + c.system) * 1e3) / n, wall: ((performance.now() - t0) * 1e6) / n };
}

/** The micro cases the flags change, timed in this process (run as a child, with or without the flags). */
function microCases(): { name: string; cpuNs: number; wallNs: number }[] {
  const x = tensor("int8", [288], Array.from({ length: 288 }, (_, i) => (i % 200) - 100));
  const one: Program = { stateCount: 0, values: [{ kind: "input", dtype: "int8", shape: [288] }], nodes: [{ op: OP_CODES.unsqueeze, inputs: [0], outputs: 1, attrs: { axes: [0] } }], outputs: [1] };
  const info = inferProgram(one, [x]);
  const small = new Int8Array(288);
  const cases = {
    "Int8Array(288).slice()": () => small.slice(),
    "new Int8Array(4096)": () => new Int8Array(4096),
    "new Int8Array(1 MiB)": () => new Int8Array(1 << 20),
    "one-node program: unsqueeze int8 [288]": () => runProgram(one, [x], new Map(), { info }),
  };
  return Object.entries(cases).map(([name, fn]) => {
    const t = timeNs(fn);
    return { name, cpuNs: Math.round(t.cpu), wallNs: Math.round(t.wall) };
  });
}

/** The flags' effect: the micro cases in a child process with V8's defaults and in one with NODE_V8_FLAGS, alternately, 3 rounds, medians. */
function v8FlagEffect(): Record<string, unknown> {
  const child = (flags: boolean) => {
    const out = execFileSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), MICRO], { env: { ...process.env, AIVM_BENCH_FLAGS: flags ? "1" : "0" }, encoding: "utf8" });
    return JSON.parse(out) as { name: string; cpuNs: number; wallNs: number }[];
  };
  const rounds = [0, 1, 2].map(() => ({ defaults: child(false), flagged: child(true) }));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1]!;
  const rows = rounds[0]!.defaults.map((r, i) => {
    const d = { cpuNs: median(rounds.map((x) => x.defaults[i]!.cpuNs)), wallNs: median(rounds.map((x) => x.defaults[i]!.wallNs)) };
    const f = { cpuNs: median(rounds.map((x) => x.flagged[i]!.cpuNs)), wallNs: median(rounds.map((x) => x.flagged[i]!.wallNs)) };
    // CPU time counts V8's background threads too; wall time is what a caller waits.
    return { name: r.name, v8Defaults: d, nodeFlags: f, wallRatio: +(d.wallNs / f.wallNs).toFixed(2) };
  });
  return { flags: NODE_V8_FLAGS, rows };
}

/** The stage of the call path a profiled frame's file belongs to. */
function stageOf(url: string, fn: string): string {
  if (url === "") return fn === "(garbage collector)" ? "gc" : fn === "(program)" || fn === "(idle)" || fn === "(root)" ? "v8 (unattributed)" : "";
  if (url.startsWith("wasm://")) return "kernels";
  const file = url.replace(/^.*\/node_modules\//, "node_modules/").replace(/^file:\/\/.*?\/(src|precompiles|bench)\//, "$1/");
  const table: [RegExp, string][] = [
    [/^node_modules\/viem\//, "client (viem)"],
    [/^src\/rpc\//, "rpc (params, methods, provider)"],
    [/^src\/chain\/(calls|queue|node|runtime|block-randomness)\.ts/, "call set-up (queue, block context, runtime)"],
    [/^src\/evm\/|^node_modules\/@ethereumjs\/|^node_modules\/@js-sdsl\//, "evm and state"],
    [/^precompiles\/(abi|abi-decode|call|memory|commit|index|a1[0-9]{2}-[a-z]+)\.ts/, "precompile entry (ABI, memory, receipt)"],
    [/^precompiles\/program-cache\.ts|^src\/codec\/program(-infer)?\.ts/, "program decode (cached)"],
    [/^precompiles\/program-call\.ts|^src\/gas\//, "planning and gas"],
    [/^src\/codec\/program-run\.ts|^src\/codec\/tensor\.ts/, "program run and tensor codec"],
    [/^src\/engine\//, "kernels"],
    [/^src\/commit\/|^node_modules\/hash-wasm\/|^node_modules\/@noble\/hashes\//, "commits (keccak)"],
  ];
  for (const [re, stage] of table) if (re.test(file)) return stage;
  if (url.startsWith("node:")) return "";
  return "other";
}

async function profileCalls(call: () => Promise<unknown>, calls: number): Promise<Record<string, number>> {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 50 });
  await session.post("Profiler.start");
  for (let i = 0; i < calls; i++) await call();
  const { profile } = await session.post("Profiler.stop");
  session.disconnect();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const samples = new Map<number, number>();
  for (const id of profile.samples ?? []) samples.set(id, (samples.get(id) ?? 0) + 1);
  const stages = new Map<string, number>();
  for (const [id, count] of samples) {
    // Builtins and node: internals count for the nearest caller with a stage.
    let node = byId.get(id)!;
    let stage = stageOf(node.callFrame.url, node.callFrame.functionName);
    while (stage === "" && parent.has(node.id)) {
      node = byId.get(parent.get(node.id)!)!;
      stage = stageOf(node.callFrame.url, node.callFrame.functionName);
    }
    stage ||= "other";
    stages.set(stage, (stages.get(stage) ?? 0) + count);
  }
  const total = profile.samples?.length ?? 1;
  return Object.fromEntries([...stages].sort((a, b) => b[1] - a[1]).map(([k, c]) => [k, +((100 * c) / total).toFixed(1)]));
}

/** Per-call wall and CPU ms of `calls` calls, in ROUNDS rounds: the median round's, and every round's CPU. */
async function timeCalls(call: () => Promise<unknown>, calls: number): Promise<{ wallMs: number; cpuMs: number; cpuMsRounds: number[] }> {
  const rounds: { wallMs: number; cpuMs: number }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) await call();
    const c = process.cpuUsage(c0);
    rounds.push({ wallMs: (performance.now() - t0) / calls, cpuMs: (c.user + c.system) / 1e3 / calls });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[ROUNDS >> 1]!;
  return {
    wallMs: +median(rounds.map((r) => r.wallMs)).toFixed(3),
    cpuMs: +median(rounds.map((r) => r.cpuMs)).toFixed(3),
    cpuMsRounds: rounds.map((r) => +r.cpuMs.toFixed(3)),
  };
}

const MICRO = "--micro";
if (process.argv[2] === MICRO) {
  if (process.env.AIVM_BENCH_FLAGS === "1") applyNodeV8Flags();
  console.log(JSON.stringify(microCases()));
  process.exit(0);
}
const flagEffect = v8FlagEffect();
applyNodeV8Flags();
const train = loadFashionMnist("train");
const test = loadFashionMnist("test");
const provider = await createAivmProvider({ blockGasLimit: 60_000_000n });
const conn = await connect(provider);
const models: Record<string, unknown>[] = [];
for (const which of ["mlp", "cnn"] as FashionModel[]) {
  const model = calibrateFashion(repoRoot, which, 64, 100, train);
  const pkg = packCalibrated(model.bytes, model.calibration, 64, { name: `fashion_${which}` });
  await uploadPackage(conn, pkg);
  const data = tgraphCalldata(hexToBytes(pkg.program), encodeInputs(pkg, [fashionBatch(which, test, 0, 1)]));
  const from = conn.account;
  const viaViem = () => conn.public.call({ to: PRECOMPILE_ADDRESSES.TGRAPH, data, account: conn.account });
  const viaRequest = () => provider.request({ method: "eth_call", params: [{ from, to: PRECOMPILE_ADDRESSES.TGRAPH, data: data as Hex }, "latest"] });
  for (let i = 0; i < WARMUP; i++) await viaRequest();
  models.push({
    model: which,
    calldataBytes: (data.length - 2) / 2,
    perCall: { viem: await timeCalls(viaViem, CALLS / 4), providerRequest: await timeCalls(viaRequest, CALLS / 4) },
    cpuPercentByStage: await profileCalls(viaRequest, CALLS),
  });
}
await provider.close();
console.log(JSON.stringify({ bench: "call-path", node: process.version, at: new Date().toISOString(), loadAverage: os.loadavg().map((l) => +l.toFixed(2)), calls: CALLS, warmup: WARMUP, v8Flags: flagEffect, models }, null, 1));
