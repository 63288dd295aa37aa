// debug_traceTransaction and debug_traceCall: re-execution with a tracer, never touching the chain.
//
// A mined transaction is re-executed on a VM of its own over the node's trie (nodes are
// content-addressed and never deleted): from the state its block was built on (the parent's root,
// or the block's preStateRoot when state edits came between), the block is started as it was mined
// (same header fields, the runtime's start-of-block writes with the block's stored VRF, any
// scheduler system call), the block's earlier transactions run, then the traced one with the
// tracer listening to EthereumJS's public `step`, `beforeMessage` and `afterMessage` events. Its gas
// and status are checked against the receipt, and the block's checkpoint is reverted, so nothing is
// flushed. A call runs the same way on the state of its block tag, as a transaction, like aivm_quote.
//
// Four tracers, shaped as geth and Hardhat's node shape them: the struct logger (the default),
// callTracer, 4byteTracer, and aivmTracer (callTracer's tree, with each AIVM precompile call's op
// described by trace-aivm.ts and its receipts). docs/node.md#tracing.
import { createBlock, type Block } from "@ethereumjs/block";
import type { Common } from "@ethereumjs/common";
import type { EVMInterface, EVMResult, InterpreterStep, Message } from "@ethereumjs/evm";
import { Caches } from "@ethereumjs/statemanager";
import { createTx, type TypedTransaction } from "@ethereumjs/tx";
import { bytesToBigInt, bytesToHex, createAddressFromString, hexToBytes, setLengthLeft, type Address } from "@ethereumjs/util";
import { runTx, type VM } from "@ethereumjs/vm";
import { createChainVM } from "../evm/chain-vm.ts";
import { callWatchOf, withCallWatch } from "../evm/call-deadline.ts";
import { AivmStateManager } from "../evm/state-manager.ts";
import type { AivmOpReceipt } from "../commit/receipt.ts";
import type { AivmTxTrace } from "../commit/trace.ts";
import { isAivmPrecompile } from "../../precompiles/addresses.ts";
import { buildAivmBlock } from "./builder.ts";
import { AivmRuntimeImpl } from "./runtime.ts";
import { readBlockVrf, vrfAlpha, type BlockVrf } from "./block-randomness.ts";
import { CONGESTION_ADDRESS } from "./genesis.ts";
import { CallTimeoutError, NodeError } from "./node-errors.ts";
import { AivmError } from "../engine/errors.ts";
import type { AivmRuntime } from "./types.ts";
import type { BlockRef, CallRequest, DevNode } from "./node.ts";
import { aivmOpcodeOf, describeAivmCall, totalGas, type AivmCallDetail } from "./trace-aivm.ts";
import { initialMultiplier } from "../../precompiles/gas.ts";

type Hex = `0x${string}`;

export const TRACERS = ["structLogger", "callTracer", "aivmTracer", "4byteTracer"] as const;
export type TracerName = (typeof TRACERS)[number];

/** The options geth's debug_trace* take, as far as these tracers use them. */
export interface TraceOptions {
  tracer: TracerName;
  /** Struct logger: leave out each step's stack / storage; add its memory / the last call's return data. */
  disableStack?: boolean;
  disableStorage?: boolean;
  enableMemory?: boolean;
  enableReturnData?: boolean;
  /** Struct logger: record at most this many steps (geth's `limit`); the run goes on. */
  limit?: number;
  /** callTracer and aivmTracer (tracerConfig): the top call only; each frame's logs. */
  onlyTopCall?: boolean;
  withLog?: boolean;
  /** Wall-clock deadline of the re-execution in ms (geth's `timeout`), at most the node's --rpc.evmtimeout. */
  timeoutMs?: number;
}

/**
 * The deadline of one trace: the request's `timeout` when it is shorter than the node's
 * --rpc.evmtimeout, else the node's (0: none). The replay VM is armed like the call VM
 * (src/evm/call-deadline.ts), so a trace of a cheap-per-gas loop stops and yields to the event
 * loop as eth_call does.
 */
function traceDeadlineMs(node: DevNode, options: TraceOptions): number {
  const own = node.rpcEvmTimeoutMs;
  if (options.timeoutMs === undefined) return own;
  return own === 0 ? options.timeoutMs : Math.min(own, options.timeoutMs);
}

/** Struct logs kept without an explicit `limit`: beyond it the trace is refused rather than held in memory. */
export const DEFAULT_STRUCT_LOG_CAP = 1_000_000;

