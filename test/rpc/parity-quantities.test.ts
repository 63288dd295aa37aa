// Quantities with leading zeros (issue 15): Hardhat's node accepts them, so a mapping slot whose
// keccak starts with a zero nibble (1 in 16) must not fail; the 64-bit width checks still hold.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { encodeAbiParameters, keccak256 } from "viem";
import type { NodeServer } from "../../src/rpc/server.ts";
import { rpc, startTestServer } from "./helpers.ts";

const WHO = "0x00000000000000000000000000000000000000aa";

describe("quantities with leading zeros", () => {
  let server: NodeServer;
  let id = 0;
  const call = (method: string, params: unknown[]) => rpc(server.url, { jsonrpc: "2.0", id: ++id, method, params }).then((r) => r.json);

  before(async () => {
    server = await startTestServer();
  });
  after(async () => server.close());

  it("hardhat_setStorageAt takes a 32-byte slot that starts with 0 (a mapping slot)", async () => {
    // Find a mapping key whose slot hash starts with a zero nibble, as 1 in 16 do.
    let slot = "0x" as `0x${string}`;
    for (let k = 0n; !slot.startsWith("0x0"); k++) slot = keccak256(encodeAbiParameters([{ type: "uint256" }, { type: "uint256" }], [k, 0n]));
    const word = `0x${"00".repeat(31)}2a`;
    const set = await call("hardhat_setStorageAt", [WHO, slot, word]);
    assert.equal(set.result, true, JSON.stringify(set.error));
    assert.equal((await call("eth_getStorageAt", [WHO, slot, "latest"])).result, word);
  });

  it("hardhat_setBalance(\"0x0de0…\") and hardhat_setNonce(\"0x01\")", async () => {
    assert.equal((await call("hardhat_setBalance", [WHO, "0x0de0b6b3a7640000"])).result, true);
    assert.equal(BigInt((await call("eth_getBalance", [WHO, "latest"])).result), 10n ** 18n);
    assert.equal((await call("hardhat_setNonce", [WHO, "0x01"])).result, true);
    assert.equal((await call("eth_getTransactionCount", [WHO, "latest"])).result, "0x1");
  });

  it("still refuses a nonce past 64 bits, empty hex and a quantity wider than 32 bytes", async () => {
    assert.equal((await call("hardhat_setNonce", [WHO, `0x0${"f".repeat(17)}`])).error.code, -32602);
    assert.equal((await call("hardhat_setBalance", [WHO, "0x"])).error.code, -32602);
    assert.equal((await call("hardhat_setBalance", [WHO, `0x${"0".repeat(65)}1`])).error.code, -32602);
  });
});
