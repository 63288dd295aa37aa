// createChainVM (src/evm/chain-vm.ts) is the production stack: every override installed, the AIVM
// state manager, the node's crypto and, with a runtime, the AIVM precompiles; and it refuses any
// EthereumJS release but the pinned one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Hardfork } from "@ethereumjs/common";
import { Account, Address, hexToBytes } from "@ethereumjs/util";
import { createChainCommon, createChainVM, installEvmOverrides } from "../../src/evm/chain-vm.ts";
import { AivmStateManager } from "../../src/evm/state-manager.ts";
import { TX_GAS_CAP } from "../../src/evm/tx-gas-cap.ts";
import { importEvmModule, speedupStats } from "../../src/evm/interpreter-internals.ts";
import { LegacyTx, createTx, paramsTx } from "@ethereumjs/tx";
import { keccak256One } from "../../src/commit/keccak.ts";
import {
  ETHEREUMJS_PACKAGES,
  PINNED_ETHEREUMJS_VERSION,
  UnsupportedEthereumJSVersionError,
  checkEthereumJSVersions,
  installedEthereumJSVersions,
} from "../../src/evm/version.ts";
import { createAivmRuntime } from "../../src/chain/runtime.ts";

const TMATMUL = "0x000000000000000000000000000000000000a101";

// First in this file: it needs a process in which nothing has installed the overrides yet.
test("installEvmOverrides replaces every process-wide function it overrides, once", async () => {
  type Proto = Record<string, unknown>;
  const { Interpreter } = await importEvmModule<{ Interpreter: { prototype: Proto } }>("interpreter.js");
  const { Memory } = await importEvmModule<{ Memory: { prototype: Proto } }>("memory.js");
  const { EVM } = await importEvmModule<{ EVM: { prototype: Proto } }>("evm.js");
  const legacyTx = LegacyTx.prototype as unknown as Proto;
  const targets: [string, Proto, string][] = [
    ["Interpreter.run (run-loop.ts)", Interpreter.prototype, "run"],
    ["Interpreter.runStep (sync-steps.ts)", Interpreter.prototype, "runStep"],
    ["Interpreter._getValidJumpDestinations (jump-analysis.ts)", Interpreter.prototype, "_getValidJumpDestinations"],
    ["Memory.extend (memory-growth.ts)", Memory.prototype, "extend"],
    ["EVM.runInterpreter (run-interpreter.ts)", EVM.prototype, "runInterpreter"],
    ["LegacyTx.serialize (tx-memo.ts)", legacyTx, "serialize"],
    ["LegacyTx.getSenderAddress (tx-memo.ts)", legacyTx, "getSenderAddress"],
  ];
  const before = targets.map(([, proto, key]) => proto[key]);
  assert.equal(speedupStats.fastRuns, 0, "nothing ran on the overrides before this test");
  await installEvmOverrides();
  const after = targets.map(([, proto, key]) => proto[key]);
  targets.forEach(([name], i) => assert.notEqual(after[i], before[i], `${name} is installed`));
  assert.equal((paramsTx as Record<number, Record<string, unknown>>)[7825]!["maxTransactionGasLimit"], TX_GAS_CAP, "EIP-7825's cap is lifted (tx-gas-cap.ts)");
  await installEvmOverrides();
  targets.forEach(([name, proto, key], i) => assert.equal(proto[key], after[i], `${name} is not wrapped twice`));
});

test("every installed @ethereumjs package resolves to the pinned release", () => {
  const found = installedEthereumJSVersions();
  assert.deepEqual(Object.keys(found).sort(), [...ETHEREUMJS_PACKAGES].sort());
  for (const name of ETHEREUMJS_PACKAGES) assert.equal(found[name], PINNED_ETHEREUMJS_VERSION, name);
  assert.doesNotThrow(() => checkEthereumJSVersions(found));
});

test("one package at another release (or missing) makes the check throw, naming the package and both versions", () => {
  const found = { ...installedEthereumJSVersions(), "@ethereumjs/evm": "10.1.4" };
  assert.throws(
    () => checkEthereumJSVersions(found),
    (e: unknown) => e instanceof UnsupportedEthereumJSVersionError && e.mismatches.length === 1 && /@ethereumjs\/evm 10\.1\.4/.test(e.message) && e.message.includes(PINNED_ETHEREUMJS_VERSION),
  );
  const { "@ethereumjs/statemanager": _, ...missing } = installedEthereumJSVersions();
  assert.throws(() => checkEthereumJSVersions(missing), (e: unknown) => e instanceof UnsupportedEthereumJSVersionError && /statemanager missing/.test(e.message));
});

