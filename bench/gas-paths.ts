// ns per gas of the precompile paths around the op kernels, for bench/gas.ts: decoding the largest
// inline inputs (ABI and tensor wire format) and committing them, planning a program (decode and
// shape inference), a cold stored read from the state trie, a TSTREAM's steps and an output's
// commit. Each row times the work the precompile does on that path (the same functions it calls)
// against the charge src/gas makes for it, alternating with the node's native ecrecover.
import { performance } from "node:perf_hooks";
import { Address } from "@ethereumjs/util";
import { encodeAbiParameters, parseAbiParameters } from "viem";
import { encodeProgram, decodeProgram, type Program } from "../src/codec/program.ts";
import { inferProgram } from "../src/codec/program-infer.ts";
import { runStream } from "../src/codec/program-run.ts";
import { decodeTensor, encodeTensor } from "../src/codec/tensor.ts";
import { commitEncodedTensor, commitTensor } from "../src/commit/tensor-commit.ts";
import { OP_CODES } from "../src/engine/registry.ts";
import { tensor, type Tensor } from "../src/engine/tensor.ts";
import { AivmStateManager } from "../src/evm/state-manager.ts";
import { createChainCommon } from "../src/evm/chain-vm.ts";
import { MULTIPLIER_ONE, commitGas, decodeGas, inputGas, programOverheadGas, quoteStream, readAccessGas, readBytesGas, writeGas } from "../src/gas/index.ts";
import { decodeParams } from "../precompiles/abi-decode.ts";
import { compileLm, readLmConfig } from "../src/model/lm.ts";
import { emptyCalibration } from "../src/model/lm-float.ts";
import { shardProgram } from "../src/model/package.ts";
import { tinyWeights } from "../test/model/lm-fixture.ts";
import { seededInts } from "../test/xorshift.ts";
import type { Reference, TimeFn } from "./gas-nodes.ts";

const ROUNDS = 5;
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 60);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export interface PathRow {
  path: string;
  /** What the row's gas is: the src/gas terms charged for this work. */
  charge: string;
  gas: number;
  cpuNsPerCall: number;
  cpuNsPerGas: number;
  vsNativeEcrecover: number;
}

interface PathCase {
  path: string;
  charge: string;
  gas: bigint;
  run?: () => unknown;
  /** For an awaited path (state reads): one call per await. */
  runAsync?: () => Promise<unknown>;
}

/** timeIt for an async call: CPU ns per awaited call over about `ms`. */
async function timeAsync(fn: () => Promise<unknown>, ms: number): Promise<number> {
  for (let i = 0; i < 3; i++) await fn();
  let calls = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  while (performance.now() - start < ms) {
    await fn();
    calls++;
  }
  const cpu = process.cpuUsage(cpu0);
  return ((cpu.user + cpu.system) * 1e3) / calls;
}

async function measure(time: TimeFn, ref: Reference, c: PathCase): Promise<PathRow> {
  const gas = Number(c.gas);
  const perCall: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const ns = c.runAsync ? await timeAsync(c.runAsync, ROUND_MS) : time(c.run!, ROUND_MS).cpuNsPerCall;
    const reference = time(ref.run, ROUND_MS).cpuNsPerCall;
    perCall.push(ns);
    ratios.push(ns / gas / (reference / ref.gas));
  }
  const ns = median(perCall);
  return { path: c.path, charge: c.charge, gas, cpuNsPerCall: Math.round(ns), cpuNsPerGas: +(ns / gas).toFixed(2), vsNativeEcrecover: +median(ratios).toFixed(2) };
}

function inlineTensor(t: Tensor): PathCase {
  const enc = encodeTensor(t);
  return {
    path: `inline tensor ${t.dtype} [${t.shape.join(",")}] (${enc.length} B): decode + commit`,
    charge: "inputGas(inline): 3/word copy + commitGas",
    gas: inputGas(t, "inline"),
    run: () => {
      decodeTensor(enc);
      commitEncodedTensor(enc);
    },
  };
}

/** The largest call input a 60 M block carries is ~3.7 MB of calldata; TSTREAM's layout with a 1 MiB xs. */
function abiDecode(): PathCase {
  const params = parseAbiParameters("bytes32 programId, bytes[] state, bytes xs, uint32 steps, uint8 flags");
  const state = Array.from({ length: 16 }, (_, i) => `0x${"ab".repeat(1024 + i)}` as const);
  const data = encodeAbiParameters(params, [`0x${"11".repeat(32)}`, state, `0x${"cd".repeat(1 << 20)}`, 7, 0]);
  const bytes = Uint8Array.from(Buffer.from(data.slice(2), "hex"));
  return {
    path: `ABI decode, TSTREAM layout, 16 state blobs + 1 MiB xs (${bytes.length} B)`,
    charge: "decodeGas: 200 + 3/word",
    gas: decodeGas(bytes.length),
    run: () => decodeParams(params, bytes),
  };
}

