// `aivm devnet` (src/cli/devnet.ts): three `aivm node --engine` processes on loopback, node 1 without
// matmul workers and node 2 on the JS kernels, driven through their Engine API. Transactions sent to
// different nodes (transfers and TMATMUL calls) are included; every node finalizes the same blocks
// with the same state roots, receipts roots and AIVM anchors; a SIGKILLed node restarts on its
// database, catches up and agrees. A node that flips one TMATMUL output bit has its payloads rejected,
// and the devnet's log names the receipt that differs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeAbiParameters, bytesToHex, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { startDevnet, type Devnet } from "../../src/cli/devnet.ts";
import { deriveDevAccounts } from "../../src/chain/accounts.ts";
import { encodeTensor } from "../../src/codec/tensor.ts";
import { DEMO_INPUT, DEMO_WEIGHTS } from "../../src/cli/demo.ts";
import { TMATMUL_INPUT } from "../../precompiles/a101-tmatmul.ts";
import { PRECOMPILE_ADDRESSES } from "../../precompiles/addresses.ts";
import { call } from "../cli/helpers.ts";
import { freePorts } from "./ports.ts";

const keys = deriveDevAccounts().map((a) => a.privateKey as Hex);
const tmatmulCalldata = encodeAbiParameters(TMATMUL_INPUT, [[bytesToHex(encodeTensor(DEMO_INPUT)), bytesToHex(encodeTensor(DEMO_WEIGHTS))], [], [], 0]);


async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function devnet(lines: string[], extra: { injectFault?: { node: number; opcode: string } } = {}): Promise<Devnet> {
  const base = await freePorts(6);
  return startDevnet({
    nodes: 3,
    port: base,
    authPort: base + 3,
    slotMs: 1000,
    hardfork: "osaka",
    dir: mkdtempSync(join(tmpdir(), "aivm-devnet-test-")),
    log: (line) => lines.push(line),
    ...extra,
  });
}

const nonces = new Map<number, number>();
async function send(url: string, from: number, tx: { to: Hex; value?: bigint; data?: Hex; gas?: bigint }): Promise<Hex> {
  const nonce = nonces.get(from) ?? 0;
  nonces.set(from, nonce + 1);
  const raw = await privateKeyToAccount(keys[from]!).signTransaction({
    chainId: Number(await call(url, "eth_chainId")),
    type: "eip1559",
    nonce,
    to: tx.to,
    value: tx.value ?? 0n,
    data: tx.data ?? "0x",
    gas: tx.gas ?? 3_000_000n,
    maxFeePerGas: 20_000_000_000n,
    maxPriorityFeePerGas: 1_000_000_000n,
  });
  return call(url, "eth_sendRawTransaction", [raw]);
}

test("3-node devnet: transactions sent to different nodes are included, a SIGKILLed node catches up, all finalize the same blocks, roots and anchors", { timeout: 150_000 }, async (t) => {
  const lines: string[] = [];
  const net = await devnet(lines);
  try {
    const urls = net.nodes.map((n) => n.rpcUrl);
    assert.deepEqual(net.nodes.map((n) => n.variant !== ""), [false, true, true], "nodes 1 and 2 run other engine settings");
    const sent: Hex[] = [];
    for (const [i, url] of urls.entries()) {
      for (let k = 0; k < 3; k++) sent.push(await send(url, i + 1, { to: "0x00000000000000000000000000000000000000bb", value: BigInt(1000 * i + k + 1), gas: 21_000n }));
      sent.push(await send(url, i + 1, { to: PRECOMPILE_ADDRESSES.TMATMUL as Hex, data: tmatmulCalldata }));
    }
    const included = async (hashes: Hex[]) => {
      for (const hash of hashes) {
        for (const url of urls) {
          const receipt = await waitFor(`${hash} on ${url}`, () => call(url, "eth_getTransactionReceipt", [hash]));
          assert.equal(receipt.status, "0x1", `${hash} on ${url}`);
        }
      }
    };
    await included(sent);

    // A crash: node 2 dies mid-run and the devnet restarts it on its database.
    await net.kill(2, "SIGKILL");
    const after: Hex[] = [];
    for (let k = 0; k < 2; k++) after.push(await send(urls[0]!, 4, { to: "0x00000000000000000000000000000000000000cc", value: 7n, gas: 21_000n }));
    after.push(await send(urls[1]!, 5, { to: PRECOMPILE_ADDRESSES.TMATMUL as Hex, data: tmatmulCalldata }));
    await waitFor("node 2 restarted", async () => lines.some((l) => l.startsWith("node 2 is up again")), 60_000);
    await included(after);

    // Every node's finalized block, then the same chain below it on every node.
    const finalized = Number((await call(urls[0]!, "eth_getBlockByNumber", ["finalized", false])).number);
    for (const url of urls) await waitFor(`finalized ≥ ${finalized} on ${url}`, async () => Number((await call(url, "eth_getBlockByNumber", ["finalized", false])).number) >= finalized);
    const matmulBlocks = new Set<number>();
    for (const hash of [...sent, ...after]) {
      const receipt = await call(urls[0]!, "eth_getTransactionReceipt", [hash]);
      if ((await call(urls[0]!, "eth_getTransactionByHash", [hash])).to === PRECOMPILE_ADDRESSES.TMATMUL.toLowerCase()) matmulBlocks.add(Number(receipt.blockNumber));
    }
    assert.ok(matmulBlocks.size >= 1, "the TMATMUL calls are in blocks");
    for (let n = 1; n <= finalized; n++) {
      const tag = `0x${n.toString(16)}`;
      const blocks = await Promise.all(urls.map((url) => call(url, "eth_getBlockByNumber", [tag, false])));
      const anchors = await Promise.all(urls.map((url) => call(url, "aivm_getAnchor", [tag])));
      for (const b of blocks.slice(1)) {
        assert.equal(b.hash, blocks[0].hash, `block ${n} hash`);
        assert.equal(b.stateRoot, blocks[0].stateRoot, `block ${n} state root`);
        assert.equal(b.receiptsRoot, blocks[0].receiptsRoot, `block ${n} receipts root`);
      }
      for (const a of anchors.slice(1)) assert.deepEqual(a, anchors[0], `block ${n} anchor`);
      // A block with a TMATMUL call anchors its receipt (and the nodes agreed on it above).
      if (matmulBlocks.has(n)) assert.ok(anchors[0] !== null && anchors[0].receiptCount >= 1, `block ${n} anchors its TMATMUL receipts`);
    }
    for (const n of matmulBlocks) assert.ok(n <= finalized, `the TMATMUL block ${n} is finalized (${finalized})`);
    assert.deepEqual(net.beacon.rejections, [], "no payload was rejected");
    assert.ok(lines.some((l) => l.includes("node 2 exited (SIGKILL")), lines.join("\n"));
  } finally {
    await net.stop();
    rmSync(net.dir, { recursive: true, force: true });
    // The devnet's log, less the routine blocks: restarts, catch-ups and rejections.
    for (const line of lines.filter((l) => !/, 0 transaction\(s\), VALID on 3\/3$/.test(l))) t.diagnostic(line);
  }
});

