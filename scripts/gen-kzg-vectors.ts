// Offline: point-evaluation vectors for src/evm/kzg.ts from an independent KZG implementation
// (micro-eth-signer's, installed with Hardhat) over the same trusted setup (viem's copy of the
// Ethereum ceremony's). Writes test/golden/kzg/point-evaluation.json. Takes about a minute (the
// setup's 4096 G1 points are parsed and checked).
//
//   node --import tsx scripts/gen-kzg-vectors.ts
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { KZG } from "micro-eth-signer/advanced/kzg.js";

const setupPath = fileURLToPath(import.meta.resolve("viem").replace(/_cjs\/index\.js$|_esm\/index\.js$/, "trusted-setups/mainnet.json"));
const kzg = new KZG(JSON.parse(readFileSync(setupPath, "utf8")) as ConstructorParameters<typeof KZG>[0]);
const hex32 = (v: bigint) => `0x${v.toString(16).padStart(64, "0")}`;
// Blobs as field elements: a ramp, a sparse one, and all zeros; evaluation points in and out of the blob's domain.
const blobs: [string, bigint[]][] = [
  ["ramp", Array.from({ length: 4096 }, (_, i) => BigInt(i))],
  ["sparse", Array.from({ length: 4096 }, (_, i) => (i % 97 === 0 ? BigInt(i) * 0x1234567890abcdefn : 0n))],
  ["zero", Array.from({ length: 4096 }, () => 0n)],
];
const points = [0n, 5n, 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000000n, 0x2a5f4d6c1e0b7e3a9c1d4f2e8b6a0c3d5e7f9a1b2c3d4e5f60718293a4b5c6d7n];
const vectors = [];
for (const [name, blob] of blobs) {
  const commitment = kzg.blobToKzgCommitment(blob);
  for (const z of points) {
    const [proof, y] = kzg.computeProof(blob, z);
    vectors.push({ blob: name, commitment, z: hex32(z), y: y.startsWith("0x") ? y : `0x${y}`, proof });
  }
}
const out = fileURLToPath(new URL("../test/golden/kzg/point-evaluation.json", import.meta.url));
writeFileSync(out, `${JSON.stringify({ source: "micro-eth-signer 0.19.0 KZG, viem trusted-setups/mainnet.json", vectors }, null, 2)}\n`);
console.log(JSON.stringify({ written: out, vectors: vectors.length }));
