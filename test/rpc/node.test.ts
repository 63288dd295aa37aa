// DevNode behaviour through the in-process EIP-1193 provider: snapshots, time control, mining
// modes, hardhat_* state edits, impersonation, historical state and the serial queue.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createAivmProvider, type AivmProvider } from "../../src/rpc/provider.ts";

const ALICE_TO = "0x00000000000000000000000000000000000000aa";

async function withProvider(run: (p: AivmProvider, req: (method: string, params?: unknown[]) => Promise<any>) => Promise<void>, options = {}) {
  const provider = await createAivmProvider({ runtime: null, ...options });
  try {
    await run(provider, (method, params = []) => provider.request({ method, params }));
  } finally {
    await provider.close();
  }
}

describe("DevNode behaviour via the EIP-1193 provider", () => {
  it("evm_snapshot / evm_revert restore blocks, balances and receipts", async () => {
    await withProvider(async (provider, req) => {
      const [from] = await req("eth_accounts");
      const snap = await req("evm_snapshot");
      const hash = await req("eth_sendTransaction", [{ from, to: ALICE_TO, value: "0x64" }]);
      assert.equal(await req("eth_getBalance", [ALICE_TO, "latest"]), "0x64");
      assert.equal(await req("eth_blockNumber"), "0x1");
      assert.equal(await req("evm_revert", [snap]), true);
      assert.equal(await req("eth_getBalance", [ALICE_TO, "latest"]), "0x0");
      assert.equal(await req("eth_blockNumber"), "0x0");
      assert.equal(await req("eth_getTransactionReceipt", [hash]), null);
      assert.equal(await req("evm_revert", [snap]), false, "a snapshot is consumed by revert");
      assert.equal(provider.node.headNumber, 0n);
    });
  });

  it("evm_setNextBlockTimestamp and evm_increaseTime move block time", async () => {
    await withProvider(async (_p, req) => {
      const t0 = BigInt((await req("eth_getBlockByNumber", ["latest", false])).timestamp);
      await req("evm_setNextBlockTimestamp", [`0x${(t0 + 1000n).toString(16)}`]);
      await req("evm_mine");
      assert.equal(BigInt((await req("eth_getBlockByNumber", ["latest", false])).timestamp), t0 + 1000n);
      await req("evm_increaseTime", [3600]);
      await req("evm_mine");
      const t2 = BigInt((await req("eth_getBlockByNumber", ["latest", false])).timestamp);
      assert.ok(t2 >= t0 + 1000n + 3600n, `${t2} >= ${t0 + 4600n}`);
      await assert.rejects(req("evm_setNextBlockTimestamp", [`0x${t0.toString(16)}`]), (e: any) => e.code === -32000);
    });
  });

  it("a pooled transaction that cannot run in its block is dropped with a reason, not lost silently", async () => {
    await withProvider(async (provider, req) => {
      const [from] = await req("eth_accounts");
      const poorKey = `0x${"42".repeat(32)}` as const;
      const { privateKeyToAccount } = await import("viem/accounts");
      const poor = privateKeyToAccount(poorKey);
      await req("hardhat_setBalance", [poor.address, "0x" + (10n ** 18n).toString(16)]);
      await req("evm_setAutomine", [false]);
      const dropped: { hash: string; reason: string }[] = [];
      provider.node.on("droppedTransaction", (d) => dropped.push(d));
      const sign = (nonce: number, value: bigint) =>
        poor.signTransaction({ chainId: provider.node.chainId, type: "eip1559", nonce, to: ALICE_TO, value, gas: 21_000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 1n });
      // Each passes admission against the current balance; together they overspend it.
      const spend = await req("eth_sendRawTransaction", [await sign(0, 9n * 10n ** 17n)]);
      const over = await req("eth_sendRawTransaction", [await sign(1, 5n * 10n ** 17n)]);
      await req("eth_sendTransaction", [{ from, to: ALICE_TO, value: "0x1" }]);
      await req("evm_mine");
      assert.equal((await req("eth_getTransactionReceipt", [spend])).status, "0x1");
      assert.equal(await req("eth_getTransactionReceipt", [over]), null);
      assert.deepEqual(dropped.map((d) => d.hash), [over]);
      assert.match(dropped[0]!.reason, /balance|funds|cost/i);
      assert.equal(provider.node.pendingCount, 0);
    });
  });

  it("with automine off, a later nonce waits in the queue until the gap is filled, then mines in nonce order", async () => {
    await withProvider(async (provider, req) => {
      const { privateKeyToAccount } = await import("viem/accounts");
      const key = `0x${"43".repeat(32)}` as const;
      const acct = privateKeyToAccount(key);
      await req("hardhat_setBalance", [acct.address, "0x" + (10n ** 18n).toString(16)]);
      const sign = (nonce: number) =>
        acct.signTransaction({ chainId: provider.node.chainId, type: "eip1559", nonce, to: ALICE_TO, value: BigInt(nonce + 1), gas: 21_000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 1n });
      // Automine on: a gap is refused, as Hardhat does.
      await assert.rejects(req("eth_sendRawTransaction", [await sign(1)]), /Nonce too high.*automine is off/);
      await req("evm_setAutomine", [false]);
      const pendingFilter = await req("eth_newPendingTransactionFilter");
      const third = await req("eth_sendRawTransaction", [await sign(2)]);
      const second = await req("eth_sendRawTransaction", [await sign(1)]);
      assert.deepEqual([provider.node.pendingCount, provider.node.queuedCount], [0, 2]);
      assert.deepEqual(await req("txpool_status"), { pending: "0x0", queued: "0x2" });
      const content = await req("txpool_content");
      const sender = acct.address.toLowerCase();
      assert.deepEqual(Object.keys(content.pending), []);
      assert.deepEqual([content.queued[sender]["1"].hash, content.queued[sender]["2"].hash, content.queued[sender]["2"].nonce], [second, third, "0x2"]);
      assert.equal(await req("eth_getTransactionCount", [acct.address, "pending"]), "0x0", "queued nonces do not count");
      assert.equal((await req("eth_getTransactionByHash", [third])).blockNumber, null, "a queued transaction is visible as pending");
      assert.deepEqual(await req("eth_getFilterChanges", [pendingFilter]), [], "queued is not pending yet");
      await assert.rejects(req("eth_sendRawTransaction", [await sign(2)]), /already known/);
      await req("evm_mine");
      assert.equal(await req("eth_getTransactionReceipt", [second]), null, "nothing runs across the gap");
      const first = await req("eth_sendRawTransaction", [await sign(0)]);
      assert.deepEqual([provider.node.pendingCount, provider.node.queuedCount], [3, 0]);
      assert.deepEqual(await req("txpool_status"), { pending: "0x3", queued: "0x0" });
      assert.deepEqual(Object.keys((await req("txpool_content")).pending[sender]), ["0", "1", "2"]);
      assert.deepEqual(await req("eth_getFilterChanges", [pendingFilter]), [first, second, third]);
      assert.equal(await req("eth_getTransactionCount", [acct.address, "pending"]), "0x3");
      await req("evm_mine");
      const receipts = await Promise.all([first, second, third].map((h) => req("eth_getTransactionReceipt", [h])));
      assert.deepEqual(receipts.map((r) => [r.status, r.transactionIndex]), [["0x1", "0x0"], ["0x1", "0x1"], ["0x1", "0x2"]]);
    });
  });

  it("a dropped transaction leaves its sender's later ones queued, and a replacement releases them", async () => {
    await withProvider(async (provider, req) => {
      const { privateKeyToAccount } = await import("viem/accounts");
      const acct = privateKeyToAccount(`0x${"44".repeat(32)}`);
      await req("hardhat_setBalance", [acct.address, "0x" + (10n ** 18n).toString(16)]);
      await req("evm_setAutomine", [false]);
      const dropped: string[] = [];
      provider.node.on("droppedTransaction", (d) => dropped.push(d.hash));
      const sign = (nonce: number, value: bigint) =>
        acct.signTransaction({ chainId: provider.node.chainId, type: "eip1559", nonce, to: ALICE_TO, value, gas: 21_000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 1n });
      const ok0 = await req("eth_sendRawTransaction", [await sign(0, 6n * 10n ** 17n)]);
      const over1 = await req("eth_sendRawTransaction", [await sign(1, 6n * 10n ** 17n)]); // cannot pay after nonce 0
      const later2 = await req("eth_sendRawTransaction", [await sign(2, 1n)]);
      await req("evm_mine");
      assert.equal((await req("eth_getTransactionReceipt", [ok0])).status, "0x1");
      assert.deepEqual(dropped, [over1]);
      assert.equal(await req("eth_getTransactionReceipt", [later2]), null);
      assert.deepEqual([provider.node.pendingCount, provider.node.queuedCount], [0, 1], "nonce 2 waits for a new nonce 1");
      const fix1 = await req("eth_sendRawTransaction", [await sign(1, 2n)]);
      await req("evm_mine");
      assert.deepEqual(
        await Promise.all([fix1, later2].map(async (h) => (await req("eth_getTransactionReceipt", [h])).status)),
        ["0x1", "0x1"],
      );
      assert.deepEqual([provider.node.pendingCount, provider.node.queuedCount], [0, 0]);
    });
  });

  it("dropping a pooled transaction queues its sender's later ones; evm_revert restores pool and queue; hardhat_setNonce releases a queue", async () => {
    await withProvider(async (provider, req) => {
      const [from] = await req("eth_accounts");
      await req("evm_setAutomine", [false]);
      const a = await req("eth_sendTransaction", [{ from, to: ALICE_TO, value: "0x1" }]);
      const b = await req("eth_sendTransaction", [{ from, to: ALICE_TO, value: "0x2" }]);
      const c = await req("eth_sendTransaction", [{ from, to: ALICE_TO, value: "0x3" }]);
      const snap = await req("evm_snapshot");
      assert.equal(await req("hardhat_dropTransaction", [a]), true);
      assert.deepEqual([provider.node.pendingCount, provider.node.queuedCount], [0, 2]);
      assert.equal(await req("hardhat_dropTransaction", [c]), true, "a queued transaction can be dropped too");
      assert.deepEqual([provider.node.pendingCount, provider.node.queuedCount], [0, 1]);
      assert.equal(await req("evm_revert", [snap]), true);
      assert.deepEqual([provider.node.pendingCount, provider.node.queuedCount], [3, 0]);
      assert.equal(await req("hardhat_dropTransaction", [a]), true);
      // Nonce 0 is skipped by setting the account nonce to 1: b and c become executable.
      await req("hardhat_setNonce", [from, "0x1"]);
      assert.deepEqual([provider.node.pendingCount, provider.node.queuedCount], [2, 0]);
      await req("evm_mine");
      assert.deepEqual(
        await Promise.all([b, c].map(async (h) => (await req("eth_getTransactionReceipt", [h])).status)),
        ["0x1", "0x1"],
      );
    });
  });

  it("hardhat_dropTransaction removes a pending transaction and refuses a mined one", async () => {
    await withProvider(async (_p, req) => {
      const [from] = await req("eth_accounts");
      await req("evm_setAutomine", [false]);
      const hash = await req("eth_sendTransaction", [{ from, to: ALICE_TO, value: "0x1" }]);
      assert.equal(await req("hardhat_dropTransaction", [hash]), true);
      assert.equal(await req("eth_getTransactionByHash", [hash]), null);
      assert.equal(await req("hardhat_dropTransaction", [hash]), false);
      const kept = await req("eth_sendTransaction", [{ from, to: ALICE_TO, value: "0x2" }]);
      await req("evm_mine");
      assert.equal((await req("eth_getTransactionReceipt", [kept])).status, "0x1");
      await assert.rejects(req("hardhat_dropTransaction", [kept]), /already mined/);
      await assert.rejects(req("hardhat_setPrevRandao", ["0x12"]), (e: any) => e.code === -32602);
      await assert.rejects(req("evm_setBlockGasLimit", ["0x10"]), /below the 21000/);
    });
  });

  it("a pending-transaction filter reports each new transaction's hash once", async () => {
    await withProvider(async (_p, req) => {
      const [from] = await req("eth_accounts");
      const filter = await req("eth_newPendingTransactionFilter");
      const a = await req("eth_sendTransaction", [{ from, to: ALICE_TO, value: "0x1" }]);
      const b = await req("eth_sendTransaction", [{ from, to: ALICE_TO, value: "0x2" }]);
      assert.deepEqual(await req("eth_getFilterChanges", [filter]), [a, b]);
      assert.deepEqual(await req("eth_getFilterChanges", [filter]), []);
      await req("evm_mine");
      assert.deepEqual(await req("eth_getFilterChanges", [filter]), [], "mining adds no pending hashes");
      assert.equal(await req("eth_uninstallFilter", [filter]), true);
    });
  });

  it("with automine off, transactions wait in the pool until evm_mine puts them in one block", async () => {
    await withProvider(async (_p, req) => {
      const [from] = await req("eth_accounts");
      await req("evm_setAutomine", [false]);
      const hashes = [];
      for (let i = 0; i < 5; i++) hashes.push(await req("eth_sendTransaction", [{ from, to: ALICE_TO, value: "0x1" }]));
      assert.equal(await req("eth_blockNumber"), "0x0");
      assert.equal(await req("eth_getTransactionCount", [from, "pending"]), "0x5");
      const pending = await req("eth_getTransactionByHash", [hashes[0]]);
      assert.equal(pending.blockNumber, null);
      await req("evm_mine");
      const block = await req("eth_getBlockByNumber", ["0x1", false]);
      assert.deepEqual(block.transactions, hashes);
      assert.equal(await req("eth_getBalance", [ALICE_TO, "latest"]), "0x5");
    });
  });

  it("interval mining produces blocks without transactions", async () => {
    await withProvider(
      async (provider) => {
        const start = Date.now();
        while (provider.node.headNumber < 2n && Date.now() - start < 10_000) await new Promise((r) => setTimeout(r, 100));
        assert.ok(provider.node.headNumber >= 2n);
      },
      { blockTime: 1 },
    );
  });

  it("hardhat_setBalance, hardhat_impersonateAccount and reads at past blocks", async () => {
    await withProvider(async (_p, req) => {
      const whale = "0x00000000000000000000000000000000000000bb";
      await req("hardhat_setBalance", [whale, "0xde0b6b3a7640000"]);
      await assert.rejects(req("eth_sendTransaction", [{ from: whale, to: ALICE_TO, value: "0x7" }]), (e: any) => e.code === -32000);
      await req("hardhat_impersonateAccount", [whale]);
      const hash = await req("eth_sendTransaction", [{ from: whale, to: ALICE_TO, value: "0x7" }]);
      const receipt = await req("eth_getTransactionReceipt", [hash]);
      assert.equal(receipt.status, "0x1");
      assert.equal(receipt.from, whale);
      assert.equal(await req("eth_getBalance", [ALICE_TO, "latest"]), "0x7");
      assert.equal(await req("eth_getBalance", [ALICE_TO, "0x0"]), "0x0", "state at block 0");
      await req("hardhat_setCode", [whale.replace("bb", "cc"), "0x602a60005260206000f3"]);
      assert.equal(await req("eth_call", [{ to: whale.replace("bb", "cc") }]), `0x${"00".repeat(31)}2a`, "code set by hardhat_setCode runs");
      await req("hardhat_setStorageAt", [ALICE_TO, "0x1", `0x${"00".repeat(31)}07`]);
      assert.equal(await req("eth_getStorageAt", [ALICE_TO, "0x1", "latest"]), `0x${"00".repeat(31)}07`);
      await req("hardhat_setNonce", [ALICE_TO, "0x9"]);
      assert.equal(await req("eth_getTransactionCount", [ALICE_TO, "latest"]), "0x9");
      const meta = await req("hardhat_metadata");
      assert.equal(meta.chainId, 31337);
      assert.equal(meta.latestBlockNumber, 1);
    });
  });

  it("runs calls and sends from many concurrent callers through one queue without losing any", async () => {
    await withProvider(async (_p, req) => {
      const accounts: string[] = await req("eth_accounts");
      const work = accounts.flatMap((from) => [
        req("eth_sendTransaction", [{ from, to: ALICE_TO, value: "0x1" }]),
        req("eth_getBalance", [ALICE_TO, "latest"]),
        req("eth_sendTransaction", [{ from, to: ALICE_TO, value: "0x1" }]),
      ]);
      await Promise.all(work);
      assert.equal(await req("eth_getBalance", [ALICE_TO, "latest"]), `0x${(accounts.length * 2).toString(16)}`);
      assert.equal(BigInt(await req("eth_blockNumber")), BigInt(accounts.length * 2));
    });
  });

  it("estimates a plain transfer at 21000 and refuses to estimate a transfer the sender cannot fund", async () => {
    await withProvider(async (_p, req) => {
      const [from] = await req("eth_accounts");
      const estimate = BigInt(await req("eth_estimateGas", [{ from, to: ALICE_TO, value: "0x1" }]));
      assert.equal(estimate, 21_000n);
      await assert.rejects(req("eth_estimateGas", [{ from: ALICE_TO, to: from, value: "0xffffffffffffffffffffffffff" }]), (e: any) => e.code === -32000);
    });
  });
});
