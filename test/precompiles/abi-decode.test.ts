// The precompiles' ABI input decoder (precompiles/abi-decode.ts) against viem's decodeAbiParameters:
// on canonical encodings of random values for every precompile input it takes the fast path and
// returns what viem returns; on mutated, truncated and re-laid-out inputs, decodeParams gives
// exactly viem's answer (the same values, or a failure when viem fails).
import { test } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex, decodeAbiParameters, encodeAbiParameters, hexToBytes, parseAbiParameters, type AbiParameter } from "viem";
import { AbiDecodeError, decodeCanonical, decodeParams } from "../../precompiles/abi-decode.ts";
import { TMATMUL_INPUT } from "../../precompiles/a101-tmatmul.ts";
import { TEWOP_INPUT } from "../../precompiles/a102-tewop.ts";
import { TCUSTOM_INPUT } from "../../precompiles/a103-tcustom.ts";
import { TLOAD_INPUT } from "../../precompiles/a104-tload.ts";
import { TSTORE_INPUT } from "../../precompiles/a105-tstore.ts";
import { TCOMMIT_INPUT } from "../../precompiles/a106-tcommit.ts";
import { TSTREAM_INPUT } from "../../precompiles/a107-tstream.ts";
import { TGRAPH_INPUT } from "../../precompiles/a108-tgraph.ts";
import { rng } from "../xorshift.ts";

type Rand = ReturnType<typeof rng>;

/** A random viem-side value of an ABI type (hex for bytes, as viem's encoder takes them). */
function randomValue(type: string, r: Rand): unknown {
  if (type.endsWith("[]")) return Array.from({ length: r(4) }, () => randomValue(type.slice(0, -2), r));
  if (type === "bytes") return bytesToHex(Uint8Array.from({ length: [0, 1, 31, 32, 33, 57, 100][r(7)]! }, () => r(256)));
  const fixed = /^bytes(\d+)$/.exec(type);
  if (fixed) return bytesToHex(Uint8Array.from({ length: Number(fixed[1]) }, () => r(256)));
  if (type === "string") return ["", "zero_point", "axis", "é∑ unicode", "x".repeat(40)][r(5)];
  const m = /^(u?)int(\d+)$/.exec(type)!;
  const bits = Number(m[2]);
  const unsigned = m[1] === "u";
  const edges = unsigned ? [0n, 1n, (1n << BigInt(bits)) - 1n] : [0n, -1n, (1n << BigInt(bits - 1)) - 1n, -(1n << BigInt(bits - 1))];
  const span = 1n << BigInt(unsigned ? bits : bits - 1);
  const v = r(3) === 0 ? edges[r(edges.length)]! : (BigInt(r(1 << 30)) % span) * (unsigned || r(2) === 0 ? 1n : -1n);
  return bits <= 48 ? Number(v) : v;
}

/** viem's decoding with bytes as Uint8Array: what decodeParams must return. */
function viemExpected(params: readonly AbiParameter[], data: Uint8Array): unknown[] | "error" {
  let values: readonly unknown[];
  try {
    values = decodeAbiParameters(params, data);
  } catch {
    return "error";
  }
  const conv = (type: string, v: unknown): unknown => {
    if (type.endsWith("[]")) return (v as unknown[]).map((e) => conv(type.slice(0, -2), e));
    if (type.startsWith("bytes")) return hexToBytes(v as `0x${string}`);
    return v;
  };
  return values.map((v, i) => conv(params[i]!.type, v));
}

function ours(params: readonly AbiParameter[], data: Uint8Array): unknown[] | "error" {
  try {
    return decodeParams(params, data) as unknown[];
  } catch (e) {
    assert.ok(e instanceof AbiDecodeError, `unexpected ${String(e)}`);
    return "error";
  }
}