/** The decoder step program, weights as handles (what TSTREAM decodes and infers once per call). */
function lmStepProgram(): Program {
  const config = readLmConfig();
  const cal = emptyCalibration(config.n_layers);
  for (const k of Object.keys(cal) as (keyof typeof cal)[]) {
    const v = cal[k];
    if (Array.isArray(v)) v.fill(1);
    else (cal as unknown as Record<string, number>)[k] = 1;
  }
  const lm = compileLm(config, tinyWeights(7, config), cal);
  return shardProgram(lm.build({ token: "state", emit: "token" })).program;
}

function programPlan(program: Program, label: string): PathCase {
  const bytes = encodeProgram(program);
  return {
    path: `program decode + inference, ${label} (${program.nodes.length} nodes, ${bytes.length} B)`,
    charge: "programOverheadGas(stored): 500 + 512/node + 16/word",
    gas: programOverheadGas(bytes.length, program.nodes.length, true),
    run: () => inferProgram(decodeProgram(bytes)),
  };
}

/** Many tiny nodes in a small encoding: what a program's per-call planning costs at its worst. */
function reluChain(n: number): Program {
  return {
    stateCount: 0,
    values: [{ kind: "input", dtype: "int8", shape: [1] }],
    nodes: Array.from({ length: n }, (_, i) => ({ op: OP_CODES.relu, inputs: [i], outputs: 1, attrs: {} })),
    outputs: [n],
  };
}

/** A cold read: account, code hash and code from the state trie (no cache), then the blob decoded. */
async function coldRead(blobBytes: number): Promise<PathCase> {
  const sm = new AivmStateManager({ common: createChainCommon() });
  const t = tensor("int8", [blobBytes - 16], seededInts(blobBytes - 16, 9, -128, 256));
  const enc = encodeTensor(t);
  const addresses = Array.from({ length: 64 }, (_, i) => new Address(Uint8Array.from({ length: 20 }, (_, j) => (j === 19 ? i + 1 : j === 0 ? 0xaa : 0))));
  await sm.checkpoint();
  // A blob is account code: a prefix byte, then the blob (precompiles/memory.ts).
  for (const a of addresses) await sm.putCode(a, Uint8Array.from([0xfe, ...enc]));
  await sm.commit();
  await sm.flush();
  if ((await sm.getCode(addresses[0]!)).length !== enc.length + 1) throw new Error("cold read bench: code not stored");
  let i = 0;
  return {
    path: `stored read, cold: trie lookup + code ${enc.length} B + decode`,
    charge: "readAccessGas(cold) + readBytesGas: 2600 + 3/word",
    gas: readAccessGas(true) + readBytesGas(enc.length),
    runAsync: async () => decodeTensor((await sm.getCode(addresses[i++ % addresses.length]!)).subarray(1)),
  };
}

/** TSTREAM with a tiny step program: per-step dispatch, the step's y commit, and the final state commit. */
function tinyStream(steps: number): PathCase {
  const program: Program = {
    stateCount: 1,
    values: [
      { kind: "input", dtype: "int32", shape: [16] },
      { kind: "input", dtype: "int32", shape: [16] },
    ],
    nodes: [{ op: OP_CODES.add, inputs: [0, 1], outputs: 1, attrs: {} }],
    outputs: [2, 2],
  };
  const s0 = tensor("int32", [16], seededInts(16, 3, -1000, 2000));
  const xs = Array.from({ length: steps }, (_, i) => [tensor("int32", [16], seededInts(16, 10 + i, -1000, 2000))]);
  const q = quoteStream(program, [s0, xs[0]![0]!], steps, MULTIPLIER_ONE);
  return {
    path: `TSTREAM ${steps} steps of one add int32 [16] (inference, steps, y commits, state commit)`,
    charge: "quoteStream minus its inline arguments (not decoded here)",
    gas: q.gas - q.inputsGas,
    run: () => {
      const r = runStream(program, [s0], xs, () => {
        throw new Error("no handles");
      });
      for (const [y] of r.outputs) commitTensor(y!);
      commitTensor(r.state[0]!);
    },
  };
}

function outputCommit(t: Tensor): PathCase {
  return {
    path: `output ${t.dtype} [${t.shape.join(",")}]: commit + encode`,
    charge: "writeGas + commitGas",
    gas: writeGas(t) + commitGas(t),
    run: () => {
      commitTensor(t);
      encodeTensor(t);
    },
  };
}

export async function pathSweep(time: TimeFn, ref: Reference): Promise<PathRow[]> {
  const cases: PathCase[] = [
    inlineTensor(tensor("int8", [1 << 20], seededInts(1 << 20, 1, -128, 256))),
    inlineTensor(tensor("int32", [768], seededInts(768, 2, -100_000, 200_000))),
    inlineTensor(tensor("int8", [1], [5])),
    abiDecode(),
    programPlan(lmStepProgram(), "the LM step program, weights as handles"),
    programPlan(reluChain(2000), "2000 one-element relus"),
    await coldRead(24 * 1024 + 16),
    await coldRead(64),
    tinyStream(256),
    outputCommit(tensor("int8", [1 << 20], seededInts(1 << 20, 4, -128, 256))),
    outputCommit(tensor("int32", [1], [7])),
  ];
  const rows: PathRow[] = [];
  for (const c of cases) rows.push(await measure(time, ref, c));
  return rows;
}
