// `aivm node --tx-peers` (src/rpc/tx-forward.ts): a transaction sent to one node reaches its peers'
// pools over their real JSON-RPC, in nonce order, and a peer that is down costs an error line, not
// the transaction.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { privateKeyToAccount } from "viem/accounts";
import { parseGwei } from "viem";
import { call, spawnAivmNode, waitForExit, type SpawnedNode } from "../cli/helpers.ts";

const KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"; // dev account 0 of the default mnemonic

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("a transaction sent to one node is forwarded to its peers in nonce order; a dead peer is logged", { timeout: 120_000 }, async () => {
  const nodes: SpawnedNode[] = [];
  try {
    const [portB, portC, deadPort] = [await freePort(), await freePort(), await freePort()];
    nodes.push(await spawnAivmNode(["--port", String(portB), "-q"]));
    nodes.push(await spawnAivmNode(["--port", String(portC), "-q"]));
    const [b, c] = nodes.map((n) => n.url);
    const dead = `http://127.0.0.1:${deadPort}`;
    // Block time: the pool holds the transactions for a while, so each peer sees them pending first.
    const a = await spawnAivmNode(["-q", "--block-time", "3600", "--tx-peers", `${b},${c}`, "--tx-peers", dead]);
    nodes.push(a);

    const account = privateKeyToAccount(KEY);
    const chainId = Number(await call(a.url, "eth_chainId"));
    const hashes: string[] = [];
    for (let nonce = 0; nonce < 5; nonce++) {
      const raw = await account.signTransaction({ chainId, nonce, to: "0x00000000000000000000000000000000000000aa", value: BigInt(nonce + 1), gas: 21_000n, maxFeePerGas: parseGwei("10"), maxPriorityFeePerGas: 1n });
      hashes.push(await call(a.url, "eth_sendRawTransaction", [raw]));
    }
    // B and C automine: each mines the forwarded transactions as they arrive, in order.
    for (const peer of [b!, c!]) {
      for (const [nonce, hash] of hashes.entries()) {
        const receipt = await waitFor(`${hash} on ${peer}`, () => call(peer, "eth_getTransactionReceipt", [hash]));
        assert.equal(receipt.status, "0x1", `${hash} succeeded on ${peer}`);
        const tx = await call(peer, "eth_getTransactionByHash", [hash]);
        assert.equal(Number(tx.nonce), nonce);
      }
      assert.equal(await call(peer, "eth_getTransactionCount", [account.address, "latest"]), "0x5");
    }
    // A still pools all five (its block time has not come), and said why the dead peer missed them.
    for (const hash of hashes) assert.notEqual(await call(a.url, "eth_getTransactionByHash", [hash]), null);
    await waitFor("the dead peer's error line", async () => (a.output().includes(`tx forward to ${dead}`) ? true : undefined));
    assert.match(a.output(), new RegExp(`tx forward to ${dead}: \\d+ transaction\\(s\\) not forwarded`));
    // B forwards nothing (no --tx-peers): a transaction sent to B stays there.
    const rawB = await account.signTransaction({ chainId, nonce: 5, to: "0x00000000000000000000000000000000000000aa", value: 1n, gas: 21_000n, maxFeePerGas: parseGwei("10"), maxPriorityFeePerGas: 1n });
    const hashB = await call(b!, "eth_sendRawTransaction", [rawB]);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await call(c!, "eth_getTransactionByHash", [hashB]), null);
  } finally {
    for (const n of nodes) n.child.kill("SIGTERM");
    await Promise.all(nodes.map((n) => waitForExit(n.child)));
  }
});
