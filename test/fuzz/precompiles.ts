// The precompile side of the fuzzer (scripts/fuzz.ts): a production VM and runtime (createAivmVM) with
// fixtures in state (stored tensors, a sharded manifest, a namespace entry, stored programs and a step
// program), one generator per precompile, and `runPrecompileInput`, which calls the precompile the way
// the EVM does (its PrecompileFunc, inside a transaction context, state reverted afterwards) and
// measures what the call cost: wall time, CPU time and the process's ArrayBuffer growth.
import type { PrecompileFunc, PrecompileInput } from "@ethereumjs/evm";
import type { VM } from "@ethereumjs/vm";
import { Address } from "@ethereumjs/util";
import { hexToBytes, parseAbiParameters, toFunctionSelector, type AbiParameter } from "viem";
import { createAivmRuntime, type AivmRuntimeImpl } from "../../src/chain/runtime.ts";
import { createAivmVM } from "../../src/chain/vm.ts";
import { OPS_BY_NAME, OP_CODES, type RegisteredOp } from "../../src/engine/registry.ts";
import type { Tensor, TensorMeta } from "../../src/engine/tensor.ts";
import { encodeProgram, MAX_STREAM_STEPS, type Program } from "../../src/codec/program.ts";
import { keccak256One } from "../../src/commit/keccak.ts";
import { PRECOMPILE_ADDRESSES, type Opcode } from "../../precompiles/index.ts";
import { AIVM_ERRORS_ABI } from "../../precompiles/errors.ts";
import { TMATMUL_INPUT } from "../../precompiles/a101-tmatmul.ts";
import { TEWOP_INPUT, TEWOP_OPS } from "../../precompiles/a102-tewop.ts";
import { TCUSTOM_INPUT } from "../../precompiles/a103-tcustom.ts";
import { TLOAD_INPUT } from "../../precompiles/a104-tload.ts";
import { TSTORE_INPUT } from "../../precompiles/a105-tstore.ts";
import { TCOMMIT_INPUT } from "../../precompiles/a106-tcommit.ts";
import { TSTREAM_INPUT } from "../../precompiles/a107-tstream.ts";
import { TGRAPH_INPUT } from "../../precompiles/a108-tgraph.ts";
import { encodeHandle, scratchHandle } from "../../precompiles/handles.ts";
import { decodeGas } from "../../precompiles/gas.ts";
import {
  Pool,
  Rand,
  abi,
  attrLists,
  infers,
  mutateBytes,
  mutateOpCall,
  mutateProgram,
  nonCanonical,
  programFromCall,
  programInfers,
  randomOpCall,
  randomTensor,
  wire,
  type OpCall,
} from "./generate.ts";

export const PRECOMPILE_TARGETS = ["TMATMUL", "TEWOP", "TCUSTOM", "TLOAD", "TSTORE", "TCOMMIT", "TSTREAM", "TGRAPH"] as const satisfies readonly Opcode[];
export type PrecompileTarget = (typeof PRECOMPILE_TARGETS)[number];

/** One generated precompile call. */
export interface PrecompileInputCase {
  target: PrecompileTarget;
  description: string;
  data: Uint8Array;
  gasLimit: bigint;
  /** Tensors put in scratch (slots 0, 1, …) earlier in the same transaction, so scratch handles resolve. */
  scratch: Tensor[];
}

/** What one call did and cost. */
export interface PrecompileOutcome {
  /** "ok", "revert:<Solidity error>", "oog" or "fault". */
  outcome: string;
  gasUsed: bigint;
  cpuNs: number;
  wallNs: number;
  arrayBufferGrowth: number;
  /** An exception out of the precompile function itself. */
  thrown?: unknown;
  /** A node fault the precompile recorded (a non-AIVM exception inside it). */
  fault?: Error;
}

const ZERO32 = new Uint8Array(32);
const STORE = { scratch: 0, persistent: 1, program: 2, namespace: 3, sharded: 4 } as const;
const MANIFEST_PARAMS = parseAbiParameters("uint8 dtype, uint32[] shape, bytes32[] shardIds");
const NAMESPACE_KEY = Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? 7 : 0));
const OUT_SCRATCH = 1;
const QUOTE_ONLY = 2;

