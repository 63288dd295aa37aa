// The point-evaluation KZG (src/evm/kzg.ts) against an independent implementation's vectors
// (test/golden/kzg/point-evaluation.json, from scripts/gen-kzg-vectors.ts: micro-eth-signer's KZG on
// the same trusted setup), and the 0x0a precompile on the production VM, which without a KZG threw
// "kzg not initialized" out of the EVM.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Account, Address, bytesToHex, hexToBytes, type PrefixedHexString } from "@ethereumjs/util";
import { BLS_MODULUS, TAU_G2, verifyKzgProof } from "../../src/evm/kzg.ts";
import { createChainVM } from "../../src/evm/chain-vm.ts";

interface Vector {
  blob: string;
  commitment: string;
  z: string;
  y: string;
  proof: string;
}
const { vectors } = JSON.parse(readFileSync(fileURLToPath(new URL("../golden/kzg/point-evaluation.json", import.meta.url)), "utf8")) as { vectors: Vector[] };
const hex32 = (v: bigint) => `0x${v.toString(16).padStart(64, "0")}`;

test("[τ]G2 is the trusted setup's g2_monomial[1] (viem's copy of the ceremony output)", () => {
  const setup = JSON.parse(readFileSync(fileURLToPath(import.meta.resolve("viem").replace(/_esm\/index\.js$/, "trusted-setups/mainnet.json")), "utf8")) as { g2_monomial: string[] };
  assert.equal(`0x${TAU_G2}`, setup.g2_monomial[1]);
});

test("every golden proof verifies; a changed y, z or proof does not", () => {
  assert.ok(vectors.length >= 12);
  for (const v of vectors) {
    assert.equal(verifyKzgProof(v.commitment, v.z, v.y, v.proof), true, `${v.blob} at ${v.z}`);
  }
  const v = vectors.find((x) => x.blob === "ramp" && BigInt(x.z) === 5n)!;
  const other = vectors.find((x) => x !== v && x.proof !== v.proof)!;
  assert.equal(verifyKzgProof(v.commitment, v.z, hex32((BigInt(v.y) + 1n) % BLS_MODULUS), v.proof), false, "y + 1");
  assert.equal(verifyKzgProof(v.commitment, hex32(BigInt(v.z) + 1n), v.y, v.proof), false, "z + 1");
  assert.equal(verifyKzgProof(v.commitment, v.z, v.y, other.proof), false, "another proof");
});

test("scalars outside the field and malformed points are rejected as bad arguments", () => {
  const v = vectors[1]!;
  assert.throws(() => verifyKzgProof(v.commitment, hex32(BLS_MODULUS), v.y, v.proof), /C_KZG_BADARGS/);
  assert.throws(() => verifyKzgProof(v.commitment, v.z, hex32(BLS_MODULUS + 3n), v.proof), /C_KZG_BADARGS/);
  assert.throws(() => verifyKzgProof(v.commitment.slice(0, 50), v.z, v.y, v.proof), /C_KZG_BADARGS/);
  assert.throws(() => verifyKzgProof(`0x${"11".repeat(48)}`, v.z, v.y, v.proof));
});

test("0x0a on the production VM: a valid proof returns FIELD_ELEMENTS_PER_BLOB and the modulus for 50000 gas; a bad one fails with all gas", async () => {
  const vm = await createChainVM();
  const caller = new Address(hexToBytes("0x00000000000000000000000000000000000000aa"));
  await vm.stateManager.putAccount(caller, new Account(0n, 10n ** 18n));
  const v = vectors.find((x) => x.blob === "sparse")!;
  const versioned = createHash("sha256").update(hexToBytes(v.commitment as PrefixedHexString)).digest();
  versioned[0] = 0x01;
  const input = (y: string) => hexToBytes(`0x${versioned.toString("hex")}${v.z.slice(2)}${y.slice(2)}${v.commitment.slice(2)}${v.proof.slice(2)}`);
  const to = new Address(hexToBytes("0x000000000000000000000000000000000000000a"));
  const ok = await vm.evm.runCall({ to, caller, data: input(v.y), gasLimit: 100_000n });
  assert.equal(ok.execResult.exceptionError, undefined);
  assert.equal(ok.execResult.executionGasUsed, 50_000n);
  assert.equal(bytesToHex(ok.execResult.returnValue), `${hex32(4096n)}${hex32(BLS_MODULUS).slice(2)}`);
  const bad = await vm.evm.runCall({ to, caller, data: input(hex32(BigInt(v.y) ^ 1n)), gasLimit: 100_000n });
  assert.notEqual(bad.execResult.exceptionError, undefined);
  assert.equal(bad.execResult.executionGasUsed, 100_000n);
});
