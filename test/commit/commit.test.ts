import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { concat, encodePacked, keccak256, type Hex } from "viem";
import { encodeTensor, encodeTensorHeader } from "../../src/codec/tensor.ts";
import { commitEncodedTensor, commitTensor, openChunk, verifyChunk, CHUNK_BYTES } from "../../src/commit/tensor-commit.ts";
import { receiptLeaf, opParamsHash, makeReceipt } from "../../src/commit/receipt.ts";
import { anchorRoot, leavesRoot, receiptProof, traceRoot, verifyReceipt } from "../../src/commit/trace.ts";
import { merkleProof, merkleRoot, treeDepth, verifyMerkleProof } from "../../src/commit/merkle.ts";
import { keccak } from "../../src/commit/hash.ts";
import { toHex } from "../../src/commit/hex.ts";
import { MalformedEncodingError } from "../../src/engine/errors.ts";
import { tensor } from "../../src/engine/tensor.ts";
import { Rng } from "../codec/rng.ts";
import { RECEIPT_CASE, TENSOR_CASES, patternTensor } from "./gen-commit-vectors.ts";

const vectors = JSON.parse(readFileSync(new URL("./commit-vectors.json", import.meta.url), "utf8"));
const hx = (b: Uint8Array) => `0x${Buffer.from(b).toString("hex")}` as Hex;
const ZERO = `0x${"00".repeat(32)}` as Hex;

// ---- an independent implementation of docs/spec.md#commitments, with viem only ----
function refNode(l: Hex, r: Hex): Hex {
  return keccak256(concat(["0x01", l, r]));
}
function refRoot(leaves: Hex[]): Hex {
  if (leaves.length === 0) return ZERO;
  if (leaves.length === 1) return leaves[0]!;
  const up: Hex[] = [];
  for (let i = 0; i < leaves.length; i += 2) up.push(refNode(leaves[i]!, leaves[i + 1] ?? ZERO));
  return refRoot(up);
}
function refCommit(header: Uint8Array, data: Uint8Array): Hex {
  const leaves: Hex[] = [];
  for (let o = 0; o < data.length; o += 4096) leaves.push(keccak256(concat(["0x00", hx(data.subarray(o, o + 4096))])));
  return keccak256(
    encodePacked(["uint8", "bytes32", "bytes32", "uint32"], [3, keccak256(concat(["0x04", hx(header)])), refRoot(leaves), leaves.length]),
  );
}
const testLeaf = (i: number) => toHex(keccak(new Uint8Array([0xaa, i])));

function caseTensor(i: number) {
  const c = TENSOR_CASES[i]!;
  const t = patternTensor(c.dtype, c.shape);
  if (c.quant) t.quant = c.quant;
  return t;
}

test("golden Tensor Commits match the committed vectors and an independent viem recomputation", () => {
  assert.equal(vectors.tensors.length, TENSOR_CASES.length);
  TENSOR_CASES.forEach((c, i) => {
    const t = caseTensor(i);
    const enc = encodeTensor(t);
    const header = encodeTensorHeader(t);
    const commit = toHex(commitTensor(t));
    assert.equal(commit, vectors.tensors[i].commit, c.name);
    assert.equal(refCommit(header, enc.subarray(header.length)), commit, c.name);
    assert.equal(toHex(commitEncodedTensor(enc)), commit, c.name);
  });
});

test("the commitment binds dtype, shape, quantization and every byte of data", () => {
  const base = tensor("int8", [2, 3], [1, 2, 3, 4, 5, 6]);
  const c = toHex(commitTensor(base));
  const variants = [
    tensor("int8", [3, 2], [1, 2, 3, 4, 5, 6]),
    tensor("int8", [6], [1, 2, 3, 4, 5, 6]),
    tensor("int8", [2, 3], [1, 2, 3, 4, 5, 7]),
    tensor("int8", [2, 3], [1, 2, 3, 4, 5, 6], { axis: -1, multiplier: [1], shift: [0], zeroPoint: [0] }),
    tensor("int16", [2, 3], [1, 2, 3, 4, 5, 6]),
  ];
  for (const v of variants) assert.notEqual(toHex(commitTensor(v)), c);
  assert.throws(() => commitEncodedTensor(new Uint8Array([...encodeTensor(base), 0])), MalformedEncodingError);
});

