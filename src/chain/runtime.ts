// The AIVM runtime: one per chain. Owns the per-transaction tensor scratch memory and trace, learns
// each precompile call's caller and static flag from the EVM's message events, journals scratch and
// receipts with the call frames, proves and writes the block's VRF at its start, and writes the block
// anchor and next multiplier at the end of a block.
import { Address, bytesToBigInt, bigIntToBytes, hexToBytes, setLengthLeft } from "@ethereumjs/util";
import type { VM } from "@ethereumjs/vm";
import type { EVMInterface, EVMResult, Message, PrecompileFunc } from "@ethereumjs/evm";
import type { StateManagerInterface } from "@ethereumjs/common";
import { keccak256One } from "../commit/keccak.ts";
import { equalBytes } from "../commit/hash.ts";
import { concatBytes } from "@noble/hashes/utils.js";
import type { AivmOpReceipt } from "../commit/receipt.ts";
import type { AivmBlockAnchor, AivmTxTrace } from "../commit/trace.ts";
import type { AivmRuntime, GenesisAccount } from "./types.ts";
import type { ScratchCheckpoint } from "../../precompiles/memory.ts";
import { TxContext, type PrecompileCallFrame } from "../../precompiles/tx-context.ts";
import { BLOCK_ANCHOR_ADDRESS, CONGESTION_ADDRESS, aivmGenesisAccounts } from "./genesis.ts";
import { devVrfSecretKey, proveBlockVrf, vrfPublicKeyOf, writeBlockVrf, type BlockVrf } from "./block-randomness.ts";
import { createAivmPrecompiles, isAivmPrecompile } from "../../precompiles/index.ts";
import { receiptLeafOf, type ReceiptInput } from "../../precompiles/commit.ts";
import { anchorRoot, traceRoot } from "../commit/trace.ts";
import { MULTIPLIER_ONE, initialMultiplier, nextMultiplier } from "../../precompiles/gas.ts";

interface Frame extends PrecompileCallFrame {
  to: Address | undefined;
  scratch: ScratchCheckpoint;
  receipts: number;
  /** The transaction's AIVM precompile call count before this frame. */
  aivmCalls: number;
}

export interface AivmRuntimeOptions {
  /** Per-transaction tensor memory budget; 512 MiB by default (tests lower it to exercise the cap). */
  txMemoryLimitBytes?: number;
  /** The block producer's 32-byte VRF secret key; the dev key of the default mnemonic by default (docs/vrf.md). */
  vrfSecretKey?: Uint8Array;
  /** How many sealed blocks' records `blocks` keeps (default RECENT_BLOCKS). */
  recentBlocks?: number;
  /**
   * TEST ONLY (`aivm node --inject-fault`, docs/verify.md): every receipt of this opcode ("TCUSTOM", …)
   * records its first output commit with the lowest bit flipped, as a node returning a wrong result
   * would. What `aivm verify` must catch. Undefined (always, outside tests): no effect.
   */
  injectFault?: string;
}

/** Sealed blocks whose AIVM records the runtime keeps for proofs; older ones live in the node's store. */
export const RECENT_BLOCKS = 256;

/** A sealed block's AIVM record: its anchor plus every transaction's trace, for proofs. */
export interface AivmBlockRecord {
  anchor: AivmBlockAnchor;
  leaves: `0x${string}`[];
  traces: { txHash: `0x${string}` | undefined; trace: AivmTxTrace }[];
}

// BlockAnchor storage: slot 0 latestBlock; slot 1 mapping(uint256 => {root, receiptCount, flops}).
function anchorSlots(blockNumber: bigint): [Uint8Array, Uint8Array, Uint8Array] {
  const base = bytesToBigInt(keccak256One(concatBytes(setLengthLeft(bigIntToBytes(blockNumber), 32), setLengthLeft(Uint8Array.of(1), 32))));
  const slot = (i: bigint) => setLengthLeft(bigIntToBytes((base + i) % 2n ** 256n), 32);
  return [slot(0n), slot(1n), slot(2n)];
}
const slotN = (n: number) => setLengthLeft(Uint8Array.of(n), 32);
const word = (v: bigint) => setLengthLeft(bigIntToBytes(v), 32);

