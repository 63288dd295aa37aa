// The block builder's roots (src/chain/builder.ts computes them with trie-root.ts in one pass and
// seals with the transaction objects it ran): every mined header must carry the roots a fresh
// Merkle Patricia Trie gives for the same transactions and receipts, and the block must round-trip
// through its RLP.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createBlockFromRLP, genTransactionsTrieRoot } from "@ethereumjs/block";
import { MerklePatriciaTrie } from "@ethereumjs/mpt";
import { RLP } from "@ethereumjs/rlp";
import { KECCAK256_RLP, bytesToHex, hexToBytes } from "@ethereumjs/util";
import { encodeReceipt } from "@ethereumjs/vm";
import { encodeFunctionData, type Hex } from "viem";
import { DevNode, type BlockRecord } from "../../src/chain/node.ts";
import { deployDemo } from "../../src/cli/demo.ts";
import { badInputHex } from "../rpc/helpers.ts";

async function receiptsRoot(record: BlockRecord, types: number[]): Promise<Uint8Array> {
  const trie = new MerklePatriciaTrie();
  for (const [i, tx] of record.txs.entries()) {
    const receipt = {
      status: tx.status,
      cumulativeBlockGasUsed: tx.cumulativeGasUsed,
      bitvector: hexToBytes(tx.logsBloom),
      logs: tx.logs.map((l) => [hexToBytes(l.address), l.topics.map((t) => hexToBytes(t)), hexToBytes(l.data)]),
    };
    await trie.put(RLP.encode(i), encodeReceipt(receipt as never, types[i] as Parameters<typeof encodeReceipt>[1]));
  }
  return trie.root();
}

describe("AivmBlockBuilder roots", () => {
  it("a block of transfers, inferences with logs and a failed call carries the MPT's roots", async () => {
    const node = await DevNode.create();
    try {
      const demo = await deployDemo(node);
      node.setAutomine(false);
      const senders = node.accounts.slice(1, 6).map((a) => a.address.toLowerCase() as Hex);
      const record = (x: Hex) => encodeFunctionData({ abi: demo.abi, functionName: "inferAndRecord", args: [x] });
      for (let round = 0; round < 30; round++) {
        const from = senders[round % senders.length]!;
        if (round % 3 === 0) await node.sendTransaction({ from, to: "0x00000000000000000000000000000000000000ee", value: BigInt(round + 1) });
        else if (round % 7 === 0) await node.sendTransaction({ from, to: demo.address, data: record(badInputHex), gas: 300_000n });
        else await node.sendTransaction({ from, to: demo.address, data: record(demo.sampleInput) });
      }
      const { block, record: rec } = await node.mine();
      assert.equal(block.transactions.length, 30);
      assert.ok(rec.txs.some((t) => t.status === 0), "the bad-input transaction failed in the block");
      assert.ok(rec.txs.some((t) => t.logs.length > 0), "some receipts have logs");
      assert.equal(bytesToHex(block.header.transactionsTrie), bytesToHex(await genTransactionsTrieRoot(block.transactions, new MerklePatriciaTrie())));
      assert.equal(bytesToHex(block.header.receiptTrie), bytesToHex(await receiptsRoot(rec, block.transactions.map((t) => t.type))));
      assert.ok(await block.transactionsTrieIsValid());
      const again = createBlockFromRLP(block.serialize(), { common: node.common });
      assert.equal(bytesToHex(again.hash()), bytesToHex(block.hash()));

      const empty = (await node.mine()).block;
      assert.equal(bytesToHex(empty.header.transactionsTrie), bytesToHex(KECCAK256_RLP));
      assert.equal(bytesToHex(empty.header.receiptTrie), bytesToHex(KECCAK256_RLP));
    } finally {
      await node.close();
    }
  });
});
