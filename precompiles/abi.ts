// ABI encoders for precompile outputs. Outputs can be megabytes of tensor data; viem's encoder goes
// through hex strings, so the two shapes precompiles return (bytes, bytes[]) are laid out directly
// here. test/precompiles/abi.test.ts checks them byte for byte against viem's encodeAbiParameters.

const pad32 = (n: number) => Math.ceil(n / 32) * 32;

function writeWord(out: Uint8Array, offset: number, value: number): void {
  // Values here are lengths and offsets (< 2^53): the low 8 bytes hold them.
  const view = new DataView(out.buffer, out.byteOffset + offset + 24, 8);
  view.setUint32(0, Math.floor(value / 2 ** 32));
  view.setUint32(4, value >>> 0);
}

/** Size of the tail of one `bytes` value: length word + padded data. */
const tailSize = (b: Uint8Array) => 32 + pad32(b.length);

function writeTail(out: Uint8Array, offset: number, b: Uint8Array): number {
  writeWord(out, offset, b.length);
  out.set(b, offset + 32);
  return offset + tailSize(b);
}

/** abi.encode(bytes). */
export function encodeBytes(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(32 + tailSize(b));
  writeWord(out, 0, 32);
  writeTail(out, 32, b);
  return out;
}

/** The encoding of a bytes[] value as it sits in a tail: length, offsets, elements. */
function bytesArrayTail(items: readonly Uint8Array[]): Uint8Array {
  const head = 32 + 32 * items.length;
  const out = new Uint8Array(head + items.reduce((s, b) => s + tailSize(b), 0));
  writeWord(out, 0, items.length);
  let tail = 32 * items.length;
  items.forEach((b, i) => {
    writeWord(out, 32 + 32 * i, tail);
    writeTail(out, 32 + tail, b);
    tail += tailSize(b);
  });
  return out;
}

/** abi.encode(bytes[]). */
export function encodeBytesArray(items: readonly Uint8Array[]): Uint8Array {
  const tail = bytesArrayTail(items);
  const out = new Uint8Array(32 + tail.length);
  writeWord(out, 0, 32);
  out.set(tail, 32);
  return out;
}

/** abi.encode(bytes[], bytes, bytes32[]) — TSTREAM's output. */
export function encodeStreamOutput(state: readonly Uint8Array[], last: Uint8Array, commits: readonly Uint8Array[]): Uint8Array {
  const a = bytesArrayTail(state);
  const bLen = tailSize(last);
  const c = 32 + 32 * commits.length;
  const out = new Uint8Array(96 + a.length + bLen + c);
  writeWord(out, 0, 96);
  writeWord(out, 32, 96 + a.length);
  writeWord(out, 64, 96 + a.length + bLen);
  out.set(a, 96);
  writeTail(out, 96 + a.length, last);
  const co = 96 + a.length + bLen;
  writeWord(out, co, commits.length);
  commits.forEach((h, i) => out.set(h, co + 32 + 32 * i));
  return out;
}

/** abi.encode(uint256) for small values (gas quotes, counts). */
export function encodeUint(v: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let x = v;
  for (let i = 31; i >= 0 && x > 0n; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}
