// The interpreter speed-ups (src/evm/run-loop.ts, sync-steps.ts, sload.ts, jump-analysis.ts,
// memory-ops.ts, memory-growth.ts, run-interpreter.ts) change nothing observable: the same contract
// code gives the same return data, gas and exceptions with and without them. The programs run first
// on a stock EVM, then the overrides are installed (they patch EthereumJS prototypes, and node:test
// runs each file in its own process) and the same programs run again.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createEVM, type EVM } from "@ethereumjs/evm";
import { Hardfork, Mainnet, createCustomCommon } from "@ethereumjs/common";
import { Account, Address, bigIntToBytes, bytesToHex, hexToBytes, setLengthLeft } from "@ethereumjs/util";
import { Caches, MerkleStateManager } from "@ethereumjs/statemanager";
import { AivmStateManager } from "../../src/evm/state-manager.ts";
import { installEvmOverrides } from "../../src/evm/chain-vm.ts";
import { speedupStats } from "../../src/evm/interpreter-internals.ts";
import { speedUpOpcodes, wordToBytes } from "../../src/evm/memory-ops.ts";
import { interpreterFactories } from "../../src/evm/run-interpreter.ts";

/** The process-wide overrides (once) and this EVM's fast opcode handlers, as createChainVM installs them. */
async function installEvmSpeedups(evm: EVM): Promise<void> {
  await installEvmOverrides();
  speedUpOpcodes(evm);
}

/** xorshift64: a fixed-seed stream of 64-bit words, for reproducible random 256-bit values. */
function* words(seed: bigint): Generator<bigint> {
  let x = seed;
  const mask = (1n << 64n) - 1n;
  for (;;) {
    let w = 0n;
    for (let limb = 0; limb < 4; limb++) {
      x ^= (x << 13n) & mask;
      x ^= x >> 7n;
      x ^= (x << 17n) & mask;
      w = (w << 64n) | x;
    }
    // Vary the size: keep 8..256 bits.
    const bits = BigInt(8 + Number(x % 249n));
    yield w & ((1n << bits) - 1n);
  }
}

const EDGE_WORDS = [0n, 1n, 15n, 16n, 255n, 256n, (1n << 64n) - 1n, 1n << 64n, (1n << 128n) + 1n, 1n << 255n, (1n << 256n) - 1n];

const push32 = (w: bigint) => "7f" + bytesToHex(setLengthLeft(bigIntToBytes(w), 32)).slice(2);
/** keccak256(memory[0, MSIZE)) at 0 and MSIZE at 32, returned. */
const MEMORY_TRAILER = "5960002059" + "602052" + "600052" + "60406000f3";
const push2 = (v: number) => "61" + v.toString(16).padStart(4, "0");

/** MSTOREs every word at consecutive (and one unaligned) offsets, then returns the memory. */
function mstoreProgram(ws: readonly bigint[]): Uint8Array {
  let code = "";
  ws.forEach((w, i) => (code += push32(w) + push2(i * 32 + (i % 3)) + "52"));
  const size = ws.length * 32 + 2;
  code += push2(size) + "6000" + "f3"; // RETURN(0, size)
  return hexToBytes(`0x${code}`);
}

/**
 * A loop with JUMP/JUMPI and PUSHes whose immediates contain 0x5b bytes (not jump destinations):
 * sums i*0x5b5b for i < n, storing partial sums with MSTORE, and returns the sum.
 */
function loopProgram(n: number): Uint8Array {
  const parts = [
    "6000", // acc = 0              [acc]
    "6000", // i = 0                [i, acc]
    "5b", // loop: (pc 4)           JUMPDEST
    "80", push2(n), "11", // n > i ?  DUP1 PUSH2 n GT → [n>i, i, acc]
    "15", "601d", "57", // ISZERO, PUSH1 end, JUMPI
    "80", push2(0x5b5b), "02", // DUP1 PUSH2 0x5b5b MUL → [i*k, i, acc]
    "82", "01", // DUP3 ADD → [acc+i*k, i, acc]
    "91", "50", // SWAP2 POP → [i, acc']
    "6001", "01", // PUSH1 1 ADD → [i+1, acc']
    "6004", "56", // PUSH1 loop JUMP
    "5b", // end: (pc 0x1d)
    "50", // POP i → [acc]
    "6000", "52", // MSTORE(0, acc)
    "6020", "6000", "f3",
  ];
  return hexToBytes(`0x${parts.join("")}`);
}