/** The struct logger's output would pass DEFAULT_STRUCT_LOG_CAP steps. */
export class TraceTooLargeError extends NodeError {
  override name = "TraceTooLargeError";
  override readonly code = "TRACE_TOO_LARGE";
  constructor() {
    super(`The trace has more than ${DEFAULT_STRUCT_LOG_CAP} steps: pass a smaller \`limit\`, or use callTracer or aivmTracer.`);
  }
}

/** A tracing failure of the node, not of the request (re-execution disagreeing with the receipt). */
export class TraceMismatchError extends NodeError {
  override name = "TraceMismatchError";
  override readonly code = "TRACE_MISMATCH";
}

// ---------------------------------------------------------------- the recorder

interface StructLog {
  pc: number;
  op: string;
  gas: number;
  gasCost: number;
  depth: number;
  stack?: Hex[];
  memory?: Hex[];
  returnData?: Hex;
  storage?: Record<string, string>;
  refund?: number;
}

interface TracedLog {
  address: Hex;
  topics: Hex[];
  data: Hex;
  /** The log's place among the transaction's LOG operations, failed frames' included (geth's `index`). */
  index: number;
  /** How many of the frame's calls came before it (geth's `position`). */
  position: number;
}

/** One call frame, as it ran. */
export interface CallFrame {
  type: string;
  from: Hex;
  to: Hex | undefined;
  value: bigint | undefined;
  gas: bigint;
  gasUsed: bigint;
  input: Uint8Array;
  output: Uint8Array;
  error?: string;
  revertReason?: string;
  calls: CallFrame[];
  logs: TracedLog[];
  /** A call to a precompile (4byteTracer leaves these out, as geth does). */
  precompile: boolean;
  /** An AIVM precompile call: its op (or why planning rejected it), and the receipts it recorded. */
  aivm?: { detail?: AivmCallDetail; rejected?: string; receipts: AivmOpReceipt[] };
  // While running:
  lastOp: string | undefined;
  lastLog: StructLog | undefined;
  returnData: Uint8Array;
  receiptsBefore: number;
}

const CALL_OPS = new Set(["CALL", "CALLCODE", "DELEGATECALL", "STATICCALL", "CREATE", "CREATE2"]);
/** The opcodes that start a message, by byte (what the call watch's `opcode` holds when one starts). */
const CALL_OP_NAMES: Readonly<Record<number, string>> = { 0xf0: "CREATE", 0xf1: "CALL", 0xf2: "CALLCODE", 0xf4: "DELEGATECALL", 0xf5: "CREATE2", 0xfa: "STATICCALL" };
const STIPEND = 2300n;

/** Listens to one EVM while one transaction runs. */
class TraceRecorder {
  readonly structLogs: StructLog[] = [];
  root: CallFrame | undefined;
  private readonly stack: CallFrame[] = [];
  /** Struct logger storage, per contract address: the slots read or written so far. */
  private readonly storage = new Map<string, Record<string, string>>();
  private readonly listeners: [string, (...args: never[]) => unknown][] = [];
  private failure: unknown;
  private tooLarge = false;
  private logIndex = 0;

  constructor(
    private readonly options: TraceOptions,
    private readonly runtime: AivmRuntimeImpl | undefined,
  ) {}

  attach(evm: EVMInterface): void {
    const events = evm.events!;
    const on = (name: string, fn: (...args: never[]) => unknown) => {
      events.on(name as "step", fn as never);
      this.listeners.push([name, fn]);
    };
    // The EVM waits for `resolve`; a tracer bug is kept and reported after the run, never swallowed.
    const settle = (work: Promise<void>, resolve?: () => void) =>
      work.then(
        () => resolve?.(),
        (error: unknown) => {
          this.failure ??= error;
          resolve?.();
        },
      );
    // Only the struct logger and withLog need each step: a step listener takes the interpreter off
    // its fast path (upstream's loop, an awaited event per step). The other tracers read the caller's
    // opcode from the call watch when a message starts.
    if (this.stepping) on("step", (step: InterpreterStep, resolve?: () => void) => settle(this.onStep(step), resolve));
    on("beforeMessage", (message: Message, resolve?: () => void) => settle(this.onBeforeMessage(evm, message), resolve));
    on("afterMessage", (result: EVMResult) => {
      try {
        this.onAfterMessage(result);
      } catch (error) {
        this.failure ??= error;
      }
    });
  }

