// The precompiles' ABI input decoder (precompiles/abi-decode.ts) reads the canonical layout only:
// on canonical encodings of random values for every precompile input it returns what viem returns;
// on mutated, truncated, extended and re-laid-out inputs it accepts exactly those that are the
// standard encoding of what it decodes, and rejects every other one with NonCanonicalAbiError,
// never looking at an input byte twice. A tail aliased by many heads (which a lenient decoder
// reads once per head) is rejected at the second head, inside a block, for the decode gas.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex, decodeAbiParameters, decodeErrorResult, encodeAbiParameters, hexToBytes, parseAbiParameters, type AbiParameter, type Hex } from "viem";
import { decodeParams } from "../../precompiles/abi-decode.ts";
import { NonCanonicalAbiError } from "../../precompiles/errors.ts";
import { decodeGas } from "../../precompiles/gas.ts";
import { PRECOMPILE_ADDRESSES as A } from "../../precompiles/index.ts";
import { TMATMUL_INPUT } from "../../precompiles/a101-tmatmul.ts";
import { TEWOP_INPUT } from "../../precompiles/a102-tewop.ts";
import { TCUSTOM_INPUT } from "../../precompiles/a103-tcustom.ts";
import { TLOAD_INPUT } from "../../precompiles/a104-tload.ts";
import { TSTORE_INPUT } from "../../precompiles/a105-tstore.ts";
import { TCOMMIT_INPUT } from "../../precompiles/a106-tcommit.ts";
import { TSTREAM_INPUT } from "../../precompiles/a107-tstream.ts";
import { TGRAPH_INPUT } from "../../precompiles/a108-tgraph.ts";
import { contract, createTestChain, watchPrecompiles, type PrecompileCharge, type TestChain } from "./chain.ts";
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

/** viem's decoding with bytes as Uint8Array ("error" when viem refuses the input). */
function viemDecoded(params: readonly AbiParameter[], data: Uint8Array): unknown[] | "error" {
  let values: readonly unknown[];
  try {
    values = decodeAbiParameters(params, data);
  } catch {
    return "error";
  }
  const conv = (type: string, v: unknown): unknown => {
    if (type.endsWith("[]")) return (v as unknown[]).map((e) => conv(type.slice(0, -2), e));
    if (type.startsWith("bytes")) return hexToBytes(v as Hex);
    return v;
  };
  return values.map((v, i) => conv(params[i]!.type, v));
}

/** Our values with bytes as hex, as viem's encoder takes them. */
function asViemValues(params: readonly AbiParameter[], values: readonly unknown[]): unknown[] {
  const conv = (type: string, v: unknown): unknown => {
    if (type.endsWith("[]")) return (v as unknown[]).map((e) => conv(type.slice(0, -2), e));
    if (type.startsWith("bytes")) return bytesToHex(v as Uint8Array);
    return v;
  };
  return values.map((v, i) => conv(params[i]!.type, v));
}

/** Our decoding, or the rejection (which must be a NonCanonicalAbiError). */
function ours(params: readonly AbiParameter[], data: Uint8Array): unknown[] | NonCanonicalAbiError {
  try {
    return decodeParams(params, data) as unknown[];
  } catch (e) {
    assert.ok(e instanceof NonCanonicalAbiError, `unexpected ${String(e)}`);
    return e;
  }
}

/**
 * The input behind a proxy that counts the bytes the decoder looks at: each index read, and each
 * byte a slice copies. The decoder's work is proportional to this count.
 */
