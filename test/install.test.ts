// A plain `npm install` must leave a working Hardhat runtime whether npm ran under Node 20 or 22+
// (npm skips EDR's native package under Node 20; scripts/postinstall.mjs repairs it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { pinnedSolc } from "../src/hardhat/solc.ts";
import { join } from "node:path";

const require = createRequire(import.meta.url);
const ROOT = join(import.meta.dirname, "..");

test("the test runner runs on the pinned Node 22 from the `node` devDependency", () => {
  const pinned = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).devDependencies.node as string;
  assert.equal(process.versions.node, pinned);
});

test("EDR's native binding loads (Hardhat's simulated-network runtime)", () => {
  const edr = require("@nomicfoundation/edr") as Record<string, unknown>;
  assert.ok(Object.keys(edr).length > 0);
});

test("solc comes from the exact-pinned npm package, not a download", () => {
  const pinned = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).devDependencies.solc as string;
  const solcPkg = require("solc/package.json") as { version: string };
  assert.equal(solcPkg.version, pinned);
  const peer = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { peerDependencies: { solc: string }; peerDependenciesMeta: { solc: { optional: boolean } } };
  assert.equal(peer.peerDependencies.solc, pinned, "users get the same solc as an optional peer dependency");
  assert.equal(peer.peerDependenciesMeta.solc.optional, true);
  // A project without solc is told what to install, not handed MODULE_NOT_FOUND.
  const empty = mkdtempSync(join(tmpdir(), "aivm-no-solc-"));
  assert.throws(() => pinnedSolc(empty), new RegExp(`optional peer dependency.*solc@${pinned.replaceAll(".", "\\.")}`));
});

test("package.json's allowScripts names every dependency with an install script, and denies onnxruntime-node's CUDA download", () => {
  const allow = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).allowScripts as Record<string, boolean>;
  const withScripts = new Set<string>();
  // Every installed package (nested node_modules too) that npm would run a lifecycle script for.
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
      const at = join(dir, entry.name);
      if (entry.name.startsWith("@")) {
        visit(at);
        continue;
      }
      const manifest = join(at, "package.json");
      if (existsSync(manifest)) {
        const pkg = JSON.parse(readFileSync(manifest, "utf8")) as { name?: string; scripts?: Record<string, string> };
        const s = pkg.scripts ?? {};
        if (pkg.name && (s.preinstall || s.install || s.postinstall || existsSync(join(at, "binding.gyp")))) withScripts.add(pkg.name);
      }
      if (existsSync(join(at, "node_modules"))) visit(join(at, "node_modules"));
    }
  };
  visit(join(ROOT, "node_modules"));
  const uncovered = [...withScripts].filter((name) => !(name in allow)).sort();
  assert.deepEqual(uncovered, [], "add each to allowScripts (true to run its script, false to skip it)");
  assert.equal(allow["onnxruntime-node"], false);
  assert.match(readFileSync(join(ROOT, ".npmrc"), "utf8"), /^onnxruntime-node-install=skip$/m, "npm 11 needs the .npmrc key to skip the same script");
});