  /** Throws what went wrong inside a listener, if anything did. */
  check(): void {
    if (this.tooLarge) throw new TraceTooLargeError();
    if (this.failure !== undefined) throw new Error(`The tracer failed: ${this.failure instanceof Error ? this.failure.message : String(this.failure)}`, { cause: this.failure });
  }

  detach(evm: EVMInterface): void {
    for (const [name, fn] of this.listeners) evm.events!.off(name as "step", fn as never);
  }

  /** Whether the tracer needs each step: the struct logger, and withLog (LOG steps carry the data). */
  private get stepping(): boolean {
    return this.options.tracer === "structLogger" || this.options.withLog === true;
  }

  private get top(): CallFrame | undefined {
    return this.stack[this.stack.length - 1];
  }

  private async onStep(step: InterpreterStep): Promise<void> {
    const frame = this.top;
    const op = step.opcode.name;
    if (frame) frame.lastOp = op;
    if (this.options.withLog && frame && op.startsWith("LOG")) frame.logs.push(logOf(step, frame, this.logIndex++));
    if (this.options.tracer !== "structLogger") return;
    // Only the step just logged may have the gas its call passes on added (onBeforeMessage).
    if (frame) frame.lastLog = undefined;
    if (this.structLogs.length >= (this.options.limit ?? DEFAULT_STRUCT_LOG_CAP)) {
      if (this.options.limit === undefined) this.tooLarge = true;
      return;
    }
    const log: StructLog = {
      pc: step.pc,
      op,
      gas: Number(step.gasLeft),
      gasCost: Number(step.opcode.dynamicFee ?? BigInt(step.opcode.fee)),
      depth: step.depth + 1,
    };
    if (!this.options.disableStack) log.stack = step.stack.map(quantityHex);
    if (this.options.enableMemory) log.memory = memoryWords(step.memory);
    if (this.options.enableReturnData) log.returnData = bytesToHex(frame?.returnData ?? new Uint8Array()) as Hex;
    // As geth: SLOAD and SSTORE show the executing contract's slots touched so far (SLOAD: the value read).
    if (!this.options.disableStorage && (op === "SLOAD" || op === "SSTORE")) {
      const key = step.address.toString();
      let slots = this.storage.get(key);
      if (slots === undefined) {
        slots = {};
        this.storage.set(key, slots);
      }
      const slot = step.stack[step.stack.length - 1]!;
      const value =
        op === "SSTORE" ? step.stack[step.stack.length - 2]! : bytesToBigInt(await step.stateManager.getStorage(step.address, setLengthLeft(hexToBytes(word(slot)), 32)));
      slots[word(slot)] = word(value);
      log.storage = { ...slots };
    }
    log.refund = Number(step.gasRefund);
    if (frame) frame.lastLog = log;
    this.structLogs.push(log);
  }

  private async onBeforeMessage(evm: EVMInterface, message: Message): Promise<void> {
    const parent = this.top;
    if (parent && !this.stepping) {
      const opcode = callWatchOf(evm)?.opcode;
      if (opcode === undefined) throw new Error("A trace without step events needs the EVM armed with a call watch.");
      parent.lastOp = CALL_OP_NAMES[opcode];
    }
    const type = callTypeOf(message, parent);
    // Message.codeAddress throws for a creation (no address yet).
    const codeAddress = message.to === undefined ? undefined : (message.codeAddress.toString() as Hex);
    const from = type === "DELEGATECALL" ? (message.to!.toString() as Hex) : (message.caller.toString() as Hex);
    const to = type === "DELEGATECALL" || type === "CALLCODE" ? codeAddress : (message.to?.toString() as Hex | undefined);
    const frame: CallFrame = {
      type,
      from,
      to,
      value: type === "STATICCALL" || type === "DELEGATECALL" ? undefined : message.value,
      gas: message.gasLimit,
      gasUsed: 0n,
      // Copied: a message's data and a result's return value can be views of a frame's memory.
      input: message.data.slice(),
      output: new Uint8Array(),
      calls: [],
      logs: [],
      lastOp: undefined,
      lastLog: undefined,
      returnData: new Uint8Array(),
      receiptsBefore: this.runtime?.currentTx().receipts.length ?? 0,
      precompile: message.to !== undefined && evm.getPrecompile?.(message.to) !== undefined,
    };
    // geth and Hardhat count the gas a call or create passes on as part of its opcode's cost.
    if (parent?.lastLog && parent.lastOp !== undefined && CALL_OPS.has(parent.lastOp)) {
      const stipend = (parent.lastOp === "CALL" || parent.lastOp === "CALLCODE") && message.value > 0n ? STIPEND : 0n;
      parent.lastLog.gasCost += Number(message.gasLimit - stipend);
    }
    if (parent) parent.calls.push(frame);
    else this.root = frame;
    this.stack.push(frame);
    if (this.runtime && to !== undefined && type !== "DELEGATECALL" && type !== "CALLCODE" && isAivmPrecompile(to) && this.options.tracer === "aivmTracer") {
      frame.aivm = { receipts: [] };
      try {
        frame.aivm.detail = await describeAivmCall(this.runtime, evm, evm.common, to, message.data, message.gasLimit);
      } catch (error) {
        // The precompile rejects the call the same way; anything else is the tracer's own failure.
        if (!(error instanceof AivmError)) throw error;
        frame.aivm.rejected = error.message;
      }
    }
  }

