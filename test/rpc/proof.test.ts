// eth_getProof (EIP-1186): account and storage proofs that verify against a block's state root
// with nothing but the header — including the AIVM anchor a block wrote into BlockAnchor (0x…A110),
// so a light client can check a block's receipts root from its state root alone.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { verifyMerkleProof } from "@ethereumjs/mpt";
import { RLP } from "@ethereumjs/rlp";
import { bigIntToBytes, bytesToBigInt, bytesToHex, concatBytes, createAccountFromRLP, hexToBytes, setLengthLeft } from "@ethereumjs/util";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { encodeFunctionData, type Hex } from "viem";
import { createAivmProvider } from "../../src/rpc/provider.ts";
import { deployDemo } from "../../src/cli/demo.ts";
import { BLOCK_ANCHOR_ADDRESS } from "../../src/chain/genesis.ts";

const word = (v: bigint) => setLengthLeft(bigIntToBytes(v), 32);

/** Checks a proof against `stateRoot` with the MPT alone; returns the proven storage words. */
async function verify(proof: any, address: Hex, stateRoot: Uint8Array): Promise<bigint[]> {
  assert.equal(bytesToHex(keccak_256(hexToBytes(proof.accountProof[0]))), bytesToHex(stateRoot), "account proof starts at the state root");
  const accountRlp = await verifyMerkleProof(hexToBytes(address), proof.accountProof.map((n: Hex) => hexToBytes(n)), { useKeyHashing: true });
  assert.ok(accountRlp, "the account exists");
  const account = createAccountFromRLP(accountRlp);
  assert.equal(account.nonce, BigInt(proof.nonce));
  assert.equal(account.balance, BigInt(proof.balance));
  assert.equal(bytesToHex(account.storageRoot), proof.storageHash);
  assert.equal(bytesToHex(account.codeHash), proof.codeHash);
  const values: bigint[] = [];
  for (const item of proof.storageProof) {
    const nodes = item.proof.map((n: Hex) => hexToBytes(n));
    if (nodes.length > 0) assert.equal(bytesToHex(keccak_256(nodes[0])), proof.storageHash, "storage proof starts at the storage root");
    const raw = await verifyMerkleProof(setLengthLeft(hexToBytes(item.key), 32), nodes, { useKeyHashing: true });
    const value = raw === null ? 0n : bytesToBigInt(RLP.decode(raw) as Uint8Array);
    assert.equal(value, BigInt(item.value));
    values.push(value);
  }
  return values;
}

describe("eth_getProof", () => {
  it("proves a contract's storage at the head and at a past block, and a block's AIVM anchor", async () => {
    const provider = await createAivmProvider({});
    const req = (method: string, params: unknown[] = []) => provider.request({ method, params }) as Promise<any>;
    try {
      const demo = await deployDemo(provider.node);
      const [from] = await req("eth_accounts");
      const before = await req("eth_blockNumber");
      const hash = await req("eth_sendTransaction", [{ from, to: demo.address, data: encodeFunctionData({ abi: demo.abi, functionName: "inferAndRecord", args: [demo.sampleInput] }) }]);
      const receipt = await req("eth_getTransactionReceipt", [hash]);
      const head = await req("eth_getBlockByNumber", ["latest", false]);
      // InferenceDemo slot 2 is `inferences`.
      const now = await req("eth_getProof", [demo.address, ["0x2", "0x99"], "latest"]);
      assert.deepEqual(await verify(now, demo.address, hexToBytes(head.stateRoot)), [1n, 0n]);
      const pastBlock = await req("eth_getBlockByNumber", [before, false]);
      const past = await req("eth_getProof", [demo.address, ["0x2"], before]);
      assert.deepEqual(await verify(past, demo.address, hexToBytes(pastBlock.stateRoot)), [0n]);

      // BlockAnchor: mapping(uint256 => {root, receiptCount, flops}) at slot 1.
      const n = BigInt(receipt.blockNumber);
      const base = bytesToBigInt(keccak_256(concatBytes(word(n), word(1n))));
      const anchorProof = await req("eth_getProof", [BLOCK_ANCHOR_ADDRESS, [bytesToHex(word(base)), bytesToHex(word(base + 1n))], receipt.blockNumber]);
      const [root, count] = await verify(anchorProof, BLOCK_ANCHOR_ADDRESS as Hex, hexToBytes(head.stateRoot));
      const anchor = await req("aivm_getAnchor", [receipt.blockNumber]);
      assert.equal(bytesToHex(word(root!)), anchor.anchorRoot);
      assert.equal(Number(count), anchor.receiptCount);
      assert.ok(anchor.receiptCount > 0);

      await assert.rejects(req("eth_getProof", [demo.address, "0x2"]), (e: any) => e.code === -32602);
      await assert.rejects(req("eth_getProof", [demo.address, [`0x${"11".repeat(33)}`]]), (e: any) => e.code === -32602);
    } finally {
      await provider.close();
    }
  });
});
