// `npm run explorer:screenshots`: the explorer's pages in headless Chromium (Debian's
// /usr/bin/chromium, playwright-core, as test/explorer runs them) on `npm start`'s demo chain after
// two Fashion-MNIST classifications and one StoryTeller generation, written to docs/explorer/*.png.
// Each shot waits for values read from the chain (the anchor check, a verified receipt, the story).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { REPO_ROOT } from "../src/chain/solc.ts";
import { launchChromium, startFullDemoChain } from "../test/explorer/demo-chain.ts";

const OUT = join(REPO_ROOT, "docs", "explorer");
mkdirSync(OUT, { recursive: true });

const chain = await startFullDemoChain();
const browser = await launchChromium();
const written: { file: string; renderMs: number }[] = [];

async function shot(page: Page, name: string, hash: string, prepare: (page: Page) => Promise<void> = async () => {}, fullPage = false): Promise<void> {
  // A cold load each time: a hash change alone would leave the previous page's ready mark for a moment.
  await page.goto("about:blank");
  await page.goto(`${chain.explorerUrl}${hash}`);
  const main = page.locator('main[data-ready="true"]');
  await main.waitFor({ timeout: 60_000 });
  const renderMs = Number(await main.getAttribute("data-render-ms"));
  await prepare(page);
  const file = join(OUT, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  written.push({ file: `docs/explorer/${name}.png`, renderMs });
}

try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 }, colorScheme: "light" });
  await shot(page, "overview", "#/");
  await shot(page, "block", `#/block/${chain.fashionBlock}`, async (p) => {
    await p.waitForSelector('[data-testid="anchor-status"][data-verified="true"]', { timeout: 60_000 });
  });
  await shot(page, "transaction", `#/tx/${chain.fashionTxs[0]}`, async (p) => {
    await p.click('[data-testid="op-0"] > summary');
    await p.click('[data-testid="verify-0"]');
    await p.waitForSelector('[data-testid="verify-result-0"].ok', { timeout: 60_000 });
  }, true);
  await shot(page, "tensor", `#/tensor/tx/${chain.fashionTxs[0]}/0/in/0`, async (p) => {
    await p.waitForSelector('[data-testid="tensor-image"]');
  });
  await shot(page, "models", "#/models");
  await shot(page, "scheduler", "#/scheduler");
  await shot(page, "generation", "#/generation", async (p) => {
    await p.waitForSelector('[data-testid="story-text"]', { timeout: 60_000 });
  });
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, colorScheme: "dark" });
  await shot(phone, "overview-phone-dark", "#/");
  console.log(JSON.stringify({ written }, null, 2));
} finally {
  await browser.close();
  await chain.server.close();
}
process.exit(0);
