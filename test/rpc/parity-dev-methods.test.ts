// Dev-method parity with Hardhat's node (issue 15): hardhat_mine's interval, eth_coinbase after
// hardhat_setCoinbase, gasPrice transactions stay legacy, and wrong-chain errors read cleanly.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createWalletClient, http, type Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { aivmChainAt } from "../../src/viem/index.ts";
import type { NodeServer } from "../../src/rpc/server.ts";
import { rpc, startTestServer } from "./helpers.ts";

const TO: Address = "0x00000000000000000000000000000000000000cc";

describe("dev methods as on Hardhat's node", () => {
  let server: NodeServer;
  let from: Address;
  const call = (method: string, params: unknown[]) => rpc(server.url, { jsonrpc: "2.0", id: 1, method, params }).then((r) => r.json);

  before(async () => {
    server = await startTestServer();
    from = server.node.accounts[0]!.address as Address;
  });
  after(async () => server.close());

  it("hardhat_mine(n, interval) spaces the blocks after the first by the interval", async () => {
    const head = server.node.headNumber;
    assert.equal((await call("hardhat_mine", ["0x4", "0x3c"])).result, true);
    assert.equal(server.node.headNumber, head + 4n);
    const times = [1n, 2n, 3n, 4n].map((i) => server.node.blockByNumber(head + i)!.block.header.timestamp);
    assert.deepEqual([times[1]! - times[0]!, times[2]! - times[1]!, times[3]! - times[2]!], [60n, 60n, 60n]);
    assert.equal((await call("hardhat_mine", ["0x2", "0x0"])).error.code, -32602);
  });

  it("eth_coinbase follows hardhat_setCoinbase", async () => {
    const coinbase = "0x00000000000000000000000000000000000000ee";
    assert.equal((await call("hardhat_setCoinbase", [coinbase])).result, true);
    assert.equal((await call("eth_coinbase", [])).result, coinbase);
  });

  it("a gasPrice transaction is type 0 (type 1 with an access list), a maxFeePerGas one type 2", async () => {
    const gasPrice = `0x${(server.node.nextBaseFee() * 2n).toString(16)}`;
    const typeOf = async (tx: Record<string, unknown>) => {
      const sent = await call("eth_sendTransaction", [{ from, to: TO, ...tx }]);
      assert.equal(sent.error, undefined, JSON.stringify(sent.error));
      const got = (await call("eth_getTransactionByHash", [sent.result])).result;
      return { type: got.type, gasPrice: got.gasPrice, maxFeePerGas: got.maxFeePerGas };
    };
    const legacy = await typeOf({ gasPrice });
    assert.equal(legacy.type, "0x0");
    assert.equal(legacy.gasPrice, gasPrice);
    assert.equal(legacy.maxFeePerGas, undefined);
    assert.equal((await typeOf({ gasPrice, accessList: [{ address: TO, storageKeys: [] }] })).type, "0x1");
    assert.equal((await typeOf({ maxFeePerGas: gasPrice })).type, "0x2");
    const cheap = await call("eth_sendTransaction", [{ from, to: TO, gasPrice: "0x1", gas: "0x5208" }]);
    assert.match(cheap.error.message, /gasPrice 1 is below the next base fee/);
    // An impersonated sender (no key) gets a legacy transaction too.
    const impersonated = "0x00000000000000000000000000000000000000dd";
    await call("hardhat_setBalance", [impersonated, "0xde0b6b3a7640000"]);
    await call("hardhat_impersonateAccount", [impersonated]);
    const fromImpersonated = await call("eth_sendTransaction", [{ from: impersonated, to: TO, gasPrice }]);
    assert.equal(fromImpersonated.error, undefined, JSON.stringify(fromImpersonated.error));
    assert.equal((await call("eth_getTransactionByHash", [fromImpersonated.result])).result.type, "0x0");
    // viem's legacy path through a JSON-RPC account.
    const wallet = createWalletClient({ chain: aivmChainAt(server.url), transport: http(server.url), account: from });
    const hash = await wallet.sendTransaction({ to: TO, gasPrice: BigInt(gasPrice), type: "legacy" });
    assert.equal((await call("eth_getTransactionByHash", [hash])).result.type, "0x0");
  });

  it("a wrong chain id is refused with Hardhat's code and message, which hold no source code", async () => {
    const sent = await call("eth_sendTransaction", [{ from, to: TO, chainId: "0x1" }]);
    assert.equal(sent.error.code, -32602);
    assert.equal(sent.error.message, `Invalid chainId 1 provided, expected ${server.node.chainId} instead.`);
    const account = privateKeyToAccount(server.node.accounts[2]!.privateKey);
    for (const raw of [
      await account.signTransaction({ chainId: 1, to: TO, gas: 21_000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 1n, nonce: 0 }),
      await account.signTransaction({ chainId: 1, to: TO, gas: 21_000n, gasPrice: 10n ** 10n, nonce: 0, type: "legacy" }),
    ]) {
      const res = await call("eth_sendRawTransaction", [raw]);
      assert.equal(res.error.code, -32602);
      assert.equal(res.error.message, `Trying to send a raw transaction with an invalid chainId. The expected chainId is ${server.node.chainId}`);
      assert.doesNotMatch(res.error.message, /return|=>|\{/);
    }
  });
});
