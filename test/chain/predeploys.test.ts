// The ModelRegistry / AgentScheduler predeploys on a fresh dev node, and the scheduler's epoch
// system call made by the block builder: nobody calls processEpoch, yet requests run at the boundary.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex, decodeEventLog, decodeFunctionResult, encodeDeployData, encodeFunctionData, keccak256, type Abi, type Hex } from "viem";
import { DevNode } from "../../src/chain/node.ts";
import { getContract } from "../../src/chain/solc.ts";
import { CONGESTION_ADDRESS } from "../../src/chain/genesis.ts";
import { AGENT_SCHEDULER_ADDRESS, DEV_GOVERNOR, MODEL_REGISTRY_ADDRESS, epochCallGas } from "../../src/chain/predeploys.ts";
import type { AivmRuntimeImpl } from "../../src/chain/runtime.ts";
import { anchorRoot } from "../../src/commit/trace.ts";
import { encodeTensor } from "../../src/codec/tensor.ts";
import { encodeProgram, type Program } from "../../src/codec/program.ts";
import { commitTensor } from "../../src/commit/index.ts";
import { OP_CODES, getOp } from "../../src/engine/registry.ts";
import { tensor } from "../../src/engine/tensor.ts";
import { makeSpec, packSchema } from "../contracts/fixtures.ts";

const registryAbi = getContract("ModelRegistry", undefined, ["ModelRegistry.sol"]).abi;
const schedulerAbi = getContract("AgentScheduler", undefined, ["AgentScheduler.sol"]).abi;
const agentContract = getContract("TestAgent", undefined, ["test/TestAgent.sol"]);
const RT = 0;
const STATUS = { Queued: 1, Executed: 2, Refunded: 3 } as const;

let node: DevNode;
let from: Hex;

async function read(address: Hex, abi: Abi, functionName: string, args: readonly unknown[] = []): Promise<any> {
  const data = encodeFunctionData({ abi, functionName, args } as never);
  const { returnData } = await node.call({ from, to: address, data });
  return decodeFunctionResult({ abi, functionName, data: returnData } as never);
}

async function send(to: Hex | null, data: Hex, value = 0n): Promise<{ status: 0 | 1; contractAddress: Hex | null; logs: { address: Hex; topics: Hex[]; data: Hex }[] }> {
  const hash = await node.sendTransaction({ from, to, data, value, gas: 5_000_000n });
  const found = node.transaction(hash);
  assert.ok(found, "automine includes the transaction");
  return found.record;
}

async function mineTo(n: bigint): Promise<void> {
  while (node.headNumber < n) await node.mine();
}

/** A TestAgent registered with the scheduler at 0x…A121, staked, with one RT tick submitted. */
async function agentWithTick(): Promise<{ agent: Hex; requestId: bigint }> {
  const abi = agentContract.abi;
  const deployed = await send(null, encodeDeployData({ abi, bytecode: agentContract.bytecode, args: [AGENT_SCHEDULER_ADDRESS] }));
  const agent = deployed.contractAddress!;
  assert.equal((await send(agent, encodeFunctionData({ abi, functionName: "register" }), 10n ** 18n)).status, 1);
  const agentId = (await read(agent, abi, "agentId")) as bigint;
  assert.equal((await send(AGENT_SCHEDULER_ADDRESS, encodeFunctionData({ abi: schedulerAbi, functionName: "addStake", args: [agentId] }), 10n ** 18n)).status, 1);
  assert.equal(((await read(AGENT_SCHEDULER_ADDRESS, schedulerAbi, "getAgent", [agentId])) as { stake: bigint }).stake, 2n * 10n ** 18n);
  const [, fee] = (await read(AGENT_SCHEDULER_ADDRESS, schedulerAbi, "quoteTick", [200_000])) as [bigint, bigint];
  const submitted = await send(agent, encodeFunctionData({ abi, functionName: "submitTick", args: [RT, 200_000] }), fee);
  assert.equal(submitted.status, 1);
  const log = submitted.logs.find((l) => l.address.toLowerCase() === AGENT_SCHEDULER_ADDRESS);
  assert.ok(log, "the scheduler logged the submission");
  const event = decodeEventLog({ abi: schedulerAbi, data: log.data, topics: log.topics as [Hex, ...Hex[]] }) as unknown as { args: { requestId: bigint } };
  const requestId = event.args.requestId;
  return { agent, requestId };
}

