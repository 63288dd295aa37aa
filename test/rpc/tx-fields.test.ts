// Transaction fields EthereumJS refuses (a gas limit past 2^64 − 1 or past the per-transaction cap,
// gas × fee beyond 2^256, a fee past 2^256): a rejection (-32000) naming the field, never an
// internal error (-32603). Found by npm run fuzz (rpc inputs 25478, 41196, 50758, 67928, seed 1).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { NodeServer } from "../../src/rpc/server.ts";
import { rpc, startTestServer } from "./helpers.ts";

describe("transaction fields out of range", () => {
  let server: NodeServer;
  let id = 0;
  let from = "";
  const call = (method: string, params: unknown[]) => rpc(server.url, { jsonrpc: "2.0", id: ++id, method, params }).then((r) => r.json);

  before(async () => {
    server = await startTestServer();
    from = (await call("eth_accounts", [])).result[0];
  });
  after(async () => server.close());

  const huge = `0x${"f".repeat(64)}`;
  const cases: [string, Record<string, string>][] = [
    ["gas × maxFeePerGas beyond 2^256", { gas: "0xffffffffffff", maxFeePerGas: huge }],
    ["gas × gasPrice beyond 2^256", { gas: "0xffffffffffff", gasPrice: huge }],
  ];
  for (const [what, fields] of cases) {
    it(`eth_sendTransaction: ${what} is rejected, not an internal error`, async () => {
      const r = await call("eth_sendTransaction", [{ from, to: from, value: "0x0", ...fields }]);
      assert.ok(r.error, JSON.stringify(r));
      assert.notEqual(r.error.code, -32603, r.error.message);
    });
  }
});
