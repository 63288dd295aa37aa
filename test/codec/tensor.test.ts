import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { encodePacked, toBytes, toHex } from "viem";
import {
  decodeTensor,
  decodeTensorAt,
  decodeTensorHeader,
  encodeTensor,
  tensorDataBytes,
  encodedTensorLength,
} from "../../src/codec/tensor.ts";
import {
  AivmError,
  ElementCountError,
  ElementLimitError,
  InvalidArgumentError,
  InvalidDimensionError,
  MalformedEncodingError,
  RankLimitError,
} from "../../src/engine/errors.ts";
import { MAX_ELEMENTS, tensor, type DType, type QuantParams, type Tensor } from "../../src/engine/tensor.ts";
import { Rng } from "./rng.ts";

interface Vector {
  name: string;
  dtype: DType;
  shape: number[];
  data: number[];
  quant?: QuantParams;
  hex: string;
}
const vectors: Vector[] = JSON.parse(readFileSync(new URL("./tensor-vectors.json", import.meta.url), "utf8"));

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const unhex = (h: string) => new Uint8Array(Buffer.from(h, "hex"));

function expectCode<E extends AivmError>(fn: () => unknown, cls: new (...a: any[]) => E): void {
  assert.throws(fn, (e: unknown) => e instanceof cls);
}

test("golden vectors: encodeTensor produces the committed bytes and decodeTensor inverts them", () => {
  assert.ok(vectors.length >= 6);
  for (const v of vectors) {
    const t = tensor(v.dtype, v.shape, v.data, v.quant);
    assert.equal(hex(encodeTensor(t)), v.hex, v.name);
    const back = decodeTensor(unhex(v.hex));
    assert.equal(back.dtype, v.dtype);
    assert.deepEqual(back.shape, v.shape);
    assert.deepEqual([...back.data], v.data);
    assert.deepEqual(back.quant, v.quant);
  }
});

test("byte layout matches docs/spec.md: header rebuilt independently with viem encodePacked", () => {
  const v = vectors.find((x) => x.name.startsWith("int32 [2,1]"))!;
  const header = encodePacked(
    ["bytes4", "uint8", "uint8", "uint8", "uint8", "uint32", "uint32", "uint32", "uint32"],
    [toHex(toBytes("AIVT")), 1, 3, 2, 2, 8, 2, 1, 0],
  );
  const quant = encodePacked(
    ["uint32", "uint32", "int32", "uint32", "uint32", "int32"],
    [1, 3, 0, 2, 4, 0],
  );
  // little-endian int32 data: 7, -1
  const data = "07000000ffffffff";
  assert.equal(header.slice(2) + quant.slice(2) + data, v.hex);
});

function randomTensor(rng: Rng): Tensor {
  const dtypes: DType[] = ["int8", "int16", "int32"];
  const dtype = dtypes[rng.int(3)]!;
  const rank = rng.int(5);
  const shape = Array.from({ length: rank }, () => rng.int(4));
  const n = shape.reduce((a, b) => a * b, 1);
  const bits = dtype === "int8" ? 8 : dtype === "int16" ? 16 : 32;
  const data = Array.from({ length: n }, () => rng.signed(bits));
  let quant: QuantParams | undefined;
  const mode = rng.int(3);
  const zp = () => rng.signed(Math.min(bits, 8));
  if (mode === 1) quant = { axis: -1, multiplier: [rng.int(2 ** 31)], shift: [rng.int(63)], zeroPoint: [zp()] };
  if (mode === 2 && rank > 0) {
    const axis = rng.int(rank);
    const k = shape[axis]!;
    quant = {
      axis,
      multiplier: Array.from({ length: k }, () => rng.int(2 ** 31)),
      shift: Array.from({ length: k }, () => rng.int(63)),
      zeroPoint: Array.from({ length: k }, zp),
    };
  }
  return tensor(dtype, shape, data, quant);
}

test("random tensors round-trip exactly and encodedTensorLength predicts the size", () => {
  const rng = new Rng(1);
  for (let i = 0; i < 500; i++) {
    const t = randomTensor(rng);
    const bytes = encodeTensor(t);
    assert.equal(bytes.length, encodedTensorLength(t, t.quant));
    const h = decodeTensorHeader(bytes);
    assert.equal(h.encodedLength, bytes.length);
    const back = decodeTensor(bytes);
    assert.deepEqual(back, t);
  }
});

