// The runtime's per-block AIVM records (AivmRuntimeImpl.blocks) are bounded (issue 13, finding 9c):
// it kept every sealed block's anchor, leaves and traces for the life of the process. It now keeps
// the last `recentBlocks` (RECENT_BLOCKS by default); the node keeps its own records of every block.
import { test } from "node:test";
import assert from "node:assert/strict";
import { RECENT_BLOCKS } from "../../src/chain/runtime.ts";
import { createTestChain } from "../precompiles/chain.ts";

test("the runtime keeps the records of the last recentBlocks sealed blocks only, the newest included", async () => {
  const chain = await createTestChain({ recentBlocks: 3 });
  const numbers: bigint[] = [];
  for (let i = 0; i < 7; i++) numbers.push((await chain.mine([])).block.header.number);
  assert.deepEqual([...chain.runtime.blocks.keys()], numbers.slice(-3));
  assert.equal(chain.runtime.blocks.get(numbers.at(-1)!)!.anchor.blockNumber, numbers.at(-1));
});

test("a block number sealed again (after a revert) is the newest record, and the oldest goes", async () => {
  const chain = await createTestChain({ recentBlocks: 3 });
  for (const n of [1n, 2n, 3n, 2n, 4n]) await chain.runtime.endBlock(chain.vm, n);
  assert.deepEqual([...chain.runtime.blocks.keys()], [3n, 2n, 4n]);
});

test("the default bound is RECENT_BLOCKS, enough for a proof about any recent block", async () => {
  const chain = await createTestChain();
  for (let n = 1n; n <= BigInt(RECENT_BLOCKS) + 10n; n++) await chain.runtime.endBlock(chain.vm, n);
  assert.equal(chain.runtime.blocks.size, RECENT_BLOCKS);
  assert.equal([...chain.runtime.blocks.keys()][0], 11n);
});
