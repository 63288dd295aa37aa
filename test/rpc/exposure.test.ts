// Finding 8 of issue 13, the network surface: binding beyond loopback needs an explicit opt-in,
// browser pages from other origins and rebinding host names are refused, WebSocket connections,
// subscriptions per socket and request bytes in flight are capped, and quantities must fit their
// field widths. Each test runs a real server on loopback.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { connect } from "node:net";
import { WebSocket } from "ws";
import { startNodeServer, type NodeServer } from "../../src/rpc/server.ts";
import { ExposureError } from "../../src/rpc/access.ts";
import { rpc, startTestServer } from "./helpers.ts";
import { spawnAivmNode, waitForExit } from "../cli/helpers.ts";

const BLOCK_NUMBER = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] });

/** A POST with chosen headers (fetch may not set Host). */
function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; json: any }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", headers: { "content-type": "application/json", ...headers } }, (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, json: text ? JSON.parse(text) : undefined }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Opens a WebSocket; resolves with it, or with the HTTP status the upgrade was refused with. */
function openSocket(url: string, headers: Record<string, string> = {}): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once("open", () => resolve(ws));
    ws.once("unexpected-response", (_req, res) => resolve(res.statusCode!));
    ws.once("error", reject);
  });
}

function wsCall(ws: WebSocket, id: number, method: string, params: unknown[]): Promise<any> {
  return new Promise((resolve) => {
    const onMessage = (raw: Buffer) => {
      const msg = JSON.parse(raw.toString());
      if (msg.id !== id) return;
      ws.off("message", onMessage);
      resolve(msg);
    };
    ws.on("message", onMessage);
    ws.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
  });
}

describe("binding beyond loopback", () => {
  it("is refused without allowRemote, before a node is created", async () => {
    await assert.rejects(startNodeServer({ host: "0.0.0.0", port: 0, runtime: null }), (e: unknown) => e instanceof ExposureError && /--allow-remote/.test(e.message));
    await assert.rejects(startNodeServer({ host: "::", port: 0, runtime: null }), ExposureError);
  });

  it("is served with allowRemote, and the server reports itself remote; loopback hosts are not", async () => {
    const remote = await startNodeServer({ host: "0.0.0.0", port: 0, runtime: null, allowRemote: true });
    try {
      assert.equal(remote.remote, true);
      assert.equal((await post(`http://127.0.0.1:${remote.port}`, BLOCK_NUMBER, {})).json.result, "0x0");
    } finally {
      await remote.close();
    }
    const local = await startTestServer({ runtime: null });
    assert.equal(local.remote, false);
    await local.close();
  });
});

describe("aivm node flags", () => {
  it("--host 0.0.0.0 alone exits 1 naming --allow-remote; with it, a warning names what is exposed", { timeout: 120_000 }, async () => {
    await assert.rejects(spawnAivmNode(["--host", "0.0.0.0", "--quiet"]), /exited with 1[\s\S]*--allow-remote/);
    const spawned = await spawnAivmNode(["--host", "0.0.0.0", "--allow-remote", "--quiet", "--rpc.gascap", "0", "--rpc.evmtimeout", "300ms"]);
    try {
      const out = spawned.output();
      assert.match(out, /WARNING: the AIVM dev node is listening on 0\.0\.0\.0/);
      assert.match(out, /unlocked, funded dev accounts/);
      assert.match(out, /hardhat_setBalance/);
      const url = spawned.url.replace("0.0.0.0", "127.0.0.1");
      const call = async (method: string, params: unknown[]) => (await rpc(url, { jsonrpc: "2.0", id: 1, method, params })).json;
      // The flags reach the node: no gas cap (GAS returns more than any block holds), a 300 ms deadline.
      await call("hardhat_setCode", ["0x00000000000000000000000000000000000000bb", "0x5a5f5260205ff3"]);
      await call("hardhat_setCode", ["0x00000000000000000000000000000000000000aa", "0x5b600056"]);
      const gasLeft = BigInt((await call("eth_call", [{ to: "0x00000000000000000000000000000000000000bb", gas: `0x${(2n ** 60n).toString(16)}` }])).result);
      assert.ok(gasLeft > 2n ** 59n, `${gasLeft}`);
      const endless = await call("eth_call", [{ to: "0x00000000000000000000000000000000000000aa", gas: `0x${(2n ** 60n).toString(16)}` }]);
      assert.equal(endless.error?.code, -32005);
      assert.match(endless.error.message, /deadline of 300 ms/);
    } finally {
      spawned.child.kill("SIGTERM");
      await waitForExit(spawned.child);
    }
  });
});

