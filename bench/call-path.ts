// npm run bench:call-path — where a small-model eth_call's CPU goes (issue 20, docs/performance.md):
// the Fashion-MNIST MLP and CNN through TGRAPH on an in-process dev node, timed through viem and
// through the provider's request alone, then profiled (V8's sampling profiler, in this process) with
// every sample's self time put in one stage of the call path by the file it ran in. Also measures
// what the node's start-up tuning (src/cli/process-tuning.ts) changes: a typed array's allocation and a one-node
// program of a tiny movement op, each with the flags off and on. Prints JSON.
//
// A call's CPU keeps falling for the first few thousand calls (V8 tiering up the EVM and the call
// path), so each model is first called BENCH_WARMUP times (3000), then timed in 5 rounds of
// BENCH_CALLS / 4 calls each (the median round is reported, and every round), then profiled.
//
// Also compares the keccak implementations at hand (src/commit/keccak.ts's hash-wasm, @noble/hashes,
// and Node's crypto if it offers Keccak-256), digests checked equal, µs of CPU per hash.
//
// BENCH_AGAINST=<another checkout of aivm> also runs the same calls through that tree's node in this
// process, rounds of the two alternating, so both see the same load: on a shared machine, the one
// before/after comparison that holds. It checks both answer the same bytes.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import os from "node:os";
import { Session } from "node:inspector/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { hexToBytes, type Hex } from "viem";
import { PRECOMPILE_ADDRESSES } from "../precompiles/addresses.ts";
import { inferProgram } from "../src/codec/program-infer.ts";
import { runProgram } from "../src/codec/program-run.ts";
import type { Program } from "../src/codec/program.ts";
import { OP_CODES, getOp } from "../src/engine/registry.ts";
import { tensor } from "../src/engine/tensor.ts";
import { connect, tgraphCalldata } from "../src/model/chain.ts";
import { uploadPackage } from "../src/model/deploy.ts";
import { calibrateFashion, fashionBatch, type FashionModel } from "../src/model/evaluate.ts";
import { loadFashionMnist } from "../src/model/fashion-mnist.ts";
import { encodeInputs, packCalibrated } from "../src/model/package.ts";
import { createAivmProvider } from "../src/rpc/provider.ts";
import { ALLOCATOR_ENV, ALLOCATOR_WARM_UP_BYTES, NODE_V8_FLAGS, applyNodeV8Flags, rerunWithAllocatorEnv, tuneNodeProcess } from "../src/cli/process-tuning.ts";
import { keccak256One } from "../src/commit/keccak.ts";
import { keccak_256 } from "@noble/hashes/sha3.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CALLS = Number(process.env.BENCH_CALLS ?? 2000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3000);
const ROUNDS = 5;
const AGAINST = process.env.BENCH_AGAINST;

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

/** The micro cases the tuning changes, timed in this process (run as a child, with or without it). */
function microCases(): { name: string; cpuNs: number; wallNs: number }[] {
  const x = tensor("int8", [288], Array.from({ length: 288 }, (_, i) => (i % 200) - 100));
  const one: Program = { stateCount: 0, values: [{ kind: "input", dtype: "int8", shape: [288] }], nodes: [{ op: OP_CODES.unsqueeze, inputs: [0], outputs: 1, attrs: { axes: [0] } }], outputs: [1] };
  const info = inferProgram(one, [x]);
  const small = new Int8Array(288);
  const square = tensor("int8", [512, 512], Int8Array.from({ length: 512 * 512 }, (_, i) => ((i * 7919) % 255) - 127));
  const matmul = getOp("matmul");
  const cases = {
    "Int8Array(288).slice()": () => small.slice(),
    "new Int8Array(4096)": () => new Int8Array(4096),
    "new Int8Array(1 MiB)": () => new Int8Array(1 << 20),
    "eight Int32Array(256 Ki) alive at once, filled": () => Array.from({ length: 8 }, (_, i) => new Int32Array(1 << 18).fill(i)),
    "one-node program: unsqueeze int8 [288]": () => runProgram(one, [x], new Map(), { info }),
    "matmul int8 [512,512]x[512,512] -> int32 (a 1 MiB output)": () => matmul.run([square, square], {}),
  };
  return Object.entries(cases).map(([name, fn]) => {
    const t = timeNs(fn);
    return { name, cpuNs: Math.round(t.cpu), wallNs: Math.round(t.wall) };
  });
}

