// Issue 18, must-show 1 at full scale: a 3-node `aivm devnet` (real `aivm node --engine` processes
// on loopback) takes AIVM_DEVNET_MIXED_TXS (default 10,000) pre-signed transactions from the 20 dev
// accounts, sent in JSON-RPC batches to all three nodes: ETH transfers, calls to a deployed counter
// contract, TSTOREs of the Fashion-MNIST MLP package (shards, manifest, program) and of a TSTREAM
// step program, Fashion-MNIST inferences on the stored model (TCUSTOM by program id, and TGRAPH with
// the program inline), TSTREAM calls, and AgentScheduler requests (registerAgent, submitTick). Node 2
// is SIGKILLed halfway through the sends; the devnet restarts it on its database. Then every
// transaction has a successful receipt on all three nodes, every finalized block has the same hash,
// stateRoot, receiptsRoot and AIVM anchor on all three, and the restarted node holds the same head.
// Prints one JSON line with the figures (docs/network.md#devnet).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bytesToHex, encodeAbiParameters, encodeFunctionData, getContractAddress, keccak256, parseAbi, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { startDevnet } from "../../src/cli/devnet.ts";
import { deriveDevAccounts } from "../../src/chain/accounts.ts";
import { AGENT_SCHEDULER_ADDRESS } from "../../src/chain/predeploys.ts";
import { fashionPackage, fashionSamples } from "../../src/cli/demo.ts";
import { encodeProgram } from "../../src/codec/program.ts";
import { encodeTensor } from "../../src/codec/tensor.ts";
import { PRECOMPILE_ADDRESSES } from "../../precompiles/addresses.ts";
import { TSTORE_TARGET } from "../../precompiles/flags.ts";
import { TCUSTOM_INPUT } from "../../precompiles/a103-tcustom.ts";
import { TSTORE_INPUT } from "../../precompiles/a105-tstore.ts";
import { TSTREAM_INPUT } from "../../precompiles/a107-tstream.ts";
import { TGRAPH_INPUT } from "../../precompiles/a108-tgraph.ts";
import { freePorts } from "./ports.ts";
import { RELU_STEP } from "../fixtures/programs.ts";

const TOTAL = Number(process.env.AIVM_DEVNET_MIXED_TXS ?? 10_000);
const BATCH = 250;
const ACCOUNTS = deriveDevAccounts().map((a) => ({ key: a.privateKey as Hex, address: a.address.toLowerCase() as Hex }));
const ZERO32 = `0x${"00".repeat(32)}` as Hex;
const A = PRECOMPILE_ADDRESSES as Record<string, Hex>;

/** A counter: every call adds one to storage slot 0 (runtime PUSH1 0 SLOAD PUSH1 1 ADD PUSH1 0 SSTORE STOP). */
const COUNTER_INIT: Hex = "0x600a600c600039600a6000f360005460010160005500";
const schedulerAbi = parseAbi([
  "function registerAgent(address callback) payable returns (uint256)",
  "function submitTick(uint256 agentId, uint8 class_, uint32 callbackGas) payable returns (uint256)",
  "function quoteTick(uint32 callbackGas) view returns (uint256 units, uint256 fee)",
]);
const BULK = 2;
const AGENT_REGISTERED = keccak256(new TextEncoder().encode("AgentRegistered(uint256,address,address,uint256)"));

const STEP_BYTES = bytesToHex(encodeProgram(RELU_STEP));
const STREAM_STATE = bytesToHex(encodeTensor({ dtype: "int8", shape: [1, 4], data: Int8Array.from([3, -1, 7, 2]) }));
const STREAM_XS = bytesToHex(encodeTensor({ dtype: "int8", shape: [2, 1, 4], data: Int8Array.from([1, -2, 3, -4, 5, -6, 7, -8]) }));

type Kind = "transfer" | "contractDeploy" | "contractCall" | "tstore" | "inferenceTcustom" | "inferenceTgraph" | "tstream" | "schedulerRegister" | "schedulerRequest";
const AIVM_KINDS: ReadonlySet<Kind> = new Set(["tstore", "inferenceTcustom", "inferenceTgraph", "tstream"]);
const INFERENCE_KINDS: ReadonlySet<Kind> = new Set(["inferenceTcustom", "inferenceTgraph"]);

