// Measures the gas of every ModelRegistry and AgentScheduler entry point with real transactions and
// writes docs/contracts-gas.md. Run: npm run gas:contracts
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../src/chain/solc.ts";
import type { TxResult } from "./harness.ts";
import { bytesToHex, type Hex } from "viem";
import { Class, makeSpec, proposeAndApprove, schedulerFixture } from "./fixtures.ts";
import { encodeTensor } from "../../src/codec/tensor.ts";
import { encodeProgram, type Program } from "../../src/codec/program.ts";
import { OP_CODES } from "../../src/engine/registry.ts";
import { tensor } from "../../src/engine/tensor.ts";

const rows: { contract: string; entry: string; scenario: string; gas: bigint }[] = [];
function record<T extends TxResult>(contract: string, entry: string, scenario: string, r: T): T {
  if (r.error) throw new Error(`${entry} (${scenario}) reverted with ${r.error.errorName}`);
  rows.push({ contract, entry, scenario, gas: r.gasUsed });
  return r;
}

const RELU: Program = {
  stateCount: 0,
  values: [{ kind: "input", dtype: "int8", shape: [1, 8] }],
  nodes: [{ op: OP_CODES.relu, inputs: [0], outputs: 1, attrs: {} }],
  outputs: [1],
};
let perInfer = 0;

