// A transaction: its call tree (debug_traceTransaction with aivmTracer, callTracer's tree plus each
// AIVM precompile call's op; plain callTracer and aivm_getReceipts on a node without it), each AIVM
// op inline with its shapes, FLOPs, gas parts, commits and tensors, and a "verify" button per receipt
// that checks its Merkle proof against the block anchor in the browser.
import { blockLink, h, kv, num, short, table, render } from "../dom.ts";
import { nameOf } from "../chain.ts";
import type { Ctx, Page } from "../context.ts";
import { checkReceiptProof, type RpcReceipt } from "../verify.ts";
import { inlineTensors, shapeText, storedHandles } from "../tensors.ts";
import type { Hex } from "../../../commit/hex.ts";

export interface Frame {
  type: string;
  from: string;
  to?: string;
  gas: string;
  gasUsed: string;
  input: Hex;
  output?: Hex;
  error?: string;
  revertReason?: string;
  calls?: Frame[];
  aivm?: AivmOp;
}

export interface AivmOp {
  opcode: string;
  op?: string;
  inputs?: { dtype: string; shape: number[]; source: string }[];
  outputs?: { dtype: string; shape: number[] }[];
  flops?: string;
  gas?: Record<"compute" | "base" | "bytes" | "program" | "reads" | "total" | "charged", string>;
  nodes?: { op: string; flops: string; gas: string; outputs: { dtype: string; shape: number[] }[] }[];
  steps?: number;
  rejected?: string;
  receipts: (Omit<RpcReceipt, "index" | "opcode" | "precompile"> & { index: number | null; reverted?: boolean })[];
}

/** The AIVM precompile frames of a call tree, in call order (their position is the op's number in URLs). */
export function aivmFrames(root: Frame): Frame[] {
  const out: Frame[] = [];
  const visit = (f: Frame) => {
    if (f.aivm) out.push(f);
    for (const c of f.calls ?? []) visit(c);
  };
  visit(root);
  return out;
}

/** The aivmTracer trace of a transaction. */
export async function traceOf(ctx: Ctx, hash: string): Promise<Frame> {
  return ctx.rpc.call<Frame>("debug_traceTransaction", [hash, { tracer: "aivmTracer" }]);
}

const GAS_PARTS = [
  ["compute", "var(--bar1)"],
  ["base", "var(--bar2)"],
  ["bytes", "var(--bar3)"],
  ["program", "var(--bar4)"],
  ["reads", "var(--bar5)"],
] as const;

function gasSplit(gas: NonNullable<AivmOp["gas"]>): HTMLElement {
  const total = BigInt(gas.total) || 1n;
  const parts = GAS_PARTS.filter(([k]) => BigInt(gas[k]) > 0n);
  return h(
    "div",
    {},
    h("div", { class: "gasbar", role: "img", "aria-label": `gas: ${parts.map(([k]) => `${k} ${num(gas[k])}`).join(", ")}` }, parts.map(([k, color]) => {
      const bar = h("span", { title: `${k} ${num(gas[k])}` });
      bar.style.width = `${Number((BigInt(gas[k]) * 10000n) / total) / 100}%`;
      bar.style.background = color;
      return bar;
    })),
    h("div", { class: "legend", "data-testid": "gas-split" }, parts.map(([k, color]) => {
      const swatch = h("i");
      swatch.style.background = color;
      return h("span", {}, swatch, `${k} ${num(gas[k])}`);
    }), h("span", {}, `= ${num(gas.total)} (charged ${num(gas.charged)})`)),
  );
}

function opSummary(a: AivmOp): string {
  const list = (ts: { dtype: string; shape: number[] }[]) => ts.map((t) => shapeText(t.dtype, t.shape)).join(", ") || "—";
  const io = a.inputs && a.outputs ? ` ${list(a.inputs)} → ${list(a.outputs)}` : "";
  return `${a.opcode}${a.op ? ` (${a.op})` : ""}${io}${a.flops ? ` · ${num(a.flops)} FLOPs` : ""}`;
}

function commitList(commits: string[], label: string): HTMLElement {
  if (commits.length === 0) return h("span", { class: "muted" }, "none");
  return h("ul", { "aria-label": label }, commits.map((c) => h("li", { class: "mono" }, c)));
}