  private onAfterMessage(result: EVMResult): void {
    const frame = this.stack.pop();
    if (!frame) return;
    const exec = result.execResult;
    frame.gasUsed = exec.executionGasUsed;
    frame.output = exec.returnValue.slice();
    if (result.createdAddress) frame.to = result.createdAddress.toString() as Hex;
    const failure = exec.exceptionError?.error;
    if (failure !== undefined) {
      frame.error = failure === "revert" ? "execution reverted" : failure;
      if (failure === "revert") {
        const reason = revertReasonOf(exec.returnValue);
        if (reason !== undefined) frame.revertReason = reason;
      }
      // geth drops the logs of a failed frame and of everything it called.
      clearLogs(frame);
    }
    if (frame.aivm && this.runtime && failure === undefined) frame.aivm.receipts = this.runtime.currentTx().receipts.slice(frame.receiptsBefore);
    const parent = this.top;
    // EIP-211: a successful CREATE leaves no return data; anything else leaves its output.
    if (parent) parent.returnData = result.createdAddress && failure === undefined ? new Uint8Array() : frame.output;
  }
}

function callTypeOf(message: Message, parent: CallFrame | undefined): string {
  if (message.to === undefined) return message.salt !== undefined ? "CREATE2" : "CREATE";
  if (message.delegatecall) return "DELEGATECALL";
  if (parent?.lastOp === "STATICCALL" || parent?.lastOp === "CALLCODE") return parent.lastOp;
  return "CALL";
}

function clearLogs(frame: CallFrame): void {
  frame.logs = [];
  for (const c of frame.calls) clearLogs(c);
}

function logOf(step: InterpreterStep, frame: CallFrame, index: number): TracedLog {
  const s = step.stack;
  const top = s.length - 1;
  const offset = Number(s[top]!);
  const size = Number(s[top - 1]!);
  const topics: Hex[] = [];
  for (let i = 0; i < Number(step.opcode.name.slice(3)); i++) topics.push(word(s[top - 2 - i]!) as Hex);
  const data = new Uint8Array(size);
  data.set(step.memory.subarray(offset, offset + size));
  return { address: step.address.toString() as Hex, topics, data: bytesToHex(data) as Hex, index, position: frame.calls.length };
}

/** A stack item as geth and Hardhat's node write it: a quantity (0x80). */
function quantityHex(v: bigint): Hex {
  return `0x${v.toString(16)}`;
}

/** A storage key or value: 0x and 64 hex digits. */
function word(v: bigint): Hex {
  return `0x${v.toString(16).padStart(64, "0")}`;
}

/** Memory as 32-byte words, each 0x and 64 hex digits (Hardhat's node). */
function memoryWords(memory: Uint8Array): Hex[] {
  const out: Hex[] = [];
  for (let i = 0; i < memory.length; i += 32) out.push(`0x${Buffer.from(memory.subarray(i, i + 32)).toString("hex").padEnd(64, "0")}`);
  return out;
}

/** The reason of an Error(string) revert. */
function revertReasonOf(data: Uint8Array): string | undefined {
  if (data.length < 68 || bytesToHex(data.subarray(0, 4)) !== "0x08c379a0") return undefined;
  const length = Number(bytesToBigInt(data.subarray(36, 68)));
  if (68 + length > data.length) return undefined;
  return Buffer.from(data.subarray(68, 68 + length)).toString("utf8");
}

