// The examples a new user runs against `npm start` work: both are run as child processes against a
// node this test starts with the demo model deployed.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { join } from "node:path";
import { deployDemo } from "../../src/cli/demo.ts";
import { startNodeServer, type NodeServer } from "../../src/rpc/server.ts";
import { REPO } from "./helpers.ts";
import { DEMO_ADDRESS } from "../../examples/demo-abi.ts";

const run = promisify(execFile);

describe("examples/", () => {
  let server: NodeServer;
  before(async () => {
    server = await startNodeServer({ port: 0 });
    const demo = await deployDemo(server.node);
    assert.equal(demo.address, DEMO_ADDRESS.toLowerCase(), "the examples' default address is where npm start deploys the demo");
  });
  after(async () => server.close());

  for (const script of ["viem-inference.ts", "ethers-inference.ts"]) {
    it(`${script} prints the inference, its gas, its receipts and the decoded custom error`, async () => {
      const { stdout } = await run(process.execPath, ["--import", "tsx", join(REPO, "examples", script), server.url], { cwd: REPO, timeout: 120_000 });
      assert.match(stdout, /y = x·W = \[73, -6, -7\]/);
      assert.match(stdout, /gas used \d+/);
      assert.match(stdout, /receipt.*TMATMUL: \d+ gas, 24 FLOPs/);
      assert.match(stdout, /bad input reverted with ShapeMismatch\(matmul, b,/);
      if (script.startsWith("viem")) assert.match(stdout, /receipt proof verified/);
    });
  }
});
