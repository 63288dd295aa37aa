// eth_call, eth_estimateGas, eth_createAccessList, eth_getProof and the pending state, run on the
// dev node's call VM: a VM of its own over the same trie (call-state.ts), pinned to the state a
// request names, under the RPC gas cap and deadline. Every method runs inside the node's queue;
// the node (CallHost) supplies the chain: its head, blocks, pool, the pending header and signing.
import type { Block } from "@ethereumjs/block";
import { getMerkleStateProof, type MerkleStateManager, type Proof } from "@ethereumjs/statemanager";
import type { TypedTransaction } from "@ethereumjs/tx";
import { bytesToHex, createAddressFromString, setLengthLeft } from "@ethereumjs/util";
import { encodeReceipt, runTx, type RunTxResult, type VM } from "@ethereumjs/vm";
import { orderedTrieRoot } from "../evm/trie-root.ts";
import type { CallStateManager } from "../evm/call-state.ts";
import { withCallWatch, type CallWatch } from "../evm/call-deadline.ts";
import type { AivmTxTrace } from "../commit/trace.ts";
import { fromHexChecked, toHex } from "../commit/hex.ts";
import { CallGasCapError, CallTimeoutError, ExecutionFailedError, ExecutionRevertedError, NodeError, TransactionRejectedError } from "./node-errors.ts";
import { applyOverrides, type AccountOverride } from "./state-edits.ts";
import type { PooledTx } from "./pool.ts";
import type { AivmRuntime } from "./types.ts";
import type { BlockRef, CallRequest, CallResult } from "./node.ts";

type Hex = `0x${string}`;
const ZERO_TRACE_ROOT = `0x${"00".repeat(32)}` as Hex;

/** What the call executor needs from the node. */
export interface CallHost {
  readonly runtime: AivmRuntime | null;
  readonly blocks: readonly Block[];
  readonly head: Block;
  readonly headNumber: bigint;
  readonly blockGasLimit: bigint;
  /** Bumped by every change of the head state. */
  readonly stateVersion: number;
  headStateRoot(): Promise<Uint8Array>;
  /** Records the head state's root for the reads that skip the queue. */
  noteHeadRoot(root: Uint8Array): void;
  nextBaseFee(): bigint;
  /** The next block's header (number, time, coinbase, gas limit, PREVRANDAO) with this base fee. */
  pendingHeaderBlock(baseFeePerGas: bigint): Block;
  /** A transaction for the request, signed with the dev key of `from` or marked as sent by it. */
  buildTx(request: CallRequest & { nonce: bigint; gas: bigint }, from: Hex): TypedTransaction;
  /** The pool, in block order. */
  pendingTxs(): readonly PooledTx[];
}

/** The pool run on the call state (withPendingPool): what ran, in order, with its receipts' encodings. */
interface PendingExecution {
  included: PooledTx[];
  receipts: Uint8Array[];
  gasUsed: bigint;
  bloom: Uint8Array;
}

/** The pending block's contents (eth_getBlockByNumber("pending")). */
export interface PendingBlock {
  transactions: PooledTx[];
  gasUsed: bigint;
  logsBloom: Hex;
  transactionsRoot: Hex;
  receiptsRoot: Hex;
}

export class CallExecutor {
  /** How many eth_calls took the direct path (diagnostics; tests check it is used). */
  readonly stats = { direct: 0 };
  /** Which state the call VM is pinned to: `head:<stateVersion>` or `block:<n>`. */
  private callStateKey: string | undefined;
  /** The deadline of the call-VM run in progress. */
  private callWatch: CallWatch | undefined;

  constructor(
    private readonly host: CallHost,
    readonly callVm: VM,
    readonly callState: CallStateManager,
    /** undefined: the block gas limit; 0n: no cap. */
    private readonly rpcGasCap: bigint | undefined,
    readonly rpcEvmTimeoutMs: number,
  ) {}

