// Seeded xorshift32 so property tests are reproducible (Math.random would make failures unrepeatable).
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = (seed * 2654435761) >>> 0 || 1;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  /** Uniform-ish integer in [0, n), n ≤ 2^32. */
  int(n: number): number {
    return n <= 0 ? 0 : Math.floor((this.next() / 4294967296) * n);
  }
  /** Signed integer of the given bit width (8, 16 or 32). */
  signed(bits: number): number {
    const u = this.next();
    return bits === 32 ? u | 0 : (u % 2 ** bits) - 2 ** (bits - 1);
  }
}
