// ECVRF-EDWARDS25519-SHA512-TAI (src/commit/vrf.ts) against RFC 9381 Appendix B.3's three examples,
// intermediate values included, and verification's rejections: tampered proof, input or key,
// low-order key, non-canonical encodings, wrong lengths.
//
// Vectors copied from RFC 9381 §B.3 (Examples 16–18), as transcribed with their intermediate values
// in facebook/akd, akd_core/src/ecvrf/tests.rs ("taken from RFC9381, Section B.3").
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha512 } from "@noble/hashes/sha2.js";
import {
  VRF_PROOF_BYTES,
  encodeToCurveTai,
  vrfKeygen,
  vrfNonce,
  vrfProofToHash,
  vrfProve,
  vrfVerify,
} from "../../src/commit/vrf.ts";
import { MalformedEncodingError } from "../../src/engine/errors.ts";
import { rng } from "../xorshift.ts";

interface Vector {
  name: string;
  sk: string;
  pk: string;
  alpha: string;
  /** try_and_increment's successful counter. */
  ctr: number;
  h: string;
  k: string;
  u: string;
  v: string;
  pi: string;
  beta: string;
}

const RFC9381_B3: Vector[] = [
  {
    name: "Example 16 (empty alpha)",
    sk: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    pk: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    alpha: "",
    ctr: 0,
    h: "91bbed02a99461df1ad4c6564a5f5d829d0b90cfc7903e7a5797bd658abf3318",
    k: "7100f3d9eadb6dc4743b029736ff283f5be494128df128df2817106f345b8594b6d6da2d6fb0b4c0257eb337675d96eab49cf39e66cc2c9547c2bf8b2a6afae4",
    u: "aef27c725be964c6a9bf4c45ca8e35df258c1878b838f37d9975523f09034071",
    v: "5016572f71466c646c119443455d6cb9b952f07d060ec8286d678615d55f954f",
    pi: "8657106690b5526245a92b003bb079ccd1a92130477671f6fc01ad16f26f723f26f8a57ccaed74ee1b190bed1f479d9727d2d0f9b005a6e456a35d4fb0daab1268a1b0db10836d9826a528ca76567805",
    beta: "90cf1df3b703cce59e2a35b925d411164068269d7b2d29f3301c03dd757876ff66b71dda49d2de59d03450451af026798e8f81cd2e333de5cdf4f3e140fdd8ae",
  },
  {
    name: "Example 17 (alpha = 0x72)",
    sk: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    pk: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    alpha: "72",
    ctr: 1,
    h: "5b659fc3d4e9263fd9a4ed1d022d75eaacc20df5e09f9ea937502396598dc551",
    k: "42589bbf0c485c3c91c1621bb4bfe04aed7be76ee48f9b00793b2342acb9c167cab856f9f9d4febc311330c20b0a8afd3743d05433e8be8d32522ecdc16cc5ce",
    u: "1dcb0a4821a2c48bf53548228b7f170962988f6d12f5439f31987ef41f034ab3",
    v: "fd03c0bf498c752161bae4719105a074630a2aa5f200ff7b3995f7bfb1513423",
    pi: "f3141cd382dc42909d19ec5110469e4feae18300e94f304590abdced48aed5933bf0864a62558b3ed7f2fea45c92a465301b3bbf5e3e54ddf2d935be3b67926da3ef39226bbc355bdc9850112c8f4b02",
    beta: "eb4440665d3891d668e7e0fcaf587f1b4bd7fbfe99d0eb2211ccec90496310eb5e33821bc613efb94db5e5b54c70a848a0bef4553a41befc57663b56373a5031",
  },
  {
    name: "Example 18 (alpha = 0xaf82)",
    sk: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
    pk: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
    alpha: "af82",
    ctr: 0,
    h: "bf4339376f5542811de615e3313d2b36f6f53c0acfebb482159711201192576a",
    k: "38b868c335ccda94a088428cbf3ec8bc7955bfaffe1f3bd2aa2c59fc31a0febc59d0e1af3715773ce11b3bbdd7aba8e3505d4b9de6f7e4a96e67e0d6bb6d6c3a",
    u: "2bae73e15a64042fcebf062abe7e432b2eca6744f3e8265bc38e009cd577ecd5",
    v: "88cba1cb0d4f9b649d9a86026b69de076724a93a65c349c988954f0961c5d506",
    pi: "9bc0f79119cc5604bf02d23b4caede71393cedfbb191434dd016d30177ccbf8096bb474e53895c362d8628ee9f9ea3c0e52c7a5c691b6c18c9979866568add7a2d41b00b05081ed0f58ee5e31b3a970e",
    beta: "645427e5d00c62a23fb703732fa5d892940935942101e456ecca7bb217c61c452118fec1219202a0edcf038bb6373241578be7217ba85a2687f7a0310b2df19f",
  },
];

