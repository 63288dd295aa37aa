// The Buffer-based hex codec (src/commit/hex.ts) against viem's, and the checked decoder's refusals.
import { test } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex, hexToBytes } from "viem";
import { fromHex, fromHexChecked, toHex } from "../../src/commit/hex.ts";
import { rng } from "../xorshift.ts";

test("toHex, fromHex and fromHexChecked equal viem's codec on 0..300 random bytes and a 256 KiB payload", () => {
  const r = rng(31337);
  const payloads = Array.from({ length: 301 }, (_, n) => Uint8Array.from({ length: n }, () => r(256)));
  payloads.push(Uint8Array.from({ length: 1 << 18 }, () => r(256)));
  for (const bytes of payloads) {
    const hex = bytesToHex(bytes);
    assert.equal(toHex(bytes), hex);
    assert.deepEqual(fromHex(hex), bytes);
    assert.deepEqual(fromHexChecked(hex, "x"), bytes);
    assert.deepEqual(fromHexChecked(hex.toUpperCase().replace("0X", "0x"), "x"), hexToBytes(hex));
  }
  // A view into a larger buffer is encoded from its own bytes only.
  const big = Uint8Array.of(1, 2, 3, 4, 5);
  assert.equal(toHex(big.subarray(1, 3)), "0x0203");
});

test("fromHexChecked refuses anything but 0x-prefixed hex of whole bytes, without echoing it", () => {
  for (const bad of ["", "0", "12", "0x1", "0x123", "0xzz", "0x00zz", "0x0g", "0X00", "0x00 ", " 0x00", "0x0 00"]) {
    assert.throws(() => fromHexChecked(bad, "Call data"), (e: unknown) => e instanceof TypeError && e.message === "Call data is not 0x-prefixed hex of whole bytes", JSON.stringify(bad));
  }
  assert.deepEqual(fromHexChecked("0x", "x"), new Uint8Array(0));
});
