// Blocks past the head (issue 15): lookups answer null and eth_getLogs stops at the head, as on
// Hardhat's node, instead of refusing the request.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createPublicClient, http, type Address } from "viem";
import { aivmChainAt } from "../../src/viem/index.ts";
import type { NodeServer } from "../../src/rpc/server.ts";
import { rpc, startTestServer } from "./helpers.ts";

const LOGGER: Address = "0x00000000000000000000000000000000000000aa";

describe("blocks past the head", () => {
  let server: NodeServer;
  const call = (method: string, params: unknown[]) => rpc(server.url, { jsonrpc: "2.0", id: 1, method, params }).then((r) => r.json);

  before(async () => {
    server = await startTestServer();
    await server.node.setCode(LOGGER, "0x5f5fa0"); // PUSH0 PUSH0 LOG0
    await server.node.sendTransaction({ from: server.node.accounts[0]!.address, to: LOGGER, gas: 50_000n });
  });
  after(async () => server.close());

  it("eth_getBlockByNumber, the count and index lookups and eth_getBlockReceipts answer null", async () => {
    const future = `0x${(server.node.headNumber + 5n).toString(16)}`;
    for (const [method, params] of [
      ["eth_getBlockByNumber", [future, false]],
      ["eth_getBlockTransactionCountByNumber", [future]],
      ["eth_getTransactionByBlockNumberAndIndex", [future, "0x0"]],
      ["eth_getBlockReceipts", [future]],
    ] as const) {
      const res = await call(method, [...params]);
      assert.equal(res.error, undefined, `${method}: ${JSON.stringify(res.error)}`);
      assert.equal(res.result, null, method);
    }
    const client = createPublicClient({ chain: aivmChainAt(server.url), transport: http(server.url) });
    await assert.rejects(client.getBlock({ blockNumber: server.node.headNumber + 1n }), /could not be found/);
  });

  it("eth_getLogs clamps toBlock past the head; a range wholly past the head is empty", async () => {
    const logs = await call("eth_getLogs", [{ fromBlock: "0x0", toBlock: "0xffffffff", address: LOGGER }]);
    assert.equal(logs.error, undefined, JSON.stringify(logs.error));
    assert.equal(logs.result.length, 1);
    const client = createPublicClient({ chain: aivmChainAt(server.url), transport: http(server.url) });
    assert.equal((await client.getLogs({ address: LOGGER, fromBlock: 0n, toBlock: server.node.headNumber + 100n })).length, 1);
    const empty = await call("eth_getLogs", [{ fromBlock: "0x1000", toBlock: "0x2000" }]);
    assert.deepEqual(empty.result, []);
  });

  it("state reads at a block past the head are still refused, with Hardhat's code and message", async () => {
    const res = await call("eth_getBalance", [LOGGER, "0x1000"]);
    assert.equal(res.error.code, -32000);
    assert.equal(res.error.message, `Received invalid block tag 4096. Latest block number is ${server.node.headNumber}`);
  });
});
