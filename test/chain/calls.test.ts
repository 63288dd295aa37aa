// The call executor (calls.ts) on its own: a call VM over a trie, driven through a host made here
// (no DevNode): state pinning, the direct and full paths, overrides, estimates, the gas cap and the
// pending pool.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createBlock, paramsBlock, type Block } from "@ethereumjs/block";
import { MerklePatriciaTrie } from "@ethereumjs/mpt";
import { Caches } from "@ethereumjs/statemanager";
import { createTx, paramsTx, type TypedTransaction } from "@ethereumjs/tx";
import { Account, bytesToHex, createAddressFromString, hexToBytes } from "@ethereumjs/util";
import { privateKeyToAccount } from "viem/accounts";
import { CallExecutor, type CallHost } from "../../src/chain/calls.ts";
import { CallStateManager } from "../../src/evm/call-state.ts";
import { createChainCommon, createChainVM } from "../../src/evm/chain-vm.ts";
import { sharedCommon } from "../../src/evm/shared-common.ts";
import { CallGasCapError, ExecutionRevertedError } from "../../src/chain/node-errors.ts";
import type { CallRequest } from "../../src/chain/node.ts";
import type { PooledTx } from "../../src/chain/pool.ts";

type Hex = `0x${string}`;
const KEY: Hex = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const FROM = privateKeyToAccount(KEY).address.toLowerCase() as Hex;
const STORE: Hex = "0x00000000000000000000000000000000000000aa";
const REVERTS: Hex = "0x00000000000000000000000000000000000000ab";
const LOOP: Hex = "0x00000000000000000000000000000000000000ac";
/** With calldata: stores the word after a 4-byte selector at slot 0; without: returns slot 0. */
const STORE_CODE = "0x36600f5760005460005260206000f35b60043560005500";

async function setUp(gasLimit = 30_000_000n) {
  const common = createChainCommon({ chainId: 31337 });
  const trie = new MerklePatriciaTrie({ useKeyHashing: true, common });
  const state = new CallStateManager({ common, trie, caches: new Caches() });
  const put = async (address: Hex, account: Account, code?: Hex) => {
    await state.putAccount(createAddressFromString(address), account);
    if (code) await state.putCode(createAddressFromString(address), hexToBytes(code));
  };
  await state.checkpoint();
  await put(FROM, new Account(0n, 10n ** 20n));
  await put(STORE, new Account(), STORE_CODE);
  await put(REVERTS, new Account(), "0x60006000fd");
  await put(LOOP, new Account(), "0x5b600056");
  await state.commit();
  await state.flush();
  const root = await state.getStateRoot();
  const blockCommon = sharedCommon(common, paramsBlock);
  const txCommon = sharedCommon(common, paramsTx);
  const genesis = createBlock({ header: { number: 0n, gasLimit, baseFeePerGas: 1_000_000_000n, stateRoot: root, timestamp: 1_000n } }, { common: blockCommon });
  const blockchain = { getBlock: async () => genesis, putBlock: async () => {}, shallowCopy: () => blockchain };
  const vm = await createChainVM({ common, stateManager: state, blockchain: blockchain as never, runtime: null });
  const pool: PooledTx[] = [];
  let nonce = 0n;
  const host: CallHost = {
    runtime: null,
    blocks: [genesis],
    head: genesis,
    headNumber: 0n,
    blockGasLimit: gasLimit,
    stateVersion: 1,
    headStateRoot: async () => root,
    noteHeadRoot: () => {},
    nextBaseFee: () => genesis.header.calcNextBaseFee(),
    pendingHeaderBlock: (baseFeePerGas: bigint): Block =>
      createBlock({ header: { number: 1n, parentHash: genesis.hash(), gasLimit, timestamp: 1_012n, baseFeePerGas } }, { common: blockCommon, freeze: false }),
    buildTx: (request: CallRequest & { nonce: bigint; gas: bigint }) =>
      createTx(
        { type: 2, chainId: 31337n, nonce: request.nonce, to: request.to ?? undefined, data: request.data ?? "0x", value: request.value ?? 0n, gasLimit: request.gas, maxFeePerGas: request.maxFeePerGas ?? 0n, maxPriorityFeePerGas: request.maxPriorityFeePerGas ?? 0n },
        { common: txCommon },
      ).sign(hexToBytes(KEY)),
    pendingTxs: () => pool,
  };
  const executor = new CallExecutor(host, vm, state, undefined, 5_000);
  const send = (data: Hex): PooledTx => {
    const tx: TypedTransaction = createTx({ type: 2, chainId: 31337n, nonce: nonce++, to: STORE, data, gasLimit: 100_000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 1n }, { common: txCommon }).sign(hexToBytes(KEY));
    return { tx, from: FROM, hash: bytesToHex(tx.hash()) as Hex };
  };
  return { executor, pool, send };
}

