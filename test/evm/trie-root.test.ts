// The one-pass trie root against @ethereumjs/mpt, the trie the block builder uses for the
// transactions and receipts roots: ordered RLP(i) keys, arbitrary keys (prefixes of each other,
// long shared prefixes, short values that make inline nodes), and real signed transactions.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { genTransactionsTrieRoot } from "@ethereumjs/block";
import { Hardfork, Mainnet, createCustomCommon } from "@ethereumjs/common";
import { MerklePatriciaTrie } from "@ethereumjs/mpt";
import { RLP } from "@ethereumjs/rlp";
import { createFeeMarket1559Tx, createLegacyTx } from "@ethereumjs/tx";
import { KECCAK256_RLP, bytesToHex, hexToBytes } from "@ethereumjs/util";
import { sha256 } from "@noble/hashes/sha2.js";
import { orderedTrieRoot, trieRoot } from "../../src/evm/trie-root.ts";

/** xorshift32: a fixed seed gives the same cases on every run. */
function makeRng(seed: number): { next(): number; below(n: number): number; bytes(length: number): Uint8Array } {
  let state = seed >>> 0 || 1;
  const next = (): number => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
  const below = (n: number): number => next() % n;
  const bytes = (length: number): Uint8Array => {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = next() & 0xff;
    return out;
  };
  return { next, below, bytes };
}

type Rng = ReturnType<typeof makeRng>;

async function mptRoot(entries: readonly [Uint8Array, Uint8Array][]): Promise<Uint8Array> {
  const trie = new MerklePatriciaTrie();
  for (const [key, value] of entries) await trie.put(key, value);
  return trie.root();
}

/** Values of 1..200 bytes, a third of them under 20 bytes so some leaves are inlined in their parent. */
function randomValue(rng: Rng): Uint8Array {
  return rng.bytes(rng.below(3) === 0 ? 1 + rng.below(19) : 1 + rng.below(200));
}

/** 1..60 distinct keys of 1..40 bytes: random, prefixes of others, shared long prefixes, tiny alphabet. */
function randomKeys(rng: Rng): Uint8Array[] {
  const wanted = 1 + rng.below(60);
  const keys = new Map<string, Uint8Array>();
  const existing = (): Uint8Array => [...keys.values()][rng.below(keys.size)];
  for (let attempt = 0; keys.size < wanted && attempt < wanted * 20; attempt++) {
    let key: Uint8Array;
    const kind = keys.size === 0 ? 0 : rng.below(4);
    if (kind === 0) {
      key = rng.bytes(1 + rng.below(40));
    } else if (kind === 1) {
      const base = existing();
      key = base.slice(0, 1 + rng.below(base.length));
    } else if (kind === 2) {
      const base = existing();
      const prefix = base.slice(0, 1 + rng.below(base.length));
      const tail = rng.bytes(rng.below(41 - prefix.length));
      key = new Uint8Array([...prefix, ...tail]);
    } else {
      // Bytes 0x00, 0x01, 0x10, 0x11 make keys collide nibble by nibble.
      key = new Uint8Array(1 + rng.below(6)).map(() => [0x00, 0x01, 0x10, 0x11][rng.below(4)]);
    }
    keys.set(bytesToHex(key), key);
  }
  return [...keys.values()];
}

