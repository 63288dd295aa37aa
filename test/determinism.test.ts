// Guards the integer-only rule on the consensus path: engine, codec, commit, gas and precompiles.
// ESLint enforces the same rule at lint time; this test also covers text the linter never parses.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const ROOT = join(import.meta.dirname, "..");
const CONSENSUS_DIRS = ["src/engine", "src/codec", "src/commit", "src/gas", "precompiles"];

const FORBIDDEN: { pattern: RegExp; why: string }[] = [
  {
    pattern: /\bMath\.(exp|expm1|log|log1p|log2|log10|pow|tanh|sinh|cosh|sin|cos|tan|asin|acos|atan|atan2|random|cbrt|hypot|fround|sqrt)\b/,
    why: "transcendental or float-rounding Math call",
  },
  { pattern: /\bFloat(32|64)Array\b/, why: "float typed array" },
  { pattern: /\bparseFloat\b/, why: "float parsing" },
  { pattern: /\*\*\s*-|\*\*\s*0\.\d|\*\*\s*\(\s*-/, why: "negative or fractional exponent" },
  { pattern: /(?<![\w.])\d+\.\d+(e[+-]?\d+)?(?![\w.])/, why: "float literal" },
];

function sourceFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const name of entries) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|js|mjs)$/.test(name)) out.push(p);
  }
  return out;
}

/** Strips comments and string literals so prose ("0.5 ULP") and messages don't count. */
function codeOnly(src: string): string {
  return src
    .replace(/\/\*[\s\S]*?\*\//g, " ")
    .replace(/\/\/.*$/gm, " ")
    .replace(/`(?:\\[\s\S]|[^`\\])*`/g, "``")
    .replace(/"(?:\\.|[^"\\\n])*"/g, '""')
    .replace(/'(?:\\.|[^'\\\n])*'/g, "''");
}

export function findViolations(src: string): string[] {
  const code = codeOnly(src);
  const hits: string[] = [];
  code.split("\n").forEach((line, i) => {
    for (const rule of FORBIDDEN) if (rule.pattern.test(line)) hits.push(`line ${i + 1}: ${rule.why}: ${line.trim()}`);
  });
  return hits;
}

test("the scanner flags each forbidden construct (it can fail)", () => {
  for (const bad of ["y = Math.exp(x);", "const r = Math.random()", "new Float32Array(4)", "const h = 0.5 * x;", "x ** -1", "Math.sqrt(v)"]) {
    assert.notDeepEqual(findViolations(bad), [], `should flag: ${bad}`);
  }
  for (const ok of ["y = Math.floor(x / 65536);", "// Math.exp is banned", 'throw new Error("0.5 LSB")', "Math.imul(a, b) | 0", "2 ** (shift - 17)"]) {
    assert.deepEqual(findViolations(ok), [], `should not flag: ${ok}`);
  }
});

test("no float arithmetic or transcendental Math on the consensus path", () => {
  const files = CONSENSUS_DIRS.flatMap((d) => sourceFiles(join(ROOT, d)));
  assert.ok(files.length > 0, "consensus-path sources were found");
  const report: string[] = [];
  for (const file of files) {
    for (const hit of findViolations(readFileSync(file, "utf8"))) report.push(`${relative(ROOT, file)} ${hit}`);
  }
  assert.deepEqual(report, [], `integer-only rule broken (see docs/spec.md#determinism):\n${report.join("\n")}`);
});
