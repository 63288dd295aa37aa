// A plain `npm install` must leave a working Hardhat runtime whether npm ran under Node 20 or 22+
// (npm skips EDR's native package under Node 20; scripts/postinstall.mjs repairs it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { mkdtempSync, readFileSync } from "node:fs";
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