test("golden receipt leaf and paramsHash match the vectors and the documented byte layout", () => {
  assert.equal(RECEIPT_CASE.paramsHash, vectors.receipt.paramsHash);
  const leaf = receiptLeaf(RECEIPT_CASE);
  assert.equal(leaf, vectors.receipt.leaf);
  // paramsHash = keccak256(0x05 ‖ op u16 ‖ attrCount u8 ‖ attrs sorted by name)
  const params = encodePacked(
    ["uint8", "uint16", "uint8", "uint8", "string", "uint8", "uint16", "int64", "uint8", "string", "uint8", "int64"],
    [5, 1, 2, 5, "shift", 1, 1, 12n, 6, "transB", 0, 1n],
  );
  assert.equal(keccak256(params), RECEIPT_CASE.paramsHash);
  const r = RECEIPT_CASE;
  const expected = keccak256(
    encodePacked(
      ["uint8", "address", "bytes32", "uint32", "bytes32[]", "uint32", "bytes32[]", "uint256", "uint256"],
      [2, r.precompile, r.paramsHash, 2, r.inputCommits, 1, r.outputCommits, r.gasUsed, r.flops],
    ),
  );
  assert.equal(leaf, expected);
  // every field is bound
  assert.notEqual(receiptLeaf({ ...r, gasUsed: r.gasUsed + 1n }), leaf);
  assert.notEqual(receiptLeaf({ ...r, flops: r.flops - 1n }), leaf);
  assert.notEqual(receiptLeaf({ ...r, precompile: "0x000000000000000000000000000000000000a102" }), leaf);
  assert.notEqual(receiptLeaf({ ...r, inputCommits: [r.inputCommits[1]!, r.inputCommits[0]!] }), leaf);
  // moving a commit from the inputs to the outputs changes the leaf (counts are bound)
  assert.notEqual(receiptLeaf({ ...r, inputCommits: [r.inputCommits[0]!], outputCommits: [r.inputCommits[1]!, ...r.outputCommits] }), leaf);
  assert.notEqual(opParamsHash(1, { transB: 0, shift: [12] }), r.paramsHash);
  assert.notEqual(opParamsHash(1, { transB: 1, shift: 12 }), r.paramsHash, "a single int and a one-element list differ");
});

test("golden Merkle roots for 0…8 leaves match the vectors and the reference", () => {
  for (const { leaves, root } of vectors.roots) {
    const ls = Array.from({ length: leaves }, (_, i) => testLeaf(i));
    assert.equal(leavesRoot(ls), root);
    assert.equal(refRoot(ls), root);
  }
  assert.equal(leavesRoot([]), ZERO);
  assert.equal(traceRoot([]), ZERO);
});

test("Merkle proofs verify for every leaf of random trees and fail when tampered", () => {
  const rng = new Rng(21);
  for (let trial = 0; trial < 40; trial++) {
    const n = 1 + rng.int(40);
    const leaves = Array.from({ length: n }, () => keccak(new Uint8Array([rng.int(256), rng.int(256), rng.int(256), trial])));
    const root = merkleRoot(leaves);
    for (let i = 0; i < n; i++) {
      const proof = merkleProof(leaves, i);
      assert.equal(proof.length, treeDepth(n));
      assert.ok(verifyMerkleProof(root, leaves[i]!, i, n, proof));
      // wrong leaf, wrong index, wrong count, flipped sibling bit, truncated and extended proofs
      assert.ok(!verifyMerkleProof(root, keccak(leaves[i]!), i, n, proof));
      if (n > 1) assert.ok(!verifyMerkleProof(root, leaves[i]!, (i + 1) % n, n, proof));
      assert.ok(!verifyMerkleProof(root, leaves[i]!, i, n * 2 + 1, proof));
      assert.ok(!verifyMerkleProof(root, leaves[i]!, n, n, proof));
      if (proof.length) {
        const bad = proof.map((p) => new Uint8Array(p));
        bad[rng.int(bad.length)]![rng.int(32)] ^= 1;
        assert.ok(!verifyMerkleProof(root, leaves[i]!, i, n, bad));
        assert.ok(!verifyMerkleProof(root, leaves[i]!, i, n, proof.slice(1)));
      }
      assert.ok(!verifyMerkleProof(root, leaves[i]!, i, n, [...proof, new Uint8Array(32)]));
    }
  }
});

