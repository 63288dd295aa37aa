// SIGKILL in the middle of a run of transactions: after a restart on the same --db, every block
// that was reported mined (a receipt was returned for it) is there with the same hash.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { call, spawnAivmNode, waitForExit } from "./helpers.ts";

const SINK = "0x00000000000000000000000000000000000000dd";

describe("aivm node --db survives SIGKILL", () => {
  it("finds every block reported mined after a kill -9 and a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aivm-crash-"));
    try {
      const first = await spawnAivmNode(["--db", dir, "--quiet"]);
      const accounts: string[] = await call(first.url, "eth_accounts");
      const reported: { hash: string; blockNumber: string; blockHash: string }[] = [];
      let killed = false;
      // Four senders keep transactions in flight, so the kill lands while blocks are being written.
      const sender = async (from: string) => {
        while (!killed) {
          try {
            const hash = await call(first.url, "eth_sendTransaction", [{ from, to: SINK, value: "0x1", gas: "0x5208" }]);
            const receipt = await call(first.url, "eth_getTransactionReceipt", [hash]);
            reported.push({ hash, blockNumber: receipt.blockNumber, blockHash: receipt.blockHash });
          } catch {
            return; // the connection died with the process
          }
        }
      };
      const senders = accounts.slice(0, 4).map(sender);
      while (reported.length < 40) await new Promise((r) => setTimeout(r, 20));
      first.child.kill("SIGKILL");
      killed = true;
      await waitForExit(first.child);
      await Promise.all(senders);
      assert.equal(first.child.signalCode, "SIGKILL");

      const second = await spawnAivmNode(["--db", dir, "--quiet"]);
      try {
        const head = BigInt(await call(second.url, "eth_blockNumber"));
        assert.ok(head >= BigInt(reported.length), `head ${head} holds all ${reported.length} reported blocks`);
        for (const r of reported) {
          const block = await call(second.url, "eth_getBlockByNumber", [r.blockNumber, false]);
          assert.equal(block?.hash, r.blockHash, `block ${r.blockNumber}`);
          const receipt = await call(second.url, "eth_getTransactionReceipt", [r.hash]);
          assert.equal(receipt?.status, "0x1");
        }
        // State matches the blocks: the sink holds one wei per mined transfer.
        const balance = BigInt(await call(second.url, "eth_getBalance", [SINK, "latest"]));
        assert.equal(balance, head, "one transfer per block, and the state root matches the head");
        // And the chain keeps going.
        await call(second.url, "eth_sendTransaction", [{ from: accounts[0], to: SINK, value: "0x1" }]);
        assert.equal(BigInt(await call(second.url, "eth_blockNumber")), head + 1n);
      } finally {
        second.child.kill("SIGTERM");
        await waitForExit(second.child);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
