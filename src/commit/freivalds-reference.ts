// The first implementation of freivaldsMatmul, kept as the oracle its fast form is tested against
// (test/verify/freivalds.test.ts) and timed against (bench/verify.ts): one accumulator per sum, B·r
// and ACC split in 16-bit halves, so two products per element of A and of ACC.
import { FREIVALDS_PRIME, freivaldsRandomVector, type FreivaldsOptions, type MatmulClaim } from "./freivalds.ts";

const P = FREIVALDS_PRIME;
const mod = (x: number) => ((x % P) + P) % P;

/**
 * True when the claim passes `rounds` Freivalds rounds. Sound only where the accumulator did not
 * saturate: when K·max|A − aZero|·128 + max|bias| ≥ 2^31, re-execute instead.
 */
export function freivaldsMatmulReference(c: MatmulClaim, seed: Uint8Array, o: FreivaldsOptions): boolean {
  const { m, k, n } = c;
  if (!Number.isInteger(o.values) || (o.values & (o.values - 1)) !== 0 || o.values < 2 || o.values > 65536) throw new RangeError("values must be a power of two from 2 to 65536");
  if (c.a.length !== m * k || c.b.length !== k * n || c.acc.length !== m * n || (c.bias && c.bias.length !== n)) throw new RangeError("operand lengths do not match M, K, N");
  if (k >= 1 << 19 || n >= 1 << 21) throw new RangeError("K must stay below 2^19 and N below 2^21 for exact sums");
  const { a, b, acc, aZero } = c;
  // B·r mod p, split in 16-bit halves (hi < 2^17, lo < 2^16) so the products with A need no reduction.
  const brHi = new Int32Array(k);
  const brLo = new Int32Array(k);
  for (let round = 0; round < o.rounds; round++) {
    const r = freivaldsRandomVector(seed, round, n, o.values);
    // |B| ≤ 128 and r < 2^16: each row's sum stays below 2^53 for N < 2^30.
    for (let p = 0; p < k; p++) {
      let s = 0;
      const row = p * n;
      for (let j = 0; j < n; j++) s += b[row + j]! * r[j]!;
      const v = mod(s);
      brHi[p] = Math.floor(v / 65536);
      brLo[p] = v % 65536;
    }
    // bias·r: terms below 2^47, reduced every 32.
    let biasR = 0;
    if (c.bias) {
      let s = 0;
      for (let j = 0; j < n; j++) {
        s += c.bias[j]! * r[j]!;
        if ((j & 31) === 31) s %= P;
      }
      biasR = mod(s);
    }
    for (let i = 0; i < m; i++) {
      // (A − aZero)·(B·r): |A − aZero| < 2^17 against halves below 2^17, K < 2^19 terms: below 2^53.
      let hi = 0;
      let lo = 0;
      const arow = i * k;
      for (let p = 0; p < k; p++) {
        const av = a[arow + p]! - aZero;
        hi += av * brHi[p]!;
        lo += av * brLo[p]!;
      }
      const left = mod(mod(hi) * 65536 + lo + biasR);
      // ACC·r with ACC split the same way (hi = acc >> 16, lo = acc & 0xffff): N < 2^21 terms below 2^32.
      let accHi = 0;
      let accLo = 0;
      const crow = i * n;
      for (let j = 0; j < n; j++) {
        const v = acc[crow + j]!;
        const rj = r[j]!;
        accHi += (v >> 16) * rj;
        accLo += (v & 0xffff) * rj;
      }
      if (left !== mod(mod(accHi) * 65536 + accLo)) return false;
    }
  }
  return true;
}
