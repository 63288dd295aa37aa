// The same story on two `aivm node --demo` processes, one with the matmul worker threads off: the
// same block, prompt and sampler give the same transaction, tokens, per-token commits, AIVM anchor
// and state root (issue: determinism of on-chain generation across nodes).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { decodeEventLog, encodeFunctionData, toHex, type Hex } from "viem";
import { STORY_TELLER_ADDRESS, storyTellerAbi } from "../../examples/story-teller-abi.ts";
import { call, spawnAivmNode, waitForExit, type SpawnedNode } from "./helpers.ts";

// Dev account 2 of the default mnemonic: unlocked on the dev node.
const FROM = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc";

interface Told {
  hash: Hex;
  block: { number: Hex; hash: Hex; stateRoot: Hex };
  tokens: string[];
  commits: Hex[];
  anchor: unknown;
}

async function tell(node: SpawnedNode): Promise<Told> {
  const data = encodeFunctionData({ abi: storyTellerAbi, functionName: "tell", args: [toHex("music: "), 24, Math.round(0.9 * 65536), 40, Math.round(0.95 * 65536)] });
  const hash = (await call(node.url, "eth_sendTransaction", [{ from: FROM, to: STORY_TELLER_ADDRESS, data, gas: "0x2faf080" }])) as Hex;
  const receipt = await call(node.url, "eth_getTransactionReceipt", [hash]);
  assert.equal(receipt.status, "0x1");
  const events = (receipt.logs as { data: Hex; topics: [Hex, ...Hex[]] }[]).map((l) => decodeEventLog({ abi: storyTellerAbi, data: l.data, topics: l.topics }));
  const generated = events.filter((e) => e.eventName === "TokenGenerated").map((e) => e.args as { token: bigint; commit: Hex });
  const block = await call(node.url, "eth_getBlockByNumber", [receipt.blockNumber, false]);
  return {
    hash,
    block: { number: block.number, hash: block.hash, stateRoot: block.stateRoot },
    tokens: generated.map((g) => g.token.toString()),
    commits: generated.map((g) => g.commit),
    anchor: await call(node.url, "aivm_getAnchor", [receipt.blockNumber]),
  };
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

  it("a sampled StoryTeller.tell gives the same tokens, commits, anchor and state root with the matmul workers on and off", async () => {
    const [x, y] = [await tell(a), await tell(b)];
    assert.equal(x.tokens.length, 24);
    assert.deepEqual(y, x);
  });
});
