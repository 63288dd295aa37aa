// The compile cache lives in the user's cache directory, never inside the package (which may be a
// read-only node_modules/aivm).
import { test } from "node:test";
import assert from "node:assert/strict";
import { homedir } from "node:os";
import { join, relative } from "node:path";
import { REPO_ROOT, solcCacheDir } from "../../src/chain/solc.ts";

test("solcCacheDir: AIVM_CACHE_DIR, then XDG_CACHE_HOME, then ~/.cache; never inside the package", () => {
  assert.equal(solcCacheDir({ AIVM_CACHE_DIR: "/var/cache/aivm-ci" }), "/var/cache/aivm-ci/solc");
  assert.equal(solcCacheDir({ XDG_CACHE_HOME: "/xdg" }), "/xdg/aivm/solc");
  assert.equal(solcCacheDir({}), join(homedir(), ".cache", "aivm", "solc"));
  assert.ok(relative(REPO_ROOT, solcCacheDir()).startsWith(".."), "the default cache is outside the repository");
});
