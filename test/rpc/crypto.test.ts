// The node's native secp256k1 (src/evm/crypto.ts) must give exactly EthereumJS's JS results:
// recovered keys, signatures (RFC 6979 nonces, with and without extra entropy), failures; and a
// node using it must recover senders and run the ecrecover precompile as one using the JS crypto.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { bytesToHex, ecrecover, hexToBytes, bigIntToBytes, setLengthLeft } from "@ethereumjs/util";
import { privateKeyToAccount } from "viem/accounts";
import { defaultCustomCrypto, nativeEcrecover, nativeEcsign, nativeSecp256k1, nativeSecp256k1Loaded } from "../../src/evm/crypto.ts";
import { DevNode } from "../../src/chain/node.ts";

const N = secp256k1.Point.CURVE().n;

function outcome(f: () => Uint8Array): string {
  try {
    return bytesToHex(f());
  } catch {
    return "throws";
  }
}

describe("native secp256k1 crypto", () => {
  const native = nativeSecp256k1();

  it("loads the native binding on this platform and makes it the node's default", () => {
    assert.equal(nativeSecp256k1Loaded, true, "secp256k1's linux-x64 prebuild should load");
    const crypto = defaultCustomCrypto();
    assert.equal(typeof crypto.ecrecover, "function");
    assert.equal(typeof crypto.ecsign, "function");
  });

  it("signs bit for bit like noble and recovers the same keys as EthereumJS's ecrecover, on random keys and digests", () => {
    const sign = nativeEcsign(native!);
    const recover = nativeEcrecover(native!);
    for (let i = 0; i < 200; i++) {
      const key = secp256k1.utils.randomSecretKey();
      const digest = new Uint8Array(randomBytes(32));
      const entropy = new Uint8Array(randomBytes(32));
      for (const opts of [
        { prehash: false, format: "recovered" as const },
        { prehash: false, format: "recovered" as const, extraEntropy: entropy },
        { prehash: false, format: "compact" as const, extraEntropy: entropy },
      ]) {
        assert.deepEqual(sign(digest, key, opts), secp256k1.sign(digest, key, opts), `signature ${i} ${JSON.stringify(opts.format)}`);
      }
      // Random entropy: different nonces, still a valid signature of the same key.
      const hedged = sign(digest, key, { prehash: false, format: "recovered", extraEntropy: true });
      const sig = secp256k1.Signature.fromBytes(hedged, "recovered");
      assert.ok(secp256k1.verify(sig.toBytes("compact"), digest, secp256k1.getPublicKey(key), { prehash: false }));
      const r = bigIntToBytes(sig.r);
      const s = bigIntToBytes(sig.s);
      const recovery = BigInt(sig.recovery!);
      const chainId = BigInt(1 + (i % 70_000));
      for (const [v, chain] of [
        [recovery, undefined],
        [27n + recovery, undefined],
        [chainId * 2n + 35n + recovery, chainId],
        [27n + (1n - recovery), undefined],
      ] as [bigint, bigint | undefined][]) {
        assert.equal(outcome(() => recover(digest, v, r, s, chain)), outcome(() => ecrecover(digest, v, r, s, chain)), `recover ${i} v=${v}`);
      }
      assert.deepEqual(recover(digest, recovery, r, s), secp256k1.getPublicKey(key, false).subarray(1));
      // High-S (malleated) signatures recover too (the ecrecover precompile accepts them).
      const highS = bigIntToBytes(N - sig.s);
      assert.equal(outcome(() => recover(digest, 28n - recovery, r, highS)), outcome(() => ecrecover(digest, 28n - recovery, r, highS)));
    }
  });

  it("fails exactly where EthereumJS's ecrecover fails", () => {
    const recover = nativeEcrecover(native!);
    const digest = new Uint8Array(randomBytes(32));
    const word = (x: bigint) => setLengthLeft(bigIntToBytes(x), 32);
    const good = word(0x79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798n);
    const cases: [bigint, Uint8Array, Uint8Array][] = [
      [27n, word(0n), good],
      [27n, good, word(0n)],
      [27n, word(N), good],
      [27n, good, word(N)],
      [27n, word(N + 1n), good],
      [2n, good, good],
      [29n, good, good],
      [27n, word(5n), good], // x = 5 is not on the curve
      [28n, good, good],
    ];
    for (let i = 0; i < 50; i++) cases.push([27n + BigInt(i % 2), new Uint8Array(randomBytes(32)), new Uint8Array(randomBytes(32))]);
    for (const [v, r, s] of cases) {
      assert.equal(outcome(() => recover(digest, v, r, s)), outcome(() => ecrecover(digest, v, r, s)), `v=${v} r=${bytesToHex(r)}`);
    }
  });

  it("a node on native crypto recovers raw senders and runs the ecrecover precompile like one on the JS crypto", async () => {
    const nodes = [await DevNode.create({ runtime: null }), await DevNode.create({ runtime: null, customCrypto: {} })];
    try {
      const key = secp256k1.utils.randomSecretKey();
      const digest = new Uint8Array(randomBytes(32));
      const sig = secp256k1.Signature.fromBytes(secp256k1.sign(digest, key, { prehash: false, format: "recovered" }), "recovered");
      const input = bytesToHex(
        new Uint8Array([...digest, ...setLengthLeft(bigIntToBytes(27n + BigInt(sig.recovery!)), 32), ...setLengthLeft(bigIntToBytes(sig.r), 32), ...setLengthLeft(bigIntToBytes(sig.s), 32)]),
      ) as `0x${string}`;
      const signer = privateKeyToAccount(bytesToHex(key) as `0x${string}`);
      const results: string[] = [];
      for (const node of nodes) {
        const dev = node.accounts[0]!;
        const account = privateKeyToAccount(dev.privateKey as `0x${string}`);
        const raw = await account.signTransaction({
          type: "eip1559",
          chainId: node.chainId,
          nonce: 0,
          to: signer.address,
          value: 1n,
          gas: 21_000n,
          maxFeePerGas: 10_000_000_000n,
          maxPriorityFeePerGas: 1n,
        });
        const hash = await node.sendRawTransaction(hexToBytes(raw));
        assert.equal(node.transaction(hash)?.record.from, dev.address.toLowerCase());
        assert.equal(await node.getBalance(signer.address.toLowerCase() as `0x${string}`), 1n);
        // eth_sendTransaction signs with the node's ecsign.
        const sent = await node.sendTransaction({ from: dev.address.toLowerCase() as `0x${string}`, to: signer.address, value: 2n });
        assert.equal(node.transaction(sent)?.block.transactions[0]!.getSenderAddress().toString(), dev.address.toLowerCase());
        const call = await node.call({ to: "0x0000000000000000000000000000000000000001", data: input });
        assert.equal(call.returnData, bytesToHex(setLengthLeft(hexToBytes(signer.address.toLowerCase() as `0x${string}`), 32)));
        results.push(call.returnData);
      }
      assert.equal(results[0], results[1]);
    } finally {
      for (const node of nodes) await node.close();
    }
  });
});