  /**
   * eth_call: runs the request on the current (or a past) state and discards every effect.
   * `exactGas` (aivm_quote) runs it as a whole transaction so `gasUsed` is what a transaction would
   * be charged; otherwise a plain unpriced call takes the direct path (directCall), whose
   * `gasUsed` is intrinsic plus execution gas, before refunds.
   */
  async call(request: CallRequest, ref: BlockRef, opts: { exactGas?: boolean; overrides?: Map<Hex, AccountOverride> } = {}): Promise<CallResult> {
    await this.pin(ref);
    const { gasLimit, capped } = this.callGasLimit(request.gas);
    const pending = ref === "pending" && this.host.pendingTxs().length > 0;
    const direct = !pending && !opts.exactGas && request.to && !request.accessList?.length && !request.authorizationList && !isPriced(request);
    const run = () =>
      this.bounded(capped, () => {
        if (!direct) return this.simulate(request, gasLimit);
        this.stats.direct++;
        return this.directCall(request as CallRequest & { to: Hex }, gasLimit);
      });
    return this.onPendingState(ref, () => this.withOverrides(opts.overrides, run));
  }

  /** Runs `run` on the pending state: the call state after the pool's transactions when `ref` is pending (else as it is). Inside the queue, after pin. */
  private async onPendingState<T>(ref: BlockRef, run: () => Promise<T>): Promise<T> {
    return ref === "pending" && this.host.pendingTxs().length > 0 ? this.withPendingPool(run) : run();
  }

  /**
   * Runs the pool's transactions on the call state, in block order, as the next block would (one
   * that cannot run is left out, as mining drops it), then `run`, then reverts it all. Inside the
   * queue, after pin.
   */
  private async withPendingPool<T>(run: (pending: PendingExecution) => Promise<T>): Promise<T> {
    await this.callState.checkpoint();
    try {
      const block = this.host.pendingHeaderBlock(this.host.nextBaseFee());
      const pending: PendingExecution = { included: [], receipts: [], gasUsed: 0n, bloom: new Uint8Array(256) };
      for (const pooled of this.host.pendingTxs()) {
        if (pending.gasUsed + pooled.tx.gasLimit > this.host.blockGasLimit) continue;
        await this.host.runtime?.prepareCall?.(this.callState, this.host.headNumber + 1n, this.host.head.hash());
        this.host.runtime?.startTx(this.callVm.evm);
        try {
          const result = await runTx(this.callVm, { tx: pooled.tx, block, blockGasUsed: pending.gasUsed, skipBlockGasLimitValidation: true, skipHardForkValidation: true });
          pending.gasUsed += result.totalGasSpent;
          pending.included.push(pooled);
          pending.receipts.push(encodeReceipt(result.receipt, pooled.tx.type));
          const bits = result.bloom.bitvector;
          for (let i = 0; i < 256; i++) pending.bloom[i]! |= bits[i]!;
        } catch {
          // Left out of the pending block, as mining would drop it.
        } finally {
          this.host.runtime?.endTx(undefined, true);
        }
      }
      return await run(pending);
    } finally {
      await this.callState.revert();
      this.callState.originalStorageCache.clear();
    }
  }

  /** The pending block's contents: the pool's transactions that run, their gas, bloom and roots (eth_getBlockByNumber("pending")). */
  async pendingBlock(): Promise<PendingBlock> {
    await this.pin("pending");
    return this.withPendingPool(async (pending) => ({
      transactions: pending.included,
      gasUsed: pending.gasUsed,
      logsBloom: bytesToHex(pending.bloom) as Hex,
      transactionsRoot: bytesToHex(orderedTrieRoot(pending.included.map((p) => p.tx.serialize()))) as Hex,
      receiptsRoot: bytesToHex(orderedTrieRoot(pending.receipts)) as Hex,
    }));
  }

  /** Runs `run` with eth_call state overrides in a checkpoint it reverts. Inside the queue, after pin. */
  private async withOverrides<T>(overrides: Map<Hex, AccountOverride> | undefined, run: () => Promise<T>): Promise<T> {
    if (!overrides?.size) return run();
    await this.callState.checkpoint();
    try {
      await applyOverrides(this.callState, overrides);
      return await run();
    } finally {
      await this.callState.revert();
      this.callState.originalStorageCache.clear();
    }
  }

  /** The gas cap of calls and estimates (rpcGasCap, else the block gas limit); 0n: none. */
  get gasCap(): bigint {
    return this.rpcGasCap ?? this.host.blockGasLimit;
  }

  /** A call's gas limit: what it asked for, at most the cap. `capped`: the cap is the binding limit. */
  private callGasLimit(requested: bigint | undefined): { gasLimit: bigint; capped: boolean } {
    const cap = this.gasCap;
    if (cap === 0n) return { gasLimit: requested ?? this.host.blockGasLimit, capped: false };
    if (requested === undefined || requested >= cap) return { gasLimit: cap, capped: true };
    return { gasLimit: requested, capped: false };
  }

