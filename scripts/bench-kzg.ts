// Cost of the point-evaluation precompile's proof check (src/evm/kzg.ts) against the node's native
// ecrecover, in the same process, per gas: 0x0a charges 50,000 gas, ecrecover 3,000.
//
//   node --import tsx scripts/bench-kzg.ts
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { verifyKzgProof } from "../src/evm/kzg.ts";
import { defaultCustomCrypto } from "../src/evm/crypto.ts";

const { vectors } = JSON.parse(readFileSync(fileURLToPath(new URL("../test/golden/kzg/point-evaluation.json", import.meta.url)), "utf8")) as {
  vectors: { commitment: string; z: string; y: string; proof: string }[];
};
const v = vectors.find((x) => BigInt(x.z) === 5n)!;
verifyKzgProof(v.commitment, v.z, v.y, v.proof); // warm-up: parses [τ]G2
const KZG_RUNS = 20;
let started = performance.now();
for (let i = 0; i < KZG_RUNS; i++) if (!verifyKzgProof(v.commitment, v.z, v.y, v.proof)) throw new Error("proof rejected");
const kzgMs = (performance.now() - started) / KZG_RUNS;

const ecrecover = defaultCustomCrypto().ecrecover;
const key = secp256k1.utils.randomSecretKey();
const hash = new Uint8Array(32).fill(7);
const sig = secp256k1.sign(hash, key, { prehash: false, format: "recovered" });
const r = sig.slice(1, 33);
const s = sig.slice(33, 65);
const vByte = BigInt(sig[0]! + 27);
const EC_RUNS = 2000;
started = performance.now();
for (let i = 0; i < EC_RUNS; i++) (ecrecover ?? (() => new Uint8Array()))(hash, vByte, r, s);
const ecMs = (performance.now() - started) / EC_RUNS;

const nsPerGas = (ms: number, gas: number) => Math.round((ms * 1e6) / gas);
console.log(
  JSON.stringify(
    {
      kzgVerifyMs: Number(kzgMs.toFixed(2)),
      ecrecoverMs: Number(ecMs.toFixed(4)),
      ecrecoverNative: ecrecover !== undefined,
      kzgNsPerGas: nsPerGas(kzgMs, 50_000),
      ecrecoverNsPerGas: nsPerGas(ecMs, 3_000),
      ratio: Number((kzgMs / 50_000 / (ecMs / 3_000)).toFixed(1)),
    },
    null,
    2,
  ),
);
