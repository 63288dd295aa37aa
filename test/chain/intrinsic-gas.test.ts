// src/chain/calls.ts intrinsicGasOfCall: a direct eth_call's intrinsic gas (21000, 4 per zero and 16
// per other calldata byte) counted four bytes at a time must equal the byte-by-byte count for every
// length, alignment and byte value, since it is part of the gas a call reports.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { intrinsicGasOfCall } from "../../src/chain/calls.ts";

function byteByByte(data: Uint8Array): bigint {
  let gas = 21_000n;
  for (const b of data) gas += b === 0 ? 4n : 16n;
  return gas;
}

describe("intrinsicGasOfCall", () => {
  it("equals the byte-by-byte count at every length 0..300 and every offset into a buffer", () => {
    let seed = 7;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const buffer = new Uint8Array(320);
    for (let i = 0; i < buffer.length; i++) {
      // Half zeros, the rest every byte value (0x80 and 0x7f included: the high bit and the carry edge).
      const r = next();
      buffer[i] = r % 2 === 0 ? 0 : (r >>> 8) % 256;
    }
    for (let offset = 0; offset < 8; offset++) {
      for (let length = 0; length + offset <= 300; length++) {
        const data = buffer.subarray(offset, offset + length);
        assert.equal(intrinsicGasOfCall(data), byteByByte(data), `offset ${offset} length ${length}`);
      }
    }
  });

  it("counts each byte value 0..255 in every position of a word", () => {
    for (let v = 0; v < 256; v++) {
      for (let pos = 0; pos < 4; pos++) {
        const data = new Uint8Array(128).fill(0x01);
        for (let i = pos; i < data.length; i += 4) data[i] = v;
        assert.equal(intrinsicGasOfCall(data), byteByByte(data), `value ${v} at word position ${pos}`);
      }
    }
  });
});
