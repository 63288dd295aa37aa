// Every docsPath an error names (src/, precompiles/) is a page in docs/ and, when it has an anchor, a
// heading of that page: the "Docs:" line of an error message must lead somewhere.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|mts)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = heading[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

test("headingAnchors follows GitHub's slugs", () => {
  const anchors = headingAnchors("# Title\n## Canonical ABI input\n### Values, nodes, outputs\n```\n# not a heading\n```\n## `TSTREAM` (0x…A107)\n## Title\n");
  assert.deepEqual([...anchors], ["title", "canonical-abi-input", "values-nodes-outputs", "tstream-0xa107", "title-1"]);
});

test("every docsPath in src/ and precompiles/ names a docs/ page and one of its headings", () => {
  const uses: { where: string; path: string }[] = [];
  for (const file of [...sourceFiles(join(repoRoot, "src")), ...sourceFiles(join(repoRoot, "precompiles"))]) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/docsPath:\s*(["'`])(.*?)\1/g)) uses.push({ where: relative(repoRoot, file), path: m[2]! });
  }
  // The errors of the engine, the precompiles, the model tools and the node all name one.
  assert.ok(uses.length >= 20, `found only ${uses.length} docsPath literals: is the pattern still right?`);
  const anchorsOf = new Map<string, Set<string>>();
  const broken: string[] = [];
  for (const { where, path } of uses) {
    const [page, anchor] = path.split("#") as [string, string | undefined];
    const file = join(repoRoot, "docs", page);
    if (!existsSync(file)) {
      broken.push(`${where}: docs/${page} does not exist`);
      continue;
    }
    if (anchor === undefined) continue;
    if (!anchorsOf.has(page)) anchorsOf.set(page, headingAnchors(readFileSync(file, "utf8")));
    if (!anchorsOf.get(page)!.has(anchor)) broken.push(`${where}: docs/${page} has no heading #${anchor}`);
  }
  assert.deepEqual(broken, []);
});