function opView(ctx: Ctx, hash: Hex, frame: Frame, k: number): HTMLElement {
  const a = frame.aivm!;
  const inputs = inlineTensors(frame.input);
  const outputs = inlineTensors(frame.output);
  const stored = storedHandles(frame.input);
  const tensorLinks = [
    ...inputs.map((t, i) => h("li", {}, h("a", { href: `#/tensor/tx/${hash}/${k}/in/${i}` }, `input tensor ${i}: ${shapeText(t.tensor.dtype, t.tensor.shape)}`))),
    ...outputs.map((t, i) => h("li", {}, h("a", { href: `#/tensor/tx/${hash}/${k}/out/${i}` }, `output tensor ${i}: ${shapeText(t.tensor.dtype, t.tensor.shape)}`))),
    ...stored.map((id) => h("li", {}, h("a", { href: `#/tensor/${id}` }, `stored tensor ${short(id)}`))),
  ];
  return h(
    "details",
    { class: "op", id: `op-${k}`, "data-testid": `op-${k}` },
    h("summary", {}, `op ${k}: ${opSummary(a)}`),
    a.rejected ? h("p", { class: "error" }, `rejected: ${a.rejected}`) : null,
    a.gas ? gasSplit(a.gas) : null,
    a.nodes && a.nodes.length > 0
      ? table(["node", "op", ["FLOPs", "num"], ["gas", "num"], "outputs"], a.nodes.map((n, i) => [i, n.op, num(n.flops), num(n.gas), n.outputs.map((t) => shapeText(t.dtype, t.shape)).join(", ")]), "program nodes")
      : null,
    tensorLinks.length > 0 ? h("ul", { "aria-label": "tensors" }, tensorLinks) : null,
    a.receipts.map((r) => {
      const result = h("span", { "aria-live": "polite", "data-testid": `verify-result-${r.index}` });
      const button = h("button", {
        type: "button",
        "data-testid": `verify-${r.index}`,
        onclick: async () => {
          button.disabled = true;
          result.className = "muted";
          result.textContent = " checking…";
          try {
            const check = await checkReceiptProof(ctx.rpc, hash, r.index!, r.leaf);
            result.className = check.ok ? "ok" : "bad";
            result.textContent = check.ok ? ` ✓ verified: ${check.detail} ${check.anchorRoot}` : ` ✗ not verified: ${check.detail}`;
          } catch (error) {
            result.className = "bad";
            result.textContent = ` ✗ ${(error as Error).message}`;
          } finally {
            button.disabled = false;
          }
        },
      }, "Verify");
      return h(
        "section",
        { "aria-label": `receipt ${r.index ?? "reverted"}` },
        h("h3", {}, r.reverted ? "Receipt (reverted with its caller)" : `Receipt #${r.index}`),
        kv([
          ["Gas / FLOPs", `${num(r.gasUsed)} gas, ${num(r.flops)} FLOPs`],
          ["Params hash", h("span", { class: "mono" }, r.paramsHash)],
          ["Input commits", commitList(r.inputCommits, "input commits")],
          ["Output commits", commitList(r.outputCommits, "output commits")],
          ["Leaf", h("span", { class: "mono" }, r.leaf)],
        ]),
        r.reverted ? null : h("p", {}, button, result),
      );
    }),
  );
}

function frameView(ctx: Ctx, hash: Hex, frame: Frame, ops: Frame[]): HTMLElement {
  const to = frame.to ? `${nameOf(frame.to) ?? ""} ${frame.to}`.trim() : "(create)";
  return h(
    "li",
    { class: "frame" },
    h("span", {}, h("strong", {}, frame.type), " ", h("span", { class: "mono" }, to), ` · gas ${num(frame.gasUsed)}`, frame.error ? h("span", { class: "bad" }, ` · ${frame.error}${frame.revertReason ? `: ${frame.revertReason}` : ""}`) : null),
    frame.aivm ? opView(ctx, hash, frame, ops.indexOf(frame)) : null,
    frame.calls && frame.calls.length > 0 ? h("ul", {}, frame.calls.map((c) => frameView(ctx, hash, c, ops))) : null,
  );
}

export const txPage: Page = async (ctx, root, [hashArg]) => {
  const hash = (hashArg ?? "") as Hex;
  const [tx, receipt] = await Promise.all([ctx.rpc.call<any>("eth_getTransactionByHash", [hash]), ctx.rpc.call<any>("eth_getTransactionReceipt", [hash])]);
  if (!tx || !receipt) {
    render(root, h("h1", {}, "Transaction"), h("p", { class: "error" }, "The node has no such mined transaction."));
    return;
  }
  let trace: Frame | undefined;
  let traceNote = "";
  try {
    trace = await traceOf(ctx, hash);
  } catch (error) {
    traceNote = `aivmTracer is not available (${(error as Error).message}); the call tree is callTracer's.`;
    trace = await ctx.rpc.call<Frame>("debug_traceTransaction", [hash, { tracer: "callTracer" }]).catch(() => undefined);
  }
  if (!ctx.current()) return;
  const ops = trace ? aivmFrames(trace) : [];
  render(root, 
    h("h1", {}, "Transaction"),
    kv([
      ["Hash", h("span", { class: "mono" }, hash)],
      ["Block", blockLink(receipt.blockNumber)],
      ["Status", BigInt(receipt.status) === 1n ? h("span", { class: "ok" }, "success") : h("span", { class: "bad" }, "failed")],
      ["From", h("span", { class: "mono" }, tx.from)],
      ["To", h("span", { class: "mono" }, tx.to ? `${nameOf(tx.to) ?? ""} ${tx.to}`.trim() : `(create) ${receipt.contractAddress}`)],
      ["Gas used", `${num(receipt.gasUsed)} of ${num(tx.gas)}`],
      ["AIVM receipts", h("span", { "data-testid": "tx-receipt-count" }, String(BigInt(receipt.aivmReceiptCount ?? "0x0")))],
      ["AIVM trace root", h("span", { class: "mono" }, receipt.aivmTraceRoot ?? "—")],
    ]),
    h("h2", {}, `Call tree (${ops.length} AIVM op${ops.length === 1 ? "" : "s"})`),
    traceNote ? h("p", { class: "muted" }, traceNote) : null,
    trace ? h("ul", { class: "calltree", "data-testid": "calltree" }, frameView(ctx, hash, trace, ops)) : h("p", { class: "error" }, "The node does not trace transactions (debug_traceTransaction)."),
  );
  ctx.ready();
};
