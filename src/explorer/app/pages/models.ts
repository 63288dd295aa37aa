// ModelRegistry: every model (ModelCreated logs), its versions with their status, approvals (and who
// approved, from VersionApproved logs), content pin and gas quote, and what resolve() follows today.
import { toEventSelector } from "viem";
import { h, kv, num, short, table, render } from "../dom.ts";
import { MODEL_KIND, MODEL_REGISTRY, VERSION_STATUS, registryAbi } from "../chain.ts";
import { logsOf, read } from "../contracts.ts";
import type { Page } from "../context.ts";

function bytes32Text(b: string): string {
  const hex = b.slice(2).replace(/(00)+$/, "");
  let s = "";
  for (let i = 0; i < hex.length; i += 2) s += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
  return /^[\x20-\x7e]*$/.test(s) && s.length > 0 ? s : short(b);
}

export const modelsPage: Page = async (ctx, root) => {
  const created = await logsOf(ctx.rpc, registryAbi, MODEL_REGISTRY, [toEventSelector(registryAbi.find((x) => x.type === "event" && x.name === "ModelCreated")!)]);
  const approvals = await logsOf(ctx.rpc, registryAbi, MODEL_REGISTRY, [toEventSelector(registryAbi.find((x) => x.type === "event" && x.name === "VersionApproved")!)]);
  const sections: HTMLElement[] = [];
  for (const ev of created) {
    const id = ev.args.modelId as bigint;
    const model = await read<any>(ctx.rpc, MODEL_REGISTRY, registryAbi, "getModel", [id]);
    const versions = await Promise.all(Array.from({ length: Number(model.versionCount) }, (_v, i) => read<any>(ctx.rpc, MODEL_REGISTRY, registryAbi, "getVersion", [id, i + 1])));
    const followed = await read<any>(ctx.rpc, MODEL_REGISTRY, registryAbi, "resolve", [id, 0]).catch(() => undefined);
    sections.push(
      h(
        "section",
        { "aria-label": `model ${id}`, "data-testid": `model-${id}` },
        h("h2", {}, `Model ${id}: ${bytes32Text(model.name)}`),
        kv([
          ["Owner", h("span", { class: "mono" }, model.owner)],
          ["Kind", MODEL_KIND[model.kind] ?? String(model.kind)],
          ["Active version", model.activeVersion === 0 ? "none" : String(model.activeVersion)],
          ["Followers resolve to", followed ? `version ${followed.version}, program ${short(followed.programHandle)}, ${num(followed.gasQuote)} gas per run` : "nothing (no active version)"],
          ["Created in", h("a", { href: `#/tx/${ev.transactionHash}` }, short(ev.transactionHash))],
        ]),
        table(
          ["version", "status", ["approvals", "num"], "approved by", ["gas quote", "num"], "content pin", "program", ["fee (wei)", "num"]],
          versions.map((v, i) => [
            i + 1,
            VERSION_STATUS[v.status] ?? String(v.status),
            v.approvals,
            approvals.filter((a) => a.args.modelId === id && Number(a.args.version) === i + 1).map((a) => short(a.args.approver, 4)).join(", ") || "—",
            h("span", { "data-testid": "gas-quote" }, num(v.gasQuote)),
            h("span", { class: "mono", title: v.contentHash }, short(v.contentHash)),
            h("span", { class: "mono", title: v.programHandle }, short(v.programHandle)),
            num(v.fee),
          ]),
          `versions of model ${id}`,
        ),
      ),
    );
  }
  if (!ctx.current()) return;
  render(root, 
    h("h1", {}, "Models"),
    h("p", { class: "muted" }, `ModelRegistry at ${MODEL_REGISTRY}: ${created.length} model${created.length === 1 ? "" : "s"}. A version's content pin is keccak256 of its spec, its program the stored program's content id; resolve(id, 0) follows the active version, resolve(id, v) pins v.`),
    ...sections,
  );
  ctx.ready();
};
