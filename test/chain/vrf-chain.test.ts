// Per-block VRF on the dev node (docs/vrf.md): every block's proof in BlockRandomness verifies over
// parentHash ‖ number under the genesis key; a transaction reads its own block's output; eth_call
// sees the pending block's; aivm_getVrf, the viem action and `aivm verify-vrf` agree and reject a
// tampered proof; seed handles derive from (beta, tx hash, call index, salt): a replayed transaction
// gets the same seeds, and another salt, call index or block gets others.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex, decodeFunctionResult, encodeAbiParameters, encodeFunctionData, hexToBytes, keccak256, parseAbiParameters, type Hex } from "viem";
import { DevNode } from "../../src/chain/node.ts";
import { getContract } from "../../src/chain/solc.ts";
import { createAivmProvider } from "../../src/rpc/provider.ts";
import {
  BLOCK_RANDOMNESS_ADDRESS,
  devVrfSecretKey,
  proveBlockVrf,
  readBlockVrf,
  readVrfPublicKey,
  vrfAlpha,
  vrfPublicKeyOf,
} from "../../src/chain/block-randomness.ts";
import { vrfVerify } from "../../src/commit/vrf.ts";
import { encodeTensor } from "../../src/codec/tensor.ts";
import { seedBytes, seedTensor } from "../../precompiles/seed.ts";
import { decodeHandle, seedHandle } from "../../precompiles/handles.ts";
import { MalformedEncodingError } from "../../src/engine/errors.ts";
import { commitTensor } from "../../src/commit/tensor-commit.ts";
import { PRECOMPILE_ADDRESSES } from "../../precompiles/index.ts";
import { verifyBlockVrf } from "../../src/cli/vrf.ts";

const reader = getContract("VrfReader", undefined, ["test/VrfReader.sol"]);
const randomnessAbi = getContract("BlockRandomness", undefined, ["system/BlockRandomness.sol"]).abi;
const ZERO32 = new Uint8Array(32);
const TCOMMIT = PRECOMPILE_ADDRESSES.TCOMMIT;

async function storedVrf(node: DevNode, n: bigint) {
  return node.readState("latest", async (sm) => ({ vrf: await readBlockVrf(sm, n), publicKey: await readVrfPublicKey(sm) }));
}

async function callRandomness(node: DevNode, functionName: string, args: unknown[] = []): Promise<unknown> {
  const data = encodeFunctionData({ abi: randomnessAbi, functionName, args } as never);
  const { returnData } = await node.call({ to: BLOCK_RANDOMNESS_ADDRESS, data });
  return decodeFunctionResult({ abi: randomnessAbi, functionName, data: returnData } as never);
}

/** What TLOAD returns for a seed handle: the int32[8] tensor in the wire format. */
const expectedSeed = (beta: Uint8Array, txHash: Uint8Array, callIndex: number, salt: Hex): Hex =>
  bytesToHex(encodeTensor(seedTensor(seedBytes(beta, txHash, callIndex, hexToBytes(salt)))));

