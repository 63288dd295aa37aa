// Decoded programs and their shape inference, kept across calls: TGRAPH, TCUSTOM and TSTREAM decode
// and infer the same few programs over and over (a model's every inference), and for a small model
// that was as much work as the tensor math. A program is decoded once per content and inferred
// once per (program, input metas). A program passed inline (TGRAPH) is keyed by a cheap fingerprint
// of its bytes, and its entry keeps the receipt's paramsHash (keccak256(0x05 ‖ bytes)): a repeated
// call hashes its program bytes not at all, where it hashed them twice (this key, the receipt).
//
// Consensus does not see the cache: a call is charged the same decoding and planning gas on a hit as
// on a miss, errors come from decoding and inference as before (only successes are kept), and
// nothing writes to a Program or a ProgramInfo once made (the engine's kernels never write to their
// inputs, which stored tensors already rely on). A hit is checked byte for byte against the bytes it
// was decoded from, so a key can never stand for other bytes (a dev node's hardhat_setCode on a
// store address included).
import { decodeProgram, type Program } from "../src/codec/program.ts";
import { inferProgram, type ProgramInfo } from "../src/codec/program-infer.ts";
import type { TensorMeta } from "../src/engine/tensor.ts";
import { paramsHashBytes } from "../src/commit/receipt.ts";
import { toHex } from "../src/commit/hex.ts";

/** Programs kept, and the bytes they may come from in all (a program's decoded form is about as large). */
const MAX_PROGRAMS = 256;
const MAX_PROGRAM_BYTES = 32 << 20;
/** Input-meta variants kept per program (a model is called with one batch size, a stream with one state). */
const MAX_INFOS_PER_PROGRAM = 8;

interface Entry {
  bytes: Uint8Array;
  program: Program;
  /** keccak256(0x05 ‖ bytes): the paramsHash of a TGRAPH call carrying these bytes, computed on first use. */
  paramsHash?: Uint8Array;
}

/** A program passed inline, and the paramsHash of a call whose parameters are its bytes. */
export interface InlineProgram {
  program: Program;
  paramsHash(): Uint8Array;
}

/** Least recently used first (a Map keeps insertion order; a hit moves its entry to the end). */
const programs = new Map<string, Entry>();
let cachedBytes = 0;
const infos = new WeakMap<Program, Map<string, ProgramInfo>>();

/** Hits and misses since start (tests check the cache is used). */
export const programCacheStats = { hits: 0, misses: 0 };

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** decodeProgram(bytes), remembered under `id`, a stored program's content id (keccak256 of its bytes). */
export function decodeProgramCached(bytes: Uint8Array, id: Uint8Array): Program {
  return entryOf(toHex(id), bytes).program;
}

/** A program passed inline (TGRAPH), remembered under a fingerprint of its bytes. */
export function inlineProgramCached(bytes: Uint8Array): InlineProgram {
  const entry = entryOf(`inline:${bytes.length}:${fingerprint(bytes)}`, bytes);
  return { program: entry.program, paramsHash: () => (entry.paramsHash ??= paramsHashBytes(entry.bytes)) };
}

function entryOf(key: string, bytes: Uint8Array): Entry {
  const hit = programs.get(key);
  if (hit !== undefined && sameBytes(hit.bytes, bytes)) {
    programs.delete(key);
    programs.set(key, hit);
    programCacheStats.hits++;
    return hit;
  }
  programCacheStats.misses++;
  const program = decodeProgram(bytes);
  // A copy: `bytes` may be a view of call data or of a stored code array.
  const entry: Entry = { bytes: bytes.slice(), program };
  if (hit !== undefined) forget(key, hit);
  if (bytes.length <= MAX_PROGRAM_BYTES) {
    programs.set(key, entry);
    cachedBytes += bytes.length;
    while (programs.size > MAX_PROGRAMS || cachedBytes > MAX_PROGRAM_BYTES) {
      const [oldest, e] = programs.entries().next().value!;
      forget(oldest, e);
    }
  }
  return entry;
}

/**
 * A 32-bit fingerprint of `bytes` (MurmurHash3's mixing of little-endian words), several times
 * cheaper than keccak. Only a key: a hit is compared byte for byte, so a collision costs a decode.
 */
function fingerprint(bytes: Uint8Array): number {
  let h = bytes.length;
  const words = bytes.length & ~3;
  for (let i = 0; i < words; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h ^= k;
    h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
  }
  for (let i = words; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

function forget(key: string, entry: Entry): void {
  programs.delete(key);
  cachedBytes -= entry.bytes.length;
}

function metasKey(metas: readonly TensorMeta[]): string {
  return metas.map((m) => `${m.dtype}[${m.shape.join(",")}]`).join(";");
}

/** inferProgram(program, metas), remembered per program. */
export function inferProgramCached(program: Program, metas: readonly TensorMeta[]): ProgramInfo {
  let byMetas = infos.get(program);
  if (byMetas === undefined) {
    byMetas = new Map();
    infos.set(program, byMetas);
  }
  const key = metasKey(metas);
  const hit = byMetas.get(key);
  if (hit !== undefined) return hit;
  const info = inferProgram(program, metas);
  if (byMetas.size >= MAX_INFOS_PER_PROGRAM) byMetas.delete(byMetas.keys().next().value!);
  byMetas.set(key, info);
  return info;
}