test("element bytes are little-endian two's complement on both sides of the 64-byte in-heap limit", () => {
  const rng = new Rng(64);
  for (const dtype of ["int8", "int16", "int32"] as DType[]) {
    const size = dtype === "int8" ? 1 : dtype === "int16" ? 2 : 4;
    for (let n = 0; n <= 140 / size; n++) {
      const data = Array.from({ length: n }, (_, i) => (i % 5 === 0 ? -(2 ** (8 * size - 1)) : i % 7 === 0 ? 2 ** (8 * size - 1) - 1 : rng.signed(8 * size)));
      const t = tensor(dtype, [n], data);
      const expected = new Uint8Array(n * size);
      const view = new DataView(expected.buffer);
      data.forEach((v, i) => (size === 1 ? view.setInt8(i, v) : size === 2 ? view.setInt16(2 * i, v, true) : view.setInt32(4 * i, v, true)));
      const bytes = encodeTensor(t);
      assert.deepEqual(bytes.subarray(bytes.length - n * size), expected, `${dtype} × ${n}`);
      assert.deepEqual(tensorDataBytes(t), expected, `tensorDataBytes ${dtype} × ${n}`);
      assert.deepEqual(decodeTensor(bytes), t, `decode ${dtype} × ${n}`);
    }
  }
});

test("decodeTensorAt reads concatenated tensors back to back", () => {
  const rng = new Rng(2);
  const ts = [randomTensor(rng), randomTensor(rng), randomTensor(rng)];
  const parts = ts.map(encodeTensor);
  const all = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  let at = 0;
  for (const t of ts) {
    const r = decodeTensorAt(all, at);
    assert.deepEqual(r.tensor, t);
    at = r.end;
  }
  assert.equal(at, all.length);
});

test("decoded data never aliases the input buffer (works at unaligned offsets)", () => {
  const enc = encodeTensor(tensor("int32", [3], [1, -2, 3]));
  const buf = new Uint8Array(enc.length + 1);
  buf.set(enc, 1);
  const t = decodeTensor(buf.subarray(1));
  buf.fill(0);
  assert.deepEqual([...t.data], [1, -2, 3]);
});

test("decodeTensorHeader needs only the header, not the data", () => {
  const enc = encodeTensor(tensor("int16", [4, 4], new Array(16).fill(5)));
  const h = decodeTensorHeader(enc.subarray(0, 20));
  assert.deepEqual(h.shape, [4, 4]);
  assert.equal(h.dataOffset, 20);
  assert.equal(h.dataLength, 32);
  expectCode(() => decodeTensor(enc.subarray(0, 20)), ElementCountError);
});

/** A header for arbitrary fields, built independently of the encoder. */
function header(opts: { magic?: number; version?: number; dtype?: number; rank?: number; mode?: number; len: number; dims: number[] }): Uint8Array {
  const h = encodePacked(
    ["uint32", "uint8", "uint8", "uint8", "uint8", "uint32"],
    [opts.magic ?? 0x41495654, opts.version ?? 1, opts.dtype ?? 1, opts.rank ?? opts.dims.length, opts.mode ?? 0, opts.len],
  );
  const dims = opts.dims.map((d) => encodePacked(["uint32"], [d]).slice(2)).join("");
  return unhex(h.slice(2) + dims);
}

test("every malformed header is rejected with its typed error", () => {
  const ok = header({ len: 2, dims: [2] });
  assert.deepEqual([...decodeTensor(concat(ok, [1, 2])).data], [1, 2]);
  expectCode(() => decodeTensor(new Uint8Array(0)), MalformedEncodingError);
  expectCode(() => decodeTensor(ok.subarray(0, 11)), MalformedEncodingError);
  expectCode(() => decodeTensor(concat(header({ magic: 0x41495655, len: 2, dims: [2] }), [1, 2])), MalformedEncodingError);
  expectCode(() => decodeTensor(concat(header({ version: 2, len: 2, dims: [2] }), [1, 2])), MalformedEncodingError);
  expectCode(() => decodeTensor(concat(header({ dtype: 4, len: 2, dims: [2] }), [1, 2])), MalformedEncodingError);
  expectCode(() => decodeTensor(concat(header({ dtype: 0, len: 2, dims: [2] }), [1, 2])), MalformedEncodingError);
  expectCode(() => decodeTensor(concat(header({ mode: 3, len: 2, dims: [2] }), [1, 2])), MalformedEncodingError);
  // rank 9 with all dims present, and rank 255 with none present: rank is checked first.
  expectCode(() => decodeTensor(header({ len: 1, dims: new Array(9).fill(1) })), RankLimitError);
  expectCode(() => decodeTensor(header({ rank: 255, len: 0, dims: [] })), RankLimitError);
  // shape truncated
  expectCode(() => decodeTensor(header({ rank: 3, len: 0, dims: [1] })), MalformedEncodingError);
  expectCode(() => decodeTensor(header({ len: 0, dims: [2 ** 31] })), InvalidDimensionError);
  expectCode(() => decodeTensor(header({ len: 0, dims: [0xffffffff, 0] })), InvalidDimensionError);
  // product overflow: 65536^3 = 2^48 elements, stopped as soon as it passes MAX_ELEMENTS
  expectCode(() => decodeTensor(header({ len: 0, dims: [65536, 65536, 65536] })), ElementLimitError);
  expectCode(() => decodeTensor(header({ len: 0, dims: [MAX_ELEMENTS + 1] })), ElementLimitError);
  // dataLength disagrees with the shape
  expectCode(() => decodeTensor(concat(header({ len: 3, dims: [2] }), [1, 2, 3])), ElementCountError);
  expectCode(() => decodeTensor(concat(header({ dtype: 3, len: 7, dims: [2] }), new Array(7).fill(0))), ElementCountError);
  // data truncated / trailing bytes
  expectCode(() => decodeTensor(concat(header({ len: 2, dims: [2] }), [1])), ElementCountError);
  expectCode(() => decodeTensor(concat(header({ len: 2, dims: [2] }), [1, 2, 3])), MalformedEncodingError);
});

