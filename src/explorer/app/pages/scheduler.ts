// AgentScheduler: its configuration, the slots ahead (reserved units and requests), the Bulk
// backlog, each latency class's requests (submitted, executed, deadlines met and missed) and the
// agents with their stake shares, from view calls and the scheduler's logs.
import { toEventSelector } from "viem";
import { h, kv, num, short, table, render } from "../dom.ts";
import { AGENT_SCHEDULER, LATENCY_CLASSES, schedulerAbi } from "../chain.ts";
import { logsOf, read } from "../contracts.ts";
import type { Page } from "../context.ts";

const topic = (name: string) => toEventSelector(schedulerAbi.find((x) => x.type === "event" && x.name === name)!);

export const schedulerPage: Page = async (ctx, root) => {
  const [[config], epoch, next, backlog] = await Promise.all([
    read<[any]>(ctx.rpc, AGENT_SCHEDULER, schedulerAbi, "config"),
    read<bigint>(ctx.rpc, AGENT_SCHEDULER, schedulerAbi, "currentEpoch"),
    read<bigint>(ctx.rpc, AGENT_SCHEDULER, schedulerAbi, "nextSlot"),
    read<bigint>(ctx.rpc, AGENT_SCHEDULER, schedulerAbi, "bulkBacklog"),
  ]);
  const slots = await Promise.all(Array.from({ length: 8 }, (_v, i) => next + BigInt(i)).map(async (s) => [s, await read<[bigint, bigint]>(ctx.rpc, AGENT_SCHEDULER, schedulerAbi, "slotLoad", [s])] as const));
  const logs = await logsOf(ctx.rpc, schedulerAbi, AGENT_SCHEDULER, ["AgentRegistered", "RequestSubmitted", "RequestExecuted", "DeadlineMissed"].map(topic));
  const agents = logs.filter((l) => l.eventName === "AgentRegistered");
  const weights = await Promise.all(agents.map((a) => read<bigint>(ctx.rpc, AGENT_SCHEDULER, schedulerAbi, "weightOf", [a.args.agentId])));
  const info = await Promise.all(agents.map((a) => read<any>(ctx.rpc, AGENT_SCHEDULER, schedulerAbi, "getAgent", [a.args.agentId])));
  const totalWeight = weights.reduce((s, w) => s + w, 0n);
  const submitted = logs.filter((l) => l.eventName === "RequestSubmitted");
  const executed = new Set(logs.filter((l) => l.eventName === "RequestExecuted").map((l) => l.args.requestId as bigint));
  const missed = new Set(logs.filter((l) => l.eventName === "DeadlineMissed").map((l) => l.args.requestId as bigint));
  if (!ctx.current()) return;
  render(root, 
    h("h1", {}, "Scheduler"),
    kv([
      ["AgentScheduler", h("span", { class: "mono" }, AGENT_SCHEDULER)],
      ["Epoch / next slot", `${epoch} / ${next} (epochs of ${config.epochLength} blocks)`],
      ["Capacity per slot", `${num(config.capacity)} units, ${num(config.guaranteedCapacity)} guaranteed to RT + Interactive`],
      ["Stake unit / unit price", `${num(config.stakeUnit)} wei / ${num(config.unitPrice)} wei per unit`],
      ["Bulk backlog", h("span", { "data-testid": "bulk-backlog" }, num(backlog))],
    ]),
    h("h2", {}, "Queues per latency class"),
    table(
      ["class", ["submitted", "num"], ["executed", "num"], ["deadlines met", "num"], ["deadlines missed", "num"], ["waiting", "num"]],
      LATENCY_CLASSES.map((name, c) => {
        const mine = submitted.filter((s) => Number(s.args.class_) === c);
        const ran = mine.filter((s) => executed.has(s.args.requestId)).length;
        const late = mine.filter((s) => missed.has(s.args.requestId)).length;
        return [name, mine.length, ran, name === "Bulk" ? "—" : ran - late, name === "Bulk" ? "—" : late, mine.length - ran];
      }),
      "queues per latency class",
    ),
    h("h2", {}, "Slots ahead"),
    table(["slot", ["reserved units", "num"], ["admitted requests", "num"]], slots.map(([s, [units, requests]]) => [String(s), num(units), num(requests)]), "slots ahead"),
    h("h2", {}, `Agents (${agents.length})`),
    agents.length === 0
      ? h("p", { class: "muted" }, "No agents registered.")
      : table(
          ["agent", "owner", ["stake (wei)", "num"], ["weight", "num"], ["stake share", "num"], ["pending", "num"]],
          agents.map((a, i) => [String(a.args.agentId), h("span", { class: "mono" }, short(info[i].owner, 4)), num(info[i].stake), num(weights[i]!), totalWeight === 0n ? "—" : `${Number((weights[i]! * 1000n) / totalWeight) / 10} %`, info[i].pending]),
          "agents",
        ),
  );
  ctx.ready();
};