describe("block VRF on the dev node", () => {
  it("every block's proof verifies over parentHash ‖ number under the genesis key; genesis has none", async () => {
    const node = await DevNode.create();
    try {
      const from = node.accounts[0]!.address;
      await node.sendTransaction({ from, to: node.accounts[1]!.address, value: 1n });
      await node.mine();
      await node.mine();
      const { publicKey } = await storedVrf(node, 0n);
      assert.deepEqual(publicKey, vrfPublicKeyOf(devVrfSecretKey()), "genesis holds the dev key of the default mnemonic");
      assert.equal((await storedVrf(node, 0n)).vrf, undefined);
      for (let n = 1n; n <= node.headNumber; n++) {
        const { vrf } = await storedVrf(node, n);
        assert.ok(vrf, `block ${n} has a record`);
        const alpha = vrfAlpha(node.blockByNumber(n - 1n)!.block.hash(), n);
        assert.deepEqual(vrfVerify(publicKey, vrf.pi, alpha), vrf.beta, `block ${n}`);
        const tampered = Uint8Array.from(vrf.pi);
        tampered[40]! ^= 1;
        assert.equal(vrfVerify(publicKey, tampered, alpha), null);
      }
      // Solidity reads the same record.
      const head = node.headNumber;
      const { vrf } = await storedVrf(node, head);
      assert.equal(await callRandomness(node, "vrfOutput", [head]), keccak256(vrf!.beta));
      assert.deepEqual(await callRandomness(node, "vrfProof", [head]), [bytesToHex(vrf!.pi), bytesToHex(vrf!.beta)]);
      assert.equal(await callRandomness(node, "publicKey"), bytesToHex(publicKey));
      // eth_call runs in the pending block: its record is there, the next one's is not.
      assert.equal(await callRandomness(node, "latest"), head + 1n);
      await assert.rejects(callRandomness(node, "vrfOutput", [head + 2n]), /revert/);
      await assert.rejects(callRandomness(node, "vrfOutput", [0n]), /revert/);
    } finally {
      await node.close();
    }
  });

  it("another key (the node's --vrf-key) is stored at genesis and proves the blocks", async () => {
    const key = `0x${"42".repeat(32)}` as Hex;
    const node = await DevNode.create({ vrfKey: key });
    try {
      await node.mine();
      const { vrf, publicKey } = await storedVrf(node, 1n);
      assert.deepEqual(publicKey, vrfPublicKeyOf(hexToBytes(key)));
      assert.notDeepEqual(publicKey, vrfPublicKeyOf(devVrfSecretKey()));
      assert.deepEqual(vrfVerify(publicKey, vrf!.pi, vrfAlpha(node.blockByNumber(0n)!.block.hash(), 1n)), vrf!.beta);
    } finally {
      await node.close();
    }
  });

  it("a transaction reads its own block's output; eth_call reads the pending block's", async () => {
    const node = await DevNode.create();
    try {
      const dev = node.accounts[0]!.address;
      const address = node.transaction(await node.sendTransaction({ from: dev, data: reader.bytecode }))!.record.contractAddress!;
      const record = encodeFunctionData({ abi: reader.abi, functionName: "record" });
      // Pending block: the output of head + 1 over the head's hash, as the node will prove it.
      const pending = proveBlockVrf(devVrfSecretKey(), node.head.hash(), node.headNumber + 1n);
      const called = await node.call({ from: dev, to: address, data: record });
      assert.equal(called.returnData, keccak256(pending.beta));
      await node.sendTransaction({ from: dev, to: address, data: record });
      const n = node.headNumber;
      const read = async (functionName: string) =>
        decodeFunctionResult({ abi: reader.abi, functionName, data: (await node.call({ to: address, data: encodeFunctionData({ abi: reader.abi, functionName } as never) })).returnData } as never);
      assert.equal(await read("lastBlock"), n);
      const { vrf } = await storedVrf(node, n);
      assert.equal(await read("lastOutput"), keccak256(vrf!.beta));
      assert.deepEqual(vrf!.beta, pending.beta, "the block mined is the pending block eth_call saw");
    } finally {
      await node.close();
    }
  });

  it("aivm_getVrf, the viem action's data and verify-vrf agree; a tampered proof or key is invalid", async () => {
    const node = await DevNode.create();
    try {
      await node.mine();
      await node.mine();
      const provider = await createAivmProvider({ node });
      const raw = (await provider.request({ method: "aivm_getVrf", params: ["0x2"] })) as Record<string, Hex>;
      const { vrf, publicKey } = await storedVrf(node, 2n);
      assert.deepEqual(raw, {
        blockNumber: "0x2",
        alpha: bytesToHex(vrfAlpha(node.blockByNumber(1n)!.block.hash(), 2n)),
        pi: bytesToHex(vrf!.pi),
        beta: bytesToHex(vrf!.beta),
        publicKey: bytesToHex(publicKey),
      });
      assert.equal(await provider.request({ method: "aivm_getVrf", params: ["0x0"] }), null);
      assert.equal(await provider.request({ method: "aivm_getVrf", params: ["0x9"] }), null, "a block past the head has no VRF yet (as eth_getBlockByNumber answers null)");

      const ok = await verifyBlockVrf(provider as never, 2n);
      assert.equal(ok.valid, true, ok.reason);
      assert.equal((await verifyBlockVrf(provider as never, 2n, bytesToHex(publicKey))).valid, true);
      assert.equal((await verifyBlockVrf(provider as never, 2n, `0x${"11".repeat(32)}`)).valid, false, "another expected key");
      assert.equal((await verifyBlockVrf(provider as never, 7n)).valid, false, "no such block");
      // A node that serves a tampered proof (one byte of s), or another block's input.
      const tamper = (edit: (r: Record<string, Hex>) => void) => ({
        request: async (args: { method: string; params?: unknown[] }) => {
          const result = await provider.request(args as never);
          if (args.method === "aivm_getVrf" && result) edit(result as Record<string, Hex>);
          return result;
        },
      });
      const badPi = await verifyBlockVrf(tamper((r) => (r.pi = `${r.pi.slice(0, -2)}${r.pi.endsWith("00") ? "01" : "00"}` as Hex)) as never, 2n);
      assert.deepEqual([badPi.valid, badPi.reason], [false, "the proof does not verify under the key"]);
      const badAlpha = await verifyBlockVrf(tamper((r) => (r.alpha = raw.alpha.replace(/02$/, "03") as Hex)) as never, 2n);
      assert.equal(badAlpha.valid, false);
      const badBeta = await verifyBlockVrf(tamper((r) => (r.beta = `0x${"00".repeat(64)}` as Hex)) as never, 2n);
      assert.deepEqual([badBeta.valid, badBeta.reason], [false, "the stored output is not the proof's"]);
    } finally {
      await node.close();
    }
  });
});

