// `aivm explorer --rpc <url>` serves the explorer for a node on another port, and the page reads
// that node; `aivm node`'s banner prints the link to the node's own /explorer.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { startNodeServer, type NodeServer } from "../../src/rpc/server.ts";
import { startExplorerServer, type ExplorerServer } from "../../src/explorer/server.ts";
import { launchChromium, rpcCall } from "./demo-chain.ts";
import { createProgram } from "../../src/cli/commands/program.ts";
import { runNode } from "../../src/cli/node.ts";
import { DEFAULT_MNEMONIC } from "../../src/cli/commands/defaults.ts";

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

  it("is an `aivm` subcommand with --rpc, --port and --host (test/cli/startup.test.ts runs `aivm --help`)", () => {
    const help = createProgram().commands.find((c) => c.name() === "explorer")!.helpInformation();
    for (const option of ["--rpc <url>", "--port <port>", "--host <host>"]) assert.ok(help.includes(option), option);
  });

  it("aivm node's banner prints the link to its own explorer, which the node serves", async () => {
    // runNode is what `aivm node` runs; its banner goes to console.log.
    const printed: string[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => void printed.push(args.join(" "));
    let server: NodeServer | undefined;
    try {
      server = await runNode({ port: 0, host: "127.0.0.1", mnemonic: DEFAULT_MNEMONIC, demo: false });
    } finally {
      console.log = log;
    }
    try {
      assert.match(printed.join("\n"), new RegExp(`^Explorer: ${server.url}/explorer/ `, "m"));
      const res = await fetch(`${server.url}/explorer/`);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /<title>AIVM Explorer<\/title>/);
    } finally {
      await server.close();
    }
  });
});
