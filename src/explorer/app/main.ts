/// <reference lib="dom" />
// The explorer's entry: a hash router over the pages, one WebSocket subscription to new heads for
// the live indicator and the overview, and the search box. The node's URL is the page's own origin
// unless the server named another (<meta name="aivm-rpc">, `aivm explorer --rpc`).
import { h, render } from "./dom.ts";
import { Rpc } from "./rpc.ts";
import type { Ctx, Page } from "./context.ts";
import { overviewPage } from "./pages/overview.ts";
import { blockPage } from "./pages/block.ts";
import { txPage } from "./pages/tx.ts";
import { tensorPage } from "./pages/tensor.ts";
import { modelsPage } from "./pages/models.ts";
import { schedulerPage } from "./pages/scheduler.ts";
import { generationPage } from "./pages/generation.ts";

const configured = document.querySelector<HTMLMetaElement>('meta[name="aivm-rpc"]')?.content ?? "";
const rpc = new Rpc(configured && !configured.startsWith("{{") ? configured : `${location.origin}/`);

const PAGES: Record<string, [string, Page]> = {
  "": ["overview", overviewPage],
  block: ["block", blockPage],
  tx: ["tx", txPage],
  tensor: ["tensor", tensorPage],
  models: ["models", modelsPage],
  scheduler: ["scheduler", schedulerPage],
  generation: ["generation", generationPage],
};

const headListeners = new Set<(head: { number: string; hash: string }) => void>();
const live = document.getElementById("live")!;
let liveHead = "";
rpc.subscribe(
  ["newHeads"],
  (head: { number: string; hash: string }) => {
    liveHead = `live · head #${BigInt(head.number)}`;
    live.textContent = liveHead;
    for (const fn of headListeners) fn(head);
  },
  (open) => {
    live.dataset.subscribed = String(open);
    live.textContent = open ? liveHead || "live" : "reconnecting…";
  },
);
void rpc.call<string>("eth_blockNumber").then((n) => {
  liveHead ||= `live · head #${BigInt(n)}`;
  if (live.textContent !== "reconnecting…") live.textContent = liveHead;
});

let generation = 0;
let closeLogs: (() => void)[] = [];

async function route(): Promise<void> {
  const started = performance.now();
  const mine = ++generation;
  headListeners.clear();
  for (const close of closeLogs) close();
  closeLogs = [];
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter((p) => p !== "");
  const [name, page] = PAGES[parts[0] ?? ""] ?? PAGES[""]!;
  const root = document.getElementById("main")!;
  root.dataset.page = name;
  delete root.dataset.ready;
  delete root.dataset.renderMs;
  delete root.dataset.sinceNavigationMs;
  root.setAttribute("aria-busy", "true");
  const ctx: Ctx = {
    rpc,
    current: () => mine === generation,
    onHead: (fn) => {
      if (mine === generation) headListeners.add(fn);
    },
    onLogs: (filter, fn) => {
      if (mine === generation) closeLogs.push(rpc.subscribe(["logs", filter], fn));
    },
    ready: () => {
      if (mine !== generation || root.dataset.ready) return;
      root.dataset.renderMs = (performance.now() - started).toFixed(1);
      // Since the document's navigation began: the whole first render, bundle loading included.
      root.dataset.sinceNavigationMs = performance.now().toFixed(1);
      root.dataset.ready = "true";
      root.removeAttribute("aria-busy");
      document.title = `${root.querySelector("h1")?.textContent ?? "AIVM"} · AIVM Explorer`;
    },
  };
  try {
    await page(ctx, root, parts.slice(1));
    ctx.ready();
  } catch (error) {
    if (mine !== generation) return;
    render(root, h("h1", {}, "Something went wrong"), h("p", { class: "error", role: "alert" }, (error as Error).message));
    ctx.ready();
  }
}

document.getElementById("search")!.addEventListener("submit", (e) => {
  e.preventDefault();
  const q = (document.getElementById("search-input") as HTMLInputElement).value.trim();
  if (/^0x[0-9a-fA-F]{64}$/.test(q)) location.hash = `#/tx/${q}`;
  else if (/^\d+$/.test(q)) location.hash = `#/block/${q}`;
});
window.addEventListener("hashchange", () => {
  void route();
  document.getElementById("main")!.focus({ preventScroll: true });
});
void route();