test("an internal node can never be proven as a leaf", () => {
  const leaves = [0, 1, 2, 3].map(testLeaf).map((h) => Buffer.from(h.slice(2), "hex"));
  const root = merkleRoot(leaves);
  const inner = merkleRoot(leaves.slice(0, 2));
  const proof = merkleProof(leaves, 0).slice(1);
  // Folding works arithmetically, but the true leaf count (bound in the anchor / the commitment)
  // fixes the proof length and rejects it. Receipt leaves are recomputed from their fields with
  // tag 0x02, so an internal node (tag 0x01) is never a receipt leaf either.
  assert.equal(toHex(merkleRoot([inner, merkleRoot(leaves.slice(2))])), toHex(root));
  assert.ok(!verifyMerkleProof(root, inner, 0, 4, proof));
});

test("every chunk of a multi-chunk tensor opens against its commitment; tampering fails", () => {
  // Random data: a periodic pattern would make all chunks equal and every index indistinguishable.
  const rng = new Rng(22);
  const t = tensor("int32", [5, 1024], Array.from({ length: 5120 }, () => rng.signed(32))); // 20480 bytes = 5 chunks
  const commit = commitTensor(t);
  const count = Math.ceil(t.data.byteLength / CHUNK_BYTES);
  assert.equal(count, 5);
  for (let i = 0; i < count; i++) {
    const o = openChunk(t, i);
    assert.ok(verifyChunk(commit, o), `chunk ${i}`);
    const chunk = new Uint8Array(o.chunk);
    chunk[7] ^= 0x80;
    assert.ok(!verifyChunk(commit, { ...o, chunk }));
    assert.ok(!verifyChunk(commit, { ...o, index: (i + 1) % count }));
    assert.ok(!verifyChunk(commit, { ...o, chunk: o.chunk.subarray(0, 100) }));
    const otherHeader = encodeTensorHeader(tensor("int32", [1024, 5], t.data));
    assert.ok(!verifyChunk(commit, { ...o, header: otherHeader }));
    assert.ok(!verifyChunk(commit, { ...o, header: new Uint8Array([1, 2, 3]) }));
  }
  // a short last chunk
  const s = caseTensor(3);
  const so = openChunk(s, 1);
  assert.equal(so.chunk.length, 1);
  assert.ok(verifyChunk(commitTensor(s), so));
});

test("trace roots, block anchors and verifyReceipt: inclusion plus output commit", () => {
  const outputs = [0, 1, 2, 3, 4].map((i) => tensor("int8", [2], [i, -i]));
  const tx1 = outputs.slice(0, 3).map((out, i) =>
    makeReceipt(i, "TMATMUL", {
      precompile: "0x000000000000000000000000000000000000a101",
      paramsHash: opParamsHash(1, {}),
      inputCommits: [testLeaf(i)],
      outputCommits: [toHex(commitTensor(out))],
      gasUsed: 1000n + BigInt(i),
      flops: 64n,
    }),
  );
  const tx2 = outputs.slice(3).map((out, i) =>
    makeReceipt(i, "TEWOP", {
      precompile: "0x000000000000000000000000000000000000a102",
      paramsHash: opParamsHash(6, {}),
      inputCommits: [],
      outputCommits: [toHex(commitTensor(out))],
      gasUsed: 50n,
      flops: 2n,
    }),
  );
  const blockLeaves = [...tx1, ...tx2].map((r) => r.leaf);
  assert.equal(traceRoot(tx1), refRoot(tx1.map((r) => r.leaf)));
  const anchor = { anchorRoot: anchorRoot(blockLeaves), receiptCount: blockLeaves.length };
  assert.equal(anchor.anchorRoot, refRoot(blockLeaves));
  [...tx1, ...tx2].forEach((r, pos) => {
    const proof = receiptProof(blockLeaves, pos);
    assert.deepEqual(verifyReceipt(r, anchor, pos, proof, [outputs[pos]!]), { ok: true });
    assert.deepEqual(verifyReceipt({ ...r, gasUsed: r.gasUsed + 1n }, anchor, pos, proof), { ok: false, failed: "leaf" });
    assert.deepEqual(verifyReceipt(r, anchor, (pos + 1) % 5, proof), { ok: false, failed: "inclusion" });
    assert.deepEqual(verifyReceipt(r, anchor, pos, proof, [outputs[(pos + 1) % 5]!]), { ok: false, failed: "output 0" });
    assert.deepEqual(verifyReceipt(r, anchor, pos, proof, []), { ok: false, failed: "output count" });
  });
  assert.deepEqual(verifyReceipt({ ...tx1[0]!, paramsHash: "0x1234" }, anchor, 0, receiptProof(blockLeaves, 0)), { ok: false, failed: "malformed" });
});
