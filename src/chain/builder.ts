// A block builder for AIVM chains. Upstream BlockBuilder.addTransaction rebuilds a Block holding
// every transaction so far before each runTx (O(n) per tx, O(n²) per block); this one builds the
// header-only block once and passes the running gas to runTx, so each addTransaction is O(1) in
// the block's size. build() computes the transactions and receipts roots in one pass over the
// items (trie-root.ts) instead of 2n trie inserts, and seals the block with the transaction objects
// already built instead of re-creating each one from its fields. It also drives the runtime hooks: startBlock → [epoch system call] →
// (startTx(tx hash) → runTx → endTx)* → endBlock (anchor + next multiplier, inside the block's state) → build.
import { Block, createBlock, type HeaderData } from "@ethereumjs/block";
import { Blob4844Tx, type TypedTransaction } from "@ethereumjs/tx";
import { BlockBuilder, encodeReceipt, runTx, type BuildBlockOpts, type RunTxResult, type VM } from "@ethereumjs/vm";
import { Address, bytesToBigInt, bytesToHex, hexToBytes, setLengthLeft, toBytes } from "@ethereumjs/util";
import type { AivmBlockAnchor, AivmTxTrace } from "../commit/trace.ts";
import type { AivmRuntime } from "./types.ts";
import { AivmError } from "../engine/errors.ts";
import { CONGESTION_ADDRESS } from "./genesis.ts";
import { AGENT_SCHEDULER_ADDRESS, SCHEDULER_SLOTS, SYSTEM_CALLER_ADDRESS, decodeSchedulerSlots, epochCallGas } from "./predeploys.ts";
import { MULTIPLIER_ONE } from "../../precompiles/gas.ts";
import { toFunctionSelector } from "viem";
import { orderedTrieRoot } from "../evm/trie-root.ts";

const PROCESS_EPOCH = hexToBytes(toFunctionSelector("processEpoch()"));
const ZERO_ROOT = `0x${"0".repeat(64)}` as const;
/** At most this many pending slots are run by one block's system call (the rest wait for the next boundary or a keeper). */
const MAX_EPOCH_CALLS_PER_BLOCK = 4;

/** One scheduler system call made while building a block. */
export interface EpochSystemCall {
  /** Scheduler slot the call ran (nextSlot before the call). */
  slot: bigint;
  gasLimit: bigint;
  gasUsed: bigint;
  ok: boolean;
  /** The EVM error, when the call reverted or ran out of gas. */
  error?: string;
  /** Its AIVM op receipts (model runs inside processEpoch), anchored with the block's. */
  trace: AivmTxTrace;
}

/** The transaction's gas limit exceeds what is left in the block. */
export class BlockGasExceededError extends AivmError {
  override name = "BlockGasExceededError";
  override readonly code = "BLOCK_GAS_EXCEEDED";
  constructor(
    readonly txGasLimit: bigint,
    readonly remaining: bigint,
  ) {
    super(`Transaction gas limit ${txGasLimit} exceeds the ${remaining} gas left in the block.`, { docsPath: "precompiles.md#runtime-vm-and-blocks" });
  }
}

/**
 * A node fault (precompiles/call.ts: an exception that is not an AivmError) hit while building: it
 * is no result of the transaction, so the block is reverted and never sealed. Not a NodeError nor
 * an AivmError: JSON-RPC reports it as an internal error (-32603).
 */
export class BlockAbortedError extends Error {
  override name = "BlockAbortedError";
  constructor(
    readonly blockNumber: bigint,
    /** The transaction that hit the fault; undefined for a system call. */
    readonly txHash: `0x${string}` | undefined,
    readonly fault: Error,
  ) {
    super(`Block ${blockNumber} aborted: ${txHash === undefined ? "a system call" : `transaction ${txHash}`} hit a node fault (${fault.message}); it is not included.`, { cause: fault });
  }
}

/** The upstream fields this subclass maintains itself (pinned to @ethereumjs/vm 10.1.3). */
interface BuilderInternals {
  vm: VM;
  headerData: HeaderData & { gasLimit: bigint; number: bigint };
  blockOpts: Parameters<typeof createBlock>[1];
  transactions: TypedTransaction[];
  transactionResults: RunTxResult[];
  checkpointed: boolean;
  _minerValue: bigint;
  checkStatus(): void;
}

export class AivmBlockBuilder extends BlockBuilder {
  /** Per transaction, in block order: the AIVM trace (receipts and trace root). */
  readonly traces: AivmTxTrace[] = [];
  /** Set by build(): what endBlock wrote. */
  anchor: AivmBlockAnchor | undefined;
  /** The scheduler epoch system calls this block made (before its transactions). */
  readonly epochCalls: EpochSystemCall[] = [];
  private headerBlock: Block | undefined;
  /** Set by build() for the upstream build it wraps. */
  private roots: { transactions: Uint8Array; receipts: Uint8Array } | undefined;
  /** Engine mode (docs/network.md): the header's extraData is the block's AIVM anchor root. */
  private readonly anchorInExtraData: boolean;