// ---------------------------------------------------------------- re-execution

/** Hooks for a chain without the AIVM runtime: no receipts, an empty anchor. */
const NO_RUNTIME: AivmRuntime = {
  customPrecompiles: [],
  genesisAccounts: () => [],
  attach: () => {},
  startBlock: async () => {},
  startTx: () => {},
  endTx: () => ({ receipts: [], traceRoot: `0x${"00".repeat(32)}` }),
  endBlock: async (_vm, blockNumber) => ({ blockNumber, anchorRoot: `0x${"00".repeat(32)}`, receiptCount: 0, flops: 0n, multiplier: 0n }),
};

/**
 * The node's runtime for a replay: the same precompiles and memory limit, its own transaction
 * context and frames, and the VRF it is told (the block's stored one) instead of a proof of its own.
 */
class ReplayRuntime extends AivmRuntimeImpl {
  private vrf: BlockVrf | undefined;
  constructor(private readonly source: AivmRuntimeImpl) {
    super({ txMemoryLimitBytes: (source as unknown as { txMemoryLimitBytes?: number }).txMemoryLimitBytes, recentBlocks: 1 });
  }

  useVrf(vrf: BlockVrf | undefined): void {
    this.vrf = vrf;
  }

  override blockVrfFor(parentHash: Uint8Array, blockNumber: bigint): BlockVrf {
    if (this.vrf?.blockNumber === blockNumber) return this.vrf;
    return this.source.blockVrfFor(parentHash, blockNumber);
  }
}

interface Replay {
  vm: VM;
  runtime: ReplayRuntime | undefined;
  state: AivmStateManager;
}

/**
 * A state manager of its own over the node's trie database (the node's AivmStateManager, so the
 * EVM runs as in a block). Its writes stay in its caches until a flush, which a replay never does.
 */
function stateAt(node: DevNode, common: Common = node.common): AivmStateManager {
  // The trie is protected on MerkleStateManager; a shallow copy shares its database, not its root.
  const trie = (node.stateManager as unknown as { _trie: { shallowCopy(cache: boolean): never } })._trie.shallowCopy(false);
  return new AivmStateManager({ common, trie, caches: new Caches() });
}

async function replayVm(node: DevNode, stateRoot: Uint8Array): Promise<Replay> {
  const source = node.runtime;
  if (source !== null && !(source instanceof AivmRuntimeImpl)) throw new NodeError("Tracing needs the node's own AIVM runtime (AivmRuntimeImpl); this node was given another.");
  const runtime = source ? new ReplayRuntime(source) : undefined;
  // A Common of its own: the VM and EVM merge their parameters into the one they are given, and a
  // trace runs beside the node's queue.
  const common = node.common.copy();
  const state = stateAt(node, common);
  await state.setStateRoot(stateRoot);
  const vm = await createChainVM({ common, stateManager: state, blockchain: node.vm.blockchain as never, runtime: runtime ?? null });
  return { vm, runtime, state };
}

/** What the traced run gave: everything the tracers' results need. */
export interface TracedRun {
  recorder: TraceRecorder;
  gasUsed: bigint;
  gasLimit: bigint;
  failed: boolean;
  returnValue: Uint8Array;
  trace: AivmTxTrace;
}

