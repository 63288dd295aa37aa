// MODEL_INFER end to end on the real AIVM precompiles: a stored program and input, a governed model
// version whose gas quote is the precompile's own QUOTE_ONLY answer, execution by processEpoch through
// TCUSTOM, and the output plus its Tensor Commit delivered to the agent's callback.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex, keccak256, type Hex } from "viem";
import type { Deployed } from "./harness.ts";
import { Class, freshScheduler, makeSpec, packSchema, proposeAndApprove, type SchedulerFixture } from "./fixtures.ts";
import { encodeTensor } from "../../src/codec/tensor.ts";
import { encodeProgram, type Program } from "../../src/codec/program.ts";
import { commitTensor } from "../../src/commit/index.ts";
import { OP_CODES, getOp } from "../../src/engine/registry.ts";
import { tensor } from "../../src/engine/tensor.ts";

const RELU: Program = {
  stateCount: 0,
  values: [{ kind: "input", dtype: "int8", shape: [1, 8] }],
  nodes: [{ op: OP_CODES.relu, inputs: [0], outputs: 1, attrs: {} }],
  outputs: [1],
};
const X = tensor("int8", [1, 8], [-5, 3, 0, 127, -128, 9, -1, 42]);

interface Setup {
  f: SchedulerFixture;
  agent: Deployed;
  programId: Hex;
  inputId: Hex;
  quote: bigint;
}

/** Undefined when the VM has no AIVM runtime (the precompiles are not in the tree yet). */
async function setup(): Promise<Setup | undefined> {
  const f = await freshScheduler();
  if (!f.chain.aivm) return undefined;
  const agent = await f.chain.deploy("TestAgent", f.chain.accounts[0]!, [f.scheduler.address]);
  await f.chain.sendOk(f.chain.accounts[0]!, agent, "register", [], { value: 1_000n });
  const programBytes = bytesToHex(encodeProgram(RELU));
  const programId = (await f.chain.sendOk(f.chain.accounts[0]!, agent, "storeTensor", [2, programBytes])).result as Hex;
  assert.equal(programId, keccak256(programBytes));
  const inputId = (await f.chain.sendOk(f.chain.accounts[0]!, agent, "storeTensor", [1, bytesToHex(encodeTensor(X))])).result as Hex;
  const quote = (await f.chain.read(agent, "quoteCustom", [programId, inputId])) as bigint;
  return { f, agent, programId, inputId, quote };
}

async function relu(s: Setup, gasQuote: bigint): Promise<bigint> {
  const a = s.f.chain.accounts;
  const modelId = (await s.f.chain.sendOk(a[4]!, s.f.registry, "createModel", [s.programId, 1])).result as bigint;
  await proposeAndApprove({ chain: s.f.chain, registry: s.f.registry }, modelId, makeSpec(9, {
    programHash: s.programId,
    programHandle: s.programId,
    inputSchema: packSchema([{ dtype: 1, shape: [1, 8] }]),
    outputSchema: packSchema([{ dtype: 1, shape: [1, 8] }]),
    gasQuote,
  }));
  return modelId;
}

describe("MODEL_INFER through the AIVM precompiles", () => {
  it("delivers the output and its Tensor Commit to the callback, and pays the model owner its share", async (t) => {
    const s = await setup();
    if (!s) return t.skip("AIVM runtime not available");
    const { f, agent } = s;
    const modelId = await relu(s, s.quote);
    const sub = await f.chain.sendOk(f.chain.accounts[0]!, agent, "submitInfer", [modelId, 0, s.inputId, Class.RT, 300_000], { value: 10n ** 8n });
    const fee = sub.events.find((e) => e.eventName === "RequestSubmitted")!.args.fee as bigint;
    await f.chain.setBlock(10n);
    const r = await f.chain.sendOk(f.chain.accounts[6]!, f.scheduler, "processEpoch", []);
    const executed = r.events.find((e) => e.eventName === "RequestExecuted")!;
    const y = getOp("relu").run([X], {})[0]!;
    const commit = bytesToHex(commitTensor(y));
    assert.equal(executed.args.callbackOk, true);
    assert.equal(executed.args.outputCommit, commit);
    assert.equal(await f.chain.read(agent, "results"), 1n);
    assert.equal(await f.chain.read(agent, "lastCommit"), commit);
    assert.equal(await f.chain.read(agent, "lastOutput"), bytesToHex(encodeTensor(y)));
    // Model fee 1,000,000 wei at 70% to the owner; the rest and the gas fee to the governor.
    assert.equal(await f.chain.read(f.scheduler, "balanceOf", [f.chain.accounts[4]!.address]), 700_000n);
    assert.equal(await f.chain.read(f.scheduler, "balanceOf", [f.chain.accounts[7]!.address]), fee - 700_000n);
  });

  it("a keeper cannot make an inference fail by under-supplying gas: the whole call reverts", async (t) => {
    const s = await setup();
    if (!s) return t.skip("AIVM runtime not available");
    const { f, agent, inputId, quote } = s;
    const modelId = await relu(s, quote);
    await f.chain.sendOk(f.chain.accounts[0]!, agent, "submitInfer", [modelId, 0, inputId, Class.RT, 300_000], { value: 10n ** 8n });
    await f.chain.setBlock(10n);
    const short = await f.chain.send(f.chain.accounts[6]!, f.scheduler, "processEpoch", [], { gas: 150_000n });
    assert.equal(short.error?.errorName, "InsufficientGas");
    assert.equal(await f.chain.read(f.scheduler, "nextSlot"), 1n);
    const ok = await f.chain.sendOk(f.chain.accounts[6]!, f.scheduler, "processEpoch", []);
    assert.equal(ok.events.find((e) => e.eventName === "RequestExecuted")!.args.callbackOk, true);
  });

  it("a version whose declared gas quote is below the real cost fails execution instead of overrunning its reservation; the model fee is returned", async (t) => {
    const s = await setup();
    if (!s) return t.skip("AIVM runtime not available");
    const { f, agent, inputId, quote } = s;
    const modelId = await relu(s, quote - 1n);
    await f.chain.sendOk(f.chain.accounts[0]!, agent, "submitInfer", [modelId, 0, inputId, Class.RT, 300_000], { value: 10n ** 8n });
    await f.chain.setBlock(10n);
    const r = await f.chain.sendOk(f.chain.accounts[6]!, f.scheduler, "processEpoch", []);
    assert.deepEqual(r.events.map((e) => e.eventName), ["ExecutionFailed", "Refunded", "EpochProcessed"]);
    // The model fee goes back; the gas fee pays for the gas the failed run burned.
    assert.equal(r.events[1]!.args.amount, 1_000_000n);
    assert.equal(await f.chain.read(agent, "results"), 0n);
    assert.equal(await f.chain.read(f.scheduler, "balanceOf", [f.chain.accounts[4]!.address]), 0n);
  });
});
