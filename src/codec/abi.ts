// ABI layouts that carry megabytes of tensor data: the precompiles' outputs (bytes, bytes[], TSTREAM's
// result), and TSTREAM's input and result on the client side, where a decoder's KV cache goes from
// call to call. viem's coder goes through hex strings, so these shapes are laid out directly here.
// test/precompiles/abi.test.ts checks them byte for byte against viem's encodeAbiParameters and
// decodeAbiParameters. (Precompile inputs are decoded by precompiles/abi-decode.ts, which prices them.)
import { MalformedEncodingError } from "../engine/errors.ts";

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

/**
 * abi.encode(bytes32 programId, bytes[] state, bytes xs, uint32 steps, uint8 flags): TSTREAM's input
 * (precompiles/a107-tstream.ts), for clients that carry the state inline.
 */
export function encodeStreamInput(programId: Uint8Array, state: readonly Uint8Array[], xs: Uint8Array, steps: number, flags: number): Uint8Array {
  if (programId.length !== 32) throw new RangeError(`programId: 32 bytes expected, got ${programId.length}`);
  if (!Number.isInteger(steps) || steps < 0 || steps > 0xffffffff || !Number.isInteger(flags) || flags < 0 || flags > 0xff) {
    throw new RangeError("steps must be a uint32 and flags a uint8");
  }
  const a = bytesArrayTail(state);
  const out = new Uint8Array(160 + a.length + tailSize(xs));
  out.set(programId, 0);
  writeWord(out, 32, 160);
  writeWord(out, 64, 160 + a.length);
  writeWord(out, 96, steps);
  writeWord(out, 128, flags);
  out.set(a, 160);
  writeTail(out, 160 + a.length, xs);
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

/** A TSTREAM result: the final state, the last (or stacked) output, and one Tensor Commit per step. */
export interface StreamOutput {
  state: Uint8Array[];
  last: Uint8Array;
  commits: Uint8Array[];
}

/**
 * abi.decode(data, (bytes[], bytes, bytes32[])): TSTREAM's result as a client reads it. The values
 * are views into `data`. Offsets and lengths outside the data are refused (MalformedEncodingError).
 */
export function decodeStreamOutput(data: Uint8Array): StreamOutput {
  const fail = (why: string): never => {
    throw new MalformedEncodingError("TSTREAM output", why);
  };
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const word = (at: number): number => {
    if (at + 32 > data.length) fail(`a word at byte ${at} runs past the ${data.length} bytes`);
    for (let i = 0; i < 24; i++) if (data[at + i] !== 0) fail(`the word at byte ${at} is not a length or offset`);
    const v = view.getUint32(at + 24) * 2 ** 32 + view.getUint32(at + 28);
    if (v > data.length) fail(`the word at byte ${at} points past the data`);
    return v;
  };
  const bytesAt = (at: number): Uint8Array => {
    const n = word(at);
    if (at + 32 + n > data.length) fail(`the ${n} bytes at byte ${at + 32} run past the data`);
    return data.subarray(at + 32, at + 32 + n);
  };
  const stateAt = word(0);
  const count = word(stateAt);
  const state: Uint8Array[] = [];
  for (let i = 0; i < count; i++) state.push(bytesAt(stateAt + 32 + word(stateAt + 32 + 32 * i)));
  const last = bytesAt(word(32));
  const commitsAt = word(64);
  const steps = word(commitsAt);
  if (commitsAt + 32 + 32 * steps > data.length) fail(`${steps} commits at byte ${commitsAt + 32} run past the data`);
  const commits = Array.from({ length: steps }, (_, i) => data.subarray(commitsAt + 32 + 32 * i, commitsAt + 64 + 32 * i));
  return { state, last, commits };
}
