// bench:decode-trees — the LM's decode loop (generateTokens, 64 tokens after "the ", in process) of
// this checkout against another checkout of the repository, both loaded side by side in one process
// and run in alternating rounds, so a change's speed is compared under the same load (this machine's
// speed swings by 1.5× between minutes; figures from separate runs do not compare). Prints JSON:
// tokens per second per round and the median of the per-round ratios (this checkout over the other).
//
//   git worktree add /tmp/base <commit> && ln -s "$PWD/node_modules" /tmp/base/node_modules
//   npm run bench:decode-trees -- /tmp/base [rounds]
//
// The other checkout needs its native addon (npm run build:native there, or a copy of build/) to
// time the same kernels. Both must produce the same tokens: a difference is reported and fails.
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = resolve(fileURLToPath(new URL("..", import.meta.url)));
const other = process.argv[2];
if (other === undefined) {
  console.error("usage: npm run bench:decode-trees -- <other checkout> [rounds]");
  process.exit(2);
}
const rounds = Number(process.argv[3] ?? 12);
if (!Number.isInteger(rounds) || rounds < 2) {
  console.error("rounds must be an integer ≥ 2");
  process.exit(2);
}

interface Tree {
  root: string;
  gen: () => unknown;
}

async function load(root: string): Promise<Tree> {
  const { BOS, compileLm, encodeText, generateTokens, loadLmFiles, LM_DIR } = await import(`${root}/src/model/lm.ts`);
  const { tensor } = await import(`${root}/src/engine/tensor.ts`);
  const files = loadLmFiles(LM_DIR);
  const lm = compileLm(files.config, files.weights, files.calibration);
  const seed = tensor("int32", [8], [1, 2, 3, 4, 5, 6, 7, 8]);
  return { root, gen: () => generateTokens(lm, [BOS, ...encodeText("the ")], 64, seed, {}) };
}

const trees = [await load(resolve(other)), await load(here)];
const { tuneNodeProcess } = await import(`${here}/src/cli/process-tuning.ts`);
tuneNodeProcess();
const outputs = trees.map((t) => JSON.stringify(t.gen()));
const sameTokens = outputs[0] === outputs[1];
for (let i = 0; i < 2; i++) for (const t of trees) t.gen();
const perRound: number[][] = trees.map(() => []);
for (let r = 0; r < rounds; r++) {
  // Alternate which tree goes first.
  for (const i of r % 2 === 0 ? [1, 0] : [0, 1]) {
    const t0 = performance.now();
    trees[i]!.gen();
    perRound[i]!.push(64 / ((performance.now() - t0) / 1000));
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round1 = (x: number) => Math.round(x * 10) / 10;
console.log(JSON.stringify({
  bench: "decode-trees",
  what: "generateTokens of the committed LM (64 tokens after \"the \", in process), two checkouts loaded in one process, alternating rounds; tokens/s per round",
  loadAverage1m: (await import("node:os")).loadavg()[0],
  sameTokens,
  other: { root: trees[0]!.root, tokensPerSecond: perRound[0]!.map(round1), median: round1(median(perRound[0]!)) },
  this: { root: trees[1]!.root, tokensPerSecond: perRound[1]!.map(round1), median: round1(median(perRound[1]!)) },
  medianRatioThisOverOther: Math.round(median(perRound[1]!.map((x, r) => x / perRound[0]![r]!)) * 1000) / 1000,
}, null, 2));
process.exit(sameTokens ? 0 : 1);
