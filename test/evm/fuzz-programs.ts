// Random EVM programs for the differential fuzzer (scripts/fuzz-evm.ts): each program is a small
// world (three contracts of random bytecode that call each other, a funded sender) and one
// transaction into it, run on one stack and reduced to everything observable: status, gas used,
// return data, logs, and the state root after the transaction.
import { createBlock } from "@ethereumjs/block";
import { DEFAULT_HARDFORK } from "../../src/evm/chain-vm.ts";
import { RLP } from "@ethereumjs/rlp";
import { createLegacyTx } from "@ethereumjs/tx";
import { Account, Address, bytesToHex, createAddressFromPrivateKey, hexToBytes } from "@ethereumjs/util";
import { runTx } from "@ethereumjs/vm";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { rng } from "../xorshift.ts";
import { suiteCommon, suiteStateManager, suiteVM, type Stack } from "./ethereum-tests/stack.ts";

/** The chain's own rules. */
export const FUZZ_HARDFORK = DEFAULT_HARDFORK;
const SENDER_KEY = hexToBytes("0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8");
const CONTRACTS = [0xc0, 0xc1, 0xc2].map((n) => new Address(hexToBytes(`0x${"00".repeat(19)}${n.toString(16)}`)));
const COINBASE = new Address(hexToBytes(`0x${"00".repeat(19)}cb`));

/**
 * Opcodes the generator draws from (Osaka, no EOF; CLZ is 0x1e), weighted toward what the overrides touch:
 * PUSH, MSTORE/MLOAD/MSTORE8, SLOAD/SSTORE, jumps, memory copies, calls and logs.
 */
const OPS = [
  0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c,
  0x1d, 0x1e, 0x20, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46,
  0x47, 0x48, 0x49, 0x4a, 0x50, 0x51, 0x51, 0x52, 0x52, 0x52, 0x53, 0x54, 0x54, 0x55, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f,
  0x80, 0x81, 0x82, 0x83, 0x8f, 0x90, 0x91, 0x92, 0x9f, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xf0, 0xf1, 0xf1, 0xf2, 0xf3, 0xf4, 0xf4, 0xf5, 0xfa, 0xfa, 0xfd, 0xfe,
  0xff,
];

/** Random bytecode: PUSHes of small numbers (offsets, lengths, jump targets, contract addresses) between random opcodes. */
export function randomCode(next: (n: number) => number, length: number): Uint8Array {
  const out: number[] = [];
  // A stack of small operands first, so that most programs get past their first opcodes.
  for (let i = 8 + next(12); i > 0; i--) out.push(0x60, next(4) === 0 ? 0xc0 + next(3) : next(64));
  while (out.length < length) {
    const pick = next(10);
    if (pick < 5) {
      // PUSH1 of a small value: a memory offset, a length, a slot or a jump target.
      out.push(0x60, next(4) === 0 ? 0xc0 + next(3) : next(64));
    } else if (pick === 5) {
      const n = 1 + next(32);
      out.push(0x5f + n);
      for (let i = 0; i < n; i++) out.push(next(256));
    } else {
      out.push(OPS[next(OPS.length)]!);
    }
  }
  return Uint8Array.from(out);
}

export interface ProgramDigest {
  seed: number;
  /** Everything observable, hashed: status, error, gas used, return data, logs, state root. */
  digest: string;
  gasUsed: string;
  error: string | null;
  stateRoot: string;
}

/** Runs program `seed` on `stack` and reduces it to its digest. */
export async function runProgram(stack: Stack, seed: number): Promise<ProgramDigest> {
  const next = rng(seed);
  const common = suiteCommon(stack, FUZZ_HARDFORK);
  const stateManager = suiteStateManager(stack, common);
  const vm = await suiteVM(stack, common, stateManager);
  const sender = createAddressFromPrivateKey(SENDER_KEY);
  await stateManager.checkpoint();
  await stateManager.putAccount(sender, new Account(0n, 10n ** 20n));
  for (const address of CONTRACTS) {
    await stateManager.putAccount(address, new Account(1n, BigInt(next(1000))));
    await stateManager.putCode(address, randomCode(next, 20 + next(200)));
    for (let i = next(4); i > 0; i--) await stateManager.putStorage(address, new Uint8Array(32).fill(next(4), 31), Uint8Array.of(1 + next(255)));
  }
  await stateManager.commit();
  const create = next(8) === 0;
  const tx = createLegacyTx(
    {
      nonce: 0n,
      gasPrice: 10n,
      gasLimit: 60_000n + BigInt(next(240_000)),
      to: create ? undefined : CONTRACTS[next(3)],
      value: BigInt(next(3)),
      data: create ? randomCode(next, 64) : Uint8Array.from({ length: next(68) }, () => next(256)),
    },
    { common },
  ).sign(SENDER_KEY);
  const block = createBlock({ header: { number: 1n, timestamp: 1000n, gasLimit: 30_000_000n, baseFeePerGas: 7n, coinbase: COINBASE } }, { common });
  let result: Awaited<ReturnType<typeof runTx>>;
  try {
    result = await runTx(vm, { tx, block });
  } catch (e) {
    // A JavaScript exception out of the EVM is a crash, never an EVM outcome: it is reported as such.
    const message = `threw: ${(e as Error).message.split("\n")[0]}`;
    return { seed, digest: message, gasUsed: "0", error: message, stateRoot: "" };
  }
  const stateRoot = bytesToHex(await stateManager.getStateRoot());
  const error = result.execResult.exceptionError?.error ?? null;
  const observable = RLP.encode([
    error ?? "",
    result.totalGasSpent,
    result.execResult.returnValue,
    (result.execResult.logs ?? []) as never,
    result.createdAddress?.bytes ?? new Uint8Array(0),
    hexToBytes(stateRoot),
  ]);
  return { seed, digest: bytesToHex(keccak_256(observable)), gasUsed: result.totalGasSpent.toString(), error, stateRoot };
}