async function main(): Promise<void> {
  const f = await schedulerFixture();
  const c = f.chain;
  const a = c.accounts;
  const R = <T extends TxResult>(entry: string, scenario: string, r: T) => record("ModelRegistry", entry, scenario, r);
  const S = <T extends TxResult>(entry: string, scenario: string, r: T) => record("AgentScheduler", entry, scenario, r);

  // ── ModelRegistry ──
  const deployed = R("constructor", "deployment with 3 approvers, threshold 2 (code deposit included)", await c.deployTx("ModelRegistry", a[0]!, [a[0]!.address, [a[1]!.address, a[2]!.address, a[3]!.address], 2, 0n]));
  const fresh = deployed.deployed!;
  R("setApprovers", "3 approvers", await c.send(a[0]!, fresh, "setApprovers", [[a[1]!.address, a[2]!.address, a[3]!.address], 2]));
  R("setTimelock", "", await c.send(a[0]!, fresh, "setTimelock", [0n]));
  R("createModel", "", await c.send(a[4]!, fresh, "createModel", [`0x${"ab".repeat(32)}`, 0]));
  R("proposeVersion", "2 shards, 1-in/1-out schema", await c.send(a[4]!, fresh, "proposeVersion", [1n, makeSpec(1)]));
  R("approveVersion", "below threshold", await c.send(a[1]!, fresh, "approveVersion", [1n, 1]));
  R("approveVersion", "reaches threshold, timelock 0 (queues and activates)", await c.send(a[2]!, fresh, "approveVersion", [1n, 1]));
  await c.sendOk(a[0]!, fresh, "setTimelock", [60n]);
  await c.sendOk(a[4]!, fresh, "proposeVersion", [1n, makeSpec(2)]);
  await c.sendOk(a[1]!, fresh, "approveVersion", [1n, 2]);
  R("approveVersion", "reaches threshold, timelock > 0 (queues)", await c.send(a[2]!, fresh, "approveVersion", [1n, 2]));
  await c.advanceTime(60n);
  R("activateVersion", "after the timelock", await c.send(a[5]!, fresh, "activateVersion", [1n, 2]));
  R("revokeVersion", "the active version", await c.send(a[0]!, fresh, "revokeVersion", [1n, 2]));
  R("transferModelOwnership", "", await c.send(a[4]!, fresh, "transferModelOwnership", [1n, a[5]!.address]));
  R("transferGovernor", "", await c.send(a[0]!, fresh, "transferGovernor", [a[6]!.address]));
  const views: { contract: string; entry: string; gas: bigint }[] = [];
  views.push({ contract: "ModelRegistry", entry: "resolve (follow active)", gas: await c.callGas(f.registry, "resolve", [f.modelId, 0]) });
  views.push({ contract: "ModelRegistry", entry: "getVersion", gas: await c.callGas(f.registry, "getVersion", [f.modelId, 1]) });

  // ── AgentScheduler ──
  const s = f.scheduler;
  S("constructor", "deployment (code deposit included)", await c.deployTx("AgentScheduler", a[0]!, [f.registry.address, "0x000000000000000000000000000000000000a111", a[7]!.address, {
    epochLength: 10, capacity: 1_000_000n, guaranteedCapacity: 600_000n, maxCallbackGas: 800_000, stakeUnit: 1_000n, unitPrice: 1n,
  }]));
  // Agents whose callback is an EOA: the call costs no callback gas, so processEpoch gas is the scheduler's own.
  S("registerAgent", "", await c.send(a[1]!, s, "registerAgent", [a[1]!.address], { value: 1_000n }));
  S("addStake", "", await c.send(a[1]!, s, "addStake", [1n], { value: 1_000n }));
  S("setCallback", "", await c.send(a[1]!, s, "setCallback", [1n, a[2]!.address]));
  S("unstake", "no pending requests", await c.send(a[1]!, s, "unstake", [1n, 1_000n]));
  S("withdraw", "", await c.send(a[1]!, s, "withdraw", []));
  const tick = (cls: number) => c.send(a[1]!, s, "submitTick", [1n, cls, 0], { value: 200_000n });
  S("submitTick", "RT (reserves next slot)", await tick(Class.RT));
  S("submitTick", "Interactive", await tick(Class.Interactive));
  S("submitTick", "Bulk, empty queue", await tick(Class.Bulk));
  for (let i = 0; i < 62; i++) await tick(Class.Bulk);
  S("submitTick", "Bulk, 63 queued", await tick(Class.Bulk));
  S("submitInfer", "Bulk, follows the active version", await c.send(a[1]!, s, "submitInfer", [1n, f.modelId, 0, `0x${"11".repeat(32)}`, Class.Bulk, 0], { value: 10n ** 7n }));

  views.push({ contract: "AgentScheduler", entry: "quoteTick", gas: await c.callGas(s, "quoteTick", [0]) });
  views.push({ contract: "AgentScheduler", entry: "quoteInfer", gas: await c.callGas(s, "quoteInfer", [f.modelId, 0, 0]) });
  views.push({ contract: "AgentScheduler", entry: "getRequest", gas: await c.callGas(s, "getRequest", [1n]) });
  views.push({ contract: "AgentScheduler", entry: "weightOf", gas: await c.callGas(s, "weightOf", [1n]) });
  await c.setBlock(10n);
  // Slot 1: 1 RT + 1 Interactive reserved, then Bulk fills 1M units at 100k per tick (infer: 150k).
  const p1 = S("processEpoch", "2 reserved + 8 Bulk ticks (EOA callbacks)", await c.send(a[6]!, s, "processEpoch", []));
  await c.setBlock(20n);
  const p2 = S("processEpoch", "10 Bulk ticks from a 55-deep queue (EOA callbacks)", await c.send(a[6]!, s, "processEpoch", []));
  const perRequest = [p1, p2].map((p) => {
    const n = p.events.filter((e) => e.eventName === "RequestExecuted").length;
    return { n, perRequest: (p.gasUsed - 21_000n) / BigInt(n) };
  });
  // Drain the queue, then an epoch with nothing to run.
  for (let block = 30n; (await c.read(s, "bulkBacklog")) > 0n; block += 10n) {
    await c.setBlock(block);
    await c.sendOk(a[6]!, s, "processEpoch", []);
  }
  await c.setBlock(c.blockNumber + 10n);
  const emptySlotGas = S("processEpoch", "empty slot, empty queue", await c.send(a[6]!, s, "processEpoch", [])).gasUsed;

  // An inference on the real precompiles (relu over int8[1,8]) with an EOA callback: what the
  // scheduler spends beyond the model's own quoted gas.
  let inferRow = "";
  if (c.aivm) {
    const agent = await c.deploy("TestAgent", a[0]!, [s.address]);
    const programBytes = bytesToHex(encodeProgram(RELU));
    const programId = (await c.sendOk(a[0]!, agent, "storeTensor", [2, programBytes])).result as Hex;
    const inputId = (await c.sendOk(a[0]!, agent, "storeTensor", [1, bytesToHex(encodeTensor(tensor("int8", [1, 8], [-5, 3, 0, 127, -128, 9, -1, 42])))])).result as Hex;
    const quote = (await c.read(agent, "quoteCustom", [programId, inputId])) as bigint;
    const modelId = (await c.sendOk(a[4]!, f.registry, "createModel", [programId, 0])).result as bigint;
    await proposeAndApprove(f, modelId, makeSpec(77, { programHash: programId, programHandle: programId, gasQuote: quote }));
    await c.sendOk(a[2]!, s, "registerAgent", [a[2]!.address], { value: 1_000n });
    const agentId = 2n; // agent 1 was registered above
    await c.sendOk(a[2]!, s, "submitInfer", [agentId, modelId, 0, inputId, Class.RT, 0], { value: 10n ** 8n });
    await c.setBlock(c.blockNumber + 10n);
    const p = S("processEpoch", "1 RT inference on the real precompiles (EOA callback)", await c.send(a[6]!, s, "processEpoch", []));
    // Subtract the fixed per-call cost measured on the empty slot, as for the tick rows.
    const overhead = p.gasUsed - emptySlotGas - quote;
    inferRow = `| 1 RT inference (relu on int8[1,8], quote ${quote.toLocaleString("en-US")} gas), vs INFER_OVERHEAD 150,000 | 1 | ${overhead.toLocaleString("en-US")} beyond the quote and the empty-slot cost |`;
    perInfer = Number(overhead);
  }

  const md = [
    "# Contract gas",
    "",
    "Gas of every ModelRegistry and AgentScheduler entry point, measured with real transactions on the",
    "EthereumJS v10 VM (Osaka) by `npm run gas:contracts` (test/contracts/gas-report.ts), which rewrites",
    "this file. Figures are whole-transaction `gasUsed` (21,000 intrinsic + calldata included), with",
    "the optimizer at 200 runs (src/chain/solc.ts). First-time storage writes dominate: a request",
    "occupies four fresh slots.",
    "",
    "| contract | entry point | scenario | gas |",
    "|---|---|---|---:|",
    ...rows.map((r) => `| ${r.contract} | \`${r.entry}\` | ${r.scenario} | ${r.gas.toLocaleString("en-US")} |`),
    "",
    "Views, as the execution gas of a top-level call with cold storage (no intrinsic gas; free through `eth_call`):",
    "",
    "| contract | view | gas |",
    "|---|---|---:|",
    ...views.map((v) => `| ${v.contract} | \`${v.entry}\` | ${v.gas.toLocaleString("en-US")} |`),
    "",
    "## Scheduler overhead per request",
    "",
    "`REQUEST_OVERHEAD` (100,000 units per tick) and `INFER_OVERHEAD` (150,000 units per inference) are",
    "charged on top of the model's gas quote and the callback gas, and must cover the scheduler's own",
    "work in `processEpoch`. Measured with EOA callbacks, so no callback gas is spent (ticks: processEpoch",
    "gas − 21,000 divided by the requests run; inference: processEpoch gas − the empty-slot gas − the quote):",
    "",
    "| epoch | requests run | gas per request |",
    "|---|---:|---:|",
    ...perRequest.map((p, i) => `| ${i === 0 ? "2 reserved + Bulk" : "Bulk from a 55-deep heap"} | ${p.n} | ${p.perRequest.toLocaleString("en-US")} |`),
    ...(inferRow ? [inferRow] : []),
    "",
    "Both stay well under 100,000. Since a request's units already include its model quote and callback",
    "gas, a slot's executed gas stays within its capacity (model gas scaled by the multiplier) plus a",
    "fixed per-call overhead (the empty-slot figure above), and the per-request charge covers the heap",
    "work even for deep queues (each pop is O(log n) storage writes).",
    "",
  ].join("\n");
  writeFileSync(join(REPO_ROOT, "docs", "contracts-gas.md"), md);
  console.log(JSON.stringify({ inferOverhead: perInfer, rows: rows.map((r) => ({ ...r, gas: Number(r.gas) })), perRequest: perRequest.map((p) => ({ n: p.n, gas: Number(p.perRequest) })) }, null, 1));
}

await main();