  /**
   * Runs call-VM work under the RPC deadline (the interpreter polls it, call-deadline.ts) so it
   * holds the queue for at most rpcEvmTimeoutMs, and names the limit that stopped it: the deadline,
   * or running out of gas at the gas cap. Inside the queue.
   */
  private async bounded<T>(capped: boolean, run: () => Promise<T>): Promise<T> {
    try {
      return await withCallWatch(
        this.callVm.evm,
        this.rpcEvmTimeoutMs,
        (watch) => {
          this.callWatch = watch;
          return run();
        },
        () => new CallTimeoutError(this.rpcEvmTimeoutMs),
      );
    } catch (error) {
      if (capped && error instanceof ExecutionFailedError && error.reason === OUT_OF_GAS) throw new CallGasCapError(this.gasCap);
      throw error;
    } finally {
      this.callWatch = undefined;
    }
  }


  /**
   * A call run straight on the EVM, with what runTx would set up for the same transaction: the
   * intrinsic gas taken off the limit, the sender's nonce bumped, origin, the EIP-2929 warm set
   * (sender, target, precompiles, coinbase) and the pending block. It skips building and signing
   * a transaction, fee accounting and the receipt: half the cost of a small call.
   * test/chain/direct-call.test.ts checks it against simulate(). Inside the queue, after pin.
   */
  private async directCall(request: CallRequest & { to: Hex }, gasLimit: bigint): Promise<CallResult> {
    const data = fromHexChecked(request.data ?? "0x", "Call data");
    const intrinsic = intrinsicGasOfCall(data);
    // Too little gas for the transaction itself: let runTx give its usual error.
    if (gasLimit < intrinsic) return this.simulate(request, gasLimit);
    const caller = createAddressFromString(request.from ?? "0x0000000000000000000000000000000000000000");
    const balance = (await this.callState.getAccount(caller))?.balance ?? 0n;
    if (balance < (request.value ?? 0n)) throw new TransactionRejectedError(`Insufficient funds: ${caller} cannot send ${request.value} wei.`);
    const evm = this.callVm.evm;
    const block = this.host.pendingHeaderBlock(0n);
    await evm.journal.cleanup();
    await evm.journal.checkpoint();
    await this.host.runtime?.prepareCall?.(this.callState, this.host.headNumber + 1n, this.host.head.hash());
    // Unprefixed, as the journal keys them (a 0x prefix costs it a regex test per address).
    for (const address of evm.precompiles.keys()) evm.journal.addAlwaysWarmAddress(address);
    evm.journal.addAlwaysWarmAddress(caller.toString().slice(2));
    evm.journal.addAlwaysWarmAddress(request.to.slice(2).toLowerCase());
    evm.journal.addAlwaysWarmAddress(block.header.coinbase.toString().slice(2));
    this.host.runtime?.startTx(evm);
    let result: Awaited<ReturnType<typeof evm.runCall>>;
    let trace: AivmTxTrace;
    let fault: Error | undefined;
    try {
      result = await evm.runCall({
        block,
        gasPrice: 0n,
        caller,
        origin: caller,
        to: createAddressFromString(request.to),
        value: request.value ?? 0n,
        data,
        gasLimit: gasLimit - intrinsic,
        skipBalance: true,
      });
    } catch (error) {
      throw new TransactionRejectedError(errorMessage(error));
    } finally {
      fault = this.host.runtime?.txFault?.();
      trace = this.host.runtime?.endTx(undefined, true) ?? { receipts: [], traceRoot: ZERO_TRACE_ROOT };
      await evm.journal.revert();
      evm.journal.cleanJournal();
      this.callState.originalStorageCache.clear();
    }
    if (fault !== undefined) throw callFault(fault);
    return callOutcome(result.execResult, intrinsic + result.execResult.executionGasUsed, trace);
  }

  /** eth_getProof (EIP-1186): the account and storage proofs at a block, against its state root. */
  async getProof(address: Hex, slots: Uint8Array[], ref: BlockRef): Promise<Proof> {
    await this.pin(ref);
    return getMerkleStateProof(this.callState, createAddressFromString(address), slots.map((s) => setLengthLeft(s, 32)));
  }

  /** Reads the pending state (the head's after the pool's transactions). */
  async readPending<T>(read: (sm: MerkleStateManager) => Promise<T>): Promise<T> {
    await this.pin("pending");
    return this.withPendingPool(() => read(this.callState));
  }