function counted(data: Uint8Array): { view: Uint8Array; touched: () => number } {
  let touched = 0;
  const view = new Proxy(data, {
    get(target, prop) {
      if (prop === "slice") {
        return (from: number, to: number) => {
          touched += to - from;
          return target.slice(from, to);
        };
      }
      if (typeof prop === "string" && /^[0-9]+$/.test(prop)) touched++;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { view, touched: () => touched };
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

/** A 64 KiB tail aliased by 30 heads: TMATMUL's `inputs` as 30 offsets to one tensor-sized `bytes`. */
function aliasedTail(heads = 30, tailBytes = 65_536): Uint8Array {
  const word = (v: number) => encodeAbiParameters(parseAbiParameters("uint256"), [BigInt(v)]).slice(2);
  const arrayAt = 128;
  const elements = word(heads) + word(32 * heads).repeat(heads) + word(tailBytes) + "ab".repeat(tailBytes);
  const emptyAt = arrayAt + elements.length / 2;
  const hex = word(arrayAt) + word(emptyAt) + word(emptyAt + 32) + word(0) + elements + word(0) + word(0);
  return hexToBytes(`0x${hex}`);
}

test("canonical encodings of random values decode to viem's values, touching each input byte at most once", () => {
  const r = rng(20261202);
  for (const [name, params] of Object.entries(LAYOUTS)) {
    for (let i = 0; i < 300; i++) {
      const values = params.map((p) => randomValue(p.type, r));
      const data = hexToBytes(encodeAbiParameters(params, values as never));
      const { view, touched } = counted(data);
      assert.deepEqual(decodeParams(params, view), viemDecoded(params, data), `${name} #${i}`);
      assert.ok(touched() <= data.length, `${name} #${i}: ${touched()} bytes touched for ${data.length}`);
    }
  }
});

test("a mutated input is accepted exactly when it is the standard encoding of what it decodes to; a rejection is NonCanonicalAbi and reads each byte at most once", () => {
  const r = rng(7);
  let accepted = 0;
  let viemReadsRejected = 0;
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
      const { view, touched } = counted(input);
      const got = ours(params, view);
      assert.ok(touched() <= input.length, `${name} #${i}: ${touched()} bytes touched for ${input.length}`);
      if (got instanceof NonCanonicalAbiError) {
        if (viemDecoded(params, input) !== "error") viemReadsRejected++;
        let reencoded: Hex | undefined;
        try {
          reencoded = encodeAbiParameters(params, asViemValues(params, viemDecoded(params, input) as unknown[]) as never);
        } catch {
          reencoded = undefined;
        }
        assert.notEqual(reencoded, bytesToHex(input), `${name} #${i}: a standard encoding was rejected (${got.reason})`);
      } else {
        accepted++;
        assert.equal(encodeAbiParameters(params, asViemValues(params, got) as never), bytesToHex(input), `${name} #${i}: accepted but not canonical`);
        assert.deepEqual(got, viemDecoded(params, input), `${name} #${i}`);
      }
    }
  }
  // The mutations reach both sides: inputs still canonical (a changed value), and layouts viem reads but we refuse.
  assert.ok(accepted > 300 && viemReadsRejected > 300, `${accepted} accepted, ${viemReadsRejected} read by viem but rejected`);
});

test("tails swapped, dirty padding, dirty high bytes, trailing bytes and invalid UTF-8 are each rejected (all but the high bytes are read by viem)", () => {
  const two = parseAbiParameters("bytes a, bytes b");
  const canonical = hexToBytes(encodeAbiParameters(two, ["0x0102", "0x030405"]));
  const swapped = new Uint8Array(canonical.length);
  swapped.set(canonical.subarray(0, 64));
  swapped.set(canonical.subarray(128, 192), 64);
  swapped.set(canonical.subarray(64, 128), 128);
  swapped[31] = 128;
  swapped[63] = 64;
  const padded = canonical.slice();
  padded[64 + 32 + 5] = 1;
  const dirty = new Uint8Array(32);
  dirty[0] = 1;
  dirty[31] = 2;
  const trailing = new Uint8Array(canonical.length + 32);
  trailing.set(canonical);
  const text = parseAbiParameters("string s");
  const notUtf8 = hexToBytes(encodeAbiParameters(text, ["ab"]));
  notUtf8[64] = 0xff;
  const cases: [string, readonly AbiParameter[], Uint8Array, string, boolean][] = [
    ["swapped", two, swapped, "offset points to byte 128", true],
    ["padding", two, padded, "non-zero padding", true],
    ["high bytes", parseAbiParameters("uint8 flags"), dirty, "outside uint8", false],
    ["trailing", two, trailing, "32 bytes after the encoding", true],
    ["utf-8", text, notUtf8, "not UTF-8", true],
  ];
  for (const [name, params, data, reason, viemReads] of cases) {
    assert.equal(viemDecoded(params, data) !== "error", viemReads, `${name}: viem ${viemReads ? "reads" : "refuses"} it`);
    const got = ours(params, data);
    assert.ok(got instanceof NonCanonicalAbiError, name);
    assert.match(got.reason, new RegExp(reason), name);
  }
  assert.ok(ours(TMATMUL_INPUT, new Uint8Array(0)) instanceof NonCanonicalAbiError);
});

test("a 64 KiB tail aliased by 30 heads is rejected at the second head: one tail's worth of bytes looked at, where viem copies it 30 times", () => {
  const data = aliasedTail();
  const viem = viemDecoded(TMATMUL_INPUT, data);
  assert.ok(viem !== "error" && (viem[0] as Uint8Array[]).length === 30, "viem reads the aliased layout: 30 copies of the tail");
  const { view, touched } = counted(data);
  const got = ours(TMATMUL_INPUT, view);
  assert.ok(got instanceof NonCanonicalAbiError);
  // The second element's head: after the 4 call heads, the array's length word and the first element's head.
  assert.equal(got.offset, 128 + 32 + 32);
  assert.ok(touched() <= 65_536 + 6 * 32, `${touched()} bytes touched`);
});

describe("inside a block", () => {
  let chain: TestChain;
  let probe: Hex;
  let charges: PrecompileCharge[];
  before(async () => {
    chain = await createTestChain();
    charges = watchPrecompiles(chain.vm);
    probe = await chain.deploy("AivmProbe");
  });

  test("the aliased input reverts TMATMUL with MalformedEncoding naming the layout, for the decode gas", async () => {
    const input = aliasedTail();
    const before = charges.length;
    const sent = await chain.sendCall(contract("AivmProbe").abi, probe, "probe", [A.TMATMUL, bytesToHex(input)]);
    const [ok, ret] = sent.ret as [boolean, Hex, bigint];
    assert.equal(ok, false);
    const frame = charges.slice(before)[0]!;
    assert.equal(frame.error, "revert");
    assert.equal(frame.gasUsed, decodeGas(input.length));
    const err = decodeErrorResult({ abi: contract("IAIVMErrors").abi, data: ret });
    assert.equal(err.errorName, "MalformedEncoding");
    assert.equal(err.args?.[0], "TMATMUL input");
    assert.match(String(err.args?.[1]), /not the canonical ABI encoding of \(bytes\[\],string\[\],int64\[\]\[\],uint8\)/);
  });
});
