// anvil_* aliases (issue 15): viem's test client in "anvil" mode drives the node's dev methods.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createPublicClient, createTestClient, createWalletClient, http, pad, type Address } from "viem";
import { aivmChainAt } from "../../src/viem/index.ts";
import type { NodeServer } from "../../src/rpc/server.ts";
import { rpc, startTestServer } from "./helpers.ts";

const WHO: Address = "0x00000000000000000000000000000000000000aa";

describe("anvil_* aliases of the hardhat_* dev methods", () => {
  let server: NodeServer;
  let test: ReturnType<typeof createTestClient>;
  let client: ReturnType<typeof createPublicClient>;

  before(async () => {
    server = await startTestServer();
    const chain = aivmChainAt(server.url);
    test = createTestClient({ chain, mode: "anvil", transport: http(server.url) });
    client = createPublicClient({ chain, transport: http(server.url), cacheTime: 0 });
  });
  after(async () => server.close());

  it("setBalance, setCode, setNonce, setStorageAt and mine", async () => {
    await test.setBalance({ address: WHO, value: 10n ** 18n });
    await test.setCode({ address: WHO, bytecode: "0x5f545f5260205ff3" });
    await test.setNonce({ address: WHO, nonce: 7 });
    await test.setStorageAt({ address: WHO, index: 0, value: pad("0x2a") });
    assert.equal(await client.getBalance({ address: WHO }), 10n ** 18n);
    assert.equal(await client.getCode({ address: WHO }), "0x5f545f5260205ff3");
    assert.equal(await client.getTransactionCount({ address: WHO }), 7);
    assert.equal(BigInt((await client.call({ to: WHO })).data!), 42n);
    const head = await client.getBlockNumber();
    await test.mine({ blocks: 3, interval: 10 });
    assert.equal(await client.getBlockNumber(), head + 3n);
    const [a, b] = await Promise.all([client.getBlock({ blockNumber: head + 2n }), client.getBlock({ blockNumber: head + 3n })]);
    assert.equal(b.timestamp - a.timestamp, 10n);
  });

  it("impersonateAccount lets an address send, stopImpersonatingAccount ends it; getAutomine answers", async () => {
    const rich = "0x00000000000000000000000000000000000000bb" as Address;
    await test.setBalance({ address: rich, value: 10n ** 18n });
    await test.impersonateAccount({ address: rich });
    const wallet = createWalletClient({ chain: aivmChainAt(server.url), transport: http(server.url), account: rich });
    const hash = await wallet.sendTransaction({ to: WHO, value: 1n });
    assert.equal((await client.getTransactionReceipt({ hash })).from, rich);
    await test.stopImpersonatingAccount({ address: rich });
    await assert.rejects(wallet.sendTransaction({ to: WHO, value: 1n, gas: 21_000n }), /Unknown account/);
    assert.equal(await test.getAutomine(), true);
    const coinbase = "0x00000000000000000000000000000000000000ee";
    assert.equal((await rpc(server.url, { jsonrpc: "2.0", id: 1, method: "anvil_setCoinbase", params: [coinbase] })).json.result, true);
    assert.equal((await rpc(server.url, { jsonrpc: "2.0", id: 2, method: "eth_coinbase", params: [] })).json.result, coinbase);
  });
});
