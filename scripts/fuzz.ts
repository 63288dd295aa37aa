// npm run fuzz: throws random and mutated inputs at every AIVM precompile (0x…A101 TMATMUL … 0x…A108
// TGRAPH) and at the dev node's JSON-RPC server on loopback, and checks that nothing crashes, no
// non-AIVM exception escapes, no call grows memory past the per-transaction budget, and no call takes
// more CPU per charged gas than 3× native ecrecover (plus a fixed per-call slack). Prints a JSON
// report; exits 1 on any finding. docs/fuzz.md.
//
//   npm run fuzz -- --iterations 100000 --seed 1
//   npm run fuzz -- --seed 1 --replay TMATMUL:123      (one input, with its stack and its cost)
import { parseArgs } from "node:util";
import { ALL_TARGETS, replayInput, runFuzz, type FuzzTarget } from "../test/fuzz/run.ts";

const { values } = parseArgs({
  options: {
    iterations: { type: "string", default: "10000" },
    seed: { type: "string", default: "1" },
    /** Comma-separated subset of TMATMUL,TEWOP,TCUSTOM,TLOAD,TSTORE,TCOMMIT,TSTREAM,TGRAPH,rpc. */
    targets: { type: "string" },
    "budget-mib": { type: "string", default: "64" },
    "max-ratio": { type: "string", default: "3" },
    "slack-us": { type: "string", default: "300" },
    /** TARGET:INDEX from a finding's `replay`. */
    replay: { type: "string" },
  },
});

const seed = Number(values.seed);
const budgetBytes = Number(values["budget-mib"]) * 1024 * 1024;
const asTarget = (t: string): FuzzTarget => {
  if (!(ALL_TARGETS as readonly string[]).includes(t)) throw new Error(`unknown target ${t}; one of ${ALL_TARGETS.join(", ")}`);
  return t as FuzzTarget;
};

if (values.replay !== undefined) {
  const [target, index] = values.replay.split(":");
  const result = await replayInput(seed, asTarget(target ?? ""), Number(index), budgetBytes);
  console.log(JSON.stringify(result, null, 2));
  process.exitCode = result.thrown !== undefined || result.fault !== undefined || result.problem !== undefined ? 1 : 0;
} else {
  const report = await runFuzz({
    iterations: Number(values.iterations),
    seed,
    targets: values.targets?.split(",").map(asTarget),
    budgetBytes,
    maxRatio: Number(values["max-ratio"]),
    slackUs: Number(values["slack-us"]),
    progressMs: 30_000,
  });
  console.log(JSON.stringify(report, null, 2));
  process.exitCode = report.findings.length > 0 ? 1 : 0;
}
// The RPC server's keep-alive sockets and the node's timers must not keep the process alive.
process.exit(process.exitCode ?? 0);