/**
 * PUSH1..PUSH32 (immediates from `gen`), each value MSTOREd at i*32; then MLOADs at unaligned
 * offsets XORed together and stored after them; returns the memory. With `jumpFirst`, a JUMP at the
 * start makes the interpreter run its jump analysis (cached PUSH values) instead of reading code.
 */
function pushMloadProgram(gen: Generator<bigint>, jumpFirst: boolean): Uint8Array {
  let code = jumpFirst ? "600356" + "5b" : "";
  for (let n = 1; n <= 32; n++) {
    const v = (gen.next().value as bigint) & ((1n << BigInt(8 * n)) - 1n);
    code += (0x5f + n).toString(16) + v.toString(16).padStart(2 * n, "0") + push2((n - 1) * 32) + "52";
  }
  code += "6000"; // acc
  for (let k = 0; k < 40; k++) code += push2(k * 25 + (k % 7)) + "51" + "18"; // MLOAD, XOR
  code += push2(32 * 32) + "52" + push2(33 * 32) + "6000" + "f3";
  return hexToBytes(`0x${code}`);
}

/** Stock: upstream's MerkleStateManager. Otherwise the node's state manager (whose cache SLOAD can read without a promise). */
async function newEvm(stock = true): Promise<EVM> {
  const common = createCustomCommon({ chainId: 31337 }, Mainnet, { hardfork: Hardfork.Prague });
  const caches = new Caches();
  return createEVM({ common, stateManager: stock ? new MerkleStateManager({ common, caches }) : new AivmStateManager({ common, caches }) });
}

interface Outcome {
  returnValue: string;
  gasUsed: bigint;
  error: string | undefined;
  logs: string;
}

const CONTRACT = new Address(setLengthLeft(Uint8Array.of(0xc0), 20));

/** Runs `code` as a deployed contract's (a message to its address, as transactions run code). */
async function run(evm: EVM, code: Uint8Array, gasLimit = 10_000_000n): Promise<Outcome> {
  await evm.stateManager.putAccount(CONTRACT, new Account(1n, 0n));
  await evm.stateManager.putCode(CONTRACT, code);
  const r = (await evm.runCall({ to: CONTRACT, gasLimit })).execResult;
  const logs = JSON.stringify((r.logs ?? []).map(([address, topics, data]) => [bytesToHex(address), topics.map((t) => bytesToHex(t)), bytesToHex(data)]));
  return { returnValue: bytesToHex(r.returnValue), gasUsed: r.executionGasUsed, error: r.exceptionError?.error, logs };
}

/**
 * Runs a program that STATICCALLs the identity precompile between MSTOREs and returns the opcodes
 * its step events reported (with depth) and its outcome. The step listener is attached before the
 * run, or, with `late`, when the inner message starts: the outer frame is then waiting on that
 * call, and every step after it must be reported.
 */
async function traced(evm: EVM, late: boolean): Promise<{ steps: string[]; outcome: Outcome }> {
  const steps: string[] = [];
  const onStep = (e: { opcode: { name: string }; depth: number }, next?: () => void) => {
    steps.push(`${e.depth}:${e.opcode.name}`);
    next?.();
  };
  if (!late) evm.events!.on("step", onStep);
  const onMessage = (m: { depth: number }, next?: () => void) => {
    if (late && m.depth === 1) evm.events!.on("step", onStep);
    next?.();
  };
  evm.events!.on("beforeMessage", onMessage);
  const code = hexToBytes(`0x${push32(0xfeedn << 200n)}600052602060206020600060045afa50${push32(7n)}60405260606000f3`);
  const outcome = await run(evm, code);
  evm.events!.removeListener("step", onStep);
  evm.events!.removeListener("beforeMessage", onMessage);
  return { steps, outcome };
}

