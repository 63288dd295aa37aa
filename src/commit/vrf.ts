// ECVRF-EDWARDS25519-SHA512-TAI (RFC 9381 §5, suite 0x03): the verifiable random function behind each
// block's randomness (docs/vrf.md). Points and scalars go through @noble/curves' edwards25519 (BigInt
// arithmetic, bit-identical everywhere); hashing is SHA-512. Section numbers below are RFC 9381's.
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha512 } from "@noble/hashes/sha2.js";
import { concatBytes } from "@noble/hashes/utils.js";
import { InvalidArgumentError, MalformedEncodingError } from "../engine/errors.ts";

type EdPoint = ReturnType<typeof ed25519.Point.fromBytes>;

const Point = ed25519.Point;
/** Order q of the prime subgroup. */
const Q = Point.Fn.ORDER;
const SUITE = 0x03;
/** ptLen, cLen, qLen for this suite (§5.5). */
const POINT_BYTES = 32;
const CHALLENGE_BYTES = 16;
const SCALAR_BYTES = 32;
export const VRF_SECRET_KEY_BYTES = 32;
export const VRF_PUBLIC_KEY_BYTES = 32;
export const VRF_PROOF_BYTES = POINT_BYTES + CHALLENGE_BYTES + SCALAR_BYTES;
export const VRF_OUTPUT_BYTES = 64;
const COFACTOR = 8n;

export interface VrfKeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

/** What an RFC 8032 §5.1.5 expansion of a secret key gives: the scalar x, the nonce key, Y = x·B. */
interface ExpandedKey {
  x: bigint;
  nonceKey: Uint8Array;
  publicKey: Uint8Array;
}

const leToBigInt = (bytes: Uint8Array): bigint => {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
};

const bigIntToLe = (v: bigint, length: number): Uint8Array => {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
};

/** RFC 8032 §5.1.3 decoding (canonical y only); undefined where it fails. */
function stringToPoint(bytes: Uint8Array): EdPoint | undefined {
  if (bytes.length !== POINT_BYTES) return undefined;
  try {
    return Point.fromBytes(bytes, false);
  } catch {
    return undefined;
  }
}

function expandSecretKey(secretKey: Uint8Array): ExpandedKey {
  if (secretKey.length !== VRF_SECRET_KEY_BYTES) {
    throw new InvalidArgumentError("VRF", "secretKey", `must be ${VRF_SECRET_KEY_BYTES} bytes, got ${secretKey.length}`);
  }
  const h = sha512(secretKey);
  const head = h.slice(0, 32);
  // Clamping (RFC 8032 §5.1.5): clear the cofactor bits, set bit 254.
  head[0]! &= 248;
  head[31]! &= 127;
  head[31]! |= 64;
  const x = leToBigInt(head) % Q;
  return { x, nonceKey: h.slice(32, 64), publicKey: Point.BASE.multiply(x).toBytes() };
}

/** The key pair of a 32-byte VRF secret key (an Ed25519 secret key: the public keys coincide). */
export function vrfKeygen(secretKey: Uint8Array): VrfKeyPair {
  return { secretKey: Uint8Array.from(secretKey), publicKey: expandSecretKey(secretKey).publicKey };
}

/**
 * §5.4.1.1 ECVRF_encode_to_curve_try_and_increment with encode_to_curve_salt = PK_string: the first
 * ctr in 0…255 whose SHA-512(suite ‖ 0x01 ‖ salt ‖ alpha ‖ ctr ‖ 0x00)[0:32] decodes to a point, times
 * the cofactor. Exported for the test vectors' intermediate values.
 */
export function encodeToCurveTai(salt: Uint8Array, alpha: Uint8Array): EdPoint {
  for (let ctr = 0; ctr < 256; ctr++) {
    const hash = sha512(concatBytes(Uint8Array.of(SUITE, 0x01), salt, alpha, Uint8Array.of(ctr, 0x00)));
    const point = stringToPoint(hash.subarray(0, POINT_BYTES));
    if (point) return point.multiplyUnsafe(COFACTOR);
  }
  // Each try succeeds with probability about 1/2: 256 failures in a row do not happen.
  throw new InvalidArgumentError("VRF", "alpha", "encode_to_curve found no point in 256 tries");
}