const Q = ed25519.Point.Fn.ORDER;
const flip = (bytes: Uint8Array, i: number, mask = 1): Uint8Array => {
  const out = Uint8Array.from(bytes);
  out[i]! ^= mask;
  return out;
};

describe("ECVRF-EDWARDS25519-SHA512-TAI: RFC 9381 Appendix B.3", () => {
  for (const v of RFC9381_B3) {
    const sk = hexToBytes(v.sk);
    const alpha = hexToBytes(v.alpha);
    it(`${v.name}: key, H, nonce, U, V, proof and output are the RFC's`, () => {
      const { publicKey } = vrfKeygen(sk);
      assert.equal(bytesToHex(publicKey), v.pk);
      const H = encodeToCurveTai(publicKey, alpha);
      assert.equal(bytesToHex(H.toBytes()), v.h);
      const nonceKey = sha512(sk).slice(32);
      const { kString, k } = vrfNonce(nonceKey, H.toBytes());
      assert.equal(bytesToHex(kString), v.k);
      assert.equal(bytesToHex(ed25519.Point.BASE.multiply(k).toBytes()), v.u);
      assert.equal(bytesToHex(H.multiply(k).toBytes()), v.v);
      const pi = vrfProve(sk, alpha);
      assert.equal(pi.length, VRF_PROOF_BYTES);
      assert.equal(bytesToHex(pi), v.pi);
      assert.equal(bytesToHex(vrfProofToHash(pi)), v.beta);
    });

    it(`${v.name}: verify accepts the RFC's proof and returns its beta`, () => {
      const beta = vrfVerify(hexToBytes(v.pk), hexToBytes(v.pi), alpha);
      assert.ok(beta);
      assert.equal(bytesToHex(beta), v.beta);
    });

    it(`${v.name}: try-and-increment succeeds at ctr = ${v.ctr}, as the RFC notes`, () => {
      // ctr = 1 means the ctr = 0 candidate did not decode; re-derive both candidates.
      const pk = hexToBytes(v.pk);
      const candidate = (ctr: number) => sha512(Uint8Array.from([0x03, 0x01, ...pk, ...alpha, ctr, 0x00])).slice(0, 32);
      const decodes = (bytes: Uint8Array) => {
        try {
          ed25519.Point.fromBytes(bytes, false);
          return true;
        } catch {
          return false;
        }
      };
      for (let ctr = 0; ctr < v.ctr; ctr++) assert.equal(decodes(candidate(ctr)), false);
      assert.equal(decodes(candidate(v.ctr)), true);
    });
  }
});