/** Whether a message goes to BlockRandomness (0x…A113). */
function isBlockRandomness(to: Address | undefined): boolean {
  if (to === undefined) return false;
  const b = to.bytes;
  if (b[18] !== 0xa1 || b[19] !== 0x13) return false;
  for (let i = 0; i < 18; i++) if (b[i] !== 0) return false;
  return true;
}

/** Whether a message goes to an AIVM precompile; a byte check first, as this runs for every message. */
function isAivmTarget(to: Address | undefined): boolean {
  if (to === undefined) return false;
  const b = to.bytes;
  if (b[18] !== 0xa1) return false;
  for (let i = 0; i < 18; i++) if (b[i] !== 0) return false;
  return isAivmPrecompile(to.toString());
}

export class AivmRuntimeImpl implements AivmRuntime {
  readonly customPrecompiles: { address: string; function: PrecompileFunc }[];
  private readonly txMemoryLimitBytes: number | undefined;
  private frames: Frame[] = [];
  private tx: TxContext | undefined;
  private blockLeaves: `0x${string}`[] = [];
  private blockTraces: AivmBlockRecord["traces"] = [];
  private blockFlops = 0n;
  private blockNumber = 0n;
  /** Multiplier in force (fixed point, MULTIPLIER_ONE = 1.0). */
  multiplier: bigint = initialMultiplier();
  /** The last `recentBlocks` sealed blocks' records, oldest first (the node keeps its own, for every block). */
  readonly blocks = new Map<bigint, AivmBlockRecord>();
  private readonly recentBlocks: number;
  private readonly injectFault: string | undefined;
  private readonly vrfSecretKey: Uint8Array;
  /** The producer's VRF public key (BlockRandomness.publicKey()). */
  readonly vrfPublicKey: Uint8Array;
  /** The current block's VRF output beta (64 bytes), set at block start: what its seed handles derive from. */
  blockVrfOutput: Uint8Array = new Uint8Array(64);
  /** The current block's VRF evaluation (undefined before the first block). */
  blockVrf: BlockVrf | undefined;
  /** The pending block's VRF output, for eth_call and eth_estimateGas (set by prepareCall). */
  private callVrfOutput: Uint8Array = new Uint8Array(64);
  /** Between startBlock and endBlock: transactions use blockVrfOutput, calls callVrfOutput. */
  private inBlock = false;
  /** Set by prepareCall until the call ends: the pending block's record, written when the call first messages BlockRandomness. */
  private pendingRecord: { state: StateManagerInterface; vrf: BlockVrf } | undefined;
  /** The last proof made: calls on the pending block and then its mining share one (a proof costs milliseconds). */
  private lastVrf: { parentHash: Uint8Array; blockNumber: bigint; vrf: BlockVrf } | undefined;

  constructor(options: AivmRuntimeOptions = {}) {
    this.txMemoryLimitBytes = options.txMemoryLimitBytes;
    this.recentBlocks = Math.max(1, options.recentBlocks ?? RECENT_BLOCKS);
    this.injectFault = options.injectFault;
    this.vrfSecretKey = Uint8Array.from(options.vrfSecretKey ?? devVrfSecretKey());
    this.vrfPublicKey = vrfPublicKeyOf(this.vrfSecretKey);
    this.customPrecompiles = createAivmPrecompiles(this);
  }

  genesisAccounts(): GenesisAccount[] {
    return aivmGenesisAccounts(this.vrfPublicKey);
  }

  /** Block `blockNumber`'s VRF over `parentHash`, with this runtime's key (memoised for the last input; every call asks). */
  blockVrfFor(parentHash: Uint8Array, blockNumber: bigint): BlockVrf {
    const last = this.lastVrf;
    if (last !== undefined && last.blockNumber === blockNumber && equalBytes(last.parentHash, parentHash)) return last.vrf;
    const vrf = proveBlockVrf(this.vrfSecretKey, parentHash, blockNumber);
    this.lastVrf = { parentHash: parentHash.slice(), blockNumber, vrf };
    return vrf;
  }

  attach(vm: VM): void {
    this.attachEvm(vm.evm);
  }

