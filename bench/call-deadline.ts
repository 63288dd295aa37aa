// What the RPC deadline costs a call (issue 13): the same 1.4M-step loop on the node's call EVM,
// unarmed and armed with a deadline watch (src/evm/call-deadline.ts), alternating, in one process.
// Prints JSON with the medians and their ratio. Run: npx tsx bench/call-deadline.ts
import { hexToBytes } from "@ethereumjs/util";
import { DevNode } from "../src/chain/node.ts";
import { armCallWatch, disarmCallWatch } from "../src/evm/call-deadline.ts";

const ROUNDS = 30;
/** Counts 200,000 down to zero: 7 steps a turn, 1.4M steps, 5.2M gas. */
const COUNTDOWN = hexToBytes("0x62030d405b600190038060045700");

const node = await DevNode.create({ runtime: null });
const evm = (node as unknown as { callVm: { evm: { runCode(opts: { code: Uint8Array; gasLimit: bigint }): Promise<{ exceptionError?: unknown }> } } }).callVm.evm;
async function timed(): Promise<number> {
  const started = performance.now();
  const result = await evm.runCode({ code: COUNTDOWN, gasLimit: 10_000_000n });
  if (result.exceptionError) throw new Error(`countdown failed: ${String(result.exceptionError)}`);
  return performance.now() - started;
}
const unarmed: number[] = [];
const armed: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  unarmed.push(await timed());
  // No deadline (0), so the run measures the polls and the event-loop turns, never a halt.
  armCallWatch(evm, 0);
  armed.push(await timed());
  disarmCallWatch(evm);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
console.log(
  JSON.stringify({
    steps: 1_400_000,
    rounds: ROUNDS,
    unarmedMedianMs: +median(unarmed).toFixed(1),
    armedMedianMs: +median(armed).toFixed(1),
    ratio: +(median(armed) / median(unarmed)).toFixed(3),
  }),
);
await node.close();