/**
 * How a micro-case child process is set up: the runtime's defaults, the node's V8 flags alone, all
 * of tuneNodeProcess with ALLOCATOR_ENV, or tuneNodeProcess without it (as a plain `aivm node`
 * starts: the allocator tuned through the native addon where it is built).
 */
type Tuning = "defaults" | "v8FlagsOnly" | "tuned" | "tunedInProcess";
const TUNINGS: readonly Tuning[] = ["defaults", "v8FlagsOnly", "tuned", "tunedInProcess"];

/** The tuning's effect: the micro cases in child processes set up each way, in turn, 3 rounds, medians. */
function tuningEffect(): Record<string, unknown> {
  const child = (tuning: Tuning) => {
    const env: NodeJS.ProcessEnv = { ...process.env, AIVM_BENCH_TUNING: tuning };
    if (tuning === "tuned") Object.assign(env, ALLOCATOR_ENV);
    else delete env["GLIBC_TUNABLES"];
    const out = execFileSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), MICRO], { env, encoding: "utf8" });
    return JSON.parse(out) as { name: string; cpuNs: number; wallNs: number }[];
  };
  const rounds = [0, 1, 2].map(() => Object.fromEntries(TUNINGS.map((t) => [t, child(t)])) as Record<Tuning, { name: string; cpuNs: number; wallNs: number }[]>);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1]!;
  const rows = rounds[0]!.defaults.map((r, i) => {
    const of = (t: Tuning) => ({ cpuNs: median(rounds.map((x) => x[t][i]!.cpuNs)), wallNs: median(rounds.map((x) => x[t][i]!.wallNs)) });
    const [d, f, tuned, tunedInProcess] = TUNINGS.map(of) as ReturnType<typeof of>[];
    // CPU time counts V8's background threads too; wall time is what a caller waits.
    return { name: r.name, defaults: d, v8FlagsOnly: f, tuned, tunedInProcess, wallRatio: +(d!.wallNs / tuned!.wallNs).toFixed(2) };
  });
  return { flags: NODE_V8_FLAGS, allocatorWarmUpBytes: ALLOCATOR_WARM_UP_BYTES, allocatorEnv: ALLOCATOR_ENV, rows };
}

/** The stage of the call path a profiled frame's file belongs to. */
function stageOf(url: string, fn: string): string {
  if (url === "") return fn === "(garbage collector)" ? "gc" : fn === "(program)" || fn === "(idle)" || fn === "(root)" ? "v8 (unattributed)" : "";
  // WASM counts for its JS caller: the engine's kernels, or hash-wasm's keccak (a commit).
  if (url.startsWith("wasm://")) return "";
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
  return {
    wallMs: +median(rounds.map((r) => r.wallMs)).toFixed(3),
    cpuMs: +median(rounds.map((r) => r.cpuMs)).toFixed(3),
    cpuMsRounds: rounds.map((r) => +r.cpuMs.toFixed(3)),
  };
}

type Call = () => Promise<unknown>;

/** The median of numbers. */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** The same package and call data through a node of another checkout (BENCH_AGAINST), in this process. */
async function callAgainst(dir: string, pkg: Parameters<typeof uploadPackage>[1], data: Hex): Promise<{ call: Call; close: () => Promise<void> }> {
  const other = {
    provider: (await import(path.join(dir, "src/rpc/provider.ts"))) as typeof import("../src/rpc/provider.ts"),
    chain: (await import(path.join(dir, "src/model/chain.ts"))) as typeof import("../src/model/chain.ts"),
    deploy: (await import(path.join(dir, "src/model/deploy.ts"))) as typeof import("../src/model/deploy.ts"),
  };
  const provider = await other.provider.createAivmProvider({ blockGasLimit: 60_000_000n });
  const conn = await other.chain.connect(provider);
  await other.deploy.uploadPackage(conn, pkg);
  const from = conn.account;
  return { call: () => provider.request({ method: "eth_call", params: [{ from, to: PRECOMPILE_ADDRESSES.TGRAPH, data }, "latest"] }), close: () => provider.close() };
}

