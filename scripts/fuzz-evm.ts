// npm run fuzz:evm: differential fuzzing of the production EVM against stock EthereumJS. Each seed
// is a random world (three contracts of random bytecode calling each other) and one transaction
// (test/evm/fuzz-programs.ts); both stacks run every seed and must agree on everything observable
// (status, error, gas used, return data, logs, created address, state root). The stock stack runs
// in a child process, where the overrides are never installed. Prints JSON; exits 1 on a difference.
//
//   npm run fuzz:evm [-- --iterations 2000] [--seed 1]
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runProgram, FUZZ_HARDFORK, type ProgramDigest } from "../test/evm/fuzz-programs.ts";
import type { Stack } from "../test/evm/ethereum-tests/stack.ts";

const { values } = parseArgs({
  options: {
    iterations: { type: "string", default: "1000" },
    seed: { type: "string", default: "1" },
    /** Internal: run one stack and print its digests as JSON (the stock child). */
    worker: { type: "string" },
  },
});
const first = Number(values.seed);
const count = Number(values.iterations);

async function runAll(stack: Stack): Promise<{ digests: ProgramDigest[]; ms: number }> {
  const started = performance.now();
  const digests: ProgramDigest[] = [];
  for (let seed = first; seed < first + count; seed++) digests.push(await runProgram(stack, seed));
  return { digests, ms: Math.round(performance.now() - started) };
}

function runStockChild(): Promise<{ digests: ProgramDigest[]; ms: number }> {
  const args = ["--import", "tsx", fileURLToPath(import.meta.url), "--worker", "stock", "--iterations", String(count), "--seed", String(first)];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => chunks.push(c));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(JSON.parse(Buffer.concat(chunks).toString("utf8"))) : reject(new Error(`stock run exited with ${code}`))));
  });
}

if (values.worker !== undefined) {
  process.stdout.write(JSON.stringify(await runAll(values.worker as Stack)));
} else {
  const chain = await runAll("chain");
  const stock = await runStockChild();
  const differences = chain.digests.filter((c, i) => c.digest !== stock.digests[i]!.digest).map((c) => ({ chain: c, stock: stock.digests[c.seed - first]! }));
  const errors = new Map<string, number>();
  for (const d of chain.digests) {
    const outcome = d.error?.split(" at ")[0] ?? "success";
    errors.set(outcome, (errors.get(outcome) ?? 0) + 1);
  }
  console.log(
    JSON.stringify(
      { hardfork: FUZZ_HARDFORK, seeds: [first, first + count - 1], chainMs: chain.ms, stockMs: stock.ms, outcomes: Object.fromEntries(errors), differences },
      null,
      2,
    ),
  );
  // A crash (a JavaScript exception out of runTx) fails the run even when both stacks crash alike.
  const crashes = chain.digests.filter((d) => d.error?.startsWith("threw:")).map((d) => ({ seed: d.seed, error: d.error }));
  if (crashes.length > 0) console.log(JSON.stringify({ crashes }, null, 2));
  process.exitCode = differences.length > 0 || crashes.length > 0 ? 1 : 0;
}