test("the VM runs on the AIVM state manager, the node's keccak and the fast opcode handlers, Osaka by default", async () => {
  await installEvmOverrides();
  const vm = await createChainVM();
  assert.ok(vm.stateManager instanceof AivmStateManager);
  assert.equal(vm.common.hardfork(), Hardfork.Osaka);
  assert.equal(vm.common.chainId(), 31337n);
  assert.equal(vm.common.customCrypto.keccak256, keccak256One as unknown);
  const map = (vm.evm as unknown as { _opcodeMap: { opHandler: { name: string } }[] })._opcodeMap;
  assert.equal(map[0x52]!.opHandler.name, "mstore", "MSTORE is the override's handler");
  assert.equal(vm.evm.precompiles.get(TMATMUL.slice(2)), undefined, "no runtime, no AIVM precompiles");
  // A run with a JUMP goes through the patched interpreter loop.
  const before = speedupStats.fastRuns;
  const code = hexToBytes("0x600456005b60016000526020600060003960206000f3"); // PUSH1 4 JUMP STOP JUMPDEST …
  const sender = new Address(hexToBytes("0x00000000000000000000000000000000000000aa"));
  await vm.stateManager.putAccount(sender, new Account(0n, 10n ** 18n));
  const r = await vm.evm.runCode({ code, gasLimit: 100_000n, caller: sender });
  assert.equal(r.exceptionError, undefined);
  assert.ok(speedupStats.fastRuns > before, "the fast interpreter loop ran");
});

test("with a runtime the AIVM precompiles are registered; hardfork and chain id are options", async () => {
  const vm = await createChainVM({ runtime: createAivmRuntime(), chainId: 7, hardfork: Hardfork.Cancun });
  assert.equal(typeof vm.evm.precompiles.get(TMATMUL.slice(2)), "function");
  assert.equal(vm.common.hardfork(), Hardfork.Cancun);
  assert.equal(vm.common.chainId(), 7n);
  const jsCrypto = createChainCommon({ customCrypto: {} }).customCrypto;
  assert.equal(jsCrypto.keccak256, undefined, "{} keeps EthereumJS's JS crypto");
  assert.equal(typeof jsCrypto.kzg?.verifyProof, "function", "the point-evaluation KZG stays");
});

test("hardfork option: Osaka's CLZ (EIP-7939) runs on the default Osaka VM and is an invalid opcode on a Prague one", async () => {
  const clzOfOne = hexToBytes("0x60011e60005260206000f3"); // PUSH1 1, CLZ, PUSH1 0, MSTORE, PUSH1 32, PUSH1 0, RETURN
  const r = await (await createChainVM()).evm.runCode({ code: clzOfOne, gasLimit: 100_000n });
  assert.equal(r.exceptionError, undefined);
  assert.equal(BigInt(`0x${Buffer.from(r.returnValue).toString("hex")}`), 255n);
  const prague = await (await createChainVM({ hardfork: Hardfork.Prague })).evm.runCode({ code: clzOfOne, gasLimit: 100_000n });
  assert.equal(prague.exceptionError?.error, "invalid opcode");
});

test("Osaka without EIP-7825's 2^24 per-transaction cap: a transaction may use up to the block gas limit", async () => {
  const vm = await createChainVM();
  assert.ok(vm.common.isActivatedEIP(7825), "Osaka's rules otherwise apply");
  const tx = createTx({ type: 2, gasLimit: 50_000_000n, maxFeePerGas: 10n ** 9n, maxPriorityFeePerGas: 0n, to: new Address(new Uint8Array(20)), chainId: 31337n }, { common: vm.common });
  assert.equal(tx.gasLimit, 50_000_000n, "a 50M-gas transaction is valid on the chain's Common");
  assert.equal(TX_GAS_CAP, Number.MAX_SAFE_INTEGER);
  assert.throws(() => createTx({ type: 2, gasLimit: 2n ** 64n, maxFeePerGas: 1n, maxPriorityFeePerGas: 0n, chainId: 31337n }, { common: vm.common }), /gasLimit/, "the 64-bit field width still holds");
});