test("a node that flips one TMATMUL output bit (--inject-fault) disagrees: its payloads or its verdicts are INVALID, the anchor and the mismatching receipt named, the chain goes on", { timeout: 120_000 }, async (t) => {
  const lines: string[] = [];
  const net = await devnet(lines, { injectFault: { node: 1, opcode: "TMATMUL" } });
  try {
    const urls = net.nodes.map((n) => n.rpcUrl);
    // Sent to the faulty node, forwarded to the honest ones: whoever builds the block, node 1 and the others disagree on it.
    const hash = await send(urls[1]!, 6, { to: PRECOMPILE_ADDRESSES.TMATMUL as Hex, data: tmatmulCalldata });
    const receipt = await waitFor("the TMATMUL call on node 0", () => call(urls[0]!, "eth_getTransactionReceipt", [hash]), 60_000);
    const rejection = await waitFor("a rejection", async () => net.beacon.rejections[0]);
    assert.match(rejection.validationError ?? "", /AIVM anchor root \(extraData\) 0x[0-9a-f]+ != re-executed 0x[0-9a-f]+/);
    // The honest majority carries the block with the call: nodes 0 and 2 agree on it, node 1 does not have it.
    const tag = receipt.blockNumber;
    await waitFor("node 2 has the block", () => call(urls[2]!, "eth_getBlockByNumber", [tag, false]));
    const [b0, b1, b2] = await Promise.all(urls.map((url) => call(url, "eth_getBlockByNumber", [tag, false])));
    assert.equal(b2.hash, b0.hash);
    assert.deepEqual(await call(urls[2]!, "aivm_getAnchor", [tag]), await call(urls[0]!, "aivm_getAnchor", [tag]));
    assert.notEqual(b1?.hash, b0.hash, "the faulty node did not accept the honest block");
    assert.ok(lines.some((l) => /^node \d rejected block \d+ 0x[0-9a-f]{64} from node \d: Block \d+ .* is invalid: AIVM anchor root/.test(l)), lines.join("\n"));
    // The rejecting node names the receipt: the TMATMUL call's, whose output commit differs in the one flipped bit.
    const named = await waitFor("the mismatching receipt named in the devnet's log", async () =>
      lines.map((l) => /^node (\d): block (\d+) (0x[0-9a-f]{64}) from node (\d): receipt #0 \(tx (0x[0-9a-f]{64}), TMATMUL\) output commit 0 differs: (0x[0-9a-f]{64}) \(node \d\) vs (0x[0-9a-f]{64}) \(node \d, re-executed\)$/.exec(l)).find((m) => m !== null),
    );
    const [, rejecter, , blockHash, producer, tx, theirs, ours] = named;
    assert.equal(tx, hash, "the receipt named is the TMATMUL call's");
    assert.ok((rejecter === "1") !== (producer === "1"), `one side of the disagreement is the faulty node 1 (node ${rejecter} rejected node ${producer}'s block)`);
    assert.ok(net.beacon.rejections.some((r) => r.hash === blockHash && r.member === `node ${rejecter}` && r.proposer === `node ${producer}`), "the line names a block the driver saw rejected");
    const flipped = BigInt(theirs!) ^ BigInt(ours!);
    assert.ok(flipped !== 0n && (flipped & (flipped - 1n)) === 0n, `the two output commits differ in one bit (${theirs} vs ${ours})`);
  } finally {
    await net.stop();
    rmSync(net.dir, { recursive: true, force: true });
    for (const line of lines.filter((l) => !/, 0 transaction\(s\), VALID on 3\/3$/.test(l))) t.diagnostic(line);
  }
});