  /** Subscribes to an EVM's message events (also used for standalone EVMs in tools). */
  attachEvm(evm: EVMInterface): void {
    const events = evm.events!;
    // One-argument listeners: the EVM calls them synchronously, in message order.
    events.on("beforeMessage", (message: Message) => this.onBeforeMessage(message));
    events.on("afterMessage", (result: EVMResult) => this.onAfterMessage(result.execResult.exceptionError !== undefined));
    // Two arguments: the EVM waits for `resolve` before running the message, so the record is in place.
    events.on("beforeMessage", (message: Message, resolve?: (result?: unknown) => void) => {
      const pending = this.pendingRecord;
      if (pending === undefined || pending.state !== evm.stateManager || !isBlockRandomness(message.to)) return resolve?.();
      writeBlockVrf(pending.state, pending.vrf).then(
        () => resolve?.(),
        (error: unknown) => {
          // The call then reads no record (VrfNotAvailable); it must not hang.
          console.error(`aivm: writing the pending block's VRF record for a call failed: ${error instanceof Error ? error.message : String(error)}`);
          resolve?.();
        },
      );
    });
  }

  private onBeforeMessage(message: Message): void {
    if (message.depth === 0) {
      // A fresh frame stack (a previous run may have thrown mid-way), and a fresh context if this is a
      // second top-level message without startTx in between (e.g. runBlock replaying transactions).
      this.frames = [];
      if (this.tx?.started) this.tx = undefined;
      this.currentTx().started = true;
    }
    const tx = this.currentTx();
    const aivmCalls = tx.aivmCalls;
    // A call to an AIVM precompile takes the next call index; a failed one gives it back (onAfterMessage).
    if (isAivmTarget(message.to)) tx.aivmCalls++;
    this.frames.push({
      caller: message.caller,
      to: message.to,
      isStatic: message.isStatic,
      depth: message.depth,
      callIndex: aivmCalls,
      scratch: tx.scratch.checkpoint(),
      receipts: tx.receipts.length,
      aivmCalls,
    });
  }

  private onAfterMessage(failed: boolean): void {
    const frame = this.frames.pop();
    if (!frame || !failed || !this.tx) return;
    // A reverted frame takes its scratch slots and receipts with it, like the state journal.
    this.tx.scratch.rollback(frame.scratch);
    this.tx.receipts.length = frame.receipts;
    this.tx.aivmCalls = frame.aivmCalls;
  }

  /** The frame of the precompile call being executed (the top of the stack). */
  currentFrame(): PrecompileCallFrame {
    const top = this.frames[this.frames.length - 1];
    if (top === undefined) return { caller: new Address(new Uint8Array(20)), isStatic: false, depth: 0, callIndex: 0 };
    return top;
  }

  currentTx(): TxContext {
    if (!this.tx) this.tx = this.newTx(undefined);
    return this.tx;
  }

  private newTx(txHash: Uint8Array | undefined): TxContext {
    return new TxContext(this.txMemoryLimitBytes, txHash, this.inBlock ? this.blockVrfOutput : this.callVrfOutput);
  }

  /** Appends a receipt to the current transaction's trace and returns it. */
  recordReceipt(input: ReceiptInput): AivmOpReceipt {
    const tx = this.currentTx();
    const receipt = receiptLeafOf(tx.receipts.length, input.opcode === this.injectFault ? flipFirstOutputBit(input) : input);
    tx.receipts.push(receipt);
    return receipt;
  }

  traceRoot(): { root: `0x${string}`; count: number } {
    const receipts = this.currentTx().receipts;
    return { root: traceRoot(receipts), count: receipts.length };
  }

  async startBlock(vm: VM, blockNumber: bigint, _timestamp: bigint, parentHash: Uint8Array = new Uint8Array(32)): Promise<void> {
    this.blockNumber = blockNumber;
    this.blockLeaves = [];
    this.blockTraces = [];
    this.blockFlops = 0n;
    const stored = bytesToBigInt(await vm.stateManager.getStorage(new Address(hexToBytes(CONGESTION_ADDRESS)), slotN(0)));
    this.multiplier = stored === 0n ? initialMultiplier() : stored;
    // Proved and written before any transaction, so the block's own transactions can use it.
    const vrf = this.blockVrfFor(parentHash, blockNumber);
    await writeBlockVrf(vm.stateManager, vrf);
    this.blockVrf = vrf;
    this.blockVrfOutput = vrf.beta;
    this.inBlock = true;
    this.pendingRecord = undefined;
  }