const ERROR_NAMES = new Map<string, string>(
  AIVM_ERRORS_ABI.map((e) => [toFunctionSelector(`${e.name}(${e.inputs.map((i) => i.type).join(",")})`), e.name]),
);

/** A stored program with a call that runs it. */
interface StoredProgram {
  id: Uint8Array;
  program: Program;
  inputs: Tensor[];
}

/** The fuzz chain: a VM, its runtime, and what setup stored. */
export interface PrecompileWorld {
  vm: VM;
  runtime: AivmRuntimeImpl;
  budgetBytes: number;
  functions: Map<PrecompileTarget, PrecompileFunc>;
  /** Stored tensors (content id and meta), the manifest among them. */
  stored: { id: Uint8Array; meta: TensorMeta; tensor?: Tensor }[];
  programs: StoredProgram[];
  step: { id: Uint8Array; program: Program; state: Tensor[]; x: TensorMeta };
  /** Op calls that pass inference, per op name (built from the run seed at setup, then read only). */
  opPools: Map<string, Pool<OpCall>>;
  programPool: Pool<{ program: Program; inputs: Tensor[] }>;
}

const handleRefs = (w: PrecompileWorld, r: Rand): Uint8Array => {
  switch (r.int(7)) {
    case 0:
    case 1:
      return encodeHandle(2, r.pick(w.stored).id);
    case 2:
      return scratchHandle(r.pick([0, 1, 2, 3, 2 ** 32 - 1]));
    case 3:
      return encodeHandle(3, NAMESPACE_KEY);
    case 4:
      return encodeHandle(4, r.bytes(32));
    case 5:
      return encodeHandle(r.pick([0, 2, 3, 5, 255]) as 2, r.bytes(32), r.oneIn(2) ? r.bytes(20) : undefined);
    default:
      return encodeHandle(2, r.bytes(32));
  }
};

/** A tensor argument's bytes: its wire encoding (mostly), a mutated encoding, or a handle. */
function tensorBytes(w: PrecompileWorld, r: Rand, t: Tensor, notes: string[]): Uint8Array {
  if (r.oneIn(14)) {
    notes.push("handle argument");
    return handleRefs(w, r);
  }
  const bytes = wire(t);
  if (!r.oneIn(10)) return bytes;
  const m = mutateBytes(r, bytes, 12 + 4 * t.shape.length + 12);
  notes.push(`tensor ${m.change}`);
  return m.bytes;
}

function flags(r: Rand, allowed = OUT_SCRATCH | QUOTE_ONLY): number {
  if (r.oneIn(20)) return r.int(256);
  if (r.oneIn(8)) return QUOTE_ONLY;
  if (r.oneIn(6)) return OUT_SCRATCH & allowed;
  if (r.oneIn(12)) return allowed;
  return 0;
}

/** A gas limit: mostly enough for small work, sometimes just below the decode price, sometimes a block. */
function gasLimit(r: Rand, dataLength: number): bigint {
  const decode = decodeGas(dataLength);
  switch (r.int(12)) {
    case 0:
      return decode - 1n;
    case 1:
      return decode + BigInt(r.int(5000));
    case 2:
      return 30_000_000n;
    case 3:
    case 4:
      return 5_000_000n;
    default:
      return r.pick([50_000n, 200_000n, 1_000_000n]);
  }
}

/** A call of a pooled op, mutated one field half the time; fresh and random now and then. */
function opCallFor(w: PrecompileWorld, r: Rand, op: RegisteredOp, notes: string[]): OpCall {
  const pooled = r.oneIn(5) ? undefined : w.opPools.get(op.name)?.pick(r);
  if (pooled === undefined) {
    notes.push("fresh random call");
    return randomOpCall(r, op);
  }
  if (r.oneIn(2)) {
    notes.push("valid call");
    return pooled;
  }
  const m = mutateOpCall(r, pooled);
  notes.push(`valid call, ${m.change}`);
  return m.call;
}

