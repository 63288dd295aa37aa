// The same story on two `aivm node --demo` processes, one with the matmul worker threads off. Their
// chains differ in block timestamps (each node mines its demo blocks at its own wall-clock time), so
// parent hashes, VRF outputs and sampling seeds differ; a greedy story depends on none of them and
// must give the same tokens, per-token commits and gas on both. (Sampled stories are recomputed
// from their receipts in test/chain/story-teller.test.ts.)
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { decodeEventLog, encodeFunctionData, toHex, type Hex } from "viem";
import { STORY_TELLER_ADDRESS, storyTellerAbi } from "../../examples/story-teller-abi.ts";
import { call, spawnAivmNode, waitForExit, type SpawnedNode } from "./helpers.ts";

// Dev account 2 of the default mnemonic: unlocked on the dev node.
const FROM = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc";

interface Told {
  gasUsed: Hex;
  tokens: string[];
  commits: Hex[];
}

async function tell(node: SpawnedNode): Promise<Told> {
  const data = encodeFunctionData({ abi: storyTellerAbi, functionName: "tell", args: [toHex("music: "), 24, 0, 0, 0] });
  const hash = (await call(node.url, "eth_sendTransaction", [{ from: FROM, to: STORY_TELLER_ADDRESS, data, gas: "0x2faf080" }])) as Hex;
  const receipt = await call(node.url, "eth_getTransactionReceipt", [hash]);
  assert.equal(receipt.status, "0x1");
  const events = (receipt.logs as { data: Hex; topics: [Hex, ...Hex[]] }[]).map((l) => decodeEventLog({ abi: storyTellerAbi, data: l.data, topics: l.topics }));
  const generated = events.filter((e) => e.eventName === "TokenGenerated").map((e) => e.args as { token: bigint; commit: Hex });
  return { gasUsed: receipt.gasUsed, tokens: generated.map((g) => g.token.toString()), commits: generated.map((g) => g.commit) };
}

describe("on-chain generation is the same on two nodes", () => {
  let a: SpawnedNode;
  let b: SpawnedNode;

  before(async () => {
    [a, b] = await Promise.all([spawnAivmNode(["--demo", "--quiet"]), spawnAivmNode(["--demo", "--quiet"], 120_000, { ...process.env, AIVM_MATMUL_THREADS: "0" })]);
  });

  after(async () => {
    for (const n of [a, b]) {
      n?.child.kill("SIGTERM");
      if (n) await waitForExit(n.child);
    }
  });

  it("a greedy StoryTeller.tell gives the same tokens, per-token commits and gas with the matmul workers on and off", async () => {
    const [x, y] = [await tell(a), await tell(b)];
    assert.equal(x.tokens.length, 24);
    assert.deepEqual(y, x);
  });
});