  /**
   * eth_createAccessList: the addresses and slots the request touches (EthereumJS's journal; the
   * sender, target, precompiles and coinbase are warm anyway and left out unless their slots are
   * read), and the gas it uses with that list.
   */
  async createAccessList(request: CallRequest, ref: BlockRef): Promise<{ accessList: { address: Hex; storageKeys: Hex[] }[]; gasUsed: bigint }> {
    await this.pin(ref);
    const { gasLimit, capped } = this.callGasLimit(request.gas);
    return this.bounded(capped, async () => {
      const report = { accessList: [] as { address: Hex; storageKeys: Hex[] }[] };
      await this.simulate(request, gasLimit, report);
      const withList = await this.simulate({ ...request, accessList: report.accessList }, gasLimit);
      return { accessList: report.accessList, gasUsed: withList.gasUsed };
    });
  }

  /** eth_estimateGas: the smallest gas limit (within 1/64) at which the request succeeds. */
  async estimateGas(request: CallRequest, ref: BlockRef, overrides?: Map<Hex, AccountOverride>): Promise<bigint> {
    await this.pin(ref);
    const { gasLimit, capped } = this.callGasLimit(request.gas);
    return this.onPendingState(ref, () => this.withOverrides(overrides, () => this.bounded(capped, () => this.estimateUnqueued(request, gasLimit))));
  }

  private async estimateUnqueued(request: CallRequest, cap: bigint): Promise<bigint> {
    const first = await this.simulate(request, cap);
    // Refunds and the 63/64 rule mean the limit needed can exceed the gas finally used.
    let lo = first.gasUsed - 1n;
    let hi = cap;
    const succeeds = async (gas: bigint) => {
      try {
        await this.simulate(request, gas);
        return true;
      } catch (error) {
        // Past the deadline every run fails at once: stop searching.
        if (this.callWatch?.expired) throw error;
        if (error instanceof ExecutionRevertedError || error instanceof ExecutionFailedError) return false;
        throw error;
      }
    };
    if (await succeeds(first.gasUsed)) return first.gasUsed;
    lo = first.gasUsed;
    const guess = (first.gasUsed * 65n) / 64n + 5_000n;
    if (guess < hi && (await succeeds(guess))) hi = guess;
    else lo = guess < hi ? guess : lo;
    while (hi - lo > 1n + hi / 1000n) {
      const mid = (lo + hi) / 2n;
      if (await succeeds(mid)) hi = mid;
      else lo = mid;
    }
    return hi;
  }

  /** Points the call VM at the state of `ref` (a no-op when it is already there). Inside the queue. */
  async pin(ref: BlockRef): Promise<void> {
    const atHead = ref === "latest" || ref === "pending" || ref === this.host.headNumber;
    if (!atHead && (ref < 0n || this.host.blocks[Number(ref)] === undefined)) throw new NodeError(`Block ${ref} does not exist (head is ${this.host.headNumber}).`);
    const key = atHead ? `head:${this.host.stateVersion}` : `block:${ref}`;
    if (key === this.callStateKey) return;
    const root = atHead ? await this.host.headStateRoot() : this.host.blocks[Number(ref)]!.header.stateRoot;
    if (atHead) this.host.noteHeadRoot(root);
    await this.callState.setStateRoot(root);
    this.callStateKey = key;
  }