describe("browser origins and Host names", () => {
  let server: NodeServer;
  let other: NodeServer;
  before(async () => {
    server = await startTestServer({ runtime: null });
    other = await startTestServer({ runtime: null, corsOrigins: ["https://app.example"], allowedHosts: ["node.internal"] });
  });
  after(async () => {
    await server.close();
    await other.close();
  });

  it("a page from another origin cannot drive the node: 403, nothing sent, no CORS header", async () => {
    const [from] = server.node.accounts;
    const send = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_sendTransaction", params: [{ from: from!.address, to: from!.address, value: "0x1" }] });
    for (const origin of ["https://evil.example", "null", "http://localhost.evil.example"]) {
      const res = await post(server.url, send, { origin });
      assert.equal(res.status, 403, origin);
      assert.equal(res.headers["access-control-allow-origin"], undefined);
      assert.match(res.json.error.message, /--cors/);
    }
    assert.equal(server.node.headNumber, 0n, "the refused transaction was never sent");
    const preflight = await new Promise<number>((resolve) => request(server.url, { method: "OPTIONS", headers: { origin: "https://evil.example" } }, (res) => resolve(res.statusCode!)).end());
    assert.equal(preflight, 403);
  });

  it("localhost pages and --cors origins get CORS headers for their own origin; clients without Origin get none", async () => {
    for (const origin of ["http://localhost:5173", "http://127.0.0.1:3000", "https://[::1]:8080"]) {
      const res = await post(server.url, BLOCK_NUMBER, { origin });
      assert.equal(res.status, 200, origin);
      assert.equal(res.headers["access-control-allow-origin"], origin);
    }
    assert.equal((await post(server.url, BLOCK_NUMBER, { origin: "https://app.example" })).status, 403);
    const allowed = await post(other.url, BLOCK_NUMBER, { origin: "https://app.example" });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers["access-control-allow-origin"], "https://app.example");
    const plain = await post(server.url, BLOCK_NUMBER, {});
    assert.equal(plain.status, 200);
    assert.equal(plain.headers["access-control-allow-origin"], undefined);
  });

  it("a rebinding Host name is refused; localhost, IP literals and --allowed-hosts names are served", async () => {
    const refused = await post(server.url, BLOCK_NUMBER, { host: `attacker.example:${server.port}` });
    assert.equal(refused.status, 403);
    assert.match(refused.json.error.message, /--allowed-hosts/);
    assert.equal((await post(server.url, BLOCK_NUMBER, { host: "node.internal" })).status, 403);
    for (const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`, `[::1]:${server.port}`, "192.168.1.20:8545"]) {
      assert.equal((await post(server.url, BLOCK_NUMBER, { host })).status, 200, host);
    }
    assert.equal((await post(other.url, BLOCK_NUMBER, { host: `node.internal:${other.port}` })).status, 200);
  });

  it("WebSocket upgrades get the same Origin and Host checks", async () => {
    assert.equal(await openSocket(server.wsUrl, { origin: "https://evil.example" }), 403);
    assert.equal(await openSocket(server.wsUrl, { host: "attacker.example" }), 403);
    const ws = await openSocket(server.wsUrl, { origin: "http://localhost:3000" });
    assert.ok(ws instanceof WebSocket);
    ws.close();
  });
});

describe("caps on connections, subscriptions and bytes in flight", () => {
  let server: NodeServer;
  before(async () => {
    server = await startTestServer({ runtime: null, maxWebSocketConnections: 3, maxSubscriptionsPerSocket: 5, maxInflightBodyBytes: 100_000 });
  });
  after(() => server.close());

  it("WebSocket connections beyond the cap are refused with 503 until one closes", async () => {
    const open = await Promise.all([1, 2, 3].map(() => openSocket(server.wsUrl)));
    assert.ok(open.every((ws) => ws instanceof WebSocket));
    assert.equal(await openSocket(server.wsUrl), 503);
    const closed = new Promise((resolve) => (open[0] as WebSocket).once("close", resolve));
    (open[0] as WebSocket).close();
    await closed;
    // The server side sees the close a moment later.
    for (let i = 0; i < 50 && server.stats().webSockets >= 3; i++) await new Promise((r) => setTimeout(r, 10));
    const again = await openSocket(server.wsUrl);
    assert.ok(again instanceof WebSocket);
    for (const ws of [...open.slice(1), again]) (ws as WebSocket).close();
    for (let i = 0; i < 100 && server.stats().webSockets > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(server.stats().webSockets, 0);
  });

  it("subscriptions beyond the per-socket cap answer -32005; unsubscribing frees a slot; closing frees all", async () => {
    const ws = (await openSocket(server.wsUrl)) as WebSocket;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await wsCall(ws, i, "eth_subscribe", ["newHeads"])).result);
    const refused = await wsCall(ws, 10, "eth_subscribe", ["logs", {}]);
    assert.equal(refused.error?.code, -32005);
    assert.match(refused.error.message, /limit 5/);
    assert.equal((await wsCall(ws, 11, "eth_unsubscribe", [ids[0]])).result, true);
    assert.match((await wsCall(ws, 12, "eth_subscribe", ["newHeads"])).result, /^0x/);
    assert.equal(server.stats().subscriptions, 5);
    // Every subscription still gets the block, formatted once for all of them.
    const heads: string[] = [];
    ws.on("message", (raw) => {
      const msg = JSON.parse(raw.toString());
      if (msg.method === "eth_subscription") heads.push(msg.params.result.number);
    });
    await rpc(server.url, { jsonrpc: "2.0", id: 1, method: "evm_mine", params: [] });
    for (let i = 0; i < 100 && heads.length < 5; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(heads, ["0x1", "0x1", "0x1", "0x1", "0x1"]);
    const closed = new Promise((resolve) => ws.once("close", resolve));
    ws.close();
    await closed;
    for (let i = 0; i < 50 && server.stats().subscriptions > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(server.stats().subscriptions, 0);
  });

  it("request bytes in flight over HTTP and WebSocket are capped: a stalled upload holds what it sent, and gives it back when dropped", async () => {
    const { port } = server;
    const stalled = connect(port, "127.0.0.1");
    await new Promise((resolve) => stalled.once("connect", resolve));
    stalled.write(`POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n${" ".repeat(80_000)}`);
    for (let i = 0; i < 100 && server.stats().inflightBodyBytes < 80_000; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(server.stats().inflightBodyBytes, 80_000);
    // 80,000 + 30,000 passes the 100,000-byte budget.
    const big = await post(server.url, BLOCK_NUMBER + " ".repeat(30_000), {});
    assert.equal(big.status, 503);
    assert.equal(big.json.error.code, -32005);
    // WebSocket messages count against the same budget until answered.
    const ws = (await openSocket(server.wsUrl)) as WebSocket;
    const refusedMessage = await new Promise<any>((resolve) => {
      ws.once("message", (raw) => resolve(JSON.parse(raw.toString())));
      ws.send(BLOCK_NUMBER + " ".repeat(30_000));
    });
    assert.equal(refusedMessage.error?.code, -32005);
    assert.equal((await wsCall(ws, 7, "eth_blockNumber", [])).result, "0x1");
    ws.close();
    // Small requests still fit beside the stalled upload.
    assert.equal((await post(server.url, BLOCK_NUMBER, {})).json.result, "0x1");
    stalled.destroy();
    for (let i = 0; i < 100 && server.stats().inflightBodyBytes > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(server.stats().inflightBodyBytes, 0);
    assert.equal((await post(server.url, BLOCK_NUMBER + " ".repeat(30_000), {})).status, 200);
  });
});

describe("quantities are checked against their field widths", () => {
  let server: NodeServer;
  before(async () => {
    server = await startTestServer({ runtime: null });
  });
  after(() => server.close());

  const call = async (method: string, params: unknown[]) => (await rpc(server.url, { jsonrpc: "2.0", id: 1, method, params })).json;
  const hex = (n: bigint) => `0x${n.toString(16)}`;

  it("timestamps, nonces and gas limits past 64 bits answer -32602 and change nothing", async () => {
    const before = (await call("eth_getBlockByNumber", ["latest", false])).result.timestamp;
    for (const [method, params] of [
      ["evm_increaseTime", [hex(2n ** 112n)]],
      ["evm_setNextBlockTimestamp", [hex(2n ** 64n)]],
      ["evm_mine", [hex(2n ** 64n)]],
      ["evm_mine", [{ timestamp: hex(2n ** 64n), blocks: 1 }]],
      ["hardhat_setNonce", [server.node.accounts[0]!.address, hex(2n ** 64n)]],
      ["evm_setBlockGasLimit", [hex(2n ** 64n)]],
    ] as const) {
      const reply = await call(method, [...params]);
      assert.equal(reply.error?.code, -32602, `${method}: ${JSON.stringify(reply)}`);
      assert.match(reply.error.message, /64 bits/);
    }
    assert.equal(server.node.headNumber, 0n);
    assert.equal((await call("eth_getBlockByNumber", ["latest", false])).result.timestamp, before);
  });

  it("evm_increaseTime that would carry the next timestamp past 2^64 - 1 is refused; one that fits is kept", async () => {
    const refused = await call("evm_increaseTime", [hex(2n ** 64n - 1000n)]);
    assert.equal(refused.error?.code, -32602);
    assert.equal((await call("evm_increaseTime", [3600])).result, "3600");
  });

  it("an interval too long for setInterval is refused instead of becoming 1 ms", async () => {
    const reply = await call("evm_setIntervalMining", [hex(2n ** 40n)]);
    assert.equal(reply.error?.code, -32602);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(server.node.headNumber, 0n);
  });
});
