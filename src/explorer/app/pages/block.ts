// A block: its header, its transactions with their AIVM receipts, and its anchor, which gets a
// check-mark when every transaction receipt's Merkle proof reaches the anchor root in the browser
// and the header, aivm_getAnchor and the BlockAnchor contract's storage agree on that root.
import { blockLink, h, kv, multiplier, num, short, table, timeOf, txLink, render } from "../dom.ts";
import { nameOf } from "../chain.ts";
import type { Page } from "../context.ts";
import { RpcError, q } from "../rpc.ts";
import { checkReceiptProof, storedAnchorRoot } from "../verify.ts";
import type { Hex } from "../../../commit/hex.ts";

export const blockPage: Page = async (ctx, root, [id]) => {
  const number = BigInt(id ?? "0");
  const [block, anchor] = await Promise.all([
    ctx.rpc.call<any>("eth_getBlockByNumber", [q(number), true]),
    ctx.rpc.call<{ anchorRoot: Hex; receiptCount: number; flops: string; multiplier: string } | null>("aivm_getAnchor", [q(number)]),
  ]);
  if (!block) {
    render(root, h("h1", {}, `Block ${number}`), h("p", { class: "error" }, "The node has no such block."));
    return;
  }
  const txs = block.transactions as { hash: Hex; from: string; to: string | null }[];
  const receipts = await ctx.rpc.batch<{ receipts: { opcode: string; gasUsed: string; flops: string }[] } | null>(txs.map((t) => ({ method: "aivm_getReceipts", params: [t.hash] })));
  const listOf = (i: number) => {
    const r = receipts[i];
    return r instanceof RpcError || !r ? [] : r.receipts;
  };
  if (!ctx.current()) return;
  const status = h("span", { "data-testid": "anchor-status", class: "muted" }, anchor ? "checking…" : "no anchor");
  render(root, 
    h("h1", {}, `Block ${number}`),
    h(
      "nav",
      { "aria-label": "Neighbouring blocks" },
      number > 0n ? h("a", { href: `#/block/${number - 1n}`, rel: "prev" }, "← previous") : null,
      " ",
      h("a", { href: `#/block/${number + 1n}`, rel: "next" }, "next →"),
    ),
    kv([
      ["Hash", h("span", { class: "mono" }, block.hash)],
      ["Time", timeOf(block.timestamp)],
      ["Gas used", `${num(block.gasUsed)} of ${num(block.gasLimit)}`],
      ["Parent", number > 0n ? blockLink(number - 1n) : "—"],
      ["AIVM anchor root", h("span", { class: "mono", "data-testid": "anchor-root" }, anchor?.anchorRoot ?? "—")],
      ["AIVM receipts", h("span", { "data-testid": "receipt-count" }, anchor ? String(anchor.receiptCount) : "—")],
      ["AIVM FLOPs", anchor ? num(anchor.flops) : "—"],
      ["Congestion multiplier", anchor ? multiplier(anchor.multiplier) : "—"],
      ["Anchor", status],
    ]),
    h("h2", {}, `Transactions (${txs.length})`),
    txs.length === 0
      ? h("p", { class: "muted" }, "No transactions.")
      : table(
          ["transaction", ["from", "hide-sm"], "to", "AIVM ops", ["AIVM gas", "num"], ["FLOPs", "num"]],
          txs.map((t, i) => [
            txLink(t.hash, 10),
            h("span", { class: "mono" }, short(t.from, 4)),
            t.to ? h("span", { class: "mono", title: t.to }, nameOf(t.to) ?? short(t.to, 4)) : "create",
            listOf(i).map((r) => r.opcode).join(", ") || "—",
            num(listOf(i).reduce((s, r) => s + BigInt(r.gasUsed), 0n)),
            num(listOf(i).reduce((s, r) => s + BigInt(r.flops), 0n)),
          ]),
          "transactions",
        ),
  );
  ctx.ready();
  if (!anchor) return;

  // The anchor check runs after the first render: it is the slow part (a proof per receipt).
  const checks = await Promise.all(txs.flatMap((t, i) => listOf(i).map((_r, k) => checkReceiptProof(ctx.rpc, t.hash, k))));
  const stored = await storedAnchorRoot(ctx.rpc, number);
  if (!ctx.current()) return;
  const failed = checks.filter((c) => !c.ok);
  const rootsAgree = block.aivmAnchorRoot === anchor.anchorRoot && stored.toLowerCase() === anchor.anchorRoot.toLowerCase();
  const systemReceipts = anchor.receiptCount - checks.length;
  if (!rootsAgree) {
    status.className = "bad";
    status.textContent = `✗ the header (${short(block.aivmAnchorRoot)}), aivm_getAnchor (${short(anchor.anchorRoot)}) and BlockAnchor storage (${short(stored)}) disagree`;
  } else if (failed.length > 0) {
    status.className = "bad";
    status.textContent = `✗ ${failed.length} of ${checks.length} receipt proofs fail (${failed[0]!.detail})`;
  } else {
    status.className = "ok";
    const unchecked = systemReceipts > 0 ? ` (${systemReceipts} system-call receipt${systemReceipts === 1 ? "" : "s"} not exposed per transaction)` : "";
    status.textContent =
      checks.length === 0
        ? `✓ no transaction receipts${unchecked}; header and BlockAnchor storage agree on the root`
        : `✓ anchor verifies: ${checks.length} of ${checks.length} transaction receipts proven in the browser${unchecked}; header and BlockAnchor storage agree`;
  }
  status.dataset.verified = String(status.className === "ok");
};