describe("orderedTrieRoot", () => {
  it("is KECCAK256_RLP for an empty list", () => {
    assert.deepEqual(orderedTrieRoot([]), KECCAK256_RLP);
  });

  for (const n of [1, 2, 3, 16, 17, 127, 128, 129, 255, 256, 257, 1000, 3000]) {
    it(`matches MerklePatriciaTrie with RLP(i) keys for n = ${n}`, async () => {
      const rng = makeRng(1000 + n);
      const values = Array.from({ length: n }, () => randomValue(rng));
      const expected = await mptRoot(values.map((value, i): [Uint8Array, Uint8Array] => [RLP.encode(i), value]));
      assert.equal(bytesToHex(orderedTrieRoot(values)), bytesToHex(expected));
    });
  }

  it("matches MerklePatriciaTrie when every value is short enough to be inlined", async () => {
    const rng = makeRng(7);
    for (const n of [1, 2, 17, 129, 300]) {
      const values = Array.from({ length: n }, () => rng.bytes(1 + rng.below(8)));
      const expected = await mptRoot(values.map((value, i): [Uint8Array, Uint8Array] => [RLP.encode(i), value]));
      assert.equal(bytesToHex(orderedTrieRoot(values)), bytesToHex(expected), `n = ${n}`);
    }
  });

  it("matches genTransactionsTrieRoot for real signed transactions", async () => {
    const common = createCustomCommon({ chainId: 31337 }, Mainnet, { hardfork: Hardfork.Prague });
    const key = hexToBytes("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
    const to = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
    const txs = [];
    for (let nonce = 0; nonce < 40; nonce++) {
      const data = new Uint8Array(nonce * 7).fill(nonce);
      txs.push(
        nonce % 5 === 4
          ? createLegacyTx({ nonce, gasPrice: 2_000_000_000n, gasLimit: 100_000n, to, value: BigInt(nonce), data }, { common }).sign(key)
          : createFeeMarket1559Tx(
              { nonce, maxFeePerGas: 3_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n, gasLimit: 21_000n + BigInt(nonce) * 1000n, to, value: 10n ** 15n, data },
              { common },
            ).sign(key),
      );
    }
    for (const count of [1, 2, 40]) {
      const block = txs.slice(0, count);
      const expected = await genTransactionsTrieRoot(block, new MerklePatriciaTrie());
      assert.equal(bytesToHex(orderedTrieRoot(block.map((tx) => tx.serialize()))), bytesToHex(expected), `${count} txs`);
    }
  });
});

describe("trieRoot", () => {
  it("matches MerklePatriciaTrie for 300 random key sets", async () => {
    const rng = makeRng(0x5eed);
    for (let round = 0; round < 300; round++) {
      const entries = randomKeys(rng).map((key): [Uint8Array, Uint8Array] => [key, randomValue(rng)]);
      const expected = await mptRoot(entries);
      assert.equal(bytesToHex(trieRoot(entries)), bytesToHex(expected), `round ${round}`);
    }
  });

  it("puts the value of a key that prefixes others in the branch's value slot", async () => {
    const entries: [Uint8Array, Uint8Array][] = [
      [hexToBytes("0x12"), hexToBytes("0xaa")],
      [hexToBytes("0x1234"), hexToBytes("0xbb")],
      [hexToBytes("0x123456"), new Uint8Array(40).fill(0xcc)],
      [hexToBytes("0x1235"), hexToBytes("0xdd")],
    ];
    assert.equal(bytesToHex(trieRoot(entries)), bytesToHex(await mptRoot(entries)));
  });

  it("hashes a root node whose encoding is under 32 bytes", async () => {
    const entries: [Uint8Array, Uint8Array][] = [[hexToBytes("0x01"), hexToBytes("0x02")]];
    assert.equal(bytesToHex(trieRoot(entries)), bytesToHex(await mptRoot(entries)));
  });

  it("does not depend on the order of the entries", () => {
    const rng = makeRng(99);
    const entries = randomKeys(rng).map((key): [Uint8Array, Uint8Array] => [key, randomValue(rng)]);
    assert.equal(bytesToHex(trieRoot([...entries].reverse())), bytesToHex(trieRoot(entries)));
  });

  it("leaves out empty values, as MerklePatriciaTrie.put deletes on them", async () => {
    const rng = makeRng(3);
    const entries = randomKeys(rng).map((key, i): [Uint8Array, Uint8Array] => [key, i % 3 === 0 ? new Uint8Array(0) : randomValue(rng)]);
    const nonEmpty = entries.filter(([, value]) => value.length > 0);
    assert.equal(bytesToHex(trieRoot(entries)), bytesToHex(await mptRoot(entries)));
    assert.equal(bytesToHex(trieRoot(entries)), bytesToHex(trieRoot(nonEmpty)));
    assert.deepEqual(trieRoot([[hexToBytes("0x01"), new Uint8Array(0)]]), KECCAK256_RLP);
  });

  it("hashes every node with the given hash function, as MerklePatriciaTrie does with useKeyHashingFunction", async () => {
    const rng = makeRng(11);
    const entries = randomKeys(rng).map((key): [Uint8Array, Uint8Array] => [key, randomValue(rng)]);
    const trie = new MerklePatriciaTrie({ useKeyHashingFunction: sha256 });
    for (const [key, value] of entries) await trie.put(key, value);
    assert.equal(bytesToHex(trieRoot(entries, sha256)), bytesToHex(trie.root()));
    assert.deepEqual(trieRoot([], sha256), sha256(Uint8Array.of(0x80)));
  });

  it("rejects a repeated key", () => {
    const key = hexToBytes("0xabcd");
    assert.throws(() => trieRoot([[key, hexToBytes("0x01")], [key.slice(), hexToBytes("0x02")]]), /0xabcd appears more than once/);
  });
});
