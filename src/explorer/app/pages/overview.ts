// The chain overview: the last RECENT_BLOCKS blocks and their transactions, each block's AIVM gas
// share, FLOPs and congestion multiplier (charts), read with three batches whatever the chain's length.
import { blockLink, card, h, multiplier, num, percent, short, table, timeOf, txLink, render } from "../dom.ts";
import { chart } from "../charts.ts";
import { nameOf } from "../chain.ts";
import { RECENT_BLOCKS, type Page } from "../context.ts";
import { RpcError, q } from "../rpc.ts";

interface Block {
  number: string;
  hash: string;
  timestamp: string;
  gasUsed: string;
  transactions: { hash: string; from: string; to: string | null; blockNumber: string }[];
}
interface Anchor {
  anchorRoot: string;
  receiptCount: number;
  flops: string;
  multiplier: string;
}
interface Receipts {
  receipts: { gasUsed: string; opcode: string }[];
}

export const overviewPage: Page = async (ctx, root) => {
  const draw = async () => {
    const head = BigInt(await ctx.rpc.call<string>("eth_blockNumber"));
    const first = head - BigInt(RECENT_BLOCKS) + 1n > 0n ? head - BigInt(RECENT_BLOCKS) + 1n : 0n;
    const numbers: bigint[] = [];
    for (let n = head; n >= first; n--) numbers.push(n);
    const [blocks, anchors, congestion] = await Promise.all([
      ctx.rpc.all<Block>(numbers.map((n) => ({ method: "eth_getBlockByNumber", params: [q(n), true] }))),
      ctx.rpc.batch<Anchor | null>(numbers.map((n) => ({ method: "aivm_getAnchor", params: [q(n)] }))),
      ctx.rpc.call<{ multiplier: string | null; nextMultiplier: string | null; lastBlockFlops: string }>("aivm_congestion"),
    ]);
    const txs = blocks.flatMap((b) => b.transactions);
    const receipts = await ctx.rpc.batch<Receipts | null>(txs.map((t) => ({ method: "aivm_getReceipts", params: [t.hash] })));
    const aivmGasOfTx = new Map<string, bigint>();
    const opsOfTx = new Map<string, string[]>();
    txs.forEach((t, i) => {
      const r = receipts[i];
      const list = r instanceof RpcError || !r ? [] : r.receipts;
      aivmGasOfTx.set(t.hash, list.reduce((s, x) => s + BigInt(x.gasUsed), 0n));
      opsOfTx.set(t.hash, list.map((x) => x.opcode));
    });
    if (!ctx.current()) return;
    const anchorOf = (i: number) => (anchors[i] instanceof RpcError ? null : (anchors[i] as Anchor | null));
    const aivmGas = blocks.map((b) => b.transactions.reduce((s, t) => s + aivmGasOfTx.get(t.hash)!, 0n));
    const oldestFirst = [...numbers].reverse();
    const rev = <T>(xs: T[]) => [...xs].reverse();
    const shares = rev(blocks.map((b, i) => (BigInt(b.gasUsed) === 0n ? 0 : Number((aivmGas[i]! * 10000n) / BigInt(b.gasUsed)) / 100)));
    const flops = rev(anchors.map((_a, i) => Number(anchorOf(i)?.flops ?? 0)));
    const mults = rev(anchors.map((_a, i) => Number(anchorOf(i)?.multiplier ?? 1_000_000) / 1_000_000));

    render(root, 
      h("h1", {}, "Chain overview"),
      h(
        "div",
        { class: "cards" },
        card("Head block", blockLink(head), "head"),
        card("Multiplier now", multiplier(congestion.multiplier), "multiplier"),
        card("Next block's multiplier", multiplier(congestion.nextMultiplier)),
        card("FLOPs in the head block", num(congestion.lastBlockFlops)),
      ),
      h(
        "div",
        { class: "grid2" },
        chart(`Congestion multiplier, last ${numbers.length} blocks`, { labels: oldestFirst, values: mults, text: (v) => v.toFixed(6) }, "line", "var(--bar2)", "chart-multiplier"),
        chart(`AIVM FLOPs per block`, { labels: oldestFirst, values: flops, text: (v) => num(BigInt(Math.round(v))) }, "bar", "var(--bar1)", "chart-flops"),
        chart(`AIVM share of block gas`, { labels: oldestFirst, values: shares, text: (v) => `${v.toFixed(1)} %` }, "bar", "var(--bar3)", "chart-share"),
      ),
      h("h2", { id: "latest-blocks" }, `Latest blocks`),
      table(
        ["block", ["age", "hide-sm"], ["txs", "num"], ["gas used", "num"], ["AIVM gas share", "num"], ["FLOPs", "num"], ["anchor root", "hide-sm"]],
        blocks.map((b, i) => [
          blockLink(b.number),
          timeOf(b.timestamp),
          b.transactions.length,
          num(b.gasUsed),
          percent(aivmGas[i]!, BigInt(b.gasUsed)),
          num(anchorOf(i)?.flops ?? 0),
          h("span", { class: "mono", title: anchorOf(i)?.anchorRoot ?? "" }, short(anchorOf(i)?.anchorRoot)),
        ]),
        "latest blocks",
        "latest-blocks-table",
      ),
      h("h2", {}, "Latest transactions"),
      txs.length === 0
        ? h("p", { class: "muted" }, `No transactions in the last ${numbers.length} blocks.`)
        : table(
            ["transaction", "block", ["from", "hide-sm"], "to", "AIVM ops", ["AIVM gas", "num"]],
            txs.map((t) => [txLink(t.hash), blockLink(t.blockNumber), h("span", { class: "mono" }, short(t.from, 4)), t.to ? h("span", { class: "mono", title: t.to }, nameOf(t.to) ?? short(t.to, 4)) : "create", opsOfTx.get(t.hash)!.join(", ") || "—", num(aivmGasOfTx.get(t.hash)!)]),
            "latest transactions",
            "latest-txs-table",
          ),
    );
  };
  await draw();
  // New heads redraw from the head down; redraws never overlap, and a burst of heads is one redraw.
  let drawing = false;
  let again = false;
  ctx.onHead(async () => {
    if (drawing) {
      again = true;
      return;
    }
    drawing = true;
    do {
      again = false;
      await draw().catch(() => {});
    } while (again && ctx.current());
    drawing = false;
  });
};