const word = (n: bigint) => `0x${n.toString(16).padStart(64, "0")}` as Hex;
/** Calldata for STORE: a selector, then the word. */
const setTo = (n: bigint) => `0x00000000${word(n).slice(2)}` as Hex;

describe("CallExecutor", () => {
  it("runs a plain call on the direct path and a priced one as a transaction, with the same answer", async () => {
    const { executor } = await setUp();
    const direct = await executor.call({ from: FROM, to: STORE }, "latest");
    assert.equal(executor.stats.direct, 1);
    const priced = await executor.call({ from: FROM, to: STORE, maxFeePerGas: 10n ** 10n }, "latest");
    assert.equal(executor.stats.direct, 1);
    assert.deepEqual([direct.returnData, priced.returnData], [word(0n), word(0n)]);
  });

  it("applies state overrides for one call only", async () => {
    const { executor } = await setUp();
    const overridden = await executor.call({ to: STORE }, "latest", { overrides: new Map([[STORE, { stateDiff: [[word(0n), word(42n)]] }]]) });
    assert.equal(overridden.returnData, word(42n));
    assert.equal((await executor.call({ to: STORE }, "latest")).returnData, word(0n));
  });

  it("a revert is an ExecutionRevertedError; an endless loop at the gas cap a CallGasCapError", async () => {
    const { executor } = await setUp(1_000_000n);
    await assert.rejects(executor.call({ to: REVERTS }, "latest"), ExecutionRevertedError);
    await assert.rejects(executor.call({ to: LOOP }, "latest"), CallGasCapError);
    assert.equal(executor.gasCap, 1_000_000n);
  });

  it("estimates the smallest gas limit that succeeds", async () => {
    const { executor } = await setUp();
    const gas = await executor.estimateGas({ from: FROM, to: STORE, data: setTo(7n) }, "latest");
    assert.ok(gas > 21_000n + 20_000n && gas < 50_000n, String(gas));
    await assert.rejects(executor.call({ from: FROM, to: STORE, data: setTo(7n), gas: gas - 2_500n, maxFeePerGas: 10n ** 10n }, "latest"));
  });

  it("the pending state and block run the pool; latest does not see it", async () => {
    const { executor, pool, send } = await setUp();
    pool.push(send(setTo(5n)), send(setTo(9n)));
    assert.equal((await executor.call({ to: STORE }, "pending")).returnData, word(9n));
    assert.equal((await executor.call({ to: STORE }, "latest")).returnData, word(0n));
    assert.equal(await executor.readPending(async (sm) => bytesToHex(await sm.getStorage(createAddressFromString(STORE), hexToBytes(word(0n))))), "0x09");
    const block = await executor.pendingBlock();
    assert.deepEqual(block.transactions, pool);
    assert.ok(block.gasUsed > 2n * 21_000n);
    assert.equal((await executor.call({ to: STORE }, "latest")).returnData, word(0n), "the pending run was reverted");
  });
});