describe("ModelRegistry and AgentScheduler predeploys", () => {
  before(async () => {
    node = await DevNode.create({});
    from = node.accounts[0]!.address;
  });
  after(async () => {
    await node.close();
  });

  it("have code at 0x…A120 / 0x…A121 and are initialised with the dev config at genesis", async () => {
    assert.equal(from.toLowerCase(), DEV_GOVERNOR, "dev account 0 is the governor");
    assert.ok((await node.getCode(MODEL_REGISTRY_ADDRESS)).length > 1000);
    assert.ok((await node.getCode(AGENT_SCHEDULER_ADDRESS)).length > 1000);
    const [governor, threshold, timelock] = (await read(MODEL_REGISTRY_ADDRESS, registryAbi, "governance")) as [Hex, number, bigint];
    assert.deepEqual([governor.toLowerCase(), threshold, timelock], [DEV_GOVERNOR, 1, 0n]);
    assert.equal(await read(MODEL_REGISTRY_ADDRESS, registryAbi, "isApprover", [from]), true);
    const [cfg, registry, congestion, schedGovernor] = (await read(AGENT_SCHEDULER_ADDRESS, schedulerAbi, "config")) as [Record<string, unknown>, Hex, Hex, Hex];
    assert.deepEqual(
      [cfg.epochLength, cfg.capacity, cfg.guaranteedCapacity, cfg.maxCallbackGas, cfg.stakeUnit, cfg.unitPrice],
      [10, 30_000_000n, 20_000_000n, 1_000_000, 10n ** 18n, 1_000_000_000n],
    );
    assert.deepEqual([registry.toLowerCase(), congestion.toLowerCase(), schedGovernor.toLowerCase()], [MODEL_REGISTRY_ADDRESS, CONGESTION_ADDRESS, DEV_GOVERNOR]);
    assert.equal(await read(AGENT_SCHEDULER_ADDRESS, schedulerAbi, "nextSlot"), 1n);
  });

  it("the block builder runs processEpoch at the epoch boundary: an RT tick is executed with nobody calling it", async () => {
    const { agent, requestId } = await agentWithTick();
    assert.ok(node.headNumber < 10n, "submitted in epoch 0");
    const before = (await read(AGENT_SCHEDULER_ADDRESS, schedulerAbi, "getRequest", [requestId])) as { status: number; slot: bigint };
    assert.deepEqual([before.status, before.slot], [STATUS.Queued, 1n]);
    await mineTo(9n);
    assert.equal(await read(agent, agentContract.abi, "ticks"), 0n, "nothing runs before the boundary");
    await mineTo(10n);
    // Block 10 opens epoch 1: the system call ran slot 1 and the agent's callback fired.
    assert.equal(await read(agent, agentContract.abi, "ticks"), 1n);
    assert.equal(await read(agent, agentContract.abi, "lastSlot"), 1n);
    assert.equal(((await read(AGENT_SCHEDULER_ADDRESS, schedulerAbi, "getRequest", [requestId])) as { status: number }).status, STATUS.Executed);
    assert.equal(await read(AGENT_SCHEDULER_ADDRESS, schedulerAbi, "nextSlot"), 2n);
    // Not counted against the block gas: the boundary block is empty.
    assert.equal(node.blockByNumber(10n)!.block.header.gasUsed, 0n);
    // The system caller is left as it was (no account created).
    assert.equal(await node.getNonce("0xfffffffffffffffffffffffffffffffffffffffe"), 0n);
    await mineTo(11n);
    assert.equal(await read(agent, agentContract.abi, "ticks"), 1n, "a slot runs once");
  });

  it("a reverting processEpoch does not stop block production; the next boundary catches up (late RT refunded)", async () => {
    await mineTo(11n);
    const { agent, requestId } = await agentWithTick(); // epoch 1 → reserved in slot 2
    const code = await node.getCode(AGENT_SCHEDULER_ADDRESS);
    // PUSH1 0 PUSH1 0 REVERT: every call to the scheduler reverts; its storage (epochLength) stays.
    await node.setCode(AGENT_SCHEDULER_ADDRESS, "0x60006000fd");
    await mineTo(19n);
    const userTx = await node.sendTransaction({ from, to: node.accounts[1]!.address, value: 1n }); // mined as block 20
    const mined = node.transaction(userTx)!;
    assert.equal(mined.block.header.number, 20n);
    assert.equal(mined.record.status, 1, "user transactions in the boundary block still succeed");
    await node.setCode(AGENT_SCHEDULER_ADDRESS, code);
    assert.equal(await read(AGENT_SCHEDULER_ADDRESS, schedulerAbi, "nextSlot"), 2n, "slot 2 stayed pending");
    await mineTo(30n);
    // Block 30 runs slot 2 (late: the RT tick is refunded) and slot 3.
    assert.equal(await read(AGENT_SCHEDULER_ADDRESS, schedulerAbi, "nextSlot"), 4n);
    assert.equal(((await read(AGENT_SCHEDULER_ADDRESS, schedulerAbi, "getRequest", [requestId])) as { status: number }).status, STATUS.Refunded);
    assert.equal(await read(agent, agentContract.abi, "ticks"), 0n);
  });

  it("an inference run by the system call delivers its output, and its AIVM receipts are anchored in the boundary block", async () => {
    const { agent } = await agentWithTick(); // also queues a tick; the inference joins it in the next slot
    const abi = agentContract.abi;
    const relu: Program = { stateCount: 0, values: [{ kind: "input", dtype: "int8", shape: [1, 8] }], nodes: [{ op: OP_CODES.relu, inputs: [0], outputs: 1, attrs: {} }], outputs: [1] };
    const x = tensor("int8", [1, 8], [-5, 3, 0, 127, -128, 9, -1, 42]);
    const program = bytesToHex(encodeProgram(relu));
    const programId = keccak256(program);
    assert.equal((await send(agent, encodeFunctionData({ abi, functionName: "storeTensor", args: [2, program] }))).status, 1);
    const storeInput = encodeFunctionData({ abi, functionName: "storeTensor", args: [1, bytesToHex(encodeTensor(x))] });
    const inputId = decodeFunctionResult({ abi, functionName: "storeTensor", data: (await node.call({ from, to: agent, data: storeInput })).returnData }) as Hex;
    assert.equal((await send(agent, storeInput)).status, 1);
    const quote = (await read(agent, abi, "quoteCustom", [programId, inputId])) as bigint;
    // Dev account 0 governs the predeployed registry alone: create, propose, approve, activate.
    const reg = (fn: string, args: readonly unknown[]) => send(MODEL_REGISTRY_ADDRESS, encodeFunctionData({ abi: registryAbi, functionName: fn, args } as never));
    const created = await reg("createModel", [programId, 0]);
    const modelId = (decodeEventLog({ abi: registryAbi, ...created.logs[0]!, topics: created.logs[0]!.topics as [Hex, ...Hex[]] }) as unknown as { args: { modelId: bigint } }).args.modelId;
    const spec = makeSpec(1, { programHash: programId, programHandle: programId, inputSchema: packSchema([{ dtype: 1, shape: [1, 8] }]), outputSchema: packSchema([{ dtype: 1, shape: [1, 8] }]), gasQuote: quote, fee: 0n });
    assert.equal((await reg("proposeVersion", [modelId, spec])).status, 1);
    assert.equal((await reg("approveVersion", [modelId, 1])).status, 1);
    // Status 3 = Active (an approval at threshold 1 with no timelock may activate at once).
    if (((await read(MODEL_REGISTRY_ADDRESS, registryAbi, "getVersion", [modelId, 1])) as { status: number }).status !== 3) {
      assert.equal((await reg("activateVersion", [modelId, 1])).status, 1);
    }
    const [, fee] = (await read(AGENT_SCHEDULER_ADDRESS, schedulerAbi, "quoteInfer", [modelId, 0, 300_000])) as [bigint, bigint];
    assert.equal((await send(agent, encodeFunctionData({ abi, functionName: "submitInfer", args: [modelId, 0, inputId, RT, 300_000] }), fee)).status, 1);
    const boundary = (node.headNumber / 10n + 1n) * 10n;
    await mineTo(boundary);
    const y = getOp("relu").run([x], {})[0]!;
    assert.equal(await read(agent, abi, "results"), 1n, "the inference callback fired at the boundary");
    assert.equal(await read(agent, abi, "lastCommit"), bytesToHex(commitTensor(y)));
    // The boundary block has no transactions; its anchor commits to the system call's receipts.
    const mined = node.blockByNumber(boundary)!;
    assert.equal(mined.record.txs.length, 0);
    const system = (node.runtime as AivmRuntimeImpl).blocks.get(boundary)!.traces;
    assert.equal(system.length, 1);
    assert.equal(system[0]!.txHash, undefined);
    const leaves = system[0]!.trace.receipts.map((r) => r.leaf);
    assert.ok(system[0]!.trace.receipts.some((r) => r.opcode === "TCUSTOM"), "the model run left a TCUSTOM receipt");
    assert.equal(mined.record.anchor!.receiptCount, leaves.length);
    assert.equal(mined.record.anchor!.anchorRoot, anchorRoot(leaves));
    // The node keeps them in the block record, so receipt proofs count them before the transactions'.
    assert.deepEqual((mined.record.systemTraces ?? []).flatMap((t) => t.receipts.map((r) => r.leaf)), leaves);
  });

  it("epoch call gas is capacity · max(m, 1) · 64/63 + 200,000", () => {
    const one = 1_000_000n;
    assert.equal(epochCallGas(30_000_000n, one, one), 30_676_191n); // ceil(30e6·64/63) + 2e5
    assert.equal(epochCallGas(30_000_000n, one / 2n, one), 30_676_191n, "a multiplier below 1 does not shrink the budget");
    assert.equal(epochCallGas(30_000_000n, 2n * one, one), 61_152_381n);
  });
});