/** Wraps a canonical encoding: usually as is, sometimes in a non-canonical layout or with a byte changed. */
function layout(r: Rand, params: readonly AbiParameter[], encoded: Uint8Array, notes: string[]): Uint8Array {
  const pick = r.int(14);
  if (pick === 0) {
    const m = nonCanonical(r, params, encoded);
    notes.push(`ABI: ${m.change}`);
    return m.bytes;
  }
  if (pick === 1) {
    const m = mutateBytes(r, encoded);
    notes.push(`ABI bytes: ${m.change}`);
    return m.bytes;
  }
  if (pick === 2) {
    notes.push("random bytes");
    return r.bytes(r.int(3) === 0 ? r.int(32) : r.int(700));
  }
  return encoded;
}

function describe(op: string, c: OpCall): string {
  const shapes = c.inputs.map((t) => `${t.dtype}[${t.shape.join(",")}]`).join(" ");
  return `${op} ${shapes} ${JSON.stringify(c.attrs)}`.slice(0, 300);
}

function genSingleOp(w: PrecompileWorld, r: Rand, target: "TMATMUL" | "TEWOP"): PrecompileInputCase {
  const notes: string[] = [];
  const op = target === "TMATMUL" ? OPS_BY_NAME.get("matmul")! : OPS_BY_NAME.get(r.oneIn(15) ? r.pick([...OPS_BY_NAME.keys()]) : r.pick(TEWOP_OPS))!;
  const call = opCallFor(w, r, op, notes);
  const [names, values] = attrLists(call.attrs);
  const inputs = call.inputs.map((t) => tensorBytes(w, r, t, notes));
  const f = flags(r);
  const params = target === "TMATMUL" ? TMATMUL_INPUT : TEWOP_INPUT;
  const args = target === "TMATMUL" ? [inputs, names, values, f] : [r.oneIn(20) ? r.int(65536) : OP_CODES[op.name as keyof typeof OP_CODES], inputs, names, values, f];
  const data = layout(r, params, abi(params, args), notes);
  return { target, description: `${describe(op.name, call)} flags ${f}; ${notes.join("; ")}`, data, gasLimit: gasLimit(r, data.length), scratch: scratchPrelude(r) };
}

/** Zero to three small tensors in scratch before the call. */
function scratchPrelude(r: Rand): Tensor[] {
  return r.oneIn(3) ? Array.from({ length: r.range(1, 3) }, () => randomTensor(r, undefined, 64)) : [];
}

function genGraph(w: PrecompileWorld, r: Rand): PrecompileInputCase {
  const notes: string[] = [];
  let entry = w.programPool.pick(r)!;
  let programBytes: Uint8Array;
  if (r.oneIn(3)) {
    const m = mutateProgram(r, entry.program);
    notes.push(`program ${m.change}`);
    entry = { ...entry, program: m.program };
  }
  try {
    programBytes = encodeProgram(entry.program);
  } catch {
    programBytes = encodeProgram(w.programPool.pick(r)!.program);
    const m = mutateBytes(r, programBytes, 24);
    notes.push(`program bytes ${m.change}`);
    programBytes = m.bytes;
  }
  if (r.oneIn(8)) {
    const m = mutateBytes(r, programBytes, 24);
    notes.push(`program bytes ${m.change}`);
    programBytes = m.bytes;
  }
  const inputs = entry.inputs.map((t) => tensorBytes(w, r, t, notes));
  if (r.oneIn(12)) inputs.pop();
  const f = flags(r);
  const data = layout(r, TGRAPH_INPUT, abi(TGRAPH_INPUT, [programBytes, inputs, f]), notes);
  const ops = entry.program.nodes.map((n) => n.op).join(",");
  return { target: "TGRAPH", description: `program ops [${ops}] on ${entry.inputs.map((t) => `${t.dtype}[${t.shape.join(",")}]`).join(" ")} flags ${f}; ${notes.join("; ")}`, data, gasLimit: gasLimit(r, data.length), scratch: scratchPrelude(r) };
}

