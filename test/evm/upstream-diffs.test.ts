// Every copy of EthereumJS code in src/evm/ is upstream's function plus the committed diff in
// src/evm/upstream/, and upstream's function is still the text the diff was made from (its sha256
// in the diff's header). A new EthereumJS release that changes a copied function, or an edit to a
// copy without its diff, fails here. test/evm/upstream-diffs.ts explains the normalisation.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import {
  DIFF_DIR,
  UPSTREAM_COPIES,
  applyUnifiedDiff,
  diffHeader,
  diffPath,
  normalisedFunction,
  readOurs,
  readUpstream,
  unifiedDiff,
  upstreamLines,
} from "./upstream-diffs.ts";

const REFRESH = "review the change, then refresh with `npm run evm:diffs` (docs/evm.md#upstream-copies)";

/** The committed diff split into its header (comments and ---/+++ lines) and its hunks. */
function committed(path: string): { header: string; hunks: string } {
  const text = readFileSync(path, "utf8");
  const at = text.indexOf("\n@@");
  return at < 0 ? { header: text, hunks: "" } : { header: text.slice(0, at + 1), hunks: text.slice(at + 1) };
}

describe("upstream copies in src/evm", () => {
  for (const copy of UPSTREAM_COPIES) {
    it(`${copy.name}: upstream is the pinned text, and ours is upstream plus src/evm/upstream/${copy.name}.diff`, () => {
      const path = diffPath(copy);
      assert.ok(existsSync(path), `${path} is missing: ${REFRESH}`);
      const pieces = copy.upstream.map(readUpstream);
      const { header, hunks } = committed(path);
      // (a) Each upstream function is byte for byte the one the diff was made from.
      assert.equal(diffHeader(copy, pieces), header, `upstream's ${copy.upstream.map((p) => p.file).join(", ")} or the copy's location changed: ${REFRESH}`);
      // What Node runs (dist/esm) is that same source.
      for (const p of pieces) assert.equal(p.compiled, p.normalised, `${p.piece.file}: dist/esm differs from the shipped source`);
      // (b) Ours is exactly upstream with the diff applied.
      const patched = applyUnifiedDiff(upstreamLines(pieces), hunks);
      assert.equal(patched.join("\n"), readOurs(copy.ours), `${copy.ours.file} differs from upstream + ${copy.name}.diff: ${REFRESH}`);
    });
  }

  it("every diff in src/evm/upstream belongs to a listed copy", () => {
    const known = UPSTREAM_COPIES.map((c) => `${c.name}.diff`).sort();
    assert.deepEqual(readdirSync(DIFF_DIR).filter((f) => f.endsWith(".diff")).sort(), known);
  });

  it("the check fails on a changed line on either side, and on a changed upstream text", () => {
    const copy = UPSTREAM_COPIES.find((c) => c.name === "memory-extend")!;
    const pieces = copy.upstream.map(readUpstream);
    const upstream = upstreamLines(pieces);
    const { header, hunks } = committed(diffPath(copy));
    const ours = readOurs(copy.ours).split("\n");
    assert.deepEqual(applyUnifiedDiff(upstream, hunks), ours);
    // One line of our copy changed: the committed diff no longer yields it.
    const edited = ours.map((l) => l.replace("store.length * 2", "store.length * 3"));
    assert.notDeepEqual(edited, ours, "the edit hits a line");
    assert.notDeepEqual(applyUnifiedDiff(upstream, hunks), edited);
    assert.deepEqual(applyUnifiedDiff(upstream, unifiedDiff(upstream, edited)), edited, "a regenerated diff carries the edit");
    // One line of upstream changed where the diff has context or removals: the diff does not apply.
    const moved = upstream.map((l) => l.replace("CONTAINER_SIZE)", "CONTAINER_SIZE * 2)"));
    assert.notDeepEqual(moved, upstream, "the edit hits a line");
    assert.throws(() => applyUnifiedDiff(moved, hunks), /does not apply/);
    // One character of upstream's text changed: its sha256 in the header changes.
    const changed = pieces.map((p) => ({ ...p, raw: p.raw.replace("sizeDiff > 0", "sizeDiff >= 0") }));
    assert.notEqual(changed[0]!.raw, pieces[0]!.raw);
    assert.notEqual(diffHeader(copy, changed), header);
  });

  it("normalisation drops types, comments, quotes, braces and layout, and keeps every token of code", () => {
    const norm = (code: string) => normalisedFunction("snippet.ts", { function: "f" }, code);
    const typed = `function f(this: Foo, a?: number, b: bigint = 0x10n): string { // why
      if (a) return (a as unknown as string)!; else { return 'x' }
      const o = {
        k: [1, 2,],
      };
    }`;
    const plain = 'function f(a, b = 0x10n) {\n  if (a) { return a; }\n  else return "x";\n  const o = { k: [1, 2] };\n}';
    assert.equal(norm(typed), norm(plain));
    assert.match(norm(typed), /0x10n/, "numbers keep their notation");
    assert.notEqual(norm("function f(a, b, c) { return (a + b) * c; }"), norm("function f(a, b, c) { return a + b * c; }"), "meaningful parentheses stay");
    assert.notEqual(norm("function f(a) { return a?.b; }"), norm("function f(a) { return a.b; }"));
    assert.notEqual(norm("function f(a) { return (a?.b).c; }"), norm("function f(a) { return a?.b.c; }"), "parentheses that end an optional chain stay");
    assert.notEqual(norm("function f(g) { return new (g())(); }"), norm("function f(g) { return new g()(); }"), "parentheses around a new callee stay");
    assert.equal(norm("function f(g) { return g<string>; }"), norm("function f(g) { return g; }"), "an instantiation expression keeps its expression");
    assert.notEqual(norm("function f() { return 'x'; }"), norm("function f() { return 'y'; }"));
    const ctor = (code: string) => normalisedFunction("snippet.ts", { method: "A.constructor" }, code);
    assert.notEqual(ctor("class A { constructor(readonly a) {} }"), ctor("class A { constructor(a) {} }"), "a parameter property declares a field");
    assert.equal(ctor("class A { private b = 1; constructor() { this.c = 2; } }"), ctor("class A { constructor() { this.b = 1; this.c = 2; } }"), "field initializers run first");
  });
});
