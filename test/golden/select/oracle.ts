// Independent references for top_k and sample, written from docs/ops-nonlinear.md#top_k-33-and-sample-34
// without the engine's shortcuts: top_k by repeated selection of the best remaining element, sample
// entirely in BigInt (the spec's distance formula as written, no fraction reduction, no fast path),
// and MurmurHash3 over bytes, itself pinned by published test vectors in the test.
import { oracleExp } from "../nonlinear/oracle.ts";

/** Positions of the k best of `row`, best first, ties to the lower position: O(n·k) selection. */
export function oracleTopK(row: readonly number[], k: number, largest: boolean): number[] {
  const taken = new Set<number>();
  const out: number[] = [];
  for (let j = 0; j < k; j++) {
    let best = -1;
    for (let i = 0; i < row.length; i++) {
      if (taken.has(i)) continue;
      if (best < 0 || (largest ? row[i]! > row[best]! : row[i]! < row[best]!)) best = i;
    }
    taken.add(best);
    out.push(best);
  }
  return out;
}

const M32 = 0xffffffffn;
const mul32 = (a: bigint, b: bigint) => (a * b) & M32;
const rotl32 = (x: bigint, r: bigint) => ((x << r) | (x >> (32n - r))) & M32;

/** MurmurHash3 x86_32 of `bytes` with `seed`, in BigInt. */
export function oracleMurmur3(bytes: Uint8Array, seed: number): number {
  let h = BigInt(seed >>> 0);
  const blocks = Math.floor(bytes.length / 4);
  const word = (i: number, n: number) => {
    let w = 0n;
    for (let b = 0; b < n; b++) w |= BigInt(bytes[i + b]!) << BigInt(8 * b);
    return w;
  };
  const mixK = (k: bigint) => mul32(rotl32(mul32(k, 0xcc9e2d51n), 15n), 0x1b873593n);
  for (let i = 0; i < blocks; i++) {
    h ^= mixK(word(4 * i, 4));
    h = (mul32(rotl32(h, 13n), 5n) + 0xe6546b64n) & M32;
  }
  const tail = bytes.length & 3;
  if (tail) h ^= mixK(word(4 * blocks, tail));
  h ^= BigInt(bytes.length);
  h ^= h >> 16n;
  h = mul32(h, 0x85ebca6bn);
  h ^= h >> 13n;
  h = mul32(h, 0xc2b2ae35n);
  h ^= h >> 16n;
  return Number(h);
}

/** The draw: MurmurHash3 (seed 0) of seed[0..7] and counter as 36 little-endian bytes. */
export function oracleDraw(seed: readonly number[], counter: number): number {
  const bytes = new Uint8Array(36);
  const view = new DataView(bytes.buffer);
  seed.forEach((w, i) => view.setInt32(4 * i, w, true));
  view.setInt32(32, counter, true);
  return oracleMurmur3(bytes, 0);
}

export interface OracleSampleConfig {
  temperatureQ16: number;
  topK: number;
  topPQ16: number;
}

/** The whole sample procedure in BigInt. */
export function oracleSample(logits: readonly number[], seed: readonly number[], counter: number, c: OracleSampleConfig, multiplier: number, shift: number): number {
  const v = logits.length;
  let first = 0;
  for (let i = 1; i < v; i++) if (logits[i]! > logits[first]!) first = i;
  if (c.temperatureQ16 === 0) return first;
  const m = BigInt(logits[first]!);
  const den = BigInt(c.temperatureQ16) << BigInt(shift);
  const h = den / 2n;
  const cand = logits.map((x, i) => {
    let r = ((m - BigInt(x)) * BigInt(multiplier) * (1n << 32n) + h) / den;
    if (r > 1n << 22n) r = 1n << 22n;
    return { e: oracleExp(r), i };
  });
  cand.sort((a, b) => (a.e === b.e ? a.i - b.i : a.e > b.e ? -1 : 1));
  let kept = c.topK >= 1 && c.topK < v ? cand.slice(0, c.topK) : cand;
  kept = kept.filter((x) => x.e > 0n);
  const s = kept.reduce((acc, x) => acc + x.e, 0n);
  let n = kept.length;
  if (c.topPQ16 > 0 && c.topPQ16 < 65536) {
    let prefix = 0n;
    for (n = 0; n < kept.length && prefix * 65536n < BigInt(c.topPQ16) * s; n++) prefix += kept[n]!.e;
  }
  const sn = kept.slice(0, n).reduce((acc, x) => acc + x.e, 0n);
  const r = (BigInt(oracleDraw(seed, counter)) * sn) >> 32n;
  let running = 0n;
  for (let j = 0; j < n; j++) {
    running += kept[j]!.e;
    if (running > r) return kept[j]!.i;
  }
  throw new Error("oracle: draw outside the kept mass");
}