describe("seed handles", () => {
  const saltA = `0x${"a1".repeat(32)}` as Hex;
  const saltB = `0x${"b2".repeat(32)}` as Hex;

  it("derive from (beta, tx hash, call index, salt): the same tx replayed gives the same seeds; salt, index and block change them", async () => {
    const node = await DevNode.create();
    try {
      const dev = node.accounts[0]!.address;
      const address = node.transaction(await node.sendTransaction({ from: dev, data: reader.bytecode }))!.record.contractAddress!;
      const sample = (salt: Hex) => encodeFunctionData({ abi: reader.abi, functionName: "sample", args: [salt] });
      const stored = async () => {
        const get = async (functionName: string) =>
          (await node.call({ to: address, data: encodeFunctionData({ abi: reader.abi, functionName } as never) })).returnData;
        return [await get("firstSeed"), await get("secondSeed")];
      };
      const snapshot = await node.snapshot();
      const hash = await node.sendTransaction({ from: dev, to: address, data: sample(saltA), gas: 1_000_000n });
      const n = node.headNumber;
      const beta = (await storedVrf(node, n)).vrf!.beta;
      const seeds = await stored();
      assert.deepEqual(seeds, [keccak256(expectedSeed(beta, hexToBytes(hash), 0, saltA)), keccak256(expectedSeed(beta, hexToBytes(hash), 1, saltA))]);
      assert.notEqual(seeds[0], seeds[1], "the two calls of the transaction have different call indices");

      // Replay: the same transaction in the same block position gives the same seeds.
      await node.revert(snapshot);
      const again = await node.sendTransaction({ from: dev, to: address, data: sample(saltA), gas: 1_000_000n });
      assert.equal(again, hash);
      assert.equal(node.headNumber, n);
      assert.deepEqual(await stored(), seeds);

      // Another salt, then the same salt in a later block (another beta and another tx hash).
      const hashB = await node.sendTransaction({ from: dev, to: address, data: sample(saltB), gas: 1_000_000n });
      const betaB = (await storedVrf(node, n + 1n)).vrf!.beta;
      const seedsB = await stored();
      assert.deepEqual(seedsB[0], keccak256(expectedSeed(betaB, hexToBytes(hashB), 0, saltB)));
      assert.notDeepEqual(betaB, beta);
      await node.sendTransaction({ from: dev, to: address, data: sample(saltA), gas: 1_000_000n });
      const later = await stored();
      assert.notEqual(later[0], seeds[0]);
      assert.notEqual(later[0], seedsB[0]);
    } finally {
      await node.close();
    }
  });

  it("a failed precompile call and a reverted frame do not take a call index", async () => {
    const node = await DevNode.create();
    try {
      const dev = node.accounts[0]!.address;
      const address = node.transaction(await node.sendTransaction({ from: dev, data: reader.bytecode }))!.record.contractAddress!;
      const data = encodeFunctionData({ abi: reader.abi, functionName: "sampleAfterFailures", args: [saltA] });
      const pending = proveBlockVrf(devVrfSecretKey(), node.head.hash(), node.headNumber + 1n);
      const [inReverted, afterwards] = decodeFunctionResult({ abi: reader.abi, functionName: "sampleAfterFailures", data: (await node.call({ to: address, data })).returnData }) as [Hex, Hex];
      const index0 = expectedSeed(pending.beta, ZERO32, 0, saltA);
      assert.equal(inReverted, index0);
      assert.equal(afterwards, index0);
      // In a transaction too, with its hash.
      const hash = await node.sendTransaction({ from: dev, to: address, data, gas: 1_000_000n });
      const beta = (await storedVrf(node, node.headNumber)).vrf!.beta;
      const first = (await node.call({ to: address, data: encodeFunctionData({ abi: reader.abi, functionName: "firstSeed" }) })).returnData;
      assert.equal(first, keccak256(expectedSeed(beta, hexToBytes(hash), 0, saltA)));
    } finally {
      await node.close();
    }
  });

  it("stand for their tensor in another precompile too: TCOMMIT commits the seed and charges what the inline tensor costs", async () => {
    const node = await DevNode.create();
    try {
      const pending = proveBlockVrf(devVrfSecretKey(), node.head.hash(), node.headNumber + 1n);
      const seed = seedTensor(seedBytes(pending.beta, ZERO32, 0, hexToBytes(saltA)));
      const tcommit = (tensor: Uint8Array) => encodeAbiParameters(parseAbiParameters("uint8 mode, bytes tensor"), [0, bytesToHex(tensor)]);
      const viaSeed = await node.call({ to: TCOMMIT, data: tcommit(seedHandle(hexToBytes(saltA))) });
      const viaInline = await node.call({ to: TCOMMIT, data: tcommit(encodeTensor(seed)) });
      assert.equal(viaSeed.returnData, bytesToHex(commitTensor(seed)));
      assert.equal(viaInline.returnData, viaSeed.returnData);
      // Same execution gas: the calls differ only in their calldata's intrinsic gas.
      const intrinsic = (data: Hex) => [...hexToBytes(data)].reduce((g, b) => g + (b === 0 ? 4n : 16n), 21_000n);
      assert.equal(viaSeed.gasUsed - intrinsic(tcommit(seedHandle(hexToBytes(saltA)))), viaInline.gasUsed - intrinsic(tcommit(encodeTensor(seed))));
    } finally {
      await node.close();
    }
  });

  it("handle encoding: kind 4, owner zero, the salt as id; the seed's words are big-endian int32", () => {
    const salt = hexToBytes(saltB);
    const handle = seedHandle(salt);
    assert.equal(bytesToHex(handle), `0x4152454604${"00".repeat(20)}${saltB.slice(2)}`);
    assert.deepEqual(decodeHandle(handle), { kind: 4, owner: new Uint8Array(20), id: salt });
    const withOwner = Uint8Array.from(handle);
    withOwner[24] = 1;
    assert.throws(() => decodeHandle(withOwner), MalformedEncodingError);
    const words = seedTensor(hexToBytes(`0x80000000ffffffff00000001${"7fffffff".repeat(5)}`));
    assert.deepEqual([words.dtype, words.shape, [...words.data]], ["int32", [8], [-(2 ** 31), -1, 1, ...Array(5).fill(2 ** 31 - 1)]]);
    // The derivation pinned against an independent keccak of the same bytes.
    const beta = new Uint8Array(64).fill(3);
    const txHash = new Uint8Array(32).fill(4);
    const preimage = new Uint8Array([...new TextEncoder().encode("AIVM.seed"), ...beta, ...txHash, 0, 0, 1, 2, ...salt]);
    assert.equal(bytesToHex(seedBytes(beta, txHash, 0x0102, salt)), keccak256(preimage));
  });

  it("in eth_call derive from the pending block's output and a zero tx hash", async () => {
    const node = await DevNode.create();
    try {
      const dev = node.accounts[0]!.address;
      const address = node.transaction(await node.sendTransaction({ from: dev, data: reader.bytecode }))!.record.contractAddress!;
      const pending = proveBlockVrf(devVrfSecretKey(), node.head.hash(), node.headNumber + 1n);
      const data = encodeFunctionData({ abi: reader.abi, functionName: "sample", args: [saltA] });
      const [first, second] = decodeFunctionResult({ abi: reader.abi, functionName: "sample", data: (await node.call({ to: address, data })).returnData }) as [Hex, Hex];
      assert.equal(first, expectedSeed(pending.beta, ZERO32, 0, saltA));
      assert.equal(second, expectedSeed(pending.beta, ZERO32, 1, saltA));
      // The full-transaction path (eth_estimateGas, aivm_quote) sees the same.
      const full = await node.call({ to: address, data }, "latest", { exactGas: true });
      assert.equal((decodeFunctionResult({ abi: reader.abi, functionName: "sample", data: full.returnData }) as [Hex, Hex])[0], first);
    } finally {
      await node.close();
    }
  });
});