/** Re-executes mined transaction `hash` under a tracer. Undefined when the node does not know it. */
export async function traceTransaction(node: DevNode, hash: Hex, options: TraceOptions): Promise<TracedRun | undefined> {
  const found = node.transaction(hash);
  if (!found) return undefined;
  const block = found.block;
  const number = block.header.number;
  const parent = node.blockByNumber(number - 1n);
  if (!parent) throw new NodeError(`Block ${number} has no parent: the genesis block has no transactions to trace.`);
  // State edits between the blocks moved the state the block was built on off the parent's root.
  const preState = node.blockByNumber(number)!.record.preStateRoot;
  const { vm, runtime } = await replayVm(node, preState !== undefined ? hexToBytes(preState) : parent.block.header.stateRoot);
  if (runtime) runtime.useVrf(await storedVrf(node, block));
  const builder = await buildAivmBlock(vm, runtime ?? NO_RUNTIME, {
    parentBlock: parent.block,
    headerData: {
      number,
      timestamp: block.header.timestamp,
      gasLimit: block.header.gasLimit,
      baseFeePerGas: block.header.baseFeePerGas,
      coinbase: block.header.coinbase,
      mixHash: block.header.mixHash,
    },
    blockOpts: { putBlockIntoBlockchain: false, freeze: false, common: node.common },
  });
  try {
    const records = node.blockByNumber(number)!.record.txs;
    const recorder = new TraceRecorder(options, runtime);
    // The transactions before it in its block, then it: one deadline for the whole re-execution.
    const timeoutMs = traceDeadlineMs(node, options);
    const result = await withCallWatch(vm.evm, timeoutMs, async () => {
      for (let i = 0; i < found.record.index; i++) await builder.addTransaction(withSender(block.transactions[i]!, records[i]!.from), { skipHardForkValidation: true });
      recorder.attach(vm.evm);
      try {
        return await builder.addTransaction(withSender(found.tx, found.record.from), { skipHardForkValidation: true });
      } finally {
        recorder.detach(vm.evm);
      }
    }, () => new CallTimeoutError(timeoutMs));
    recorder.check();
    const failed = result.execResult.exceptionError !== undefined;
    if (result.totalGasSpent !== found.record.gasUsed || (failed ? 0 : 1) !== found.record.status) {
      throw new TraceMismatchError(
        `Re-executing ${hash} used ${result.totalGasSpent} gas with status ${failed ? 0 : 1}, but its receipt says ${found.record.gasUsed} and ${found.record.status}: ` +
          "the node's state no longer reproduces it.",
      );
    }
    return { recorder, gasUsed: result.totalGasSpent, gasLimit: found.tx.gasLimit, failed, returnValue: result.execResult.returnValue, trace: builder.traces[builder.traces.length - 1]! };
  } finally {
    await builder.revert();
  }
}

/** Block `block`'s VRF as stored in its state (what its transactions saw). */
async function storedVrf(node: DevNode, block: Block): Promise<BlockVrf | undefined> {
  const state = stateAt(node);
  await state.setStateRoot(block.header.stateRoot);
  const stored = await readBlockVrf(state, block.header.number);
  if (!stored) return undefined;
  return { blockNumber: block.header.number, alpha: vrfAlpha(block.header.parentHash, block.header.number), pi: stored.pi, beta: stored.beta };
}

/**
 * The transaction as sent by `from` (its receipt's sender). An impersonated transaction carries a
 * placeholder signature: read back from the store, it would recover some other address.
 */
function withSender(tx: TypedTransaction, from: Hex): TypedTransaction {
  let recovered: string | undefined;
  try {
    recovered = tx.getSenderAddress().toString();
  } catch {
    recovered = undefined;
  }
  if (recovered === from.toLowerCase()) return tx;
  const copy = createTx(tx.toJSON() as never, { common: tx.common, freeze: false });
  const sender = createAddressFromString(from);
  (copy as { getSenderAddress: () => Address }).getSenderAddress = () => sender;
  return copy;
}

/**
 * debug_traceCall: runs `request` as a transaction under a tracer on the state of `ref`, in the
 * block that follows it (at latest/pending: the pending block eth_call uses; at a past block: the
 * block mined on that state), and discards every effect.
 */
