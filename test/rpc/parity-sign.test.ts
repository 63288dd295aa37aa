// Signing with the dev accounts (issue 15): viem's signMessage and signTypedData through a JSON-RPC
// account reach eth_sign/personal_sign/eth_signTypedData_v4, and viem's verifiers accept the result.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createPublicClient, createWalletClient, http, verifyMessage, verifyTypedData, type Address } from "viem";
import { aivmChainAt } from "../../src/viem/index.ts";
import type { NodeServer } from "../../src/rpc/server.ts";
import { rpc, startTestServer } from "./helpers.ts";

const permit = {
  domain: { name: "Token", version: "1", chainId: 0, verifyingContract: "0x00000000000000000000000000000000000000aa" as Address },
  types: {
    Permit: [
      { name: "owner", type: "address" },
      { name: "spender", type: "address" },
      { name: "value", type: "uint256" },
      { name: "nonce", type: "uint256" },
      { name: "deadline", type: "uint256" },
    ],
  },
  primaryType: "Permit" as const,
};

describe("eth_sign, personal_sign and eth_signTypedData_v4 with dev accounts", () => {
  let server: NodeServer;
  let account: Address;
  let wallet: ReturnType<typeof createWalletClient>;

  before(async () => {
    server = await startTestServer();
    account = server.node.accounts[1]!.address as Address;
    wallet = createWalletClient({ chain: aivmChainAt(server.url), transport: http(server.url) });
    permit.domain.chainId = Number(server.node.chainId);
  });
  after(async () => server.close());

  it("signMessage (personal_sign) verifies for a text and a raw message", async () => {
    for (const message of ["hello aivm", { raw: "0x00ff10" as const }]) {
      const signature = await wallet.signMessage({ account, message });
      assert.equal(await verifyMessage({ address: account, message, signature }), true);
      assert.equal(await verifyMessage({ address: server.node.accounts[0]!.address as Address, message, signature }), false);
    }
  });

  it("eth_sign signs the same EIP-191 message as personal_sign, with the params the other way round", async () => {
    const a = await rpc(server.url, { jsonrpc: "2.0", id: 1, method: "eth_sign", params: [account, "0xdeadbeef"] });
    const b = await rpc(server.url, { jsonrpc: "2.0", id: 2, method: "personal_sign", params: ["0xdeadbeef", account] });
    assert.equal(a.json.result, b.json.result);
    assert.equal(await verifyMessage({ address: account, message: { raw: "0xdeadbeef" }, signature: a.json.result }), true);
  });

  it("signTypedData (eth_signTypedData_v4) of a permit verifies, and a changed value does not", async () => {
    const message = { owner: account, spender: "0x00000000000000000000000000000000000000bb" as Address, value: 10n ** 18n, nonce: 0n, deadline: 2n ** 255n };
    const signature = await wallet.signTypedData({ account, ...permit, message });
    assert.equal(await verifyTypedData({ address: account, ...permit, message, signature }), true);
    assert.equal(await verifyTypedData({ address: account, ...permit, message: { ...message, value: 1n }, signature }), false);
    const client = createPublicClient({ transport: http(server.url) });
    assert.equal(await client.verifyTypedData({ address: account, ...permit, message, signature }), true);
  });

  it("refuses an address that is not a dev account, and malformed typed data, with an error", async () => {
    const stranger = "0x000000000000000000000000000000000000dead";
    const a = await rpc(server.url, { jsonrpc: "2.0", id: 1, method: "personal_sign", params: ["0x01", stranger] });
    assert.equal(a.json.error.code, -32000);
    assert.match(a.json.error.message, /Unknown account/);
    const b = await rpc(server.url, { jsonrpc: "2.0", id: 2, method: "eth_signTypedData_v4", params: [account, "{not json"] });
    assert.equal(b.json.error.code, -32602);
    const c = await rpc(server.url, { jsonrpc: "2.0", id: 3, method: "eth_signTypedData_v4", params: [account, { types: {}, primaryType: "Nope", message: {} }] });
    assert.equal(c.json.error.code, -32602);
  });
});
