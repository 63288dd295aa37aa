// The generation page on a chain with the demo language model (StoryTeller, docs/lm.md): a story told
// in a transaction shows with its prompt, its text and each token's commit as the contract's events
// have them, and a story told while the page is open streams in over eth_subscribe logs.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { decodeEventLog, encodeFunctionData, hexToString, toHex, type Hex } from "viem";
import { packLm } from "../../src/model/lm-package.ts";
import { deployStoryTellerContract, lmGenesisAccounts } from "../../src/cli/demo-lm.ts";
import { startNodeServer, type NodeServer } from "../../src/rpc/server.ts";
import { storyTellerAbi } from "../../examples/story-teller-abi.ts";
import { launchChromium, rpcCall } from "./demo-chain.ts";

describe("the generation page", { timeout: 120_000 }, () => {
  let server: NodeServer;
  let storyTeller: Hex;
  let browser: Browser;
  let page: Page;

  before(async () => {
    const lm = packLm().pkg;
    [server, browser] = await Promise.all([startNodeServer({ port: 0, host: "127.0.0.1", genesisAccounts: lmGenesisAccounts(lm) }), launchChromium()]);
    storyTeller = await deployStoryTellerContract(server.node, lm);
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Sends StoryTeller.tell and returns the story as its events tell it. */
  async function tell(prompt: string, maxTokens: number): Promise<{ prompt: string; text: string; commits: Hex[] }> {
    const data = encodeFunctionData({ abi: storyTellerAbi, functionName: "tell", args: [toHex(prompt), maxTokens, Math.round(0.8 * 65536), 40, Math.round(0.95 * 65536)] });
    const hash = await rpcCall<Hex>(server.url, "eth_sendTransaction", [{ from: server.node.accounts[2]!.address, to: storyTeller, data, gas: toHex(50_000_000) }]);
    const receipt = await rpcCall<{ status: string; logs: { data: Hex; topics: [Hex, ...Hex[]] }[] }>(server.url, "eth_getTransactionReceipt", [hash]);
    assert.equal(receipt.status, "0x1");
    const events = receipt.logs.map((l) => decodeEventLog({ abi: storyTellerAbi, data: l.data, topics: l.topics }) as { eventName: string; args: any });
    const finished = events.find((e) => e.eventName === "StoryFinished")!;
    return { prompt, text: hexToString(finished.args.text), commits: events.filter((e) => e.eventName === "TokenGenerated").map((e) => e.args.commit) };
  }

  /** The story's visible text with its tokens shown as the page shows them (printable ASCII as is). */
  const shown = (s: string) => [...s].map((c) => (c >= " " && c < "\x7f" ? c : c === "\n" ? "⏎" : `‹${c.charCodeAt(0)}›`)).join("");

  it("shows a told story's prompt, text and every token's commit, and streams in the next one", async () => {
    const first = await tell("dog: ", 12);
    await page.goto(`${server.url}/explorer/#/generation`);
    await page.waitForSelector('main[data-page="generation"][data-ready="true"]', { timeout: 30_000 });
    const story = page.locator('section[aria-label="story 0"]');
    assert.equal(await story.getByTestId("story-text").textContent(), `${first.prompt}${shown(first.text)}`);
    assert.deepEqual(await story.locator("[data-commit]").evaluateAll((els) => els.map((e) => e.getAttribute("data-commit"))), first.commits);
    assert.equal(first.commits.length, 12);

    await page.waitForSelector('#live[data-subscribed="true"]');
    const second = await tell("cat: ", 8);
    const next = page.locator('section[aria-label="story 1"]');
    await next.waitFor({ timeout: 15_000 });
    await page.waitForFunction(() => document.querySelectorAll('section[aria-label="story 1"] [data-commit]').length === 8);
    assert.equal(await next.getByTestId("story-text").textContent(), `${second.prompt}${shown(second.text)}`);
  });
});
