// contracts/verify/AivmReceiptVerifier.sol against src/commit: the Solidity leaf, node and proof
// rules equal the TypeScript ones byte for byte; real receipts of the Fashion demo verify against
// BlockAnchor and against a block header's EIP-1186 proof; tampered leaves, indices, proofs and
// headers are rejected; and the contract fits under the 24 KB limit.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex, decodeErrorResult, decodeFunctionResult, encodeFunctionData, type Hex } from "viem";
import { DevNode } from "../../src/chain/node.ts";
import { deployDemo, fashionClassifyCalldata } from "../../src/cli/demo.ts";
import { receiptLeaf, type AivmOpReceipt } from "../../src/commit/receipt.ts";
import { receiptLeafPreimage, leafOfPreimage } from "../../src/commit/receipt-preimage.ts";
import { leavesRoot, receiptProof } from "../../src/commit/trace.ts";
import { anchorHeaderProof, installVerifier, measureVerifierGas, probeGas, syntheticReceipts, verifierAbi, verifierContract, writeSyntheticAnchor } from "./onchain.ts";

const abi = verifierAbi();

async function view(node: DevNode, functionName: string, args: readonly unknown[]): Promise<{ ok: true; result: any } | { ok: false; error: string }> {
  const data = encodeFunctionData({ abi, functionName, args });
  const r = await probeGas(node, data);
  if (!r.ok) {
    try {
      return { ok: false, error: decodeErrorResult({ abi, data: r.ret }).errorName };
    } catch {
      return { ok: false, error: r.ret };
    }
  }
  return { ok: true, result: decodeFunctionResult({ abi, functionName, data: r.ret }) };
}

