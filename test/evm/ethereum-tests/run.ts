// Runs a list of cases of either suite on one stack and tallies them.
import type { CaseRef } from "./fixtures.ts";
import { runBlockchainCase } from "./blockchain.ts";
import { runStateCase, type CaseResult } from "./state.ts";
import type { Stack } from "./stack.ts";

export interface SuiteTally {
  pass: number;
  total: number;
  /** Wall time of the run, in milliseconds. */
  ms: number;
}

export interface StackRun {
  results: CaseResult[];
  state: SuiteTally;
  blockchain: SuiteTally;
}

export function runCase(stack: Stack, ref: CaseRef): Promise<CaseResult> {
  return ref.suite === "state" ? runStateCase(stack, ref) : runBlockchainCase(stack, ref);
}

/** Runs `cases` in order; an exception escaping a runner counts as that case's failure. */
export async function runCases(stack: Stack, cases: readonly CaseRef[]): Promise<StackRun> {
  const run: StackRun = { results: [], state: { pass: 0, total: 0, ms: 0 }, blockchain: { pass: 0, total: 0, ms: 0 } };
  for (const ref of cases) {
    const started = performance.now();
    let result: CaseResult;
    try {
      result = await runCase(stack, ref);
    } catch (e) {
      result = { id: ref.id, pass: false, stateRoot: "", reason: `runner threw: ${(e as Error).message.split("\n")[0]}` };
    }
    const tally = run[ref.suite];
    tally.ms += performance.now() - started;
    tally.total++;
    if (result.pass) tally.pass++;
    run.results.push(result);
  }
  run.state.ms = Math.round(run.state.ms);
  run.blockchain.ms = Math.round(run.blockchain.ms);
  return run;
}
