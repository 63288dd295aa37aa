// eth_createAccessList (issue 15): the addresses and slots a call touches, and the gas a
// transaction carrying that list uses.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createPublicClient, createWalletClient, http, pad, type Address } from "viem";
import { aivmChainAt } from "../../src/viem/index.ts";
import type { NodeServer } from "../../src/rpc/server.ts";
import { rpc, startTestServer } from "./helpers.ts";

const AT: Address = "0x00000000000000000000000000000000000000aa";
const OTHER: Address = "0x00000000000000000000000000000000000000bb";
/** PUSH0 SLOAD POP PUSH20 OTHER BALANCE POP STOP: reads its slot 0 and OTHER's balance. */
const CODE = `0x5f545073${OTHER.slice(2)}315000` as const;

describe("eth_createAccessList", () => {
  let server: NodeServer;

  before(async () => {
    server = await startTestServer();
    await server.node.setCode(AT, CODE);
  });
  after(async () => server.close());

  it("lists the touched slot and account; a transaction with the list uses the reported gas", async () => {
    const chain = aivmChainAt(server.url);
    const client = createPublicClient({ chain, transport: http(server.url) });
    const from = server.node.accounts[0]!.address as Address;
    const { accessList, gasUsed } = await client.createAccessList({ account: from, to: AT });
    const byAddress = new Map(accessList.map((e) => [e.address.toLowerCase(), e.storageKeys]));
    assert.deepEqual(byAddress.get(AT), [pad("0x0")]);
    assert.deepEqual(byAddress.get(OTHER), []);
    assert.equal(byAddress.has(from.toLowerCase()), false, "the sender is warm anyway");
    const wallet = createWalletClient({ chain, transport: http(server.url), account: from });
    const hash = await wallet.sendTransaction({ to: AT, accessList, gas: gasUsed });
    const receipt = await client.getTransactionReceipt({ hash });
    assert.equal(receipt.status, "success");
    assert.equal(receipt.gasUsed, gasUsed);
  });

  it("a reverting request answers code 3", async () => {
    await server.node.setCode(OTHER, "0x5f5ffd");
    const res = await rpc(server.url, { jsonrpc: "2.0", id: 1, method: "eth_createAccessList", params: [{ to: OTHER }] });
    assert.equal(res.json.error.code, 3);
  });
});