function genCustom(w: PrecompileWorld, r: Rand): PrecompileInputCase {
  const notes: string[] = [];
  const p = r.pick(w.programs);
  let id = p.id;
  if (r.oneIn(8)) {
    id = r.pick([r.bytes(32), w.step.id, r.pick(w.stored).id]);
    notes.push("programId of no program / of a step program / of a tensor");
  }
  const inputs = (r.oneIn(6) ? r.pick(w.programs).inputs : p.inputs).map((t) => tensorBytes(w, r, t, notes));
  const f = flags(r);
  const data = layout(r, TCUSTOM_INPUT, abi(TCUSTOM_INPUT, [id, inputs, f]), notes);
  return { target: "TCUSTOM", description: `stored program ops [${p.program.nodes.map((n) => n.op).join(",")}] flags ${f}; ${notes.join("; ")}`, data, gasLimit: gasLimit(r, data.length), scratch: scratchPrelude(r) };
}

function genStream(w: PrecompileWorld, r: Rand): PrecompileInputCase {
  const notes: string[] = [];
  const steps = r.oneIn(10) ? r.pick([0, MAX_STREAM_STEPS, MAX_STREAM_STEPS + 1, 2 ** 32 - 1]) : r.range(1, 8);
  const { x } = w.step;
  const xsSteps = r.oneIn(10) ? r.range(0, 9) : Math.min(steps, 64);
  const xs = r.oneIn(12) ? new Uint8Array(0) : tensorBytes(w, r, randomTensor(r, { dtype: x.dtype, shape: [xsSteps, ...x.shape] }), notes);
  const state = w.step.state.map((t) => tensorBytes(w, r, r.oneIn(10) ? randomTensor(r) : t, notes));
  if (r.oneIn(15)) state.push(wire(randomTensor(r)));
  let id = w.step.id;
  if (r.oneIn(10)) {
    id = r.oneIn(2) ? r.pick(w.programs).id : r.bytes(32);
    notes.push("programId of a non-step program or of nothing");
  }
  const f = flags(r, 7);
  const data = layout(r, TSTREAM_INPUT, abi(TSTREAM_INPUT, [id, state, xs, steps >>> 0, f]), notes);
  return { target: "TSTREAM", description: `steps ${steps} xs dim0 ${xsSteps} flags ${f}; ${notes.join("; ")}`, data, gasLimit: gasLimit(r, data.length), scratch: scratchPrelude(r) };
}

function genLoad(w: PrecompileWorld, r: Rand): PrecompileInputCase {
  const notes: string[] = [];
  const ref = r.oneIn(8) ? tensorBytes(w, r, randomTensor(r, undefined, 16), notes) : handleRefs(w, r);
  const f = flags(r);
  const data = layout(r, TLOAD_INPUT, abi(TLOAD_INPUT, [ref, f]), notes);
  return { target: "TLOAD", description: `ref kind ${ref[4]} (${ref.length} bytes) flags ${f}; ${notes.join("; ")}`, data, gasLimit: gasLimit(r, data.length), scratch: scratchPrelude(r) };
}