describe("AivmReceiptVerifier (contracts/verify)", () => {
  let node: DevNode;
  before(async () => {
    node = await DevNode.create();
    await installVerifier(node);
  });
  after(async () => node?.close());

  it("fits under the 24 KB contract size limit (EIP-170)", () => {
    const size = (verifierContract().deployedBytecode.length - 2) / 2;
    assert.ok(size > 0 && size <= 24_576, `${size} bytes`);
  });

  it("hashes receipt leaves and decodes leaf preimages exactly as src/commit does", async () => {
    for (const r of syntheticReceipts(8, 5)) {
      const got = await view(node, "leafOf", [r]);
      assert.ok(got.ok);
      assert.equal(got.result, receiptLeaf(r));
      const preimage = receiptLeafPreimage(r);
      assert.equal(leafOfPreimage(preimage), receiptLeaf(r), "the preimage hashes to the leaf");
      const decoded = await view(node, "decodeLeaf", [bytesToHex(preimage)]);
      assert.ok(decoded.ok);
      const [fields, opcode] = decoded.result as [any, number];
      assert.equal(fields.precompile.toLowerCase(), r.precompile);
      assert.equal(fields.paramsHash, r.paramsHash);
      assert.deepEqual(fields.inputCommits, r.inputCommits);
      assert.deepEqual(fields.outputCommits, r.outputCommits);
      assert.equal(fields.gasUsed, r.gasUsed);
      assert.equal(fields.flops, r.flops);
      assert.equal(opcode, Number.parseInt(r.precompile.slice(-4), 16));
    }
    const bad = await view(node, "decodeLeaf", [bytesToHex(receiptLeafPreimage(syntheticReceipts(1, 9)[0]!).subarray(0, 150))]);
    assert.deepEqual(bad, { ok: false, error: "MalformedLeafPreimage" });
  });

  it("accepts every leaf of trees of 1, 2, 3, 5 and 8 leaves at src/commit's proofs, and nothing else", async () => {
    for (const [k, n] of [1, 2, 3, 5, 8].entries()) {
      const a = await writeSyntheticAnchor(node, 500n + BigInt(k), syntheticReceipts(n, 40 + k));
      assert.equal(a.root, leavesRoot(a.leaves));
      for (let i = 0; i < n; i++) {
        const proof = receiptProof(a.leaves, i);
        const ok = await view(node, "verifyReceipt", [a.blockNumber, a.receipts[i], BigInt(i), proof]);
        assert.ok(ok.ok, `leaf ${i} of ${n}`);
        assert.equal(ok.result[0], a.leaves[i]);
        // Another index, a flipped gas field, a dropped or extra sibling: all rejected.
        if (n > 1) assert.deepEqual(await view(node, "verifyReceipt", [a.blockNumber, a.receipts[i], BigInt((i + 1) % n), proof]), { ok: false, error: "ReceiptNotIncluded" });
        assert.deepEqual(await view(node, "verifyReceipt", [a.blockNumber, { ...a.receipts[i]!, gasUsed: a.receipts[i]!.gasUsed ^ 1n }, BigInt(i), proof]), { ok: false, error: "ReceiptNotIncluded" });
        assert.deepEqual(await view(node, "verifyReceipt", [a.blockNumber, a.receipts[i], BigInt(i), [...proof, a.leaves[i]!]]), { ok: false, error: "ReceiptNotIncluded" });
        if (proof.length > 0) assert.deepEqual(await view(node, "verifyReceipt", [a.blockNumber, a.receipts[i], BigInt(i), proof.slice(1)]), { ok: false, error: "ReceiptNotIncluded" });
      }
      assert.deepEqual(await view(node, "verifyReceipt", [a.blockNumber, a.receipts[0], BigInt(n), receiptProof(a.leaves, 0)]), { ok: false, error: "ReceiptNotIncluded" }, "index past the count");
    }
    assert.deepEqual(await view(node, "verifyLeaf", [999_999n, `0x${"11".repeat(32)}`, 0n, []]), { ok: false, error: "AnchorMissing" });
  });

  it("verifies a real Fashion demo receipt against BlockAnchor and from the block header's EIP-1186 proof", async () => {
    const demo = await deployDemo(node);
    const hash = await node.sendTransaction({ from: node.accounts[0]!.address, to: demo.fashion!.address, data: fashionClassifyCalldata(demo.fashion!) });
    const found = node.transaction(hash)!;
    const n = found.block.header.number;
    const receipt: AivmOpReceipt = found.record.trace.receipts[0]!;
    assert.equal(receipt.opcode, "TCUSTOM");
    const mined = node.blockByNumber(n)!;
    const leaves = mined.record.txs.flatMap((t) => t.trace.receipts.map((r) => r.leaf));
    const index = leaves.indexOf(receipt.leaf);
    const proof = receiptProof(leaves, index);
    const ok = await view(node, "verifyReceipt", [n, receipt, BigInt(index), proof]);
    assert.ok(ok.ok);
    assert.deepEqual(ok.result, [receipt.leaf, 0xa103]);
    const viaPreimage = await view(node, "verifyLeafPreimage", [n, bytesToHex(receiptLeafPreimage(receipt)), BigInt(index), proof]);
    assert.ok(viaPreimage.ok);
    assert.deepEqual(viaPreimage.result[0].outputCommits, receipt.outputCommits, "the decoded output commit is the receipt's");

    // The header path: the anchor of block n, proven at a later header (BlockAnchor keeps every anchor).
    await node.mine();
    const at = node.headNumber;
    const { blockHash, proof: anchorProof } = await anchorHeaderProof(node, n, at);
    const fromHeader = await view(node, "anchorFromHeader", [blockHash, n, anchorProof]);
    assert.ok(fromHeader.ok);
    assert.deepEqual(fromHeader.result, [mined.record.anchor!.anchorRoot, BigInt(mined.record.anchor!.receiptCount)]);
    const recent = await view(node, "anchorFromRecentHeader", [n, anchorProof]);
    assert.ok(recent.ok, "blockhash() vouches for a header of the last 256 blocks");
    assert.deepEqual((await view(node, "verifyReceiptFromHeader", [blockHash, n, anchorProof, receipt, BigInt(index), proof])).ok, true);

    // A header that does not hash to the trusted hash, a later anchor, a proof node altered: rejected.
    const otherHash = bytesToHex(node.blockByNumber(at - 1n)!.block.hash());
    assert.deepEqual(await view(node, "anchorFromHeader", [otherHash, n, anchorProof]), { ok: false, error: "InvalidTrieProof" });
    assert.deepEqual(await view(node, "anchorFromHeader", [blockHash, at + 1n, anchorProof]), { ok: false, error: "AnchorAfterHeader" });
    const last = anchorProof.rootProof.length - 1;
    const leafNode = anchorProof.rootProof[last]! as Hex;
    const altered = `${leafNode.slice(0, -2)}${leafNode.endsWith("00") ? "01" : "00"}` as Hex;
    const tampered = { ...anchorProof, rootProof: [...anchorProof.rootProof.slice(0, last), altered] };
    assert.deepEqual(await view(node, "anchorFromHeader", [blockHash, n, tampered]), { ok: false, error: "InvalidTrieProof" });
    // The anchor of a block without receipts is missing, not zero.
    assert.deepEqual(await view(node, "anchorFromHeader", [blockHash, at, anchorProof]), { ok: false, error: "InvalidTrieProof" }, "slot proofs of another block's anchor do not prove this one");
  });

  it("measures the gas of both checks for trees of 1, 100 and 10,000 leaves", async () => {
    const fresh = await DevNode.create();
    try {
      const rows = await measureVerifierGas(fresh, [1, 100, 10_000]);
      assert.deepEqual(rows.map((r) => r.proofLength), [0, 7, 14]);
      for (const r of rows) {
        assert.ok(r.blockAnchorCall > 0n && r.headerProofCall > r.blockAnchorCall, JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? Number(v) : v)));
      }
      // Each extra level is one more node hash: the BlockAnchor check grows with the depth.
      assert.ok(rows[2]!.blockAnchorCall > rows[1]!.blockAnchorCall && rows[1]!.blockAnchorCall > rows[0]!.blockAnchorCall);
    } finally {
      await fresh.close();
    }
  });
});
