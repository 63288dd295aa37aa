// AgentScheduler: its configuration, the slots ahead (reserved units and requests), the Bulk
// backlog, each latency class's requests (submitted, executed, deadlines met and missed) and the
// agents with their stake shares. Agents and requests are found by the logs of the transactions that
// made them; what became of a request is read with getRequest, because the scheduler runs requests
// in per-epoch system calls, whose events are in no transaction's receipt (docs/scheduler.md). A
// reserved request that misses its deadline is refunded, so for RT and Interactive "refunded" is
// "deadline missed".
import { toEventSelector } from "viem";
import { h, kv, num, percent, short, table, render } from "../dom.ts";
import { AGENT_SCHEDULER, LATENCY_CLASSES, REQUEST_STATUS, schedulerAbi } from "../chain.ts";
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
  const logs = await logsOf(ctx.rpc, schedulerAbi, AGENT_SCHEDULER, ["AgentRegistered", "RequestSubmitted"].map(topic));
  const agents = logs.filter((l) => l.eventName === "AgentRegistered");
  const weights = await Promise.all(agents.map((a) => read<bigint>(ctx.rpc, AGENT_SCHEDULER, schedulerAbi, "weightOf", [a.args.agentId])));
  const info = await Promise.all(agents.map((a) => read<any>(ctx.rpc, AGENT_SCHEDULER, schedulerAbi, "getAgent", [a.args.agentId])));
  const totalStake = info.reduce((s, a) => s + BigInt(a.stake), 0n);
  const submitted = logs.filter((l) => l.eventName === "RequestSubmitted");
  const requests = await Promise.all(submitted.map((l) => read<any>(ctx.rpc, AGENT_SCHEDULER, schedulerAbi, "getRequest", [l.args.requestId])));
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
      ["class", ["submitted", "num"], ["executed", "num"], ["deadlines met", "num"], ["deadlines missed (refunded)", "num"], ["waiting", "num"]],
      LATENCY_CLASSES.map((name, c) => {
        const mine = requests.filter((r) => Number(r.class_) === c);
        const count = (status: number) => mine.filter((r) => Number(r.status) === status).length;
        const ran = count(REQUEST_STATUS.Executed);
        const refunded = count(REQUEST_STATUS.Refunded);
        const bulk = name === "Bulk";
        return [name, mine.length, ran, bulk ? "—" : ran, bulk ? "—" : refunded, count(REQUEST_STATUS.Queued)];
      }),
      "queues per latency class",
    ),
    h("h2", {}, "Slots ahead"),
    table(["slot", ["reserved units", "num"], ["admitted requests", "num"]], slots.map(([s, [units, requests]]) => [String(s), num(units), num(requests)]), "slots ahead"),
    h("h2", {}, `Agents (${agents.length})`),
    agents.length === 0
      ? h("p", { class: "muted" }, "No agents registered.")
      : table(
          ["agent", "owner", ["stake (wei)", "num"], ["stake share", "num"], ["fair-queuing weight", "num"], ["pending", "num"]],
          agents.map((a, i) => [String(a.args.agentId), h("span", { class: "mono" }, short(info[i].owner, 4)), num(info[i].stake), h("span", { "data-testid": `stake-share-${a.args.agentId}` }, percent(BigInt(info[i].stake), totalStake)), num(weights[i]!), info[i].pending]),
          "agents",
        ),
  );
  ctx.ready();
};