function genStore(w: PrecompileWorld, r: Rand): PrecompileInputCase {
  const notes: string[] = [];
  const target = r.oneIn(15) ? r.range(5, 255) : r.int(5);
  const key = target === STORE.namespace || r.oneIn(15) ? r.bytes(32) : ZERO32;
  let body: Uint8Array;
  if (target === STORE.program) {
    body = encodeProgram(w.programPool.pick(r)!.program);
    if (r.oneIn(3)) body = mutateBytes(r, body, 24).bytes;
  } else if (target === STORE.sharded) {
    const shards = w.stored.filter((s) => s.meta.shape.length === 1);
    const ids = Array.from({ length: r.oneIn(10) ? r.pick([0, 4097]) : r.range(1, 3) }, () => (r.oneIn(6) ? r.bytes(32) : r.pick(shards).id));
    const count = ids.length * r.pick([1, 100, 1024, 1124]);
    const shape = r.oneIn(3) ? [r.pick([count, 2 ** 27, 2 ** 32 - 1, 0])] : [count];
    body = abi(MANIFEST_PARAMS, [r.oneIn(8) ? r.int(256) : 1, shape, ids]);
    if (r.oneIn(6)) body = mutateBytes(r, body).bytes;
    notes.push(`manifest of ${ids.length} shards, shape [${shape.join(",")}]`);
  } else {
    body = tensorBytes(w, r, randomTensor(r), notes);
  }
  const data = layout(r, TSTORE_INPUT, abi(TSTORE_INPUT, [target, key, body]), notes);
  return { target: "TSTORE", description: `target ${target}, ${body.length} bytes; ${notes.join("; ")}`, data, gasLimit: gasLimit(r, data.length), scratch: scratchPrelude(r) };
}

function genCommit(w: PrecompileWorld, r: Rand): PrecompileInputCase {
  const notes: string[] = [];
  const mode = r.oneIn(10) ? r.range(2, 255) : r.int(2);
  const tensor = mode === 1 && !r.oneIn(5) ? new Uint8Array(0) : tensorBytes(w, r, randomTensor(r), notes);
  const data = layout(r, TCOMMIT_INPUT, abi(TCOMMIT_INPUT, [mode, tensor]), notes);
  return { target: "TCOMMIT", description: `mode ${mode}, ${tensor.length} bytes; ${notes.join("; ")}`, data, gasLimit: gasLimit(r, data.length), scratch: scratchPrelude(r) };
}

/** The input `r` draws for `target`. */
export function generatePrecompileInput(w: PrecompileWorld, target: PrecompileTarget, r: Rand): PrecompileInputCase {
  switch (target) {
    case "TMATMUL":
    case "TEWOP":
      return genSingleOp(w, r, target);
    case "TCUSTOM":
      return genCustom(w, r);
    case "TLOAD":
      return genLoad(w, r);
    case "TSTORE":
      return genStore(w, r);
    case "TCOMMIT":
      return genCommit(w, r);
    case "TSTREAM":
      return genStream(w, r);
    case "TGRAPH":
      return genGraph(w, r);
  }
}

// ───────────────────────────── the world ─────────────────────────────

const stepProgram = (x: TensorMeta): Program => ({
  stateCount: 1,
  values: [
    { kind: "input", dtype: "int32", shape: [1, 4] },
    { kind: "input", dtype: x.dtype, shape: x.shape },
  ],
  nodes: [
    { op: OP_CODES.add, inputs: [0, 1], outputs: 1, attrs: {} },
    { op: OP_CODES.relu, inputs: [2], outputs: 1, attrs: {} },
  ],
  outputs: [2, 3],
});

/** Calls one precompile function outside any transaction bookkeeping (setup only); throws unless it succeeded. */
async function setupCall(w: PrecompileWorld, target: PrecompileTarget, data: Uint8Array): Promise<Uint8Array> {
  const res = await w.functions.get(target)!(precompileInput(w, data, 30_000_000n));
  if (res.exceptionError) throw new Error(`fuzz setup: ${target} failed (${res.exceptionError.error})`);
  return res.returnValue;
}

const idOfStoreResult = (ret: Uint8Array) => ret.slice(64 + 25, 64 + 57);

function precompileInput(w: PrecompileWorld, data: Uint8Array, gas: bigint): PrecompileInput {
  return { data, gasLimit: gas, common: w.vm.common, _EVM: w.vm.evm };
}

/**
 * The fuzz chain. `budgetBytes` is the per-transaction tensor memory budget the runtime enforces
 * (lower than the 512 MiB default so that a call past it fails fast and a growth past it is visible
 * on a shared machine). Pools of valid calls and programs are drawn from `seed` here and never change.
 */