/** §5.4.2.2 nonce generation (RFC 8032 style): SHA-512(nonceKey ‖ point_to_string(H)) mod q. */
export function vrfNonce(nonceKey: Uint8Array, hBytes: Uint8Array): { kString: Uint8Array; k: bigint } {
  const kString = sha512(concatBytes(nonceKey, hBytes));
  return { kString, k: leToBigInt(kString) % Q };
}

/** §5.4.3 challenge generation over five points: the first cLen bytes of the hash, little-endian. */
function challenge(points: readonly Uint8Array[]): bigint {
  const hash = sha512(concatBytes(Uint8Array.of(SUITE, 0x02), ...points, Uint8Array.of(0x00)));
  return leToBigInt(hash.subarray(0, CHALLENGE_BYTES));
}

/** §5.1 ECVRF_prove: the 80-byte proof pi = Gamma ‖ c (16 bytes) ‖ s (32 bytes) for input alpha. */
export function vrfProve(secretKey: Uint8Array, alpha: Uint8Array): Uint8Array {
  const { x, nonceKey, publicKey } = expandSecretKey(secretKey);
  const H = encodeToCurveTai(publicKey, alpha);
  const hBytes = H.toBytes();
  const gamma = H.multiply(x);
  const { k } = vrfNonce(nonceKey, hBytes);
  const c = challenge([publicKey, hBytes, gamma.toBytes(), Point.BASE.multiply(k).toBytes(), H.multiply(k).toBytes()]);
  const s = (k + c * x) % Q;
  return concatBytes(gamma.toBytes(), bigIntToLe(c, CHALLENGE_BYTES), bigIntToLe(s, SCALAR_BYTES));
}

/** §5.4.4 decode_proof; undefined when Gamma is not a point or s ≥ q. */
function decodeProof(pi: Uint8Array): { gamma: EdPoint; c: bigint; s: bigint } | undefined {
  if (pi.length !== VRF_PROOF_BYTES) return undefined;
  const gamma = stringToPoint(pi.subarray(0, POINT_BYTES));
  if (!gamma) return undefined;
  const c = leToBigInt(pi.subarray(POINT_BYTES, POINT_BYTES + CHALLENGE_BYTES));
  const s = leToBigInt(pi.subarray(POINT_BYTES + CHALLENGE_BYTES));
  if (s >= Q) return undefined;
  return { gamma, c, s };
}

/** §5.2 ECVRF_proof_to_hash: beta = SHA-512(suite ‖ 0x03 ‖ point_to_string(8·Gamma) ‖ 0x00), 64 bytes. */
function gammaToHash(gamma: EdPoint): Uint8Array {
  return sha512(concatBytes(Uint8Array.of(SUITE, 0x03), gamma.multiplyUnsafe(COFACTOR).toBytes(), Uint8Array.of(0x00)));
}

/** The VRF output (beta) of a proof, without verifying it: only for proofs already verified or made here. */
export function vrfProofToHash(pi: Uint8Array): Uint8Array {
  const proof = decodeProof(pi);
  if (!proof) throw new MalformedEncodingError("VRF proof", `expected ${VRF_PROOF_BYTES} bytes: a canonical point, a 16-byte challenge and a scalar below q`);
  return gammaToHash(proof.gamma);
}

/**
 * §5.3 ECVRF_verify with validate_key: the 64-byte beta when pi proves alpha under publicKey, else
 * null (malformed or low-order key, malformed proof, or a challenge that does not match).
 */
export function vrfVerify(publicKey: Uint8Array, pi: Uint8Array, alpha: Uint8Array): Uint8Array | null {
  const Y = stringToPoint(publicKey);
  // §5.4.5 ECVRF_validate_key: a low-order Y would let anyone forge proofs.
  if (!Y || Y.isSmallOrder()) return null;
  const proof = decodeProof(pi);
  if (!proof) return null;
  const { gamma, c, s } = proof;
  const H = encodeToCurveTai(publicKey, alpha);
  // U = s·B − c·Y, V = s·H − c·Gamma. Public values: the variable-time multiply is fine (and allows 0).
  const U = Point.BASE.multiplyUnsafe(s).subtract(Y.multiplyUnsafe(c));
  const V = H.multiplyUnsafe(s).subtract(gamma.multiplyUnsafe(c));
  const expected = challenge([publicKey, H.toBytes(), gamma.toBytes(), U.toBytes(), V.toBytes()]);
  return expected === c ? gammaToHash(gamma) : null;
}
