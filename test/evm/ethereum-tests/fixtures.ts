// Ethereum's consensus tests (../shared/ethereum-tests, a Cancun subset of ethereum/tests): finds the
// files and lists their cases in a fixed order, so a sample and a full run name cases the same way.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Where the suites live: $AIVM_ETHEREUM_TESTS, else ../shared/ethereum-tests beside the repository. */
export function ethereumTestsDir(): string {
  return process.env.AIVM_ETHEREUM_TESTS ?? resolve(fileURLToPath(new URL("../../../", import.meta.url)), "../shared/ethereum-tests");
}

export type Suite = "state" | "blockchain";

/** One case: a post entry of a state test (file, test, index) or one blockchain test. */
export interface CaseRef {
  suite: Suite;
  /** Path under the suites' directory. */
  file: string;
  test: string;
  /** Index of the post entry in post.Cancun (state tests only). */
  index: number;
  /** Stable name: file#test[index]. */
  id: string;
}

export const FORK = "Cancun";

function jsonFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...jsonFiles(path));
    else if (name.endsWith(".json")) out.push(path);
  }
  return out;
}

const parsed = new Map<string, Record<string, unknown>>();

/** The parsed JSON of a suite file (cached: the runners read each file once per process). */
export function readFixture(file: string): Record<string, unknown> {
  let json = parsed.get(file);
  if (json === undefined) {
    json = JSON.parse(readFileSync(join(ethereumTestsDir(), file), "utf8")) as Record<string, unknown>;
    parsed.set(file, json);
  }
  return json;
}

/** Every case of a suite, in file order then test order then post index. */
export function listCases(suite: Suite): CaseRef[] {
  const root = ethereumTestsDir();
  const dir = join(root, suite === "state" ? "GeneralStateTests" : "BlockchainTests");
  const out: CaseRef[] = [];
  for (const path of jsonFiles(dir)) {
    const file = relative(root, path);
    const json = readFixture(file);
    for (const test of Object.keys(json)) {
      if (suite === "blockchain") {
        out.push({ suite, file, test, index: 0, id: `${file}#${test}` });
        continue;
      }
      const post = (json[test] as { post: Record<string, unknown[]> }).post[FORK] ?? [];
      for (let index = 0; index < post.length; index++) out.push({ suite, file, test, index, id: `${file}#${test}[${index}]` });
    }
  }
  return out;
}

/** Every `stride`-th case from `offset`: a fixed, spread-out sample across all categories. */
export function sampleCases(cases: readonly CaseRef[], stride: number, offset = 0): CaseRef[] {
  return cases.filter((_, i) => i % stride === offset);
}
