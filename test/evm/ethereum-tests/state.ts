// One GeneralStateTests case: the pre-state, one transaction (the filled `txbytes`) in a block built
// from `env`, then the post state root and the logs hash compared with the fixture. Semantics as
// EthereumJS's own GeneralStateTestsRunner: the coinbase is touched before the transaction (so an
// empty coinbase is removed by the EIP-161 cleanup after it), an invalid transaction changes nothing.
import { createBlock } from "@ethereumjs/block";
import { RLP } from "@ethereumjs/rlp";
import { createTxFromRLP } from "@ethereumjs/tx";
import { Account, bytesToHex } from "@ethereumjs/util";
import { runTx } from "@ethereumjs/vm";
import { keccak_256 as keccak256 } from "@noble/hashes/sha3.js";
import { FORK, readFixture, type CaseRef } from "./fixtures.ts";
import { addressOf, bytesOf, writePreState, type PreAccount } from "./state-setup.ts";
import { suiteCommon, suiteStateManager, suiteVM, type Stack } from "./stack.ts";

interface StateTest {
  env: Record<string, string>;
  pre: Record<string, PreAccount>;
  post: Record<string, { hash: string; logs: string; txbytes: string; expectException?: string }[]>;
}

export interface CaseResult {
  id: string;
  pass: boolean;
  /** The state root (and, for state tests, logs hash) this stack produced. */
  stateRoot: string;
  logsHash?: string;
  /** Why it failed (expected vs got, or the error). */
  reason?: string;
}

export async function runStateCase(stack: Stack, ref: CaseRef): Promise<CaseResult> {
  const test = readFixture(ref.file)[ref.test] as StateTest;
  const post = test.post[FORK]![ref.index]!;
  const common = suiteCommon(stack);
  const stateManager = suiteStateManager(stack, common);
  const vm = await suiteVM(stack, common, stateManager);
  await writePreState(stateManager, test.pre);

  const env = test.env;
  const block = createBlock(
    {
      header: {
        number: BigInt(env.currentNumber!),
        coinbase: addressOf(env.currentCoinbase!),
        timestamp: BigInt(env.currentTimestamp!),
        gasLimit: BigInt(env.currentGasLimit!),
        difficulty: 0n,
        mixHash: bytesOf(env.currentRandom ?? "0x00".padEnd(66, "0")),
        baseFeePerGas: BigInt(env.currentBaseFee ?? "0x0a"),
        excessBlobGas: BigInt(env.currentExcessBlobGas ?? "0x00"),
      },
    },
    { common, skipConsensusFormatValidation: true },
  );

  const coinbase = block.header.coinbase;
  await vm.evm.journal.putAccount(coinbase, (await stateManager.getAccount(coinbase)) ?? new Account());

  let logs: unknown[] = [];
  let outcome = "no transaction";
  try {
    const tx = createTxFromRLP(bytesOf(post.txbytes), { common });
    if (tx.isValid()) {
      const result = await runTx(vm, { tx, block });
      logs = result.execResult.logs ?? [];
      outcome = result.execResult.exceptionError ? `ran, ${result.execResult.exceptionError.error}` : "ran";
    } else {
      outcome = "transaction invalid";
    }
  } catch (e) {
    outcome = `rejected: ${(e as Error).message.split("\n")[0]}`;
  }
  await vm.evm.journal.cleanup();

  const stateRoot = bytesToHex(await stateManager.getStateRoot());
  const logsHash = bytesToHex(keccak256(RLP.encode(logs as never)));
  const reasons: string[] = [];
  if (stateRoot !== post.hash) reasons.push(`state root ${stateRoot}, expected ${post.hash}`);
  if (logsHash !== post.logs) reasons.push(`logs hash ${logsHash}, expected ${post.logs}`);
  if (post.expectException !== undefined && outcome.startsWith("ran")) reasons.push(`expected ${post.expectException}, but the transaction ran`);
  return { id: ref.id, pass: reasons.length === 0, stateRoot, logsHash, ...(reasons.length ? { reason: `${reasons.join("; ")} (${outcome})` } : {}) };
}
