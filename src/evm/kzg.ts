// The KZG the point-evaluation precompile (0x0a, EIP-4844) needs: verify_kzg_proof over BLS12-381
// with the Ethereum KZG ceremony's [τ]G2, on @noble/curves. Without a KZG in the Common, EthereumJS
// throws "kzg not initialized" out of the EVM on any call to 0x0a, so a transaction that an
// Ethereum client runs would crash here instead. Only verification is needed on this chain; the
// blob-building functions (blob transactions in their network form, PeerDAS cells) are not, and
// throw, exactly as they did without a KZG. Exact integer arithmetic (field and pairing maths).
import type { KZG } from "@ethereumjs/util";
import { bls12_381 as bls } from "@noble/curves/bls12-381.js";

/** [τ]G2 (compressed): g2_monomial[1] of the ceremony's trusted setup (node_modules/viem/trusted-setups/mainnet.json). */
export const TAU_G2 =
  "b5bfd7dd8cdeb128843bc287230af38926187075cbfbefa81009a2ce615ac53d2914e5870cb452d2afaaab24f3499f72185cbfee53492714734429b7b38608e23926c911cceceac9a36851477ba4c60b087041de621000edc98edada20c1def2";
/** The BLS12-381 scalar field modulus: z and y must be below it. */
export const BLS_MODULUS = 52435875175126190479447740508185965837690552500527637822603658699938581184513n;

const { G1, G2, fields } = bls;
let tau: typeof G2.Point.BASE | undefined;

function point1(hex: string, what: string): typeof G1.Point.BASE {
  const digits = hex.startsWith("0x") ? hex.slice(2) : hex;
  // EthereumJS maps a message containing C_KZG_BADARGS to the INVALID_INPUTS error, like c-kzg's.
  if (digits.length !== 96) throw new Error(`C_KZG_BADARGS: ${what} is not a 48-byte G1 point`);
  const p = G1.Point.fromHex(digits);
  p.assertValidity();
  return p;
}

function scalar(hex: string, what: string): bigint {
  const v = BigInt(hex);
  if (v >= BLS_MODULUS) throw new Error(`C_KZG_BADARGS: ${what} is not a field element`);
  return v;
}

/** verify_kzg_proof: e(proof, [τ − z]G2) = e(commitment − [y]G1, G2). Throws on malformed points or out-of-field scalars. */
export function verifyKzgProof(commitment: string, z: string, y: string, proof: string): boolean {
  const c = point1(commitment, "commitment");
  const pi = point1(proof, "proof");
  const zv = scalar(z, "z");
  const yv = scalar(y, "y");
  tau ??= G2.Point.fromHex(TAU_G2);
  const tauMinusZ = zv === 0n ? tau : tau.subtract(G2.Point.BASE.multiply(zv));
  const cMinusY = yv === 0n ? c : c.subtract(G1.Point.BASE.multiply(yv));
  // e(π, [τ−z]G2) · e(−(C−[y]G1), G2) = 1, as one batched pairing. A pair with the point at
  // infinity contributes 1 (noble refuses to pair it), e.g. the commitment and proof of a zero blob.
  const pairs = [
    { g1: pi, g2: tauMinusZ },
    { g1: cMinusY.negate(), g2: G2.Point.BASE },
  ].filter((p) => !p.g1.is0() && !p.g2.is0());
  const product = bls.pairingBatch(pairs);
  return fields.Fp12.eql(product, fields.Fp12.ONE);
}

function unsupported(): never {
  throw new Error("This chain's KZG verifies point-evaluation proofs only; building blobs, blob proofs and cells is not supported.");
}

/** The Common's `customCrypto.kzg`. */
export const chainKzg: KZG = {
  verifyProof: verifyKzgProof,
  blobToKzgCommitment: unsupported,
  computeBlobProof: unsupported,
  verifyBlobProofBatch: unsupported,
  computeCells: unsupported,
  computeCellsAndProofs: unsupported,
  recoverCellsAndProofs: unsupported,
  verifyCellKzgProofBatch: unsupported,
};
