// How the plugin turns AIVM provider outcomes into Hardhat JSON-RPC responses, and which client
// versions it rewrites for Hardhat's network helpers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { answerWith, clientVersionForHardhat, lazyAivmProvider } from "../../src/hardhat/provider-bridge.ts";
import { isInProcessUrl, AIVM_IN_PROCESS_URL } from "../../src/hardhat/in-process.ts";
import type { AivmProvider } from "../../src/rpc/provider.ts";

function fakeProvider(request: AivmProvider["request"]): AivmProvider {
  return { request, on: () => fake, removeListener: () => fake, node: undefined as never, close: async () => {} } as AivmProvider;
}
const fake = fakeProvider(async () => null);

test("a result becomes a JSON-RPC success with the request's id; undefined becomes null", async () => {
  const ok = await answerWith(fakeProvider(async ({ method }) => `got ${method}`), { jsonrpc: "2.0", id: 7, method: "eth_chainId" });
  assert.deepEqual(ok, { jsonrpc: "2.0", id: 7, result: "got eth_chainId" });
  const nil = await answerWith(fakeProvider(async () => undefined), { jsonrpc: "2.0", id: "a", method: "eth_x" });
  assert.deepEqual(nil, { jsonrpc: "2.0", id: "a", result: null });
});

test("a revert keeps code 3 and its revert data, so viem can decode the custom error", async () => {
  const revert = Object.assign(new Error("execution reverted"), { code: 3, data: "0x2bd18f0d" });
  const res = await answerWith(fakeProvider(async () => {
    throw revert;
  }), { jsonrpc: "2.0", id: 1, method: "eth_call", params: [] });
  assert.deepEqual(res, { jsonrpc: "2.0", id: 1, error: { code: 3, message: "execution reverted", data: "0x2bd18f0d" } });
  const plain = await answerWith(fakeProvider(async () => {
    throw new Error("boom");
  }), { jsonrpc: "2.0", id: 2, method: "eth_call" });
  assert.deepEqual(plain, { jsonrpc: "2.0", id: 2, error: { code: -32603, message: "boom" } });
});

test("only an AIVM node's client version is rewritten to pass the network helpers' check", () => {
  assert.deepEqual(clientVersionForHardhat({ jsonrpc: "2.0", id: 1, result: "aivm/0.1.0" }), { jsonrpc: "2.0", id: 1, result: "HardhatNetwork/aivm/0.1.0" });
  const other = { jsonrpc: "2.0" as const, id: 1, result: "Geth/v1.14" };
  assert.deepEqual(clientVersionForHardhat(other), other);
  const err = { jsonrpc: "2.0" as const, id: 1, error: { code: -32601, message: "nope" } };
  assert.deepEqual(clientVersionForHardhat(err), err);
});

test("the lazy provider creates nothing until asked and refuses requests after close", async () => {
  const lazy = lazyAivmProvider();
  await lazy.close(); // never created: nothing to close
  await assert.rejects(lazy.get(), /closed/);
});

test("the in-process marker URL is recognised with or without its trailing slash, and nothing else", () => {
  assert.ok(isInProcessUrl(AIVM_IN_PROCESS_URL));
  assert.ok(isInProcessUrl(AIVM_IN_PROCESS_URL.slice(0, -1)));
  assert.ok(!isInProcessUrl("http://127.0.0.1:8545"));
});

test("the config hook adds the aivm network, but never over a user's own `aivm` entry", async () => {
  const { default: factory } = await import("../../src/hardhat/hook-handlers/config.ts");
  const hooks = await factory();
  const identity = async (c: object) => c;
  const added = (await hooks.extendUserConfig!({ networks: { other: { type: "http", url: "http://x" } } }, identity)) as { networks: Record<string, { url?: string }> };
  assert.equal(added.networks.aivm?.url, AIVM_IN_PROCESS_URL);
  assert.equal(added.networks.other?.url, "http://x");
  const own = { networks: { aivm: { type: "http" as const, url: "http://127.0.0.1:9999" } } };
  assert.deepEqual(await hooks.extendUserConfig!(own, identity), own);
});