  /** Runs a transaction-shaped request on the call VM, on a checkpoint it reverts. Inside the queue, after pin. */
  private async simulate(request: CallRequest, gasLimit: bigint, report: { accessList?: { address: Hex; storageKeys: Hex[] }[] } = {}): Promise<CallResult> {
    const from = (request.from ?? "0x0000000000000000000000000000000000000000").toLowerCase() as Hex;
    const priced = request.gasPrice !== undefined || request.maxFeePerGas !== undefined;
    const baseFee = priced ? this.host.nextBaseFee() : 0n;
    const nonce = (await this.callState.getAccount(createAddressFromString(from)))?.nonce ?? 0n;
    let tx: TypedTransaction;
    try {
      tx = this.host.buildTx({ ...request, gas: gasLimit, nonce, maxFeePerGas: request.maxFeePerGas ?? request.gasPrice ?? baseFee, maxPriorityFeePerGas: request.maxPriorityFeePerGas ?? 0n }, from);
    } catch (error) {
      // A request no transaction could carry (e.g. a gas limit past the protocol's maximum) is the caller's error.
      throw new TransactionRejectedError(errorMessage(error));
    }
    const block = this.host.pendingHeaderBlock(baseFee);
    const balance = (await this.callState.getAccount(createAddressFromString(from)))?.balance ?? 0n;
    if (balance < (request.value ?? 0n)) throw new TransactionRejectedError(`Insufficient funds: ${from} cannot send ${request.value} wei.`);
    await this.callState.checkpoint();
    await this.host.runtime?.prepareCall?.(this.callState, this.host.headNumber + 1n, this.host.head.hash());
    this.host.runtime?.startTx(this.callVm.evm);
    let result: RunTxResult;
    let trace: AivmTxTrace;
    let fault: Error | undefined;
    try {
      result = await runTx(this.callVm, {
        tx,
        block,
        skipBalance: true,
        skipNonce: true,
        skipBlockGasLimitValidation: true,
        skipHardForkValidation: true,
        reportAccessList: report.accessList !== undefined,
      });
      report.accessList?.push(...((result.accessList ?? []) as { address: Hex; storageKeys: Hex[] }[]));
    } catch (error) {
      throw new TransactionRejectedError(errorMessage(error));
    } finally {
      fault = this.host.runtime?.txFault?.();
      trace = this.host.runtime?.endTx(undefined, true) ?? { receipts: [], traceRoot: ZERO_TRACE_ROOT };
      await this.callState.revert();
    }
    if (fault !== undefined) throw callFault(fault);
    return callOutcome(result.execResult, result.totalGasSpent, trace);
  }
}

/** A finished call as eth_call reports it: its return data, or the revert / EVM failure as an error. */
function callOutcome(exec: { returnValue: Uint8Array; exceptionError?: { error: string } }, gasUsed: bigint, trace: AivmTxTrace): CallResult {
  const returnData = toHex(exec.returnValue);
  const failure = exec.exceptionError;
  if (failure) {
    if (failure.error === "revert") throw new ExecutionRevertedError(returnData);
    throw new ExecutionFailedError(String(failure.error));
  }
  return { returnData, gasUsed, trace };
}

/** A call that hit a node fault: logged, and answered as an internal error (it is not an outcome of the call). */
function callFault(fault: Error): Error {
  console.error(`aivm: a call hit a node fault: ${fault.message}`);
  return fault;
}

/** EVMError's message for an out-of-gas halt (what ExecutionFailedError.reason holds). */
const OUT_OF_GAS = "out of gas";

/** A request that names a gas price (then fees and the base-fee check apply, as in a transaction). */
function isPriced(request: CallRequest): boolean {
  return request.gasPrice !== undefined || request.maxFeePerGas !== undefined || request.maxPriorityFeePerGas !== undefined;
}

/** runTx's intrinsic gas of a call without an access list: 21000 plus 4 per zero and 16 per other calldata byte. */
export function intrinsicGasOfCall(data: Uint8Array): bigint {
  return BigInt(21_000 + 16 * data.length - 12 * zeroBytes(data));
}

/** How many bytes of `data` are zero; four at a time where the array is 4-byte aligned. */
function zeroBytes(data: Uint8Array): number {
  let zeros = 0;
  let i = 0;
  // A short array stays byte by byte: reading `.buffer` of one under 64 bytes moves it off the JS heap first.
  if (data.length < 64) {
    for (; i < data.length; i++) if (data[i] === 0) zeros++;
    return zeros;
  }
  const head = Math.min(data.length, (4 - (data.byteOffset & 3)) & 3);
  for (; i < head; i++) if (data[i] === 0) zeros++;
  const words = new Uint32Array(data.buffer, data.byteOffset + i, (data.length - i) >>> 2);
  for (let w = 0; w < words.length; w++) {
    const x = words[w]!;
    // Bit 7 of each byte of `y` is set exactly when that byte of x is zero ((b & 0x7f) + 0x7f never carries out of its byte).
    const y = ~(((x & 0x7f7f7f7f) + 0x7f7f7f7f) | x | 0x7f7f7f7f);
    zeros += Math.imul((y >>> 7) & 0x01010101, 0x01010101) >>> 24;
  }
  for (i += words.length * 4; i < data.length; i++) if (data[i] === 0) zeros++;
  return zeros;
}

/** An error's message without the block/tx dump EthereumJS appends after " -> ". */
export function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split(" -> ")[0]!.trim();
}