export async function traceCall(node: DevNode, request: CallRequest, ref: BlockRef, options: TraceOptions): Promise<TracedRun> {
  const atHead = ref === "latest" || ref === "pending" || ref === node.headNumber;
  if (!atHead && node.blockByNumber(ref) === undefined) throw new NodeError(`Block ${ref} does not exist (head is ${node.headNumber}).`);
  // The head's state and the pending block's fields, read together between blocks.
  const context = await node.queue.run(async () => {
    const headNumber = node.headNumber;
    const next = atHead ? undefined : node.blockByNumber((ref as bigint) + 1n)?.block;
    return {
      root: atHead ? await node.stateManager.getStateRoot() : node.blockByNumber(ref as bigint)!.block.header.stateRoot,
      parent: atHead ? node.head : node.blockByNumber(ref as bigint)!.block,
      next,
      number: next?.header.number ?? headNumber + 1n,
      timestamp: next?.header.timestamp ?? node.peekTimestamp(),
      coinbase: next?.header.coinbase ?? createAddressFromString(node.coinbase),
      gasLimit: next?.header.gasLimit ?? node.blockGasLimit,
      baseFee: next?.header.baseFeePerGas ?? node.nextBaseFee(),
      cap: node.callGasCap,
    };
  });
  const { vm, runtime, state } = await replayVm(node, context.root);
  const priced = request.gasPrice !== undefined || request.maxFeePerGas !== undefined || request.maxPriorityFeePerGas !== undefined;
  const block = createBlock(
    {
      header: {
        number: context.number,
        parentHash: context.parent.hash(),
        gasLimit: context.gasLimit,
        timestamp: context.timestamp,
        baseFeePerGas: priced ? context.baseFee : 0n,
        coinbase: context.coinbase,
        ...(context.next ? { mixHash: context.next.header.mixHash } : {}),
      },
    },
    { common: node.common, freeze: false },
  );
  const from = createAddressFromString(request.from ?? "0x0000000000000000000000000000000000000000");
  const gasLimit = request.gas !== undefined && (context.cap === 0n || request.gas < context.cap) ? request.gas : context.cap === 0n ? context.gasLimit : context.cap;
  const nonce = (await state.getAccount(from))?.nonce ?? 0n;
  const fields = {
    chainId: BigInt(node.chainId),
    nonce,
    to: request.to ?? undefined,
    data: request.data ?? "0x",
    value: request.value ?? 0n,
    gasLimit,
    v: 0n,
    r: 1n,
    s: 1n,
  };
  const legacy = request.gasPrice !== undefined && request.maxFeePerGas === undefined && request.maxPriorityFeePerGas === undefined;
  let tx: TypedTransaction;
  try {
    tx = legacy
      ? createTx({ ...fields, type: 0, gasPrice: request.gasPrice, v: BigInt(node.chainId) * 2n + 35n } as never, { common: node.common, freeze: false })
      : createTx(
          {
            ...fields,
            type: 2,
            maxFeePerGas: request.maxFeePerGas ?? request.gasPrice ?? 0n,
            maxPriorityFeePerGas: request.maxPriorityFeePerGas ?? 0n,
            accessList: request.accessList ?? [],
          } as never,
          { common: node.common, freeze: false },
        );
  } catch (error) {
    throw new NodeError(`Invalid call: ${error instanceof Error ? error.message.split(" -> ")[0] : String(error)}`);
  }
  (tx as { getSenderAddress: () => Address }).getSenderAddress = () => from;
  await state.checkpoint();
  const recorder = new TraceRecorder(options, runtime);
  try {
    if (runtime) {
      if (!atHead) runtime.useVrf(context.next ? await storedVrf(node, context.next) : undefined);
      const stored = bytesToBigInt(await state.getStorage(createAddressFromString(CONGESTION_ADDRESS), setLengthLeft(Uint8Array.of(0), 32)));
      runtime.multiplier = stored === 0n ? initialMultiplier() : stored;
      await runtime.prepareCall(state, context.number, context.parent.hash());
      runtime.startTx(vm.evm);
    }
    recorder.attach(vm.evm);
    let result;
    try {
      const timeoutMs = traceDeadlineMs(node, options);
      result = await withCallWatch(
        vm.evm,
        timeoutMs,
        () => runTx(vm, { tx, block, skipBalance: true, skipNonce: true, skipBlockGasLimitValidation: true, skipHardForkValidation: true }),
        () => new CallTimeoutError(timeoutMs),
      );
    } catch (error) {
      if (error instanceof CallTimeoutError) throw error;
      throw new NodeError(`The call cannot run: ${error instanceof Error ? error.message.split(" -> ")[0] : String(error)}`);
    } finally {
      recorder.detach(vm.evm);
    }
    recorder.check();
    const fault = runtime?.txFault();
    if (fault !== undefined) throw fault;
    const trace = runtime?.endTx(undefined, true) ?? { receipts: [], traceRoot: `0x${"00".repeat(32)}` as Hex };
    return { recorder, gasUsed: result.totalGasSpent, gasLimit, failed: result.execResult.exceptionError !== undefined, returnValue: result.execResult.returnValue, trace };
  } finally {
    await state.revert();
  }
}

// ---------------------------------------------------------------- results

const q = (v: bigint): Hex => `0x${v.toString(16)}`;

/** The struct logger's result, as geth and Hardhat's node write it. */
export function structLoggerResult(run: TracedRun): Record<string, unknown> {
  return { failed: run.failed, gas: Number(run.gasUsed), returnValue: bytesToHex(run.returnValue), structLogs: run.recorder.structLogs };
}