describe("ECVRF verification rejects", () => {
  const v = RFC9381_B3[1]!;
  const pk = hexToBytes(v.pk);
  const pi = hexToBytes(v.pi);
  const alpha = hexToBytes(v.alpha);

  it("a proof with any byte of Gamma, c or s changed", () => {
    for (let i = 0; i < VRF_PROOF_BYTES; i++) assert.equal(vrfVerify(pk, flip(pi, i), alpha), null, `byte ${i}`);
  });

  it("another input, including the empty one and one with a byte appended", () => {
    assert.equal(vrfVerify(pk, pi, hexToBytes("73")), null);
    assert.equal(vrfVerify(pk, pi, new Uint8Array(0)), null);
    assert.equal(vrfVerify(pk, pi, hexToBytes("7200")), null);
  });

  it("another public key, and a key that is not a point", () => {
    assert.equal(vrfVerify(hexToBytes(RFC9381_B3[0]!.pk), pi, alpha), null);
    assert.equal(vrfVerify(flip(pk, 0), pi, alpha), null);
    assert.equal(vrfVerify(pk.subarray(1), pi, alpha), null);
  });

  it("a low-order public key (ECVRF_validate_key), though a forged proof checks against it", () => {
    // Y = identity: with Gamma = identity and s = k, U = s·B − c·Y and V = s·H − c·Gamma equal k·B and
    // k·H for every c, so the challenge check passes without the secret key.
    const identity = new Uint8Array(32);
    identity[0] = 1;
    const H = encodeToCurveTai(identity, alpha);
    const k = 424242n;
    const points = [identity, H.toBytes(), identity, ed25519.Point.BASE.multiply(k).toBytes(), H.multiply(k).toBytes()];
    const c = sha512(Uint8Array.from([0x03, 0x02, ...points.flatMap((p) => [...p]), 0x00])).slice(0, 16);
    const forged = Uint8Array.from([...identity, ...c, ...le(k, 32)]);
    const Y = ed25519.Point.fromBytes(identity);
    const U = ed25519.Point.BASE.multiply(k).subtract(Y.multiplyUnsafe(leToBig(c)));
    assert.equal(bytesToHex(U.toBytes()), bytesToHex(points[3]!), "the forgery passes the challenge check");
    assert.equal(vrfVerify(identity, forged, alpha), null);
    assert.equal(vrfVerify(identity, pi, alpha), null);
  });

  it("s ≥ q (s + q is the same scalar, but not the canonical encoding)", () => {
    const s = leToBig(pi.subarray(48));
    const nonCanonical = Uint8Array.from([...pi.subarray(0, 48), ...le(s + Q, 32)]);
    assert.ok(s + Q < 2n ** 256n);
    assert.equal(vrfVerify(pk, nonCanonical, alpha), null);
    assert.throws(() => vrfProofToHash(nonCanonical), MalformedEncodingError);
  });

  it("a Gamma encoded with y ≥ p, and proofs of the wrong length", () => {
    const badGamma = Uint8Array.from(pi);
    badGamma.set(le(2n ** 255n - 19n + 1n, 32), 0); // y = p + 1: RFC 8032 decoding fails
    assert.equal(vrfVerify(pk, badGamma, alpha), null);
    assert.equal(vrfVerify(pk, pi.subarray(0, 79), alpha), null);
    assert.equal(vrfVerify(pk, Uint8Array.from([...pi, 0]), alpha), null);
  });
});

describe("ECVRF round trips", () => {
  it("prove → verify returns proofToHash(pi) for 24 seeded keys and inputs; other keys reject", () => {
    const next = rng(0x9381);
    const bytes = (n: number) => Uint8Array.from({ length: n }, () => next(256));
    let previous: { publicKey: Uint8Array; pi: Uint8Array; alpha: Uint8Array } | undefined;
    for (let i = 0; i < 24; i++) {
      const { secretKey, publicKey } = vrfKeygen(bytes(32));
      const alpha = bytes(i * 3);
      const pi = vrfProve(secretKey, alpha);
      assert.deepEqual(vrfVerify(publicKey, pi, alpha), vrfProofToHash(pi));
      assert.deepEqual(vrfProve(secretKey, alpha), pi, "deterministic");
      if (previous) assert.equal(vrfVerify(publicKey, previous.pi, previous.alpha), null);
      previous = { publicKey, pi, alpha };
    }
  });

  it("the public key is the Ed25519 public key of the same secret", () => {
    const sk = hexToBytes(RFC9381_B3[2]!.sk);
    assert.deepEqual(vrfKeygen(sk).publicKey, ed25519.getPublicKey(sk));
  });
});

function le(v: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function leToBig(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}
