// The documented layouts, recomputed by Solidity itself: ReceiptCheck.sol is compiled with solc and
// run on the chain's EVM (createChainVM), and must agree with src/commit and src/codec byte for byte.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { decodeFunctionResult, encodeFunctionData, hexToBytes, type Abi, type Hex } from "viem";
import { compileContracts } from "../../src/chain/solc.ts";
import { createChainVM } from "../../src/evm/chain-vm.ts";
import { encodeTensor, encodeTensorHeader } from "../../src/codec/tensor.ts";
import { commitTensor, chunkLeaf } from "../../src/commit/tensor-commit.ts";
import { merkleRoot } from "../../src/commit/merkle.ts";
import { keccak } from "../../src/commit/hash.ts";
import { toHex } from "../../src/commit/hex.ts";
import { receiptLeaf } from "../../src/commit/receipt.ts";
import { receiptProof, leavesRoot } from "../../src/commit/trace.ts";
import { tensor } from "../../src/engine/tensor.ts";
import { Rng } from "../codec/rng.ts";
import { RECEIPT_CASE } from "./gen-commit-vectors.ts";

const compiled = compileContracts(fileURLToPath(new URL("./solidity", import.meta.url)), ["ReceiptCheck.sol"]).get("ReceiptCheck")!;
const abi = compiled.abi as Abi;
const { evm } = await createChainVM();

async function call(functionName: string, args: readonly unknown[]): Promise<unknown> {
  const data = encodeFunctionData({ abi, functionName, args });
  const r = await evm.runCode({ code: hexToBytes(compiled.deployedBytecode as Hex), data: hexToBytes(data), gasLimit: 10_000_000n });
  assert.equal(r.exceptionError, undefined, `${functionName} reverted`);
  return decodeFunctionResult({ abi, functionName, data: toHex(r.returnValue) });
}

test("Solidity's abi.encodePacked builds the documented int8 [2,3] tensor encoding", async () => {
  const expected = toHex(encodeTensor(tensor("int8", [2, 3], [1, -2, 3, -4, 5, -128])));
  assert.equal(await call("int8Vector", []), expected);
});

test("Solidity recomputes the golden receipt leaf", async () => {
  const r = RECEIPT_CASE;
  const leaf = await call("receiptLeaf", [r.precompile, r.paramsHash, r.inputCommits, r.outputCommits, r.gasUsed, r.flops]);
  assert.equal(leaf, receiptLeaf(r));
});

test("Solidity verifies TypeScript inclusion proofs and rejects tampered ones", async () => {
  const rng = new Rng(51);
  for (const n of [1, 2, 3, 5, 8, 13]) {
    const leaves = Array.from({ length: n }, (_, i) => toHex(keccak(new Uint8Array([n, i, rng.int(256)]))));
    const root = leavesRoot(leaves);
    for (let i = 0; i < n; i++) {
      const proof = receiptProof(leaves, i);
      assert.equal(await call("verifyInclusion", [root, leaves[i], BigInt(i), BigInt(n), proof]), true, `n=${n} i=${i}`);
      if (n > 1) assert.equal(await call("verifyInclusion", [root, leaves[(i + 1) % n], BigInt(i), BigInt(n), proof]), false);
      assert.equal(await call("verifyInclusion", [root, leaves[i], BigInt(n), BigInt(n), proof]), false, "index beyond the count");
    }
  }
});

test("Solidity recomputes a multi-chunk Tensor Commit from its header and chunk root", async () => {
  const t = tensor("int16", [3, 2048], Array.from({ length: 6144 }, (_, i) => (i * 7919) % 65536 - 32768));
  const data = new Uint8Array(encodeTensor(t).subarray(encodeTensorHeader(t).length));
  const leaves = [0, 1, 2].map((c) => chunkLeaf(data.subarray(c * 4096, (c + 1) * 4096)));
  const commit = await call("tensorCommit", [toHex(encodeTensorHeader(t)), toHex(merkleRoot(leaves)), 3]);
  assert.equal(commit, toHex(commitTensor(t)));
});