/**
 * 4byteTracer (geth's): how often each function selector was called with each calldata size, as
 * `"0x<selector>-<bytes after it>": count`, over every call with at least 4 bytes of input but
 * creations and precompile calls.
 */
export function fourByteTracerResult(run: TracedRun): Record<string, number> {
  const counts: Record<string, number> = {};
  const visit = (frame: CallFrame) => {
    if (!frame.precompile && frame.type !== "CREATE" && frame.type !== "CREATE2" && frame.input.length >= 4) {
      const key = `${bytesToHex(frame.input.subarray(0, 4))}-${frame.input.length - 4}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    for (const c of frame.calls) visit(c);
  };
  if (run.recorder.root) visit(run.recorder.root);
  return counts;
}

/** callTracer's nested frames (geth's shape); with `aivm`, each AIVM precompile frame carries its op. */
export function callTracerResult(run: TracedRun, options: TraceOptions): Record<string, unknown> {
  const root = run.recorder.root;
  if (!root) throw new NodeError("The traced transaction ran no message.");
  const kept = new Set(run.trace.receipts);
  const format = (frame: CallFrame, top: boolean): Record<string, unknown> => {
    const out: Record<string, unknown> = {
      type: frame.type,
      from: frame.from,
      ...(frame.to !== undefined ? { to: frame.to } : {}),
      ...(frame.value !== undefined ? { value: q(frame.value) } : {}),
      gas: q(top ? run.gasLimit : frame.gas),
      gasUsed: q(top ? run.gasUsed : frame.gasUsed),
      input: bytesToHex(frame.input),
      ...(frame.output.length > 0 || frame.error === undefined ? { output: bytesToHex(frame.output) } : {}),
      ...(frame.error !== undefined ? { error: frame.error } : {}),
      ...(frame.revertReason !== undefined ? { revertReason: frame.revertReason } : {}),
    };
    if (options.tracer === "aivmTracer" && frame.aivm) out.aivm = formatAivm(frame, kept, run.trace.receipts);
    if (options.withLog && frame.logs.length > 0) out.logs = frame.logs.map((l) => ({ address: l.address, topics: l.topics, data: l.data, index: q(BigInt(l.index)), position: q(BigInt(l.position)) }));
    if (!options.onlyTopCall && frame.calls.length > 0) out.calls = frame.calls.map((c) => format(c, false));
    return out;
  };
  const result = format(root, true);
  if (options.tracer === "aivmTracer") {
    let gas = 0n;
    let flops = 0n;
    for (const r of run.trace.receipts) {
      gas += r.gasUsed;
      flops += r.flops;
    }
    result.aivmTrace = { traceRoot: run.trace.traceRoot, receiptCount: run.trace.receipts.length, gas: q(gas), flops: q(flops) };
  }
  return result;
}

function formatAivm(frame: CallFrame, kept: Set<AivmOpReceipt>, all: AivmOpReceipt[]): Record<string, unknown> {
  const aivm = frame.aivm!;
  const opcode = aivmOpcodeOf(frame.to!)!;
  const d = aivm.detail;
  const out: Record<string, unknown> = { opcode, precompile: frame.to };
  if (aivm.rejected !== undefined) out.rejected = aivm.rejected;
  if (d) {
    if (d.op !== undefined) out.op = d.op;
    out.inputs = d.inputs;
    out.outputs = d.outputs;
    out.flops = q(d.flops);
    // The parts, and what the call was charged: equal when it ran (out of gas or QUOTE_ONLY, it differs).
    out.gas = { compute: q(d.gas.compute), base: q(d.gas.base), bytes: q(d.gas.bytes), program: q(d.gas.program), reads: q(d.gas.reads), total: q(totalGas(d.gas)), charged: q(frame.gasUsed) };
    if (d.steps !== undefined) out.steps = d.steps;
    if (d.nodes) out.nodes = d.nodes.map((n) => ({ op: n.op, flops: q(n.flops), gas: q(n.gas), outputs: n.outputs }));
  }
  out.receipts = aivm.receipts.map((r) => ({
    index: kept.has(r) ? all.indexOf(r) : null,
    paramsHash: r.paramsHash,
    inputCommits: r.inputCommits,
    outputCommits: r.outputCommits,
    gasUsed: q(r.gasUsed),
    flops: q(r.flops),
    leaf: r.leaf,
    ...(kept.has(r) ? {} : { reverted: true }),
  }));
  return out;
}
