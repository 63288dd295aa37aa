// Differences from Hardhat's node that the differential test (hardhat-differential.test.ts) found
// and the node now matches (issue 15), each pinned on its own against `aivm node` alone.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { encodeFunctionData, parseAbi, toHex, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { NodeServer } from "../../src/rpc/server.ts";
import { rpc, startTestServer } from "./helpers.ts";

const STORE: Address = "0x00000000000000000000000000000000000000aa";
/** Runtime code: CALLDATALOAD(4) SSTORE at slot 0, or returns slot 0 when called without data. */
const storeCode: Hex = "0x36600f5760005460005260206000f35b60043560005500";
const abi = parseAbi(["function set(uint256)"]);

describe("parity with Hardhat's node (found by the differential test)", () => {
  let server: NodeServer;
  const call = async (method: string, params: unknown[] = []) => (await rpc(server.url, { jsonrpc: "2.0", id: 1, method, params })).json;

  before(async () => {
    server = await startTestServer();
    await server.node.setCode(STORE, storeCode);
  });
  after(async () => server.close());

  it("serves Hardhat's 20 dev accounts and its default coinbase", async () => {
    const accounts = (await call("eth_accounts")).result as string[];
    assert.equal(accounts.length, 20);
    assert.equal(accounts[19], "0x8626f6940e2eb28930efb4cef49b2d1f2c9c1199");
    assert.equal((await call("eth_coinbase")).result, "0xc014ba5ec014ba5ec014ba5ec014ba5ec014ba5e");
    assert.equal((await call("eth_getBalance", [accounts[19], "latest"])).result, toHex(10_000n * 10n ** 18n));
  });

  it("hardhat_setNonce refuses to lower a nonce, with Hardhat's message", async () => {
    const who = "0x00000000000000000000000000000000000000bb";
    assert.equal((await call("hardhat_setNonce", [who, "0x5"])).result, true);
    const refused = await call("hardhat_setNonce", [who, "0x2"]);
    assert.equal(refused.error.code, -32000);
    assert.match(refused.error.message, /New nonce \(2\) must not be smaller than the existing nonce \(5\)/);
  });

  it("evm_mine, evm_setNextBlockTimestamp and evm_increaseTime answer as Hardhat's node does", async () => {
    const head = BigInt((await call("eth_getBlockByNumber", ["latest", false])).result.timestamp);
    assert.equal((await call("evm_setNextBlockTimestamp", [toHex(head + 100n)])).result, (head + 100n).toString());
    assert.equal((await call("evm_mine")).result, "0");
    assert.equal(typeof (await call("evm_increaseTime", [10])).result, "string");
    const past = await call("evm_setNextBlockTimestamp", [toHex(head)]);
    assert.match(past.error.message, /is lower than the previous block's timestamp/);
  });

  it("a raw transaction for another chain: -32602 with Hardhat's message", async () => {
    const signer = privateKeyToAccount(server.node.accounts[3]!.privateKey);
    const raw = await signer.signTransaction({ chainId: 1, type: "eip1559", nonce: 0, to: STORE, gas: 50_000n, maxFeePerGas: 2_000_000_000n, maxPriorityFeePerGas: 1n });
    const refused = await call("eth_sendRawTransaction", [raw]);
    assert.equal(refused.error.code, -32602);
    assert.equal(refused.error.message, "Trying to send a raw transaction with an invalid chainId. The expected chainId is 31337");
  });

  it("eth_sendTransaction with an authorizationList sends type 4 and delegates; the transaction carries the list", async () => {
    const authority = privateKeyToAccount(server.node.accounts[7]!.privateKey);
    const auth = await authority.signAuthorization({ chainId: 31337, address: STORE, nonce: 0 });
    const authorizationList = [{ chainId: toHex(auth.chainId), address: auth.address, nonce: toHex(auth.nonce), yParity: toHex(auth.yParity!), r: auth.r, s: auth.s }];
    const from = server.node.accounts[0]!.address;
    const sent = await call("eth_sendTransaction", [{ from, to: authority.address, data: encodeFunctionData({ abi, functionName: "set", args: [9n] }), authorizationList }]);
    assert.ok(sent.result, JSON.stringify(sent.error));
    const tx = (await call("eth_getTransactionByHash", [sent.result])).result;
    assert.equal(tx.type, "0x4");
    assert.deepEqual(tx.authorizationList, [{ ...authorizationList[0], address: STORE }]);
    assert.equal((await call("eth_getCode", [authority.address, "latest"])).result, `0xef0100${STORE.slice(2)}`);
    assert.equal(BigInt((await call("eth_getStorageAt", [authority.address, "0x0", "latest"])).result), 9n, "the delegated code ran in the authority's storage");
  });

  it("the pending block, eth_call(pending) and pending reads include the pool", async () => {
    const from = server.node.accounts[1]!.address;
    await call("evm_setAutomine", [false]);
    try {
      const hash = (await call("eth_sendTransaction", [{ from, to: STORE, data: encodeFunctionData({ abi, functionName: "set", args: [77n] }), gas: "0x186a0" }])).result;
      assert.equal(BigInt((await call("eth_call", [{ to: STORE }, "pending"])).result), 77n);
      assert.equal(BigInt((await call("eth_call", [{ to: STORE }, "latest"])).result), 0n);
      assert.equal(BigInt((await call("eth_getStorageAt", [STORE, "0x0", "pending"])).result), 77n);
      assert.equal(BigInt((await call("eth_getStorageAt", [STORE, "0x0", "latest"])).result), 0n);
      const pending = (await call("eth_getBlockByNumber", ["pending", false])).result;
      assert.deepEqual(pending.transactions, [hash]);
      assert.ok(BigInt(pending.gasUsed) > 21_000n);
      await call("evm_mine");
      const mined = (await call("eth_getBlockByNumber", ["latest", false])).result;
      assert.equal(mined.gasUsed, pending.gasUsed);
      assert.equal(mined.transactionsRoot, pending.transactionsRoot);
      assert.equal(mined.receiptsRoot, pending.receiptsRoot);
      assert.equal(mined.logsBloom, pending.logsBloom);
    } finally {
      await call("evm_setAutomine", [true]);
    }
  });

  it("an eth_sendTransaction that runs out of gas under its explicit limit: -32000, as on Hardhat's node (a revert stays code 3)", async () => {
    const from = server.node.accounts[4]!.address;
    // JUMPDEST PUSH1 0 JUMP: loops until the gas is gone.
    await server.node.setCode("0x00000000000000000000000000000000000000ab", "0x5b600056");
    const sent = await call("eth_sendTransaction", [{ from, to: "0x00000000000000000000000000000000000000ab", gas: "0x7530" }]);
    assert.equal(sent.error.code, -32000);
    assert.match(sent.error.message, /^Transaction ran out of gas \(transaction 0x[0-9a-f]{64} was mined with status 0\)$/);
  });

  it("hardhat_reset goes back to genesis: blocks, state, pool, snapshots and settings", async () => {
    const from = server.node.accounts[2]!.address;
    const balance = (await call("eth_getBalance", [from, "0x0"])).result;
    await call("eth_sendTransaction", [{ from, to: STORE, value: "0x1" }]);
    await call("hardhat_setCoinbase", ["0x00000000000000000000000000000000000000dd"]);
    const snap = (await call("evm_snapshot")).result;
    await call("evm_setAutomine", [false]);
    await call("eth_sendTransaction", [{ from, to: STORE, value: "0x2" }]);
    await call("evm_setAutomine", [true]);
    assert.ok(BigInt((await call("eth_blockNumber")).result) > 0n);
    assert.equal((await call("hardhat_reset", [])).result, true);
    assert.equal((await call("eth_blockNumber")).result, "0x0");
    assert.equal((await call("eth_getBalance", [from, "latest"])).result, balance);
    assert.equal((await call("eth_getTransactionCount", [from, "pending"])).result, "0x0");
    assert.equal((await call("eth_getCode", [STORE, "latest"])).result, "0x", "state edits are undone too");
    assert.equal((await call("eth_coinbase")).result, "0xc014ba5ec014ba5ec014ba5ec014ba5ec014ba5e");
    assert.equal((await call("evm_revert", [snap])).result, false, "snapshots are gone");
    assert.equal((await call("hardhat_reset", [{ forking: { jsonRpcUrl: "http://example.invalid" } }])).error.code, -32602);
    await server.node.setCode(STORE, storeCode);
  });

  it("eth_getProof: storage values are quantities, and an absent account still answers each key", async () => {
    await call("hardhat_setStorageAt", [STORE, "0x0", `0x${"00".repeat(31)}05`]);
    const present = (await call("eth_getProof", [STORE, ["0x0"], "latest"])).result;
    assert.equal(present.storageProof[0].value, "0x5");
    const absent = (await call("eth_getProof", ["0x00000000000000000000000000000000000000cc", ["0x1"], "latest"])).result;
    assert.equal(absent.storageProof.length, 1);
    assert.equal(absent.storageProof[0].value, "0x0");
  });
});
