// The explorer on a chain of 10,000 blocks: the overview reads the last RECENT_BLOCKS blocks (never
// the whole chain) and a block page reads one block; both render their first frame in the browser.
// The test prints each page's measured time to first render (no timed assertion: the figures go in
// docs/explorer.md). The chain is mined with hardhat_mine on a node without the AIVM runtime
// (runtime: null): with it, each block's VRF proof and anchor made 10,000 blocks take 79 s here.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { startNodeServer, type NodeServer } from "../../src/rpc/server.ts";
import { RECENT_BLOCKS } from "../../src/explorer/app/context.ts";
import { launchChromium, rpcCall } from "./demo-chain.ts";

const BLOCKS = 10_000;

describe(`the explorer on a chain of ${BLOCKS} blocks`, { timeout: 90_000 }, () => {
  let server: NodeServer;
  let browser: Browser;
  let page: Page;
  const methods: string[] = [];

  before(async () => {
    server = await startNodeServer({ port: 0, host: "127.0.0.1", runtime: null });
    [browser] = await Promise.all([launchChromium(), rpcCall(server.url, "hardhat_mine", [`0x${BLOCKS.toString(16)}`])]);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("request", (req) => {
      const body = req.method() === "POST" ? req.postData() : null;
      if (body) for (const call of [JSON.parse(body)].flat() as { method: string }[]) methods.push(call.method);
    });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  /** A cold load of `hash`: its first render, in ms since navigation and since the page's route began. */
  async function firstRender(name: string, hash: string): Promise<{ sinceNavigationMs: number; routeMs: number }> {
    await page.goto("about:blank");
    methods.length = 0;
    await page.goto(`${server.url}/explorer/${hash}`);
    const main = page.locator(`main[data-page="${name}"][data-ready="true"]`);
    await main.waitFor({ timeout: 30_000 });
    return { sinceNavigationMs: Number(await main.getAttribute("data-since-navigation-ms")), routeMs: Number(await main.getAttribute("data-render-ms")) };
  }

  it("the overview fetches only the last blocks and the block page one block; both render, and their times are printed", async () => {
    assert.equal(BigInt(await rpcCall(server.url, "eth_blockNumber")), BigInt(BLOCKS));
    const overview = await firstRender("overview", "#/");
    assert.equal(await page.textContent('[data-testid="head"]'), `#${BLOCKS}`);
    assert.equal(await page.locator('[data-testid="latest-blocks-table"] tbody tr').count(), RECENT_BLOCKS);
    const blockReads = methods.filter((m) => m === "eth_getBlockByNumber").length;
    assert.equal(blockReads, RECENT_BLOCKS, "the overview reads the last RECENT_BLOCKS blocks, not the chain");

    const middle = BLOCKS / 2;
    const block = await firstRender("block", `#/block/${middle}`);
    assert.equal(await page.textContent("h1"), `Block ${middle}`);
    assert.equal(methods.filter((m) => m === "eth_getBlockByNumber").length, 1);
    console.log(JSON.stringify({ blocks: BLOCKS, recentBlocks: RECENT_BLOCKS, overview, block }));
  });
});
