// The WASM keccak256 (src/commit/keccak.ts) against @noble/hashes, the reference: every length
// from 0 to 600 bytes (across the 136-byte rate boundaries), multi-part inputs split at every
// point, long inputs, and interleaved use of both entry points.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { keccak256, keccak256One } from "../../src/commit/keccak.ts";
import { defaultCustomCrypto } from "../../src/evm/crypto.ts";

function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

describe("keccak256 (WASM)", () => {
  it("matches noble for every length 0..600 and known vectors", () => {
    assert.equal(bytesToHex(keccak256One(new Uint8Array(0))), "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    assert.equal(bytesToHex(keccak256One(Uint8Array.of(0x80))), "56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421");
    for (let n = 0; n <= 600; n++) {
      const data = bytes(n, n + 1);
      assert.equal(bytesToHex(keccak256One(data)), bytesToHex(keccak_256(data)), `length ${n}`);
    }
    const big = bytes(1 << 20, 7);
    assert.equal(bytesToHex(keccak256One(big)), bytesToHex(keccak_256(big)), "1 MiB");
  });

  it("hashes the concatenation of its parts, split anywhere", () => {
    const data = bytes(300, 99);
    const expected = bytesToHex(keccak_256(data));
    for (let cut = 0; cut <= data.length; cut += 7) {
      assert.equal(bytesToHex(keccak256(data.subarray(0, cut), data.subarray(cut))), expected, `cut ${cut}`);
    }
    assert.equal(bytesToHex(keccak256(data.subarray(0, 10), new Uint8Array(0), data.subarray(10, 200), data.subarray(200))), expected);
    assert.equal(bytesToHex(keccak256()), bytesToHex(keccak_256(new Uint8Array(0))));
  });

  it("hashes parts that cross or exceed the 64 KiB staging buffer", () => {
    const data = bytes((1 << 17) + 333, 5);
    const expected = bytesToHex(keccak_256(data));
    for (const cuts of [[65_535, 65_537], [1, 65_536], [65_536, 131_072], [100, 70_000, 70_001], [131_000]]) {
      const parts: Uint8Array[] = [];
      let at = 0;
      for (const c of cuts) {
        parts.push(data.subarray(at, c));
        at = c;
      }
      parts.push(data.subarray(at));
      assert.equal(bytesToHex(keccak256(...parts)), expected, `cuts ${cuts.join(",")}`);
    }
    const exact = bytes(1 << 16, 6);
    assert.equal(bytesToHex(keccak256One(exact)), bytesToHex(keccak_256(exact)), "exactly 64 KiB");
    assert.equal(bytesToHex(keccak256(exact, Uint8Array.of(1))), bytesToHex(keccak_256(Uint8Array.of(...exact, 1))), "64 KiB + 1 in two parts");
  });

  it("returns a fresh array each call (the hasher is reused)", () => {
    const a = keccak256One(Uint8Array.of(1));
    const b = keccak256One(Uint8Array.of(2));
    assert.notEqual(bytesToHex(a), bytesToHex(b));
    assert.equal(bytesToHex(a), bytesToHex(keccak_256(Uint8Array.of(1))));
  });

  it("is the node's Common keccak256", () => {
    assert.equal(defaultCustomCrypto().keccak256, keccak256One);
  });
});
