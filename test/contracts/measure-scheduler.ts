// Prints the scheduler's measured fairness and latency figures (JSON) from the reference model that
// properties.test.ts cross-checks against the contract. Run: npm run measure:scheduler
import { BULK_SHARE, measureShare, runMixed } from "./workloads.ts";

const stakes = [1n, 1n, 2n, 4n, 9n, 25n, 100n, 100n];
const t0 = performance.now();
const share = [4n, 100n, 10_000n].map((ratio) => {
  const s = measureShare(ratio, 1n);
  return { stakeRatio: Number(ratio), bulkShareRatio: Number(s.ratio.toFixed(3)), promisedMax: s.promised, servedBig: s.big, servedSmall: s.small };
});
const overload = runMixed(1, 2_500, 12, 6, stakes);
const stated = runMixed(2, 2_500, 8, 0.8 * BULK_SHARE, stakes);
const summary = (r: ReturnType<typeof runMixed>) => ({
  submitted: r.submitted,
  admitted: r.admitted,
  refusedAtSubmission: r.refusedReserved,
  missedDeadlines: r.missedDeadlines,
  maxSlotUnits: Number(r.maxSlotUnits),
  bulkRequests: r.bulkCount,
  maxBulkWaitEpochs: Number(r.maxBulkWait),
});
console.log(
  JSON.stringify(
    { share, overload: summary(overload), statedLoad: summary(stated), ms: Math.round(performance.now() - t0) },
    null,
    1,
  ),
);
