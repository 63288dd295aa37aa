// The tensor viewer: a tensor from a transaction's AIVM op (decoded from the precompile call's
// input or output) or from the persistent store (aivm_getTensor), its Tensor Commit recomputed in
// the browser and matched against the receipt's (or the content id), shown as an image, a heat map
// or a table.
import { h, kv, short, render } from "../dom.ts";
import type { Page } from "../context.ts";
import { aivmFrames, traceOf } from "./tx.ts";
import { heatMapView, imageView, inlineTensors, shapeText, tableView, type FoundTensor } from "../tensors.ts";
import { commitEncodedTensor } from "../../../commit/tensor-commit.ts";
import { decodeTensor } from "../../../codec/tensor.ts";
import { fromHex, toHex, type Hex } from "../../../commit/hex.ts";

export const tensorPage: Page = async (ctx, root, args) => {
  let found: FoundTensor | undefined;
  let origin: HTMLElement;
  let match: HTMLElement;
  if (args[0] === "tx") {
    const [, hash, kArg, which, iArg] = args as [string, Hex, string, "in" | "out", string];
    const trace = await traceOf(ctx, hash);
    const frame = aivmFrames(trace)[Number(kArg)];
    if (!frame) throw new Error(`The transaction has no AIVM op ${kArg}.`);
    found = inlineTensors(which === "in" ? frame.input : frame.output)[Number(iArg)];
    origin = h("span", {}, `${which === "in" ? "input" : "output"} ${iArg} of `, h("a", { href: `#/tx/${hash}` }, `op ${kArg} (${frame.aivm!.opcode}) of transaction ${short(hash)}`));
    const commits = frame.aivm!.receipts.flatMap((r) => (which === "in" ? r.inputCommits : r.outputCommits).map((c, j) => ({ c: c.toLowerCase(), j, r: r.index })));
    const hit = found ? commits.find((x) => x.c === found!.commit) : undefined;
    match = hit
      ? h("span", { class: "ok", "data-testid": "commit-match" }, `✓ equals ${which === "in" ? "input" : "output"} commit ${hit.j} of receipt #${hit.r}`)
      : h("span", { class: "bad", "data-testid": "commit-match" }, "✗ not among the receipt's commits");
  } else {
    const id = args[0] as Hex;
    const stored = await ctx.rpc.call<{ id: Hex; data: Hex } | null>("aivm_getTensor", [id]);
    if (stored) {
      const bytes = fromHex(stored.data);
      // The store also holds programs and shard manifests under their content ids: not tensors.
      const isTensor = bytes.length >= 4 && bytes[0] === 0x41 && bytes[1] === 0x49 && bytes[2] === 0x56 && bytes[3] === 0x54;
      if (!isTensor) {
        render(root, h("h1", {}, "Stored object"), h("p", { "data-testid": "not-a-tensor" }, `${short(id)} holds ${stored.data.length / 2 - 1} bytes that are not a tensor (a program or a shard manifest).`));
        return;
      }
      found = { tensor: decodeTensor(bytes), bytes, commit: toHex(commitEncodedTensor(bytes)) };
    }
    origin = h("span", {}, "the persistent tensor store (aivm_getTensor)");
    match = found && found.commit === id.toLowerCase() ? h("span", { class: "ok", "data-testid": "commit-match" }, "✓ equals its content id") : h("span", { class: "bad", "data-testid": "commit-match" }, "✗ differs from its content id");
  }
  if (!ctx.current()) return;
  if (!found) {
    render(root, h("h1", {}, "Tensor"), h("p", { class: "error" }, "No such tensor."));
    return;
  }
  const t = found.tensor;
  const views: [string, () => HTMLElement | undefined][] = [
    ["Image", () => imageView(t)],
    ["Heat map", () => heatMapView(t)],
    ["Table", () => tableView(t)],
  ];
  const available = views.filter(([name]) => name !== "Image" || imageView(t) !== undefined);
  const stage = h("div", { "data-testid": "tensor-stage" });
  const buttons = available.map(([name, make]) =>
    h("button", {
      type: "button",
      "aria-pressed": "false",
      onclick: (e: Event) => {
        for (const b of buttons) b.setAttribute("aria-pressed", String(b === e.currentTarget));
        stage.replaceChildren(make()!);
      },
    }, name),
  );
  buttons[0]!.setAttribute("aria-pressed", "true");
  stage.replaceChildren(available[0]![1]()!);
  render(root, 
    h("h1", {}, `Tensor ${shapeText(t.dtype, t.shape)}`),
    kv([
      ["From", origin],
      ["Shape", h("span", { "data-testid": "tensor-shape" }, shapeText(t.dtype, t.shape))],
      ["Quantization", t.quant ? `multiplier ${t.quant.multiplier.slice(0, 4).join(", ")}, shift ${t.quant.shift.slice(0, 4).join(", ")}, zero point ${t.quant.zeroPoint.slice(0, 4).join(", ")}` : "none"],
      ["Tensor Commit (computed here)", h("span", { class: "mono", "data-testid": "tensor-commit" }, found.commit)],
      ["Check", match],
    ]),
    h("div", { class: "toolbar", role: "group", "aria-label": "View" }, buttons),
    stage,
  );
  ctx.ready();
};