  /**
   * Before an eth_call or eth_estimateGas, inside the call's checkpoint: makes the pending block's VRF
   * output the one seed handles use, and has its record written into the call's state on each
   * message to BlockRandomness (only its own messages read that storage), so contracts read it as a
   * transaction would. Writing it up front cost every call ~40 % on a trivial view (bench/vrf.ts).
   */
  async prepareCall(state: StateManagerInterface, blockNumber: bigint, parentHash: Uint8Array): Promise<void> {
    const vrf = this.blockVrfFor(parentHash, blockNumber);
    this.pendingRecord = { state, vrf };
    this.callVrfOutput = vrf.beta;
    // A block whose building failed never reached endBlock.
    this.inBlock = false;
  }

  startTx(_evm?: EVMInterface, txHash?: Uint8Array): void {
    this.tx = this.newTx(txHash);
    this.frames = [];
  }

  /** The node fault the current transaction or call hit, if any (read it before endTx). */
  txFault(): Error | undefined {
    return this.tx?.fault;
  }

  endTx(txHash: `0x${string}` | undefined, discard: boolean): AivmTxTrace {
    this.pendingRecord = undefined;
    const receipts = this.tx?.receipts ?? [];
    const trace: AivmTxTrace = discard ? lazyTrace(receipts) : { receipts, traceRoot: traceRoot(receipts) };
    this.tx = undefined;
    this.frames = [];
    if (!discard) {
      for (const r of receipts) {
        this.blockLeaves.push(r.leaf);
        this.blockFlops += r.flops;
      }
      this.blockTraces.push({ txHash, trace });
    }
    return trace;
  }

  async endBlock(vm: VM, blockNumber: bigint): Promise<AivmBlockAnchor> {
    const anchor: AivmBlockAnchor = {
      blockNumber,
      anchorRoot: anchorRoot(this.blockLeaves),
      receiptCount: this.blockLeaves.length,
      flops: this.blockFlops,
      multiplier: this.multiplier,
    };
    const state = vm.stateManager;
    const anchorAddr = new Address(hexToBytes(BLOCK_ANCHOR_ADDRESS));
    const [rootSlot, countSlot, flopsSlot] = anchorSlots(blockNumber);
    await state.putStorage(anchorAddr, slotN(0), word(blockNumber));
    await state.putStorage(anchorAddr, rootSlot, hexToBytes(anchor.anchorRoot));
    await state.putStorage(anchorAddr, countSlot, word(BigInt(anchor.receiptCount)));
    await state.putStorage(anchorAddr, flopsSlot, word(anchor.flops));
    const next = nextMultiplier(this.multiplier, this.blockFlops);
    const congestion = new Address(hexToBytes(CONGESTION_ADDRESS));
    await state.putStorage(congestion, slotN(0), word(next));
    await state.putStorage(congestion, slotN(1), word(MULTIPLIER_ONE));
    await state.putStorage(congestion, slotN(2), word(blockNumber));
    // Re-inserted at the end (a block number mined again after evm_revert is the newest), oldest dropped.
    this.blocks.delete(blockNumber);
    this.blocks.set(blockNumber, { anchor, leaves: this.blockLeaves, traces: this.blockTraces });
    for (const old of this.blocks.keys()) {
      if (this.blocks.size <= this.recentBlocks) break;
      this.blocks.delete(old);
    }
    this.multiplier = next;
    this.inBlock = false;
    this.blockLeaves = [];
    this.blockTraces = [];
    this.blockFlops = 0n;
    return anchor;
  }

  /** The block number being built (for precompiles that need it). */
  get currentBlockNumber(): bigint {
    return this.blockNumber;
  }
}

/** A trace whose root is hashed when first read: a call's trace is mostly thrown away unread. */
function lazyTrace(receipts: AivmOpReceipt[]): AivmTxTrace {
  let root: `0x${string}` | undefined;
  return {
    receipts,
    get traceRoot() {
      return (root ??= traceRoot(receipts));
    },
  };
}

/** The injected fault (AivmRuntimeOptions.injectFault): output commit 0 with its lowest bit flipped. */
function flipFirstOutputBit(input: ReceiptInput): ReceiptInput {
  if (input.outputCommits.length === 0) return input;
  const flipped = Uint8Array.from(input.outputCommits[0]!);
  flipped[31] = flipped[31]! ^ 1;
  return { ...input, outputCommits: [flipped, ...input.outputCommits.slice(1)] };
}

/** One runtime per chain. */
export function createAivmRuntime(options?: AivmRuntimeOptions): AivmRuntimeImpl {
  return new AivmRuntimeImpl(options);
}

