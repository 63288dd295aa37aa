// EVM equivalence: registering the AIVM precompiles changes nothing else. Plain contract execution
// and the standard precompiles give the same results and the same gas as a vanilla EthereumJS VM
// with the same Prague rules, and the standard precompiles still compute the right answers.
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createVM, type VM } from "@ethereumjs/vm";
import { Account, Address, hexToBytes as ejsHexToBytes } from "@ethereumjs/util";
import { bytesToHex, encodeDeployData, encodeFunctionData, keccak256, toBytes, type Hex } from "viem";
import { privateKeyToAccount, sign } from "viem/accounts";
import { createTestChain, contract, SENDER } from "./chain.ts";
import { createAivmCommon } from "../../src/chain/vm.ts";

let aivm: VM;
let vanilla: VM;

before(async () => {
  aivm = (await createTestChain()).vm;
  vanilla = await createVM({ common: createAivmCommon() });
  await vanilla.stateManager.putAccount(SENDER, new Account(0n, 10n ** 24n));
});

async function runCall(vm: VM, to: Address | undefined, data: Uint8Array) {
  return vm.evm.runCall({ to, caller: SENDER, origin: SENDER, data, gasLimit: 10_000_000n });
}

const precompile = (n: number) => new Address(ejsHexToBytes(`0x${n.toString(16).padStart(40, "0")}`));

test("a plain Solidity contract deploys and runs with identical results, gas and logs on both VMs", async () => {
  const c = contract("PlainMatmul");
  const deploy = hexToU8(encodeDeployData({ abi: c.abi, bytecode: c.bytecode }));
  const [da, dv] = [await runCall(aivm, undefined, deploy), await runCall(vanilla, undefined, deploy)];
  assert.equal(da.execResult.exceptionError, undefined);
  assert.equal(da.execResult.executionGasUsed, dv.execResult.executionGasUsed);
  const a = Uint8Array.from([1, 2, 3, 4, 5, 6]);
  const b = Uint8Array.from([1, 255, 0, 2, 3, 254]); // int8: 1 −1 0 2 3 −2
  const data = hexToU8(encodeFunctionData({ abi: c.abi, functionName: "plain", args: [bytesToHex(a), bytesToHex(b), 2n, 3n, 2n] }));
  const [ra, rv] = [await runCall(aivm, da.createdAddress, data), await runCall(vanilla, dv.createdAddress, data)];
  assert.equal(ra.execResult.exceptionError, undefined);
  assert.equal(ra.execResult.executionGasUsed, rv.execResult.executionGasUsed);
  assert.deepEqual(ra.execResult.returnValue, rv.execResult.returnValue);
  assert.deepEqual(ra.execResult.logs, rv.execResult.logs);
});

test("standard precompiles (ecrecover, sha256, ripemd160, identity, modexp, bn254 add) answer correctly and cost the same", async () => {
  const key = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318" as Hex;
  const hash = keccak256(toBytes("aivm"));
  const sig = await sign({ hash, privateKey: key });
  const word = (v: bigint) => hexToU8(`0x${v.toString(16).padStart(64, "0")}`);
  const ecInput = concat(hexToU8(hash), word(sig.v!), hexToU8(sig.r), hexToU8(sig.s));
  const payload = new TextEncoder().encode("deterministic inference");
  // modexp: 3^5 mod 7 = 5, lengths 1/1/1.
  const modexp = concat(word(1n), word(1n), word(1n), Uint8Array.of(3, 5, 7));
  // bn254 add: G1 + G1 = 2·G1.
  const g1 = concat(word(1n), word(2n));
  const cases: [number, Uint8Array, (out: Uint8Array) => void][] = [
    [1, ecInput, (out) => assert.equal(bytesToHex(out.slice(12)).toLowerCase(), privateKeyToAccount(key).address.toLowerCase())],
    [2, payload, (out) => assert.equal(bytesToHex(out), `0x${createHash("sha256").update(payload).digest("hex")}`)],
    [3, payload, (out) => assert.equal(bytesToHex(out.slice(12)), `0x${createHash("ripemd160").update(payload).digest("hex")}`)],
    [4, payload, (out) => assert.deepEqual(out, payload)],
    [5, modexp, (out) => assert.deepEqual(out, Uint8Array.of(5))],
    [6, concat(g1, g1), (out) => assert.equal(out.length, 64)],
  ];
  for (const [n, input, check] of cases) {
    const [ra, rv] = [await runCall(aivm, precompile(n), input), await runCall(vanilla, precompile(n), input)];
    assert.equal(ra.execResult.exceptionError, undefined, `precompile ${n}`);
    check(ra.execResult.returnValue);
    assert.deepEqual(ra.execResult.returnValue, rv.execResult.returnValue, `precompile ${n} output`);
    assert.equal(ra.execResult.executionGasUsed, rv.execResult.executionGasUsed, `precompile ${n} gas`);
  }
});

test("the AIVM addresses are precompiles only on the AIVM VM", async () => {
  const input = Uint8Array.of(1, 2, 3);
  const [ra, rv] = [await runCall(aivm, precompile(0xa101), input), await runCall(vanilla, precompile(0xa101), input)];
  assert.equal(rv.execResult.exceptionError, undefined, "an empty account on the vanilla VM");
  assert.equal(rv.execResult.returnValue.length, 0);
  assert.equal(ra.execResult.exceptionError?.error, "revert", "the AIVM VM rejects malformed input with revert data");
  assert.ok(ra.execResult.returnValue.length > 4);
});

function hexToU8(h: Hex): Uint8Array {
  return ejsHexToBytes(h);
}
function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
