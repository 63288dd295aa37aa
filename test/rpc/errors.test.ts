// Bad input over HTTP and WebSocket: each gets the standard JSON-RPC error, and the node keeps serving.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { WebSocket } from "ws";
import type { NodeServer } from "../../src/rpc/server.ts";
import { MAX_BATCH_SIZE } from "../../src/rpc/handler.ts";
import { INVALID_PARAMS, InvalidParamsError, RpcError, toRpcError } from "../../src/rpc/errors.ts";
import { AivmError, ShapeMismatchError } from "../../src/engine/errors.ts";
import { rpc, startTestServer } from "./helpers.ts";

describe("JSON-RPC error handling", () => {
  let server: NodeServer;
  before(async () => {
    server = await startTestServer({ maxBodyBytes: 64 * 1024 });
  });
  after(async () => server.close());

  const stillServing = async () => {
    const { json } = await rpc(server.url, { jsonrpc: "2.0", id: 99, method: "eth_chainId", params: [] });
    assert.equal(json.result, "0x7a69");
  };

  it("declares each reply's length (no chunked encoding), including non-ASCII text", async () => {
    for (const body of [{ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }, { jsonrpc: "2.0", id: "é✓", method: "eth_nope", params: [] }]) {
      const res = await fetch(server.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      const bytes = new Uint8Array(await res.arrayBuffer());
      assert.equal(res.headers.get("transfer-encoding"), null);
      assert.equal(Number(res.headers.get("content-length")), bytes.length);
      assert.equal(JSON.parse(new TextDecoder().decode(bytes)).id, body.id);
    }
  });

  it("answers malformed JSON with -32700", async () => {
    const { status, json } = await rpc(server.url, '{"jsonrpc":"2.0", "id": 1, "method": ');
    assert.equal(status, 200);
    assert.equal(json.error.code, -32700);
    assert.equal(json.id, null);
    await stillServing();
  });

  it("answers a non-request with -32600", async () => {
    for (const body of ['"hello"', "42", '{"id":1}', '{"jsonrpc":"1.0","id":1,"method":"eth_chainId"}', "[]", '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":"x"}']) {
      const { json } = await rpc(server.url, body);
      assert.equal(json.error.code, -32600, body);
    }
    await stillServing();
  });

  it("answers an unknown method with -32601", async () => {
    const { json } = await rpc(server.url, { jsonrpc: "2.0", id: 7, method: "eth_doesNotExist", params: [] });
    assert.equal(json.error.code, -32601);
    assert.equal(json.id, 7);
    const proto = await rpc(server.url, { jsonrpc: "2.0", id: 8, method: "__proto__", params: [] });
    assert.equal(proto.json.error.code, -32601, "prototype keys are not methods");
    await stillServing();
  });

  it("answers bad params with -32602", async () => {
    const cases: [string, unknown][] = [
      ["eth_getBalance", ["0x1234"]],
      ["eth_getBalance", []],
      ["eth_getBlockByNumber", ["0xzz", false]],
      ["eth_getBlockByNumber", ["0x1000000", false, 3, 4]],
      ["eth_call", ["not an object"]],
      ["eth_call", [{ to: "0x" + "11".repeat(20), data: "0x123" }]],
      ["eth_getTransactionReceipt", ["0x12"]],
      ["eth_getLogs", [{ topics: [1, 2, 3, 4, 5] }]],
      ["eth_getBalance", { address: "0x" + "11".repeat(20) }],
      ["aivm_getTensor", ["0x1234"]],
    ];
    for (const [method, params] of cases) {
      const { json } = await rpc(server.url, { jsonrpc: "2.0", id: 1, method, params });
      assert.equal(json.error?.code, -32602, `${method} ${JSON.stringify(params)}`);
    }
    await stillServing();
  });

  it("rejects an oversized body with a JSON-RPC error and HTTP 413", async () => {
    const big = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_call", params: [{ data: "0x" + "ab".repeat(64 * 1024) }] });
    const { status, json } = await rpc(server.url, big);
    assert.equal(status, 413);
    assert.equal(json.error.code, -32005);
    await stillServing();
  });

  it("rejects an oversized chunked body (no content-length) once it passes the limit", async () => {
    const { request } = await import("node:http");
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(server.url, { method: "POST", headers: { "content-type": "application/json", "transfer-encoding": "chunked" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      // Writes after the server answered and closed may fail; only the answer counts.
      req.on("error", (error) => setTimeout(() => reject(error), 1000));
      req.write('{"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{"data":"0x');
      for (let i = 0; i < 64; i++) req.write("ab".repeat(4096));
      req.end('"}]}');
    });
    assert.equal(status, 413);
    await stillServing();
  });

  it("serves batches in order and limits their size", async () => {
    const { json } = await rpc(server.url, [
      { jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] },
      { jsonrpc: "2.0", id: 2, method: "nope", params: [] },
      { jsonrpc: "2.0", id: 3, method: "net_version", params: [] },
      { jsonrpc: "2.0", method: "eth_chainId", params: [] },
    ]);
    assert.equal(json.length, 3, "notifications get no response");
    assert.deepEqual(
      json.map((r: { id: number }) => r.id),
      [1, 2, 3],
    );
    assert.equal(json[1].error.code, -32601);
    assert.equal(json[2].result, "31337");
    const tooMany = Array.from({ length: MAX_BATCH_SIZE + 1 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "eth_chainId", params: [] }));
    const limited = await rpc(server.url, tooMany);
    assert.equal(limited.json.error.code, -32005);
    await stillServing();
  });

  it("maps a failed send to -32000 without mining anything", async () => {
    const before = server.node.headNumber;
    const { json } = await rpc(server.url, {
      jsonrpc: "2.0",
      id: 1,
      method: "eth_sendTransaction",
      params: [{ from: server.node.accounts[0]!.address, to: server.node.accounts[1]!.address, value: "0x1", nonce: "0x99" }],
    });
    assert.equal(json.error.code, -32000);
    assert.match(json.error.message, /Nonce too high/);
    const raw = await rpc(server.url, { jsonrpc: "2.0", id: 1, method: "eth_sendRawTransaction", params: ["0x02f8"] });
    assert.equal(raw.json.error.code, -32000);
    assert.equal(server.node.headNumber, before);
    await stillServing();
  });

  it("handles bad WebSocket frames and delivers newHeads, logs and newPendingTransactions subscriptions", async () => {
    const ws = new WebSocket(server.wsUrl);
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    const messages: any[] = [];
    const waiters: (() => void)[] = [];
    ws.on("message", (raw) => {
      messages.push(JSON.parse(raw.toString()));
      waiters.splice(0).forEach((w) => w());
    });
    const next = async (predicate: (m: any) => boolean) => {
      for (;;) {
        const found = messages.find(predicate);
        if (found) return found;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    };
    ws.send("{not json");
    assert.equal((await next((m) => m.error?.code === -32700)).error.code, -32700);
    ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_subscribe", params: ["newHeads"] }));
    const sub = (await next((m) => m.id === 1)).result as string;
    ws.send(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "eth_subscribe", params: ["logs", {}] }));
    const logsSub = (await next((m) => m.id === 2)).result as string;
    ws.send(JSON.stringify({ jsonrpc: "2.0", id: 3, method: "eth_subscribe", params: ["bogus"] }));
    assert.equal((await next((m) => m.id === 3)).error.code, -32602);
    await rpc(server.url, { jsonrpc: "2.0", id: 1, method: "evm_mine", params: [] });
    const head = await next((m) => m.method === "eth_subscription" && m.params.subscription === sub);
    assert.equal(BigInt(head.params.result.number), server.node.headNumber);
    assert.equal(logsSub.startsWith("0x"), true);
    ws.send(JSON.stringify({ jsonrpc: "2.0", id: 4, method: "eth_unsubscribe", params: [sub] }));
    assert.equal((await next((m) => m.id === 4)).result, true);
    ws.send(JSON.stringify({ jsonrpc: "2.0", id: 5, method: "eth_subscribe", params: ["newPendingTransactions"] }));
    const pendingSub = (await next((m) => m.id === 5)).result as string;
    const [from] = (await rpc(server.url, { jsonrpc: "2.0", id: 1, method: "eth_accounts", params: [] })).json.result;
    const sent = await rpc(server.url, { jsonrpc: "2.0", id: 1, method: "eth_sendTransaction", params: [{ from, to: "0x00000000000000000000000000000000000000aa", value: "0x1" }] });
    const pending = await next((m) => m.method === "eth_subscription" && m.params.subscription === pendingSub);
    assert.equal(pending.params.result, sent.json.result);
    ws.close();
    await stillServing();
  });
});

describe("RpcError", () => {
  it("is an AivmError whose JSON carries the JSON-RPC code and the short message", () => {
    const error = new InvalidParamsError("Parameter 0 must be a block tag.");
    assert.ok(error instanceof RpcError && error instanceof AivmError);
    assert.equal(error.code, "INVALID_PARAMS");
    assert.match(error.message, /^Parameter 0 must be a block tag\.\n.*Docs: docs\/node\.md#errors/s);
    assert.deepEqual(error.toJSON(), { code: INVALID_PARAMS, message: "Parameter 0 must be a block tag." });
    assert.equal(toRpcError(error), error, "an RpcError is answered as it is");
  });

  it("maps an engine AivmError to invalid params with its AIVM code and docs path", () => {
    const json = toRpcError(new ShapeMismatchError("matmul", "b", [4, 3], [5, 3])).toJSON();
    assert.equal(json.code, INVALID_PARAMS);
    assert.deepEqual(json.data, { code: "SHAPE_MISMATCH", docsPath: "spec.md#shapes" });
  });
});
