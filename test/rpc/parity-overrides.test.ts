// eth_call state overrides (issue 15): the third parameter's balance, nonce, code, state and
// stateDiff apply to that call only; unsupported fields are refused instead of ignored.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createPublicClient, getContractAddress, http, pad, type Address, type Hex } from "viem";
import { aivmChainAt } from "../../src/viem/index.ts";
import type { NodeServer } from "../../src/rpc/server.ts";
import { rpc, startTestServer } from "./helpers.ts";

const AT: Address = "0x00000000000000000000000000000000000000aa";
/** Returns sload(0): PUSH0 SLOAD PUSH0 MSTORE PUSH1 32 PUSH0 RETURN. */
const SLOAD0: Hex = "0x5f545f5260205ff3";
/** Returns selfbalance(). */
const SELFBALANCE: Hex = "0x475f5260205ff3";
const slot0 = pad("0x0");
const slot1 = pad("0x1");

describe("eth_call state overrides", () => {
  let server: NodeServer;
  let client: ReturnType<typeof createPublicClient>;
  const raw = (params: unknown[]) => rpc(server.url, { jsonrpc: "2.0", id: 1, method: "eth_call", params }).then((r) => r.json);

  before(async () => {
    server = await startTestServer();
    client = createPublicClient({ chain: aivmChainAt(server.url), transport: http(server.url) });
    await server.node.setCode(AT, SLOAD0);
    await server.node.setStorageAt(AT, slot0, pad("0x7"));
    await server.node.setStorageAt(AT, slot1, pad("0x9"));
  });
  after(async () => server.close());

  it("code and balance overrides (viem stateOverride) run for the call only", async () => {
    const { data } = await client.call({ to: AT, stateOverride: [{ address: AT, code: SELFBALANCE, balance: 12345n }] });
    assert.equal(BigInt(data!), 12345n);
    assert.equal(await client.getCode({ address: AT }), SLOAD0, "the override did not stick");
    assert.equal(await client.getBalance({ address: AT }), 0n);
  });

  it("stateDiff edits one slot; state replaces all storage", async () => {
    const diff = await client.call({ to: AT, stateOverride: [{ address: AT, stateDiff: [{ slot: slot0, value: pad("0x2a") }] }] });
    assert.equal(BigInt(diff.data!), 42n);
    // Replace all storage with only slot 1 set: slot 0 reads zero.
    const code1 = "0x6001545f5260205ff3" as Hex; // sload(1)
    const replaced = await raw([{ to: AT }, "latest", { [AT]: { state: { [slot1]: pad("0x5") } } }]);
    assert.equal(BigInt(replaced.result), 0n);
    const withCode = await raw([{ to: AT }, "latest", { [AT]: { code: code1, state: { [slot1]: pad("0x5") } } }]);
    assert.equal(BigInt(withCode.result), 5n);
    assert.equal(BigInt((await raw([{ to: AT }, "latest"])).result), 7n, "storage is back after the call");
  });

  it("a nonce override moves the address CREATE gives", async () => {
    // PUSH0 PUSH0 PUSH0 CREATE PUSH0 MSTORE PUSH1 32 PUSH0 RETURN: returns the new contract's address.
    const creator = "0x5f5f5ff05f5260205ff3" as Hex;
    const created = await raw([{ to: AT }, "latest", { [AT]: { code: creator, nonce: "0x05" } }]);
    assert.equal(`0x${created.result.slice(26)}`, getContractAddress({ from: AT, nonce: 5n }).toLowerCase());
  });

  it("eth_estimateGas applies the overrides too", async () => {
    // 0xfe (INVALID) fails at any gas; with a STOP override the estimate succeeds.
    await server.node.setCode("0x00000000000000000000000000000000000000bb", "0xfe");
    const est = (params: unknown[]) => rpc(server.url, { jsonrpc: "2.0", id: 1, method: "eth_estimateGas", params }).then((r) => r.json);
    assert.ok((await est([{ to: "0x00000000000000000000000000000000000000bb" }])).error);
    const ok = await est([{ to: "0x00000000000000000000000000000000000000bb" }, "latest", { "0x00000000000000000000000000000000000000bb": { code: "0x00" } }]);
    assert.equal(BigInt(ok.result), 21_000n);
  });

  it("refuses unsupported fields and state with stateDiff, naming them", async () => {
    const moved = await raw([{ to: AT }, "latest", { [AT]: { movePrecompileToAddress: AT } }]);
    assert.equal(moved.error.code, -32602);
    assert.match(moved.error.message, /movePrecompileToAddress/);
    const both = await raw([{ to: AT }, "latest", { [AT]: { state: {}, stateDiff: {} } }]);
    assert.equal(both.error.code, -32602);
    assert.match(both.error.message, /not both/);
  });
});
