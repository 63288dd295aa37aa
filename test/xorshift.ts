// xorshift32 with a fixed seed: reproducible random choices for the fuzz tests (Math.random would
// make a failure unrepeatable). rng(seed)(n) is an integer in [0, n).
export function rng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

/** n integers in [lo, lo + span), from rng(seed): reproducible tensor data for benches and tests. */
export function seededInts(n: number, seed: number, lo: number, span: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => lo + r(span));
}