export async function createPrecompileWorld(seed: number, budgetBytes: number): Promise<PrecompileWorld> {
  const runtime = createAivmRuntime({ txMemoryLimitBytes: budgetBytes });
  const vm = await createAivmVM({ runtime });
  const functions = new Map<PrecompileTarget, PrecompileFunc>();
  for (const t of PRECOMPILE_TARGETS) {
    const entry = runtime.customPrecompiles.find((p) => p.address.toLowerCase() === PRECOMPILE_ADDRESSES[t].toLowerCase());
    if (!entry) throw new Error(`fuzz setup: no precompile at ${PRECOMPILE_ADDRESSES[t]}`);
    functions.set(t, entry.function);
  }
  const r = new Rand(seed ^ 0x5eed);
  const opPools = new Map<string, Pool<OpCall>>();
  for (const op of OPS_BY_NAME.values()) {
    const pool = new Pool<OpCall>(24);
    for (let i = 0; i < 600 && pool.size < 24; i++) {
      const c = randomOpCall(r, op);
      if (infers(c)) pool.add(r, c);
    }
    opPools.set(op.name, pool);
  }
  const w: PrecompileWorld = { vm, runtime, budgetBytes, functions, stored: [], programs: [], step: undefined as never, opPools, programPool: new Pool(64) };

  runtime.startTx();
  await vm.stateManager.checkpoint();
  const storeTensor = async (t: Tensor) => {
    const id = idOfStoreResult(await setupCall(w, "TSTORE", abi(TSTORE_INPUT, [STORE.persistent, ZERO32, wire(t)])));
    w.stored.push({ id, meta: { dtype: t.dtype, shape: t.shape }, tensor: t });
    return id;
  };
  for (const shape of [[8, 4], [4], [2, 3], [1, 4], [4, 4]]) await storeTensor(randomTensor(r, { dtype: r.pick(["int8", "int16", "int32"] as const), shape }));
  const shardIds = [await storeTensor(randomTensor(r, { dtype: "int8", shape: [1024] })), await storeTensor(randomTensor(r, { dtype: "int8", shape: [100] }))];
  const manifest = idOfStoreResult(await setupCall(w, "TSTORE", abi(TSTORE_INPUT, [STORE.sharded, ZERO32, abi(MANIFEST_PARAMS, [1, [2, 562], shardIds])])));
  w.stored.push({ id: manifest, meta: { dtype: "int8", shape: [2, 562] } });
  await setupCall(w, "TSTORE", abi(TSTORE_INPUT, [STORE.namespace, NAMESPACE_KEY, wire(randomTensor(r, { dtype: "int8", shape: [3, 3] }))]));

  // Programs: a valid op call per op where one exists, as a program; the first ones are also stored for TCUSTOM.
  const handles = w.stored.map((s) => ({ id: s.id, meta: s.meta }));
  for (let i = 0; i < 2000 && w.programPool.size < 64; i++) {
    const op = r.pick([...OPS_BY_NAME.values()]);
    const c = opPools.get(op.name)!.pick(r);
    if (!c) continue;
    const p = programFromCall(r, c, handles);
    if (programInfers(p.program)) w.programPool.add(r, p);
  }
  for (let i = 0; i < 16; i++) {
    const p = w.programPool.pick(r)!;
    const bytes = encodeProgram(p.program);
    await setupCall(w, "TSTORE", abi(TSTORE_INPUT, [STORE.program, ZERO32, bytes]));
    w.programs.push({ id: keccak256One(bytes), ...p });
  }
  const x: TensorMeta = { dtype: "int32", shape: [1, 4] };
  const step = stepProgram(x);
  const stepBytes = encodeProgram(step);
  await setupCall(w, "TSTORE", abi(TSTORE_INPUT, [STORE.program, ZERO32, stepBytes]));
  w.step = { id: keccak256One(stepBytes), program: step, state: [randomTensor(r, { dtype: "int32", shape: [1, 4] })], x };
  await vm.stateManager.commit();
  runtime.endTx(undefined, true);
  return w;
}