test("invalid quantization sections are rejected", () => {
  const dims = header({ mode: 2, len: 2, dims: [2] });
  // per-channel axis 1 on a rank-1 tensor
  expectCode(() => decodeTensor(concat(dims, [0, 0, 0, 1])), MalformedEncodingError);
  // truncated quant entries
  expectCode(() => decodeTensor(concat(dims, [0, 0, 0, 0, 0, 0, 0, 1])), MalformedEncodingError);
  const perTensor = header({ mode: 1, len: 1, dims: [1] });
  const entry = (m: number, s: number, z: number) => unhex(encodePacked(["uint32", "uint32", "int32"], [m, s, z]).slice(2));
  assert.equal(decodeTensor(concat(perTensor, [...entry(5, 7, -128), 9])).quant?.zeroPoint[0], -128);
  expectCode(() => decodeTensor(concat(perTensor, [...entry(2 ** 31, 7, 0), 9])), MalformedEncodingError);
  expectCode(() => decodeTensor(concat(perTensor, [...entry(5, 63, 0), 9])), MalformedEncodingError);
  expectCode(() => decodeTensor(concat(perTensor, [...entry(5, 7, 128), 9])), MalformedEncodingError);
});

test("encodeTensor rejects inconsistent tensors with typed errors", () => {
  const t = tensor("int8", [2], [1, 2]);
  expectCode(() => encodeTensor({ ...t, shape: [3] }), ElementCountError);
  expectCode(() => encodeTensor({ ...t, shape: [1, 1, 1, 1, 1, 1, 1, 1, 2] }), RankLimitError);
  expectCode(() => encodeTensor({ ...t, quant: { axis: 0, multiplier: [1], shift: [1], zeroPoint: [0] } }), InvalidArgumentError);
  expectCode(() => encodeTensor({ ...t, quant: { axis: 1, multiplier: [1], shift: [1], zeroPoint: [0] } }), InvalidArgumentError);
  expectCode(() => encodeTensor({ ...t, quant: { axis: -1, multiplier: [1], shift: [1], zeroPoint: [200] } }), InvalidArgumentError);
  expectCode(() => encodeTensor({ ...t, quant: { axis: -1, multiplier: [0.5], shift: [1], zeroPoint: [0] } }), InvalidArgumentError);
});

/** Fuzz: anything other than an AivmError, or output larger than the input, is a bug. */
function fuzzDecode(bytes: Uint8Array): void {
  try {
    const t = decodeTensor(bytes);
    assert.ok(t.data.byteLength <= bytes.length, "decoded more element bytes than were present");
  } catch (e) {
    if (!(e instanceof AivmError)) throw e;
  }
}

test("fuzz: random byte strings only ever fail with an AivmError", () => {
  const rng = new Rng(3);
  for (let i = 0; i < 3000; i++) {
    const len = rng.int(64);
    const b = new Uint8Array(len);
    for (let j = 0; j < len; j++) b[j] = rng.int(256);
    // Half of them start with a valid magic and version so later checks are reached.
    if (len >= 5 && i % 2 === 0) b.set([0x41, 0x49, 0x56, 0x54, 1]);
    fuzzDecode(b);
  }
});

test("fuzz: mutations of valid encodings only ever fail with an AivmError", () => {
  const rng = new Rng(4);
  for (let i = 0; i < 2000; i++) {
    const enc = encodeTensor(randomTensor(rng));
    const m = new Uint8Array(enc);
    const kind = rng.int(4);
    if (kind === 0) m[rng.int(m.length)] = rng.int(256);
    else if (kind === 1) m[rng.int(Math.min(m.length, 24))] ^= 1 << rng.int(8);
    else if (kind === 2) {
      fuzzDecode(m.subarray(0, rng.int(m.length)));
      continue;
    } else {
      fuzzDecode(concat(m, [rng.int(256)]));
      continue;
    }
    fuzzDecode(m);
  }
});

function concat(a: Uint8Array, b: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
