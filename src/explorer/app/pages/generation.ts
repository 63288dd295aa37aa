// Language-model generations on chain: StoryTeller's events (contracts/examples/StoryTeller.sol),
// from any contract, each token with its Tensor Commit; new tokens stream in over eth_subscribe logs.
import { hexToString, toEventSelector } from "viem";
import { h, short, render } from "../dom.ts";
import { storyAbi } from "../chain.ts";
import { decodeLogs, logsOf, type DecodedLog } from "../contracts.ts";
import type { Page } from "../context.ts";

const TOPICS = ["StoryStarted", "TokenGenerated", "StoryFinished"].map((name) => toEventSelector(storyAbi.find((x) => x.type === "event" && x.name === name)!));

function tokenText(token: bigint): string {
  const t = Number(token);
  return t >= 32 && t < 127 ? String.fromCharCode(t) : t === 10 ? "⏎" : `‹${t}›`;
}

export const generationPage: Page = async (ctx, root) => {
  const logs = await logsOf(ctx.rpc, storyAbi, undefined, TOPICS);
  const list = h("div", { "data-testid": "stories" });
  const stories = new Map<string, { section: HTMLElement; tokens: HTMLElement; text: HTMLElement; commits: HTMLElement }>();
  const add = (l: DecodedLog) => {
    const key = `${l.address}:${l.args.storyId}`;
    let s = stories.get(key);
    if (!s) {
      const tokens = h("div", { class: "tokens", "aria-label": "tokens with their commits" });
      const text = h("p", { "data-testid": "story-text" });
      const commits = h("tbody", {});
      const commitTable = h("details", {}, h("summary", {}, "Each token's Tensor Commit"), h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, h("th", { scope: "col", class: "num" }, "token"), h("th", { scope: "col" }, "text"), h("th", { scope: "col" }, "commit"))), commits)));
      const section = h("section", { "aria-label": `story ${l.args.storyId}` }, h("h2", {}, `Story ${l.args.storyId} `, h("span", { class: "muted mono" }, `by ${short(l.address, 4)} in `), h("a", { href: `#/tx/${l.transactionHash}` }, short(l.transactionHash))), text, tokens, commitTable);
      s = { section, tokens, text, commits };
      stories.set(key, s);
      list.prepend(section);
    }
    if (l.eventName === "StoryStarted") s.text.prepend(h("strong", {}, hexToString(l.args.prompt)));
    if (l.eventName === "TokenGenerated") {
      s.tokens.append(h("span", { title: `token ${l.args.index}: ${l.args.token}, commit ${l.args.commit}`, tabindex: 0, "data-commit": l.args.commit }, tokenText(l.args.token)));
      s.text.append(tokenText(l.args.token));
      s.commits.append(h("tr", {}, h("td", { class: "num" }, String(l.args.index)), h("td", { class: "mono" }, tokenText(l.args.token)), h("td", { class: "mono" }, l.args.commit)));
    }
    if (l.eventName === "StoryFinished") s.section.append(h("p", { class: "muted" }, "trace root ", h("span", { class: "mono" }, l.args.traceRoot)));
  };
  for (const l of logs) add(l);
  if (!ctx.current()) return;
  render(root, 
    h("h1", {}, "Generation"),
    h("p", { class: "muted" }, "Text generated on chain by the language model (StoryTeller's TokenGenerated events), one box per token; hover or focus a token for its Tensor Commit. New generations appear as their blocks arrive."),
    stories.size === 0 ? h("p", { class: "muted", "data-testid": "no-stories" }, "No generations yet: try npx tsx examples/story-teller.ts against an npm start node.") : null,
    list,
  );
  ctx.onLogs({ topics: [TOPICS] }, (log) => {
    for (const l of decodeLogs(storyAbi, [log])) add(l);
    root.querySelector('[data-testid="no-stories"]')?.remove();
  });
  ctx.ready();
};
