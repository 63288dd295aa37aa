// `aivm explorer --rpc <url>` serves the explorer for a node on another port, and the page reads
// that node; `aivm node`'s banner prints the link to the node's own /explorer.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { startNodeServer, type NodeServer } from "../../src/rpc/server.ts";
import { startExplorerServer, type ExplorerServer } from "../../src/explorer/server.ts";
import { launchChromium, rpcCall } from "./demo-chain.ts";
import { REPO, spawnAivmNode, waitForExit } from "../cli/helpers.ts";

const run = promisify(execFile);

describe("aivm explorer --rpc", { timeout: 60_000 }, () => {
  let node: NodeServer;
  let explorer: ExplorerServer;
  let browser: Browser;

  before(async () => {
    node = await startNodeServer({ port: 0, host: "127.0.0.1" });
    await rpcCall(node.url, "hardhat_mine", ["0x3"]);
    [explorer, browser] = await Promise.all([startExplorerServer({ rpc: node.url, host: "127.0.0.1", port: 0 }), launchChromium()]);
  });
  after(async () => {
    await browser?.close();
    await explorer?.close();
    await node?.close();
  });

  it("serves a page that names the node's URL and renders that node's chain", async () => {
    assert.notEqual(new URL(explorer.url).port, String(node.port));
    const html = await (await fetch(explorer.url)).text();
    assert.match(html, new RegExp(`<meta name="aivm-rpc" content="${node.url}/">`));
    const page = await browser.newPage();
    await page.goto(explorer.url);
    await page.waitForSelector('main[data-page="overview"][data-ready="true"]', { timeout: 30_000 });
    assert.equal(await page.textContent('[data-testid="head"]'), "#3");
  });

  it("is an `aivm` subcommand with --rpc, --port and --host", async () => {
    const { stdout } = await run(process.execPath, [join(REPO, "bin/aivm.mjs"), "explorer", "--help"], { cwd: REPO });
    for (const option of ["--rpc <url>", "--port <port>", "--host <host>"]) assert.ok(stdout.includes(option), option);
  });

  it("aivm node's banner prints the link to its own explorer, which the node serves", async () => {
    const spawned = await spawnAivmNode([]);
    try {
      const link = new RegExp(`^Explorer: ${spawned.url}/explorer/ `, "m");
      assert.match(spawned.output(), link);
      const res = await fetch(`${spawned.url}/explorer/`);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /<title>AIVM Explorer<\/title>/);
    } finally {
      spawned.child.kill("SIGTERM");
      await waitForExit(spawned.child);
    }
  });
});