const LAYOUTS: Record<string, readonly AbiParameter[]> = {
  TMATMUL: TMATMUL_INPUT,
  TEWOP: TEWOP_INPUT,
  TCUSTOM: TCUSTOM_INPUT,
  TLOAD: TLOAD_INPUT,
  TSTORE: TSTORE_INPUT,
  TCOMMIT: TCOMMIT_INPUT,
  TSTREAM: TSTREAM_INPUT,
  TGRAPH: TGRAPH_INPUT,
  manifest: parseAbiParameters("uint8 dtype, uint32[] shape, bytes32[] shardIds"),
  wide: parseAbiParameters("uint256 a, int256 b, int8 c, uint48 d, int48 e, bytes4 f, uint64[] g"),
};

test("canonical encodings of random values decode on the fast path to viem's values", () => {
  const r = rng(20261202);
  for (const [name, params] of Object.entries(LAYOUTS)) {
    for (let i = 0; i < 300; i++) {
      const values = params.map((p) => randomValue(p.type, r));
      const data = hexToBytes(encodeAbiParameters(params, values as never));
      const fast = decodeCanonical(params, data);
      assert.ok(fast !== undefined, `${name} #${i}: a canonical encoding left the fast path`);
      assert.deepEqual(fast, viemExpected(params, data), `${name} #${i}`);
    }
  }
});

test("mutated, truncated and extended inputs decode exactly as viem decodes them (or fail when viem fails)", () => {
  const r = rng(7);
  let nonCanonical = 0;
  let failures = 0;
  for (const [name, params] of Object.entries(LAYOUTS)) {
    for (let i = 0; i < 400; i++) {
      const values = params.map((p) => randomValue(p.type, r));
      const data = hexToBytes(encodeAbiParameters(params, values as never));
      const mutated = new Uint8Array(data.length + (r(4) === 0 ? 32 : 0));
      mutated.set(data);
      const edits = 1 + r(3);
      for (let e = 0; e < edits && data.length > 0; e++) {
        const at = r(data.length);
        // Flip a byte, or rewrite the low byte of a word (offsets, lengths, small ints) by a little.
        if (r(2) === 0) mutated[at] = r(256);
        else mutated[(at | 31) >= mutated.length ? at : at | 31] = (mutated[at | 31]! + [1, 31, 32, 224, 255][r(5)]!) & 0xff;
      }
      const input = r(5) === 0 ? mutated.subarray(0, r(mutated.length + 1)) : mutated;
      if (decodeCanonical(params, input) === undefined) nonCanonical++;
      const expected = viemExpected(params, input);
      if (expected === "error") failures++;
      assert.deepEqual(ours(params, input), expected, `${name} #${i}`);
    }
  }
  // The mutations reach both fallbacks: viem reading a non-canonical layout, and viem refusing.
  assert.ok(nonCanonical > 500 && failures > 100, `${nonCanonical} non-canonical, ${failures} refused`);
});

test("a re-ordered but valid layout (tails swapped) takes viem's path and decodes the same", () => {
  const params = parseAbiParameters("bytes a, bytes b");
  const canonical = hexToBytes(encodeAbiParameters(params, ["0x0102", "0x030405"]));
  // a's tail after b's: valid ABI, not the canonical layout.
  const swapped = new Uint8Array(canonical.length);
  swapped.set(canonical.subarray(0, 64));
  swapped.set(canonical.subarray(128, 192), 64);
  swapped.set(canonical.subarray(64, 128), 128);
  swapped[31] = 128;
  swapped[63] = 64;
  assert.equal(decodeCanonical(params, swapped), undefined);
  assert.deepEqual(decodeParams(params, swapped), [Uint8Array.of(1, 2), Uint8Array.of(3, 4, 5)]);
  assert.deepEqual(viemExpected(params, swapped), [Uint8Array.of(1, 2), Uint8Array.of(3, 4, 5)]);
});

test("dirty high bytes in a small integer, and empty input, are left to viem", () => {
  const params = parseAbiParameters("uint8 flags");
  const dirty = new Uint8Array(32);
  dirty[0] = 1;
  dirty[31] = 2;
  assert.equal(decodeCanonical(params, dirty), undefined);
  assert.deepEqual(ours(params, dirty), viemExpected(params, dirty));
  assert.equal(ours(TMATMUL_INPUT, new Uint8Array(0)), "error");
});
