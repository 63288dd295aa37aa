// contracts/prebuilt/ (src/chain/solc.ts): the committed compiler outputs must cover everything a
// demo start compiles, so a fresh clone's `npm start` never loads solc, and each must equal what the
// pinned solc produces now for the same sources (`npm run prebuild:contracts` rewrites them).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { DevNode } from "../../src/chain/node.ts";
import { deployDemo } from "../../src/cli/demo.ts";
import { agentMemoryContract, storyTellerContract } from "../../src/cli/demo-lm.ts";
import { PREBUILT_DIR, compileFresh, compileRequests } from "../../src/chain/solc.ts";

describe("prebuilt contract artifacts", () => {
  it("cover a demo start and equal a fresh compile of the current sources", async () => {
    const node = await DevNode.create();
    try {
      await deployDemo(node);
      // The agent demos `aivm node --demo` deploys after deployDemo (src/cli/node.ts).
      storyTellerContract();
      agentMemoryContract();
    } finally {
      await node.close();
    }
    const keys = [...compileRequests().keys()];
    assert.ok(keys.length >= 3, "genesis, predeploys and the demo each compile");
    for (const key of keys) {
      const file = join(PREBUILT_DIR, `${key}.json`);
      assert.ok(existsSync(file), `contracts/prebuilt/${key}.json is missing: run npm run prebuild:contracts`);
      assert.deepEqual(JSON.parse(readFileSync(file, "utf8")), compileFresh(key), `contracts/prebuilt/${key}.json differs from solc's output`);
    }
    const stale = readdirSync(PREBUILT_DIR).filter((f) => f.endsWith(".json") && !keys.includes(f.slice(0, -5)));
    assert.deepEqual(stale, [], "prebuilt outputs no demo start uses (run npm run prebuild:contracts)");
  });
});