  constructor(
    vm: VM,
    opts: AivmBuildBlockOpts,
    readonly runtime: AivmRuntime,
  ) {
    super(vm, opts);
    this.anchorInExtraData = opts.anchorInExtraData ?? false;
    // Upstream always seals with vm.common (copied per header); honour a Common the caller shares.
    if (opts.blockOpts?.common) this.internals.blockOpts = { ...this.internals.blockOpts, common: opts.blockOpts.common };
  }

  private get internals(): BuilderInternals {
    return this as unknown as BuilderInternals;
  }

  /** The block number being built. */
  get number(): bigint {
    return BigInt(this.internals.headerData.number);
  }

  override async addTransaction(
    tx: TypedTransaction,
    opts: { skipHardForkValidation?: boolean; allowNoBlobs?: boolean } = {},
  ): Promise<RunTxResult> {
    const self = this.internals;
    const vm = self.vm;
    // Blob transactions and EIP-8037 accounting keep upstream's path (not active under this chain's Osaka rules).
    const upstream = tx instanceof Blob4844Tx || vm.common.isActivatedEIP(8037);
    self.checkStatus();
    const blockGasLimit = BigInt(self.headerData.gasLimit);
    if (!upstream && tx.gasLimit > blockGasLimit - this.gasUsed) throw new BlockGasExceededError(tx.gasLimit, blockGasLimit - this.gasUsed);

    this.runtime.startTx(vm.evm, tx.hash());
    let result: RunTxResult;
    try {
      if (upstream) {
        result = await super.addTransaction(tx, opts);
        await this.abortOnFault(bytesToHex(tx.hash()));
      } else {
        if (!self.checkpointed) {
          await vm.evm.journal.checkpoint();
          self.checkpointed = true;
        }
        this.headerBlock ??= createBlock({ header: { ...self.headerData, gasUsed: 0n } }, self.blockOpts);
        result = await runTx(vm, {
          tx,
          block: this.headerBlock,
          skipHardForkValidation: opts.skipHardForkValidation,
          blockGasUsed: this.gasUsed,
        });
        await this.abortOnFault(bytesToHex(tx.hash()));
        self.transactions.push(tx);
        self.transactionResults.push(result);
        this.gasUsed += result.blockGasSpent;
        self._minerValue += result.minerValue;
      }
    } catch (err) {
      this.runtime.endTx(undefined, true);
      throw err;
    }
    this.traces.push(this.runtime.endTx(bytesToHex(tx.hash()), false));
    return result;
  }

  /**
   * In the first block of each epoch (number % epochLength == 0) and before any transaction, calls
   * AgentScheduler.processEpoch() at 0x…A121 from 0xff…fe (docs/scheduler.md): not counted against
   * the block gas, state changes kept, a revert logged and ignored. Pending slots left by an earlier
   * failed call are caught up (up to MAX_EPOCH_CALLS_PER_BLOCK). No-op without the predeploy.
   */
  async runEpochSystemCalls(): Promise<void> {
    const self = this.internals;
    const vm = self.vm;
    const state = vm.stateManager;
    const scheduler = new Address(hexToBytes(AGENT_SCHEDULER_ADDRESS));
    if ((await state.getCode(scheduler)).length === 0) return;
    const slotWord = (n: number) => setLengthLeft(Uint8Array.of(n), 32);
    const read = async (a: Address, n: number) => bytesToBigInt(await state.getStorage(a, slotWord(n)));
    const EPOCH = Number(SCHEDULER_SLOTS.EPOCH_SLOT);
    const CAPACITY = Number(SCHEDULER_SLOTS.CAPACITY_SLOT);
    const { epochLength } = decodeSchedulerSlots(await read(scheduler, EPOCH), 0n);
    if (epochLength === 0n || this.number % epochLength !== 0n) return;
    const epoch = this.number / epochLength;
    // The whole call is inside the block's journal checkpoint, so revert() undoes it with the block.
    if (!self.checkpointed) {
      await vm.evm.journal.checkpoint();
      self.checkpointed = true;
    }
    this.headerBlock ??= createBlock({ header: { ...self.headerData, gasUsed: 0n } }, self.blockOpts);
    const congestion = new Address(hexToBytes(CONGESTION_ADDRESS));
    const stored = await read(congestion, 0);
    const storedOne = await read(congestion, 1);
    const one = storedOne === 0n ? MULTIPLIER_ONE : storedOne;
    const multiplier = stored === 0n ? one : stored;
    const caller = new Address(hexToBytes(SYSTEM_CALLER_ADDRESS));
    for (let i = 0; i < MAX_EPOCH_CALLS_PER_BLOCK; i++) {
      const { nextSlot, capacity } = decodeSchedulerSlots(await read(scheduler, EPOCH), await read(scheduler, CAPACITY));
      if (nextSlot > epoch) break;
      const gasLimit = epochCallGas(capacity, multiplier, one);
      // Like EIP-4788/2935 system calls: the system account is left exactly as it was.
      const callerAccount = await state.getAccount(caller);
      // A system call has no transaction hash: its seed handles mix in zero bytes (docs/vrf.md).
      this.runtime.startTx(vm.evm, undefined);
      let call: EpochSystemCall;
      try {
        const result = await vm.evm.runCall({ caller, to: scheduler, data: PROCESS_EPOCH, gasLimit, gasPrice: 0n, block: this.headerBlock });
        await this.abortOnFault(undefined);
        const error = result.execResult.exceptionError?.error;
        call = { slot: nextSlot, gasLimit, gasUsed: result.execResult.executionGasUsed, ok: error === undefined, trace: this.runtime.endTx(undefined, false) };
        if (error !== undefined) call.error = error;
      } catch (err) {
        this.runtime.endTx(undefined, true);
        if (err instanceof BlockAbortedError) throw err;
        call = { slot: nextSlot, gasLimit, gasUsed: 0n, ok: false, error: err instanceof Error ? err.message : String(err), trace: { receipts: [], traceRoot: ZERO_ROOT } };
      }
      if (callerAccount === undefined) await state.deleteAccount(caller);
      else await state.putAccount(caller, callerAccount);
      this.epochCalls.push(call);
      if (!call.ok) {
        console.warn(`aivm: block ${this.number}: AgentScheduler.processEpoch (slot ${nextSlot}) failed: ${call.error}; the slot stays pending`);
        break;
      }
    }
  }

