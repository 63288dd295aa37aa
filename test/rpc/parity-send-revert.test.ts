// A failing eth_sendTransaction with an explicit gas limit (issue 15): Hardhat's node mines it and
// answers code 3 with the return data, so viem's writeContract({ gas }) rejects instead of resolving.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { BaseError, ContractFunctionRevertedError, createWalletClient, http, parseAbi, toFunctionSelector, type Address, type Hex } from "viem";
import { aivmChainAt } from "../../src/viem/index.ts";
import type { NodeServer } from "../../src/rpc/server.ts";
import { rpc, startTestServer } from "./helpers.ts";

const REVERTS: Address = "0x00000000000000000000000000000000000000aa";
const INVALID: Address = "0x00000000000000000000000000000000000000ab";
const abi = parseAbi(["function poke()", "error Nope()"]);
const nope = toFunctionSelector("Nope()");
/** PUSH4 Nope() PUSH0 MSTORE PUSH1 4 PUSH1 28 REVERT: reverts with the custom error Nope(). */
const revertsWithNope = `0x63${nope.slice(2)}5f526004601cfd` as Hex;

describe("eth_sendTransaction that fails with an explicit gas limit", () => {
  let server: NodeServer;
  let from: Address;

  before(async () => {
    server = await startTestServer();
    from = server.node.accounts[0]!.address as Address;
    await server.node.setCode(REVERTS, revertsWithNope);
    await server.node.setCode(INVALID, "0xfe");
  });
  after(async () => server.close());

  it("viem writeContract({ gas }) rejects with the decoded custom error; the transaction is mined with status 0", async () => {
    const wallet = createWalletClient({ chain: aivmChainAt(server.url), transport: http(server.url), account: from });
    const head = server.node.headNumber;
    const error = await wallet.writeContract({ address: REVERTS, abi, functionName: "poke", gas: 100_000n }).then(
      () => assert.fail("writeContract resolved"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof BaseError);
    const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
    assert.ok(reverted instanceof ContractFunctionRevertedError, String(error));
    assert.equal(reverted.data?.errorName, "Nope");
    assert.equal(server.node.headNumber, head + 1n, "mined, as on Hardhat's node");
    const block = server.node.blockByNumber(server.node.headNumber)!;
    assert.equal(block.record.txs[0]!.status, 0);
  });

  it("raw JSON-RPC: code 3 with the revert data; an invalid opcode gives code 3 and data 0x", async () => {
    const send = (to: Address) => rpc(server.url, { jsonrpc: "2.0", id: 1, method: "eth_sendTransaction", params: [{ from, to, gas: "0x30000" }] }).then((r) => r.json);
    const reverted = await send(REVERTS);
    assert.equal(reverted.error.code, 3);
    assert.equal(reverted.error.data, nope);
    const invalid = await send(INVALID);
    assert.equal(invalid.error.code, 3);
    assert.equal(invalid.error.data, "0x");
    assert.match(invalid.error.message, /invalid opcode/);
  });

  it("a successful send with an explicit gas limit still returns its hash", async () => {
    const ok = await rpc(server.url, { jsonrpc: "2.0", id: 1, method: "eth_sendTransaction", params: [{ from, to: "0x00000000000000000000000000000000000000cc", gas: "0x5208" }] });
    assert.match(ok.json.result, /^0x[0-9a-f]{64}$/);
  });
});