/** CPU ms per call of `mine` and `theirs`, 2·ROUNDS rounds of `calls` each, alternating (which goes first alternates too). */
async function interleaved(mine: Call, theirs: Call, calls: number): Promise<Record<string, number>> {
  const rounds = { mine: [] as number[], theirs: [] as number[] };
  for (let r = 0; r < 2 * ROUNDS; r++) {
    const order: [Call, number[]][] = [
      [mine, rounds.mine],
      [theirs, rounds.theirs],
    ];
    for (const [call, out] of r % 2 === 0 ? order : order.reverse()) {
      const c0 = process.cpuUsage();
      for (let i = 0; i < calls; i++) await call();
      const c = process.cpuUsage(c0);
      out.push((c.user + c.system) / 1e3 / calls);
    }
  }
  return {
    cpuMs: +median(rounds.mine).toFixed(3),
    againstCpuMs: +median(rounds.theirs).toFixed(3),
    // Per round pair, so a load change between rounds cancels.
    ratio: +median(rounds.mine.map((m, i) => m / rounds.theirs[i]!)).toFixed(3),
  };
}

/** µs of CPU per keccak256 of inputs of a few sizes (a 32-byte word, the MLP's input tensor, its program, 64 KiB), per implementation. */
function keccakCompare(): Record<string, unknown>[] {
  const nodeKeccak = (() => {
    try {
      createHash("KECCAK-256");
      return (d: Uint8Array) => new Uint8Array(createHash("KECCAK-256").update(d).digest());
    } catch {
      return undefined;
    }
  })();
  return [32, 784, 3136, 65536].map((bytes) => {
    const data = Uint8Array.from({ length: bytes }, (_, i) => (i * 37) & 0xff);
    const impls: [string, (d: Uint8Array) => Uint8Array][] = [
      ["hash-wasm (src/commit/keccak.ts)", keccak256One],
      ["@noble/hashes", keccak_256],
      ...(nodeKeccak ? [["node:crypto KECCAK-256", nodeKeccak] as [string, (d: Uint8Array) => Uint8Array]] : []),
    ];
    const digest = Buffer.from(keccak256One(data)).toString("hex");
    const row: Record<string, unknown> = { bytes };
    for (const [name, fn] of impls) {
      if (Buffer.from(fn(data)).toString("hex") !== digest) throw new Error(`${name} disagrees with hash-wasm at ${bytes} bytes`);
      row[name] = +(timeNs(() => fn(data), 200).cpu / 1e3).toFixed(2);
    }
    if (!nodeKeccak) row["node:crypto KECCAK-256"] = "not offered by this Node's OpenSSL";
    return row;
  });
}

const MICRO = "--micro";
if (process.argv[2] === MICRO) {
  if (process.env.AIVM_BENCH_TUNING === "tuned" || process.env.AIVM_BENCH_TUNING === "tunedInProcess") tuneNodeProcess();
  if (process.env.AIVM_BENCH_TUNING === "v8FlagsOnly") applyNodeV8Flags();
  console.log(JSON.stringify(microCases()));
  process.exit(0);
}
rerunWithAllocatorEnv();
const flagEffect = tuningEffect();
const keccakUs = keccakCompare();
tuneNodeProcess();
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
  const against = AGAINST === undefined ? undefined : await callAgainst(AGAINST, pkg, data as Hex);
  for (let i = 0; i < WARMUP; i++) {
    await viaRequest();
    await against?.call();
  }
  let versus: Record<string, unknown> | undefined;
  if (against !== undefined) {
    const [mine, theirs] = [await viaRequest(), await against.call()];
    if (mine !== theirs) throw new Error(`${which}: ${AGAINST} answers other bytes than this tree`);
    versus = { tree: AGAINST, sameResult: true, ...(await interleaved(viaRequest, against.call, CALLS / 4)) };
    await against.close();
  }
  models.push({
    model: which,
    calldataBytes: (data.length - 2) / 2,
    perCall: { viem: await timeCalls(viaViem, CALLS / 4), providerRequest: await timeCalls(viaRequest, CALLS / 4) },
    ...(versus ? { against: versus } : {}),
    cpuPercentByStage: await profileCalls(viaRequest, CALLS),
  });
}
await provider.close();
console.log(JSON.stringify({ bench: "call-path", node: process.version, at: new Date().toISOString(), loadAverage: os.loadavg().map((l) => +l.toFixed(2)), calls: CALLS, warmup: WARMUP, processTuning: flagEffect, keccakCpuUs: keccakUs, models }, null, 1));
