// Issue 13, must-show 4: a node with the default settings, under a client that keeps an endless
// eth_call in flight, asks for 20,000 subscriptions and holds 24 stalled uploads open, keeps
// answering eth_blockNumber within 100 ms while blocks are mined and fanned out to every
// subscriber. Every loop here is bounded; everything runs on loopback.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { WebSocket } from "ws";
import type { NodeServer } from "../../src/rpc/server.ts";
import { rpc, startTestServer } from "./helpers.ts";

const LOOP_AT = "0x00000000000000000000000000000000000000aa";
const SOCKETS = 200;
const SUBSCRIBE_PER_SOCKET = 100;
const STALLED_UPLOADS = 24;
/** How long the attack runs while eth_blockNumber is sampled. */
const WINDOW_MS = 2_500;
const SAMPLE_EVERY_MS = 25;
const LATENCY_BOUND_MS = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function call(url: string, method: string, params: unknown[] = []): Promise<any> {
  return (await rpc(url, { jsonrpc: "2.0", id: 1, method, params })).json;
}

/** Opens a WebSocket and sends SUBSCRIBE_PER_SOCKET eth_subscribe in one batch; resolves with the socket and the batch's reply, or null when the connection was refused. */
function subscribeMany(url: string): Promise<{ ws: WebSocket; reply: any[] } | null> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.once("unexpected-response", () => resolve(null));
    ws.once("error", () => resolve(null));
    ws.once("open", () => {
      ws.once("message", (raw) => resolve({ ws, reply: JSON.parse(raw.toString()) }));
      ws.send(JSON.stringify(Array.from({ length: SUBSCRIBE_PER_SOCKET }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "eth_subscribe", params: ["newHeads"] }))));
    });
  });
}

/** A POST that declares 1 MB, sends 100 KB of it and then nothing. */
async function stalledUpload(port: number): Promise<Socket> {
  const socket = connect(port, "127.0.0.1");
  socket.on("error", () => {});
  await new Promise((resolve) => socket.once("connect", resolve));
  socket.write(`POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n[${" ".repeat(100_000)}`);
  return socket;
}

describe("a node under attack keeps answering eth_blockNumber", () => {
  let server: NodeServer;
  before(async () => {
    server = await startTestServer();
    assert.equal((await call(server.url, "hardhat_setCode", [LOOP_AT, "0x5b600056"])).result, true);
  });
  after(() => server.close());

  it(`within ${LATENCY_BOUND_MS} ms, through an endless eth_call, ${SOCKETS * SUBSCRIBE_PER_SOCKET} subscriptions and ${STALLED_UPLOADS} stalled uploads`, { timeout: 60_000 }, async () => {
    // Warm up the paths the samples take.
    for (let i = 0; i < 5; i++) await call(server.url, "eth_blockNumber");

    // 200 sockets × 100 subscriptions: the server takes 100 sockets (the rest get 503) and 100 each.
    const opened = (await Promise.all(Array.from({ length: SOCKETS }, () => subscribeMany(server.wsUrl)))).filter((s) => s !== null);
    const accepted = opened.reduce((n, s) => n + s.reply.filter((r) => typeof r.result === "string").length, 0);
    assert.equal(opened.length, 100, "WebSocket connections are capped at 100");
    assert.equal(accepted, 100 * SUBSCRIBE_PER_SOCKET);
    assert.equal(server.stats().subscriptions, 100 * SUBSCRIBE_PER_SOCKET);
    // One socket reads its notifications; the others never read (the kernel buffers fill up).
    const [reader, ...idle] = opened.map((s) => s.ws);
    for (const ws of idle) (ws as unknown as { _socket: Socket })._socket.pause();
    const headsSeen = new Set<string>();
    reader!.on("message", (raw) => {
      const msg = JSON.parse(raw.toString());
      if (msg.method === "eth_subscription") headsSeen.add(msg.params.result.number);
    });

    const uploads = await Promise.all(Array.from({ length: STALLED_UPLOADS }, () => stalledUpload(server.port)));
    for (let i = 0; i < 100 && server.stats().inflightBodyBytes < STALLED_UPLOADS * 100_001; i++) await sleep(10);
    assert.equal(server.stats().inflightBodyBytes, STALLED_UPLOADS * 100_001, "every stalled upload is being received");

    // The attacker keeps one 2^60-gas endless eth_call in flight for the whole window, and mines.
    const started = performance.now();
    const stopAt = started + WINDOW_MS;
    const callErrors: number[] = [];
    const attacker = (async () => {
      while (performance.now() < stopAt) {
        const reply = await call(server.url, "eth_call", [{ to: LOOP_AT, gas: `0x${(2n ** 60n).toString(16)}` }]);
        callErrors.push(reply.error?.code);
      }
    })();
    const miner = (async () => {
      while (performance.now() < stopAt) {
        await call(server.url, "evm_mine");
        await sleep(200);
      }
    })();

    const latencies: number[] = [];
    while (performance.now() < stopAt) {
      const t = performance.now();
      const reply = await call(server.url, "eth_blockNumber");
      latencies.push(performance.now() - t);
      assert.match(reply.result, /^0x[0-9a-f]+$/);
      await sleep(SAMPLE_EVERY_MS);
    }
    await Promise.all([attacker, miner]);

    const worst = Math.max(...latencies);
    const sorted = [...latencies].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    console.log(JSON.stringify({ samples: latencies.length, medianMs: +median.toFixed(1), worstMs: +worst.toFixed(1), endlessCalls: callErrors.length, blocks: Number(server.node.headNumber), headsSeen: headsSeen.size }));
    assert.ok(latencies.length >= 20, `${latencies.length} samples`);
    assert.ok(worst < LATENCY_BOUND_MS, `worst eth_blockNumber took ${worst.toFixed(1)} ms (median ${median.toFixed(1)} ms)`);
    assert.ok(callErrors.length >= 1 && callErrors.every((code) => code === -32005), `endless calls answered ${JSON.stringify(callErrors)}`);
    assert.ok(server.node.headNumber >= 1n, `${server.node.headNumber} blocks mined during the attack`);
    for (let i = 0; i < 200 && headsSeen.size < Number(server.node.headNumber); i++) await sleep(10);
    assert.equal(headsSeen.size, Number(server.node.headNumber), "the reading subscriber got every block");

    for (const socket of uploads) socket.destroy();
    for (const ws of opened.map((s) => s.ws)) ws.terminate();
  });
});