/** Decodes an outcome from the precompile's result. */
function outcomeOf(res: { exceptionError?: { error: string }; returnValue: Uint8Array }): string {
  if (!res.exceptionError) return "ok";
  if (res.exceptionError.error === "revert") {
    const sel = `0x${Buffer.from(res.returnValue.subarray(0, 4)).toString("hex")}`;
    return `revert:${ERROR_NAMES.get(sel) ?? sel}`;
  }
  return res.exceptionError.error === "out of gas" ? "oog" : res.exceptionError.error;
}

/**
 * Runs one input in a fresh transaction context (its scratch prelude first), on a state checkpoint
 * that is reverted afterwards, and measures the call itself.
 */
export async function runPrecompileInput(w: PrecompileWorld, c: PrecompileInputCase): Promise<PrecompileOutcome> {
  const { runtime, vm } = w;
  runtime.startTx();
  await vm.stateManager.checkpoint();
  try {
    for (const t of c.scratch) runtime.currentTx().scratch.put(t);
    const fn = w.functions.get(c.target)!;
    const input = precompileInput(w, c.data, c.gasLimit);
    const mem0 = process.memoryUsage().arrayBuffers;
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    let res: Awaited<ReturnType<PrecompileFunc>> | undefined;
    let thrown: unknown;
    try {
      res = await fn(input);
    } catch (e) {
      thrown = e ?? new Error("undefined thrown");
    }
    const wallNs = Number(process.hrtime.bigint() - t0);
    const cpu = process.cpuUsage(cpu0);
    const arrayBufferGrowth = process.memoryUsage().arrayBuffers - mem0;
    const cpuNs = (cpu.user + cpu.system) * 1000;
    const fault = runtime.txFault();
    if (thrown !== undefined || res === undefined) return { outcome: "thrown", gasUsed: 0n, cpuNs, wallNs, arrayBufferGrowth, thrown, fault };
    return { outcome: fault ? "fault" : outcomeOf(res as never), gasUsed: res.executionGasUsed, cpuNs, wallNs, arrayBufferGrowth, fault };
  } finally {
    await vm.stateManager.revert();
    runtime.endTx(undefined, true);
  }
}

/**
 * Wall ns per gas of the node's own ecrecover (0x01), measured in this process over about `ms`, in
 * batches of ~10 ms: the fastest batch is the figure (a shared machine only ever makes a batch slower).
 * Wall, not process CPU time: process CPU counts V8's background compiler and GC threads, which land
 * on whichever small call comes next.
 */
export function measureEcrecover(w: PrecompileWorld, ms = 300): { nsPerGas: number; gas: number; calls: number } {
  const ec = w.vm.evm.getPrecompile?.(new Address(hexToBytes("0x0000000000000000000000000000000000000001")));
  if (ec === undefined) throw new Error("fuzz: no ecrecover precompile");
  // hash ‖ v ‖ r ‖ s of a fixed valid signature (the same in every run)
  const input = Uint8Array.from(
    Buffer.from(
      "456e9aea5e197a1f1af7a3e85a3212fa4049a3ba34c2289b4c860fc0b0c64ef3000000000000000000000000000000000000000000000000000000000000001c9242685bf161793cc25603c231bc2f568eb630ea16aa137d2664ac80388256084f8ae3bd7535248d0bd448298cc2e2071e56992d0774dc340c368ae950852ada",
      "hex",
    ),
  );
  const call = () => ec(precompileInput(w, input, 100_000n)) as { executionGasUsed: bigint; returnValue: Uint8Array };
  const first = call();
  if (first.returnValue.length !== 32) throw new Error("fuzz: ecrecover reference input recovered nothing");
  for (let i = 0; i < 20; i++) call();
  const start = performance.now();
  let calls = 0;
  let best = Infinity;
  while (performance.now() - start < ms) {
    const t0 = process.hrtime.bigint();
    let n = 0;
    for (const b = performance.now(); performance.now() - b < 10; n++) call();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / n);
    calls += n;
  }
  const gas = Number(first.executionGasUsed);
  return { nsPerGas: best / gas, gas, calls };
}
