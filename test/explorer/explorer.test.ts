// The explorer in real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core), on
// a node that has run the Fashion demo: overview → block → transaction → op → the input tensor as a
// picture, the anchor check and a receipt's "verify" passing in the browser, and a proof corrupted
// in flight (one sibling flipped by page.route) failing. Every value asserted comes from the chain.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { DEMO_WEIGHTS, fashionPackage, fashionSamples } from "../../src/cli/demo.ts";
import { commitTensor } from "../../src/commit/tensor-commit.ts";
import { toHex } from "../../src/commit/hex.ts";
import { DEV_SCHEDULER_GENESIS } from "../../src/chain/predeploys.ts";
import { decodeFunctionResult, encodeFunctionData, toEventSelector, type Hex } from "viem";
import { schedulerAbi } from "../../src/explorer/app/chain.ts";
import { RECENT_BLOCKS } from "../../src/explorer/app/context.ts";
import { AGENT_SCHEDULER, AGENT_STAKES, TICKS_PER_CLASS, launchChromium, rpcCall, startFashionChain, type DemoChain } from "./demo-chain.ts";

const commas = (v: bigint | number | string) => BigInt(v).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");

describe("the explorer in headless Chromium, on the Fashion demo", { timeout: 120_000 }, () => {
  let chain: DemoChain;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  before(async () => {
    [chain, browser] = await Promise.all([startFashionChain(), launchChromium()]);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("pageerror", (e) => errors.push(e.message));
  });
  after(async () => {
    await browser?.close();
    await chain?.server.close();
  });

  async function ready(name: string): Promise<void> {
    await page.waitForSelector(`main[data-page="${name}"][data-ready="true"]`, { timeout: 30_000 });
  }

  it("the node serves the page, its stylesheet and the bundle under /explorer, and nothing else there", async () => {
    const html = await fetch(chain.explorerUrl);
    assert.equal(html.status, 200);
    assert.match(html.headers.get("content-type")!, /text\/html/);
    assert.match(await html.text(), /<script type="module" src="explorer.js">/);
    assert.equal((await fetch(`${chain.explorerUrl}explorer.js`)).status, 200);
    assert.equal((await fetch(`${chain.explorerUrl}../explorer/nope.js`)).status, 404);
    assert.equal((await fetch(chain.server.url + "/explorer", { redirect: "manual" })).status, 308);
  });

  it("clicks through overview → block → transaction → op → input tensor, and the anchor and the receipt verify", async () => {
    const [hash0, hash1] = chain.fashionTxs;
    await page.goto(chain.explorerUrl);
    await ready("overview");
    const head = BigInt(await rpcCall(chain.server.url, "eth_blockNumber"));
    assert.equal(await page.textContent('[data-testid="head"]'), `#${head}`);
    // The overview lists the last RECENT_BLOCKS blocks, newest first.
    const rows = page.locator('[data-testid="latest-blocks-table"] tbody tr');
    assert.equal(await rows.count(), Math.min(Number(head) + 1, RECENT_BLOCKS));
    assert.equal(await rows.first().locator("td").first().textContent(), `#${head}`);

    await page.getByRole("link", { name: `#${chain.fashionBlock}`, exact: true }).first().click();
    await ready("block");
    const anchor = await rpcCall(chain.server.url, "aivm_getAnchor", [`0x${chain.fashionBlock.toString(16)}`]);
    assert.equal(anchor.receiptCount, 2, "two classifications, one TCUSTOM receipt each");
    assert.equal(await page.textContent('[data-testid="anchor-root"]'), anchor.anchorRoot);
    assert.equal(await page.textContent('[data-testid="receipt-count"]'), "2");
    await page.waitForSelector('[data-testid="anchor-status"][data-verified="true"]', { timeout: 30_000 });
    assert.match((await page.textContent('[data-testid="anchor-status"]'))!, /✓ anchor verifies: 2 of 2 transaction receipts/);

    await page.locator(`a[title="${hash1}"]`).click();
    await ready("tx");
    const trace = await rpcCall(chain.server.url, "debug_traceTransaction", [hash1, { tracer: "aivmTracer" }]);
    const tcustom = trace.calls.find((c: any) => c.aivm?.opcode === "TCUSTOM").aivm;
    const summary = page.locator('[data-testid="op-0"] > summary');
    assert.equal(await summary.textContent(), `op 0: TCUSTOM int8[1,784] → int16[1,10] · ${commas(tcustom.flops)} FLOPs`);
    // Keyboard: the op opens from its summary with Enter.
    await summary.focus();
    await page.keyboard.press("Enter");
    assert.equal(await page.locator('[data-testid="op-0"]').getAttribute("open"), "");
    const split = (await page.textContent('[data-testid="op-0"] [data-testid="gas-split"]'))!;
    for (const part of ["compute", "base", "bytes", "program", "reads"]) assert.match(split, new RegExp(`${part} ${commas(tcustom.gas[part])}`), part);
    assert.match(split, new RegExp(`= ${commas(tcustom.gas.total)} \\(charged ${commas(tcustom.gas.charged)}\\)`));
    const receiptIndex = tcustom.receipts[0].index as number;
    await page.click(`[data-testid="verify-${receiptIndex}"]`);
    await page.waitForSelector(`[data-testid="verify-result-${receiptIndex}"].ok`, { timeout: 15_000 });
    assert.equal(await page.textContent(`[data-testid="verify-result-${receiptIndex}"]`), ` ✓ verified: leaf 2 of 2 under the anchor root ${anchor.anchorRoot}`);

    await page.getByRole("link", { name: "input tensor 0: int8[1,784]" }).click();
    await ready("tensor");
    assert.equal(await page.textContent('[data-testid="tensor-commit"]'), tcustom.receipts[0].inputCommits[0]);
    assert.match((await page.textContent('[data-testid="commit-match"]'))!, /✓ equals input commit 0 of receipt #0/);
    // The picture is the second committed sample: black where the image is black, white at its brightest pixel.
    const pixels = fashionSamples()[1]!.pixels;
    const grey = await page.locator('[data-testid="tensor-image"]').evaluate((c: HTMLCanvasElement) => {
      const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
      return { width: c.width, height: c.height, grey: Array.from({ length: c.width * c.height }, (_v, i) => d[i * 4]!) };
    });
    assert.deepEqual([grey.width, grey.height], [28, 28]);
    for (let i = 0; i < 784; i++) if (pixels[i] === 0) assert.equal(grey.grey[i], 0, `pixel ${i}`);
    assert.equal(grey.grey[pixels.indexOf(Math.max(...pixels))], 255);
    assert.deepEqual(errors, []);
    assert.ok(hash0 !== hash1);
  });

  it("a proof corrupted in flight (one sibling flipped) or swapped for another receipt's shows a failure; the same proof untouched passes", async () => {
    const hash = chain.fashionTxs[0];
    await page.route(
      (url) => url.pathname === "/" && url.port === String(chain.server.port),
      async (route) => {
        const body = route.request().postData() ?? "";
        if (!body.includes("aivm_getReceiptProof")) return route.continue();
        const response = await route.fetch();
        const replies = (await response.json()) as { result: { siblings: string[] } }[];
        for (const r of replies) r.result.siblings[0] = r.result.siblings[0]!.slice(0, -1) + (r.result.siblings[0]!.endsWith("0") ? "1" : "0");
        await route.fulfill({ response, json: replies });
      },
    );
    await page.goto(`${chain.explorerUrl}#/tx/${hash}`);
    await ready("tx");
    await page.click('[data-testid="op-0"] > summary');
    await page.click('[data-testid="verify-0"]');
    await page.waitForSelector('[data-testid="verify-result-0"].bad', { timeout: 15_000 });
    assert.equal(await page.textContent('[data-testid="verify-result-0"]'), " ✗ not verified: failed at the inclusion check");
    await page.unrouteAll();
    await page.click('[data-testid="verify-0"]');
    await page.waitForSelector('[data-testid="verify-result-0"].ok', { timeout: 15_000 });

    // A valid proof of the other transaction's receipt is not a proof of this one.
    await page.route(
      (url) => url.pathname === "/" && url.port === String(chain.server.port),
      async (route) => {
        const body = route.request().postData() ?? "";
        if (!body.includes("aivm_getReceiptProof")) return route.continue();
        await route.fulfill({ response: await route.fetch({ postData: body.replace(hash, chain.fashionTxs[1]) }) });
      },
    );
    await page.click('[data-testid="verify-0"]');
    await page.waitForSelector('[data-testid="verify-result-0"].bad', { timeout: 15_000 });
    assert.equal(await page.textContent('[data-testid="verify-result-0"]'), " ✗ not verified: the proof is for another receipt");
    await page.unrouteAll();
  });

  it("the tensor viewer reads a stored tensor by content id (aivm_getTensor) and refuses a stored program", async () => {
    const id = toHex(commitTensor(DEMO_WEIGHTS));
    await page.goto(`${chain.explorerUrl}#/tensor/${id}`);
    await ready("tensor");
    assert.equal(await page.textContent('[data-testid="tensor-shape"]'), "int8[4,3]");
    assert.match((await page.textContent('[data-testid="commit-match"]'))!, /✓ equals its content id/);
    await page.getByRole("button", { name: "Table" }).click();
    const cells = await page.locator('[data-testid="tensor-table"] tbody td').allTextContents();
    assert.deepEqual(cells.map(Number), Array.from(DEMO_WEIGHTS.data));
    await page.goto(`${chain.explorerUrl}#/tensor/${fashionPackage().programId}`);
    await ready("tensor");
    assert.match((await page.textContent('[data-testid="not-a-tensor"]'))!, /not a tensor/);
  });

  it("the models page lists the Fashion MLP from ModelRegistry with its package's gas quote", async () => {
    await page.goto(`${chain.explorerUrl}#/models`);
    await ready("models");
    const model = page.locator('[data-testid="model-1"]');
    assert.match((await model.locator("h2").textContent())!, /^Model 1: fashion_mlp$/);
    assert.equal(await model.locator('[data-testid="gas-quote"]').first().textContent(), commas(fashionPackage().quote.gas));
    assert.match((await model.textContent())!, /Active1/);
  });

  it("the scheduler page shows AgentScheduler's configuration, each class's requests as the contract records them, and the agents' stake shares", async () => {
    await page.goto(`${chain.explorerUrl}#/scheduler`);
    await ready("scheduler");
    const text = (await page.textContent("main"))!;
    assert.match(text, new RegExp(`epochs of ${DEV_SCHEDULER_GENESIS.epochLength} blocks`));
    assert.match(text, new RegExp(`${commas(DEV_SCHEDULER_GENESIS.capacity)} units, ${commas(DEV_SCHEDULER_GENESIS.guaranteedCapacity)} guaranteed`));
    // What the contract holds for each submitted request (the scheduler ran them in its epoch system calls).
    const submitted = await rpcCall(chain.server.url, "eth_getLogs", [{ fromBlock: "0x0", address: AGENT_SCHEDULER, topics: [toEventSelector(schedulerAbi.find((x) => x.type === "event" && x.name === "RequestSubmitted")!)] }]);
    assert.equal(submitted.length, 3 * TICKS_PER_CLASS);
    const requests = await Promise.all(
      submitted.map(async (log: { topics: Hex[] }) => {
        const data = encodeFunctionData({ abi: schedulerAbi, functionName: "getRequest", args: [BigInt(log.topics[1]!)] });
        return decodeFunctionResult({ abi: schedulerAbi, functionName: "getRequest", data: await rpcCall(chain.server.url, "eth_call", [{ to: AGENT_SCHEDULER, data }]) }) as { class_: number; status: number };
      }),
    );
    for (const [c, name] of ["RT", "Interactive", "Bulk"].entries()) {
      const mine = requests.filter((r) => r.class_ === c);
      const n = (status: number) => String(mine.filter((r) => r.status === status).length);
      const row = await page.getByRole("row").filter({ has: page.getByRole("cell", { name, exact: true }) }).locator("td").allTextContents();
      const [executed, refunded, queued] = [n(2), n(3), n(1)];
      assert.deepEqual(row, c === 2 ? [name, String(TICKS_PER_CLASS), executed, "—", "—", queued] : [name, String(TICKS_PER_CLASS), executed, executed, refunded, queued], name);
    }
    assert.ok(requests.some((r) => r.status === 2), "the scheduler ran some of the ticks");
    const total = AGENT_STAKES.reduce((a, b) => a + b, 0n);
    for (const [i, stake] of AGENT_STAKES.entries()) {
      const tenths = (stake * 1000n) / total;
      assert.equal(await page.textContent(`[data-testid="stake-share-${i + 1}"]`), `${tenths / 10n}.${tenths % 10n} %`);
    }
  });

  it("the overview follows new heads over the WebSocket subscription", async () => {
    await page.goto(chain.explorerUrl);
    await ready("overview");
    await page.waitForSelector('#live[data-subscribed="true"]');
    await rpcCall(chain.server.url, "evm_mine");
    const head = BigInt(await rpcCall(chain.server.url, "eth_blockNumber"));
    await page.waitForFunction((n) => document.querySelector('[data-testid="head"]')?.textContent === `#${n}`, String(head), { timeout: 15_000 });
    assert.equal(await page.textContent("#live"), `live · head #${head}`);
  });
});