describe("EVM speed-ups", () => {
  it("wordToBytes equals setLengthLeft(bigIntToBytes(w), 32) on edges and 5,000 random words", () => {
    const gen = words(0x9e3779b97f4a7c15n);
    const all = [...EDGE_WORDS, ...Array.from({ length: 5000 }, () => gen.next().value as bigint)];
    for (const w of all) assert.deepEqual(wordToBytes(w), setLengthLeft(bigIntToBytes(w), 32), `word ${w.toString(16)}`);
  });

  it("programs give identical results, gas and errors before and after the speed-ups", async () => {
    const gen = words(42n);
    const programs: [string, Uint8Array, bigint?][] = [
      ["edge words", mstoreProgram(EDGE_WORDS)],
      ["random words", mstoreProgram(Array.from({ length: 64 }, () => gen.next().value as bigint))],
      ["loop 200", loopProgram(200)],
      ["loop 0", loopProgram(0)],
      ["loop out of gas", loopProgram(5000), 20_000n],
      // A JUMP into PUSH data must stay invalid: PUSH2 0x5b5b then JUMP to offset 1.
      ["jump into push data", hexToBytes("0x615b5b600156")],
      ["stack underflow", hexToBytes("0x600101")],
      ["invalid opcode", hexToBytes("0x6001fe")],
      ["stop mid-way", hexToBytes("0x6001600200600360045b")],
      ["revert with data", hexToBytes("0x602a60005260206000fd")],
      // MSTORE a word, STATICCALL the identity precompile on it, return both copies.
      ["staticcall identity", hexToBytes(`0x${push32(0xdeadbeefn << 200n)}600052602060206020600060045afa5060406000f3`)],
      // SSTORE(1, 42); MSTORE(0, SLOAD(1)); LOG1 over it; RETURN it.
      ["sstore, sload, log", hexToBytes("0x602a600155600154600052600760206000a160206000f3")],
      ["exact gas", hexToBytes("0x600160025050"), 10n],
      ["one gas short", hexToBytes("0x600160025050"), 9n],
      // MSTORE8 at 0x100, MLOAD across it at 0xf0, MSTORE that at 0, RETURN 0x120 bytes.
      ["mstore8, mload, expansion", hexToBytes("0x60ab610100536100f0516000526101206000f3")],
      ["mload expansion out of gas", hexToBytes("0x6300ffffff5100"), 100_000n],
      ["mstore at a 2^255 offset", hexToBytes(`0x6001${push32(1n << 255n)}5200`)],
      // MSIZE after one access at offset 1 (the charge counts words touched): MSTORE, MLOAD, MSTORE8.
      ["msize after mstore at 1", hexToBytes("0x60076001525960005260206000f3")],
      ["msize after mload at 0x21", hexToBytes("0x602151505960005260206000f3")],
      ["msize after mstore8 at 0x3f", hexToBytes("0x6007603f535960005260206000f3")],
      ["push1..push32 and unaligned mloads", pushMloadProgram(gen, false)],
      ["push1..push32 and unaligned mloads after a jump", pushMloadProgram(gen, true)],
      // A PUSH32 cut short by the end of the code (its missing bytes read as zero), with and without a JUMP first.
      ["truncated push32 at the end", hexToBytes("0x60017f0102")],
      ["truncated push32 at the end, after a jump", hexToBytes("0x6003565b7f0102")],
      // Memory starts empty (no 8 KiB container until first use): reads of untouched memory,
      // accesses past the first container, copies across its boundary, a zero-size RETURN far out.
      ["return untouched memory", hexToBytes("0x60406000f3")],
      ["calldatacopy past 8 KiB, return across it", hexToBytes("0x60206000613000376040612ff0f3")],
      ["mcopy across the 8 KiB boundary", hexToBytes(`0x${push32(0x1234n << 100n)}611ff0526040611ff06120105e6080611fe0f3`)],
      ["keccak256 of untouched memory", hexToBytes("0x60406101002060005260206000f3")],
      ["zero-size return at a high offset", hexToBytes("0x600062010000f3")],
      // SLOAD: cold then warm (the first read goes to the trie, the second to the cache), after an
      // SSTORE in the same frame, a 2^256−1 key, and cold reads with exactly enough gas and one short.
      ["sload cold then warm", hexToBytes("0x6005546005540160005260206000f3")],
      ["sload after sstore", hexToBytes("0x609960075560075460005260206000f3")],
      ["sload of the largest key", hexToBytes(`0x${push32((1n << 256n) - 1n)}5460005260206000f3`)],
      ["sload cold, exact gas", hexToBytes("0x60115400"), 2103n],
      ["sload cold, one gas short", hexToBytes("0x60125400"), 2102n],
      // LOG0 then REVERT: a failed frame's logs are dropped.
      ["log then revert", hexToBytes("0x60006000a060006000fd")],
      // Memory growth (the patched Memory.extend doubles from 1 KiB, then grows 1 MiB at a time):
      // writes and reads across 1, 2 and 4 KiB, then across 1 MiB and beyond the next step; each
      // returns keccak256 of all memory and MSIZE.
      ["memory growth across 1, 2, 4 KiB", hexToBytes(`0x60116103f05260226107ff5361080051506033610fe152${MEMORY_TRAILER}`)],
      ["memory growth across 1 MiB steps", hexToBytes(`0x604462100000526055621a001052${MEMORY_TRAILER}`)],
    ];
    const stock = await newEvm();
    const before: Outcome[] = [];
    for (const [, code, gas] of programs) before.push(await run(stock, code, gas));
    const tracedBefore = [await traced(await newEvm(), false), await traced(await newEvm(), true)];

    for (let round = 0; round < 2; round++) {
      // Twice, so the second round runs on cached jump analyses (a fresh EVM each time: an EVM's
      // warm-address set and storage carry over from one runCode to the next).
      const fast = await newEvm(false);
      await installEvmSpeedups(fast);
      const fastRuns = speedupStats.fastRuns;
      const [fromCache, awaited] = [speedupStats.sloadsFromCache, speedupStats.sloadsAwaited];
      const sloads = fromCache + awaited;
      for (const [i, [name, code, gas]] of programs.entries()) {
        assert.deepEqual(await run(fast, code, gas), before[i], `${name} (round ${round})`);
      }
      assert.ok(speedupStats.fastRuns >= fastRuns + programs.length, "every program ran on the fast loop");
      // A step listener sees every step, whether attached before the run or while it waits on a call.
      for (const [i, late] of [false, true].entries()) {
        const evm = await newEvm(false);
        await installEvmSpeedups(evm);
        assert.deepEqual(await traced(evm, late), tracedBefore[i], `step events, listener attached ${late ? "during the inner call" : "first"} (round ${round})`);
      }
      assert.ok(speedupStats.sloadsFromCache + speedupStats.sloadsAwaited >= sloads + 6, "the SLOADs took the fast step");
      assert.ok(speedupStats.sloadsFromCache > fromCache && speedupStats.sloadsAwaited > awaited, "both the cached and the trie read ran");
    }
    // The programs exercise what they claim to.
    assert.ok(tracedBefore[0]!.steps.length > tracedBefore[1]!.steps.length && tracedBefore[1]!.steps.includes("0:MSTORE"), "the late listener saw the outer frame's steps after the call");
    assert.equal(tracedBefore[0]!.outcome.returnValue.length, 2 + 192);
    assert.equal(before[2]!.returnValue, bytesToHex(setLengthLeft(bigIntToBytes(0x5b5bn * ((199n * 200n) / 2n)), 32)));
    assert.equal(before[4]!.error, "out of gas");
    assert.match(before[5]!.error ?? "", /^invalid JUMP/);
    assert.equal(before[6]!.error, "stack underflow");
    assert.equal(before[7]!.error, "invalid opcode");
    assert.equal(before[9]!.error, "revert");
    assert.equal(before[10]!.returnValue.length, 2 + 128);
    assert.notEqual(before[11]!.logs, "[]");
    assert.equal(before[12]!.error, undefined);
    assert.equal(before[13]!.error, "out of gas");
    // 0xab at byte 0x100 is byte 0x10 of the word loaded at 0xf0, stored at 0.
    assert.equal(before[14]!.returnValue.slice(2 + 2 * 0x10, 2 + 2 * 0x11), "ab");
    assert.equal(before[15]!.error, "out of gas");
    assert.equal(before[16]!.error, "out of gas");
    assert.deepEqual([17, 18, 19].map((i) => BigInt(before[i]!.returnValue)), [64n, 96n, 64n], "MSIZE after each access");
    for (const i of [20, 21]) {
      assert.equal(before[i]!.error, undefined);
      assert.equal(before[i]!.returnValue.length, 2 + 2 * 33 * 32);
      assert.notEqual(BigInt(`0x${before[i]!.returnValue.slice(2 + 64 * 32)}`), 0n, "the XOR of the loads is stored");
    }
    assert.deepEqual([before[22]!.error, before[23]!.error], [undefined, undefined]);
    assert.deepEqual([before[34]!.error, before[34]!.logs], ["revert", "[]"]);
    assert.equal(BigInt(before[30]!.returnValue), 0x99n, "sload after sstore");
    assert.deepEqual([before[32]!.error, before[33]!.error], [undefined, "out of gas"]);
    assert.equal(before[24]!.returnValue, bytesToHex(new Uint8Array(64)));
    assert.equal(before[25]!.returnValue.length, 2 + 128);
    assert.equal(before[26]!.returnValue.length, 2 + 256);
    assert.notEqual(before[26]!.returnValue.slice(2 + 2 * 0x30), "0".repeat(2 * 0x50), "the copy landed past the boundary");
    assert.equal(before[28]!.returnValue, "0x");
    assert.deepEqual([35, 36].map((i) => [before[i]!.error, BigInt(`0x${before[i]!.returnValue.slice(66)}`)]), [
      [undefined, 0x1020n],
      [undefined, 0x1a0040n],
    ]);
    const expectedMemory = new Uint8Array(EDGE_WORDS.length * 32 + 2);
    EDGE_WORDS.forEach((w, i) => expectedMemory.set(setLengthLeft(bigIntToBytes(w), 32), i * 32 + (i % 3)));
    assert.equal(before[0]!.returnValue, bytesToHex(expectedMemory));
  });
  // Last: installing the speed-ups patches the Interpreter prototype for the rest of this process.
  it("builds each message's Interpreter with the same fields as upstream's constructor, memory aside", async () => {
    const evm = await newEvm();
    await installEvmSpeedups(evm);
    const env = { address: CONTRACT, gasRefund: 5n, initialLogs: [[new Uint8Array(20), [], new Uint8Array(0)]] };
    const fast = interpreterFactories.fast!(evm, env, 1234n) as Record<string, unknown> & { _runState: Record<string, unknown> };
    const upstream = interpreterFactories.upstream!(evm, env, 1234n) as Record<string, unknown> & { _runState: Record<string, unknown> };
    assert.equal(Object.getPrototypeOf(fast), Object.getPrototypeOf(upstream));
    assert.deepEqual(Object.keys(fast), Object.keys(upstream));
    assert.deepEqual(Object.keys(fast._runState), Object.keys(upstream._runState));
    for (const key of Object.keys(upstream)) if (key !== "_runState") assert.deepEqual(fast[key], upstream[key], key);
    for (const key of Object.keys(upstream._runState)) {
      if (key === "memory" || key === "interpreter") continue;
      assert.deepEqual(fast._runState[key], upstream._runState[key], `_runState.${key}`);
    }
    assert.equal(fast._runState.interpreter, fast);
    const [m, u] = [fast._runState.memory, upstream._runState.memory] as { _store: Uint8Array }[];
    assert.equal(Object.getPrototypeOf(m), Object.getPrototypeOf(u));
    assert.deepEqual([m!._store.length, u!._store.length], [0, 8192], "the fast memory starts empty");
  });

});