  /**
   * After a transaction or system call ran (before endTx): if a precompile hit a node fault, the
   * block's state now holds effects no other node need reproduce. Reverts the whole block, logs, and
   * throws BlockAbortedError; the builder is then unusable, as after revert().
   */
  private async abortOnFault(txHash: `0x${string}` | undefined): Promise<void> {
    const fault = this.runtime.txFault?.();
    if (fault === undefined) return;
    await this.revert();
    const error = new BlockAbortedError(this.number, txHash, fault);
    console.error(`aivm: ${error.message}`);
    throw error;
  }

  /** Writes the anchor and next multiplier into the block's state, then seals. */
  override async build(sealOpts?: Parameters<BlockBuilder["build"]>[0]): ReturnType<BlockBuilder["build"]> {
    const self = this.internals;
    self.checkStatus();
    this.anchor = await this.runtime.endBlock(self.vm, this.number);
    if (this.anchorInExtraData) self.headerData.extraData = hexToBytes(this.anchor.anchorRoot);
    const transactions = self.transactions;
    const keccak = self.vm.common.customCrypto.keccak256;
    this.roots = {
      transactions: orderedTrieRoot(
        transactions.map((tx) => tx.serialize()),
        keccak,
      ),
      receipts: orderedTrieRoot(
        self.transactionResults.map((result, i) => encodeReceipt(result.receipt, transactions[i]!.type)),
        keccak,
      ),
    };
    // Upstream seals with createBlock({ transactions }), which re-creates every transaction from its
    // fields (a Common copy and params merge each). Seal an empty body, then attach ours.
    self.transactions = [];
    let built: Awaited<ReturnType<BlockBuilder["build"]>>;
    try {
      built = await super.build(sealOpts);
    } finally {
      self.transactions = transactions;
      this.roots = undefined;
    }
    const block = new Block(built.block.header, transactions, [], built.block.withdrawals, self.blockOpts);
    return { ...built, block };
  }

  override async transactionsTrie(): Promise<Uint8Array> {
    return this.roots?.transactions ?? super.transactionsTrie();
  }

  override async receiptTrie(): Promise<Uint8Array> {
    return this.roots?.receipts ?? super.receiptTrie();
  }
}

export interface AivmBuildBlockOpts extends BuildBlockOpts {
  /** Seal the block's AIVM anchor root as its extraData (engine mode: a validator names an anchor mismatch). */
  anchorInExtraData?: boolean;
}

/**
 * Starts a block on `vm`: like upstream `buildBlock`, plus `runtime.startBlock` (which reads the
 * multiplier in force from state and writes the block's VRF) and, at an epoch boundary, the
 * scheduler's system call.
 */
export async function buildAivmBlock(vm: VM, runtime: AivmRuntime, opts: AivmBuildBlockOpts): Promise<AivmBlockBuilder> {
  const builder = new AivmBlockBuilder(vm, opts, runtime);
  await builder.initState();
  const internals = builder as unknown as BuilderInternals;
  const header = internals.headerData;
  // startBlock writes state (the VRF record): inside the block's checkpoint, so revert() undoes it.
  // From Prague on, initState has opened it already (EIP-4788/2935 system writes).
  if (!internals.checkpointed) {
    await vm.evm.journal.checkpoint();
    internals.checkpointed = true;
  }
  await runtime.startBlock(vm, BigInt(header.number), BigInt((header.timestamp as bigint | undefined) ?? 0n), toBytes(header.parentHash!));
  await builder.runEpochSystemCalls();
  return builder;
}
