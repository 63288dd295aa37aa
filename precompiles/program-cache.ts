// Decoded programs and their shape inference, kept across calls: TGRAPH, TCUSTOM and TSTREAM decode
// and infer the same few programs over and over (a model's every inference), and for a small model
// that was as much work as the tensor math. A program is decoded once per content and inferred
// once per (program, input metas).
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
import { keccak256One } from "../src/commit/keccak.ts";
import { toHex } from "../src/commit/hex.ts";

/** Programs kept, and the bytes they may come from in all (a program's decoded form is about as large). */
const MAX_PROGRAMS = 256;
const MAX_PROGRAM_BYTES = 32 << 20;
/** Input-meta variants kept per program (a model is called with one batch size, a stream with one state). */
const MAX_INFOS_PER_PROGRAM = 8;

interface Entry {
  bytes: Uint8Array;
  program: Program;
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

/**
 * decodeProgram(bytes), remembered under `id` (a stored program's content id, which is keccak256
 * of its bytes) or, for a program passed inline, under keccak256(bytes).
 */
export function decodeProgramCached(bytes: Uint8Array, id?: Uint8Array): Program {
  const key = toHex(id ?? keccak256One(bytes));
  const hit = programs.get(key);
  if (hit !== undefined && sameBytes(hit.bytes, bytes)) {
    programs.delete(key);
    programs.set(key, hit);
    programCacheStats.hits++;
    return hit.program;
  }
  programCacheStats.misses++;
  const program = decodeProgram(bytes);
  if (hit !== undefined) forget(key, hit);
  if (bytes.length <= MAX_PROGRAM_BYTES) {
    // A copy: `bytes` may be a view of call data or of a stored code array.
    const entry = { bytes: bytes.slice(), program };
    programs.set(key, entry);
    cachedBytes += bytes.length;
    while (programs.size > MAX_PROGRAMS || cachedBytes > MAX_PROGRAM_BYTES) {
      const [oldest, e] = programs.entries().next().value!;
      forget(oldest, e);
    }
  }
  return program;
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