interface Signed {
  raw: Hex;
  hash: Hex;
  account: number;
  kind: Kind;
}

async function rpc<T = any>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }), signal: AbortSignal.timeout(120_000) });
  const json = (await res.json()) as { result?: T; error?: { message: string } };
  if (json.error) throw new Error(`${method}: ${json.error.message}`);
  return json.result as T;
}

/** One JSON-RPC batch per `BATCH` calls; answers in call order, errors thrown. */
async function batch<T = any>(url: string, calls: [string, unknown[]][]): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < calls.length; i += BATCH) {
    const body = calls.slice(i, i + BATCH).map(([method, params], id) => ({ jsonrpc: "2.0", id, method, params }));
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: AbortSignal.timeout(120_000) });
    const answers = (await res.json()) as { id: number; result?: T; error?: { message: string } }[];
    answers.sort((a, b) => a.id - b.id);
    for (const [k, a] of answers.entries()) {
      if (a.error) throw new Error(`${calls[i + k]![0]}: ${a.error.message}`);
      out.push(a.result as T);
    }
  }
  return out;
}


async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test(`3-node devnet: ${TOTAL} mixed transactions (transfers, contract calls, TSTORE of a model, Fashion-MNIST inferences, TGRAPH, TSTREAM, scheduler requests) sent to all nodes with one SIGKILLed and restarted mid-run: all included, every finalized block identical on all nodes`, { timeout: 360_000 }, async (t) => {
  const started = performance.now();
  const lines: string[] = [];
  const base = await freePorts(6);
  const net = await startDevnet({ nodes: 3, port: base, authPort: base + 3, slotMs: 1000, hardfork: "osaka", dir: mkdtempSync(join(tmpdir(), "aivm-devnet-mixed-")), log: (line) => lines.push(line) });
  try {
    const urls = net.nodes.map((n) => n.rpcUrl);
    const chainId = Number(await rpc(urls[0]!, "eth_chainId"));
    const nonces = new Array<number>(ACCOUNTS.length).fill(0);
    const sign = async (account: number, kind: Kind, tx: { to: Hex | null; data?: Hex; value?: bigint; gas: bigint }): Promise<Signed> => {
      const raw = await privateKeyToAccount(ACCOUNTS[account]!.key).signTransaction({
        chainId,
        type: "eip1559",
        nonce: nonces[account]!++,
        ...(tx.to === null ? {} : { to: tx.to }),
        value: tx.value ?? 0n,
        data: tx.data ?? "0x",
        gas: tx.gas,
        maxFeePerGas: 200_000_000_000n,
        maxPriorityFeePerGas: 1_000_000_000n,
      });
      return { raw, hash: keccak256(raw), account, kind };
    };
    const estimate = async (from: number, to: Hex | null, data: Hex, value = 0n, margin = 2n) =>
      (BigInt(await rpc(urls[0]!, "eth_estimateGas", [{ from: ACCOUNTS[from]!.address, ...(to ? { to } : {}), data, value: `0x${value.toString(16)}` }])) * margin);

    // Setup, included before the load: the model's and the step program's TSTOREs, the counter, one scheduler agent per account.
    const pkg = fashionPackage();
    const setup: Signed[] = [];
    const stores: [number, Hex][] = [
      ...pkg.shards.map((s) => [TSTORE_TARGET.persistent, s.tensor as Hex] as [number, Hex]),
      ...(pkg.manifests ?? []).map((m) => [TSTORE_TARGET.sharded, m.data as Hex] as [number, Hex]),
      [TSTORE_TARGET.program, pkg.program as Hex],
      [TSTORE_TARGET.program, STEP_BYTES],
    ];
    for (const [target, data] of stores) {
      const calldata = encodeAbiParameters(TSTORE_INPUT, [target, ZERO32, data]);
      // A manifest cannot be estimated before its shards are stored: it gets a fixed allowance (its receipt is checked below).
      const gas = target === TSTORE_TARGET.sharded ? 5_000_000n : await estimate(0, A.TSTORE!, calldata);
      setup.push(await sign(0, "tstore", { to: A.TSTORE!, data: calldata, gas }));
    }
    const counter = getContractAddress({ from: ACCOUNTS[0]!.address, nonce: BigInt(nonces[0]!) });
    setup.push(await sign(0, "contractDeploy", { to: null, data: COUNTER_INIT, gas: 200_000n }));
    const stake = 10n ** 18n;
    for (let a = 0; a < ACCOUNTS.length; a++) {
      const data = encodeFunctionData({ abi: schedulerAbi, functionName: "registerAgent", args: [ACCOUNTS[a]!.address] });
      setup.push(await sign(a, "schedulerRegister", { to: AGENT_SCHEDULER_ADDRESS as Hex, data, value: stake, gas: await estimate(a, AGENT_SCHEDULER_ADDRESS as Hex, data, stake) }));
    }
    await batch(urls[0]!, setup.map((s) => ["eth_sendRawTransaction", [s.raw]]));
    const setupReceipts = await waitFor("the setup transactions on node 0", async () => {
      const receipts = await batch<{ status: Hex; logs: { topics: Hex[] }[] } | null>(urls[0]!, setup.map((s) => ["eth_getTransactionReceipt", [s.hash]]));
      return receipts.every((r) => r !== null) ? receipts : undefined;
    }, 90_000);
    setupReceipts.forEach((r, i) => assert.equal(r!.status, "0x1", `setup transaction ${i} (${setup[i]!.kind}) succeeded`));
    const agentIds = new Map<number, bigint>();
    setup.forEach((s, i) => {
      const log = setupReceipts[i]!.logs.find((l) => l.topics[0] === AGENT_REGISTERED);
      if (s.kind === "schedulerRegister") agentIds.set(s.account, BigInt(log!.topics[1]!));
    });
    const quote = await rpc<Hex>(urls[0]!, "eth_call", [{ to: AGENT_SCHEDULER_ADDRESS, data: encodeFunctionData({ abi: schedulerAbi, functionName: "quoteTick", args: [10_000] }) }, "latest"]);
    const tickFee = BigInt(`0x${quote.slice(66, 130)}`);
    assert.ok(tickFee > 0n, "submitTick has a fee");

    // The load's calldata, each kind's gas from eth_estimateGas with room for a rising congestion multiplier.
    const samples = fashionSamples().map((s) => s.input as Hex);
    const tcustom = samples.map((input) => encodeAbiParameters(TCUSTOM_INPUT, [pkg.programId as Hex, [input], 0]));
    const tgraph = samples.map((input) => encodeAbiParameters(TGRAPH_INPUT, [pkg.program as Hex, [input], 0]));
    const tstream = encodeAbiParameters(TSTREAM_INPUT, [keccak256(STEP_BYTES), [STREAM_STATE], STREAM_XS, 2, 0]);
    const tickValue = tickFee * 4n;
    const tick = (a: number) => encodeFunctionData({ abi: schedulerAbi, functionName: "submitTick", args: [agentIds.get(a)!, BULK, 10_000] });
    const gas = {
      tcustom: await estimate(1, A.TCUSTOM!, tcustom[0]!, 0n, 3n),
      tgraph: await estimate(1, A.TGRAPH!, tgraph[0]!, 0n, 3n),
      tstream: await estimate(1, A.TSTREAM!, tstream, 0n, 3n),
      tick: await estimate(1, AGENT_SCHEDULER_ADDRESS as Hex, tick(1), tickValue, 2n),
    };
    const load: Signed[] = [];
    for (let i = 0; load.length + setup.length < TOTAL; i++) {
      const a = i % ACCOUNTS.length;
      const sample = (i >> 5) % samples.length;
      if (i % 40 === 7) load.push(await sign(a, "inferenceTcustom", { to: A.TCUSTOM!, data: tcustom[sample]!, gas: gas.tcustom }));
      else if (i % 40 === 17) load.push(await sign(a, "inferenceTgraph", { to: A.TGRAPH!, data: tgraph[sample]!, gas: gas.tgraph }));
      else if (i % 80 === 27) load.push(await sign(a, "tstream", { to: A.TSTREAM!, data: tstream, gas: gas.tstream }));
      else if (i % 80 === 67) load.push(await sign(a, "schedulerRequest", { to: AGENT_SCHEDULER_ADDRESS as Hex, data: tick(a), value: tickValue, gas: gas.tick }));
      else if (i % 4 === 1) load.push(await sign(a, "contractCall", { to: counter, gas: 60_000n }));
      else load.push(await sign(a, "transfer", { to: `0x${(0xb000 + (i % 64)).toString(16).padStart(40, "0")}`, value: 1n, gas: 21_000n }));
    }

    // Account a sends to node a mod 3, its nonces in order; node 2 is SIGKILLed after the first half.
    const fromBlock = Number(await rpc(urls[0]!, "eth_blockNumber"));
    const send = (part: Signed[], route: (account: number) => number) =>
      Promise.all(urls.map((url, n) => {
        const mine = part.filter((s) => route(s.account) === n);
        return batch<Hex>(url, mine.map((s) => ["eth_sendRawTransaction", [s.raw]])).then((hashes) => hashes.forEach((h, k) => assert.equal(h, mine[k]!.hash)));
      }));
    const half = Math.floor(load.length / 2);
    const threeQuarters = Math.floor((load.length * 3) / 4);
    const t0 = performance.now();
    await send(load.slice(0, half), (a) => a % 3);
    // Node 2 has forwarded its share (the last transaction of each of its accounts is known to nodes 0 and 1): nothing is lost with its pool.
    const lastOfNode2 = [...new Map(load.slice(0, half).filter((s) => s.account % 3 === 2).map((s) => [s.account, s.hash])).values()];
    for (const url of urls.slice(0, 2)) await waitFor(`node 2's transactions forwarded to ${url}`, async () => (await batch(url, lastOfNode2.map((h) => ["eth_getTransactionByHash", [h]]))).every((x) => x !== null), 60_000);
    const killedAt = (performance.now() - t0) / 1000;
    await net.kill(2, "SIGKILL");
    await send(load.slice(half, threeQuarters), (a) => (a % 3 === 2 ? 0 : a % 3));
    await waitFor("node 2 restarted", async () => lines.some((l) => l.startsWith("node 2 is up again")), 120_000);
    const restartedAt = (performance.now() - t0) / 1000;
    await send(load.slice(threeQuarters), (a) => a % 3);
    const sentAt = (performance.now() - t0) / 1000;

    // Finalized on every node: the finalized blocks after fromBlock hold every load transaction.
    const all = [...setup, ...load];
    const finalizedHead = await waitFor("every load transaction finalized on all three nodes", async () => {
      const heads = await Promise.all(urls.map((url) => rpc<{ number: Hex }>(url, "eth_getBlockByNumber", ["finalized", false])));
      const head = Math.min(...heads.map((h) => Number(h.number)));
      const counts = await batch<Hex>(urls[0]!, Array.from({ length: head - fromBlock }, (_, k) => ["eth_getBlockTransactionCountByNumber", [`0x${(fromBlock + 1 + k).toString(16)}`]]));
      return counts.reduce((s, c) => s + Number(c), 0) >= load.length ? head : undefined;
    }, 300_000);
    const seconds = (performance.now() - t0) / 1000;

    // Every transaction has a successful receipt on every node, in the same block.
    const blockOf = new Map<Hex, number>();
    for (const url of urls) {
      const receipts = await batch<{ status: Hex; blockNumber: Hex; blockHash: Hex } | null>(url, all.map((s) => ["eth_getTransactionReceipt", [s.hash]]));
      receipts.forEach((r, i) => {
        assert.ok(r !== null, `${all[i]!.kind} ${all[i]!.hash} has a receipt on ${url}`);
        assert.equal(r.status, "0x1", `${all[i]!.kind} ${all[i]!.hash} succeeded on ${url}`);
        const n = Number(r.blockNumber);
        assert.ok(n <= finalizedHead, `${all[i]!.hash} is in a finalized block`);
        if (url === urls[0]) blockOf.set(all[i]!.hash, n);
        else assert.equal(n, blockOf.get(all[i]!.hash), `${all[i]!.hash} in the same block on ${url}`);
      });
    }
    // Every finalized block: the same hash, stateRoot, receiptsRoot and AIVM anchor on the three nodes.
    const tags = Array.from({ length: finalizedHead }, (_, k) => `0x${(k + 1).toString(16)}`);
    const views = await Promise.all(urls.map(async (url) => ({
      blocks: await batch<{ hash: Hex; stateRoot: Hex; receiptsRoot: Hex }>(url, tags.map((tag) => ["eth_getBlockByNumber", [tag, false]])),
      anchors: await batch(url, tags.map((tag) => ["aivm_getAnchor", [tag]])),
    })));
    let anchored = 0;
    for (let k = 0; k < tags.length; k++) {
      const [b0, a0] = [views[0]!.blocks[k]!, views[0]!.anchors[k]];
      for (const v of views.slice(1)) {
        assert.equal(v.blocks[k]!.hash, b0.hash, `block ${k + 1} hash`);
        assert.equal(v.blocks[k]!.stateRoot, b0.stateRoot, `block ${k + 1} stateRoot`);
        assert.equal(v.blocks[k]!.receiptsRoot, b0.receiptsRoot, `block ${k + 1} receiptsRoot`);
        assert.deepEqual(v.anchors[k], a0, `block ${k + 1} AIVM anchor`);
      }
      if (a0 !== null) anchored++;
    }
    // The restarted node caught up: it finalized the same head, and it re-executed the counter's calls like the others.
    const heads = await Promise.all(urls.map((url) => rpc<{ hash: Hex }>(url, "eth_getBlockByNumber", [`0x${finalizedHead.toString(16)}`, false])));
    assert.ok(heads.every((h) => h.hash === heads[0]!.hash));
    const calls = all.filter((s) => s.kind === "contractCall").length;
    for (const url of urls) assert.equal(BigInt(await rpc(url, "eth_getStorageAt", [counter, "0x0", "latest"])), BigInt(calls), `the counter on ${url}`);
    assert.ok(lines.some((l) => l.includes("node 2 exited (SIGKILL")), "the devnet saw node 2 die");
    assert.deepEqual(net.beacon.rejections, [], "no payload was rejected");

    const byKind: Record<string, number> = {};
    for (const s of all) byKind[s.kind] = (byKind[s.kind] ?? 0) + 1;
    const perBlock = new Map<number, { txs: number; inference: number; aivm: number }>();
    for (const s of load) {
      const n = blockOf.get(s.hash)!;
      const b = perBlock.get(n) ?? { txs: 0, inference: 0, aivm: 0 };
      b.txs++;
      if (INFERENCE_KINDS.has(s.kind)) b.inference++;
      if (AIVM_KINDS.has(s.kind)) b.aivm++;
      perBlock.set(n, b);
    }
    const loadBlocks = [...perBlock.values()];
    // Each AIVM call of a block has at least one receipt under that block's anchor (the nodes agreed on the anchors above).
    for (const [n, b] of perBlock) {
      const anchor = views[0]!.anchors[n - 1] as { receiptCount: number } | null;
      assert.ok((anchor?.receiptCount ?? 0) >= b.aivm, `block ${n} anchors ${anchor?.receiptCount ?? 0} AIVM receipts for its ${b.aivm} AIVM calls`);
    }
    const figures = {
      bench: "devnet-mixed",
      nodes: 3,
      slotMs: 1000,
      transactions: all.length,
      byKind,
      aivmCalls: all.filter((s) => AIVM_KINDS.has(s.kind)).length,
      blocksFinalized: finalizedHead,
      blocksWithLoad: loadBlocks.length,
      blocksAnchored: anchored,
      loadSeconds: +seconds.toFixed(1),
      sendSeconds: +sentAt.toFixed(1),
      killedAtSeconds: +killedAt.toFixed(1),
      restartedAtSeconds: +restartedAt.toFixed(1),
      txPerSecondFinalized: +(load.length / seconds).toFixed(1),
      maxTxsPerBlock: Math.max(...loadBlocks.map((b) => b.txs)),
      maxInferenceCallsPerBlock: Math.max(...loadBlocks.map((b) => b.inference)),
      maxAivmCallsPerBlock: Math.max(...loadBlocks.map((b) => b.aivm)),
      testSeconds: +((performance.now() - started) / 1000).toFixed(1),
    };
    console.log(JSON.stringify(figures));
  } finally {
    await net.stop();
    rmSync(net.dir, { recursive: true, force: true });
    for (const line of lines.filter((l) => !/, 0 transaction\(s\), VALID on 3\/3$/.test(l))) t.diagnostic(line);
  }
});
