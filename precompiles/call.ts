// The shared shape of every AIVM precompile: decode → gas from declared shapes → limit check →
// memory check → execute → commit/receipt → encode. Each opcode file supplies `plan` (decode and
// price, no allocation) and the plan's `execute`; this file owns OOG, reverts and the receipt.
import { EVMError, type ExecResult, type PrecompileInput } from "@ethereumjs/evm";
import type { StateManagerInterface } from "@ethereumjs/common";
import type { AbiParameter } from "viem";
import { AivmError, InvalidArgumentError, MalformedEncodingError } from "../src/engine/errors.ts";
import { byteSize, type Tensor } from "../src/engine/tensor.ts";
import { decodeTensor, decodeTensorHeader, encodeTensor, encodedTensorLength } from "../src/codec/tensor.ts";
import { commitEncodedTensor } from "../src/commit/tensor-commit.ts";
import type { PrecompileCallFrame, TxContext } from "./tx-context.ts";
import { getBlob, getBlobCode, getNamespaceEntry } from "./memory.ts";
import { OUT_SCRATCH, QUOTE_ONLY } from "./flags.ts";
import { HANDLE_KIND, PrecompileFaultError, UnknownHandleError, revertDataOf } from "./errors.ts";
import { decodeHandle, isHandle, scratchHandle, scratchSlotOf } from "./handles.ts";
import { decodeGas, readAccessGas, readBytesGas, type GasTensor, type InputSource } from "./gas.ts";
import { encodeUint } from "../src/codec/abi.ts";
import { decodeParams, type DecodedParams } from "./abi-decode.ts";
import { commitOf, type ReceiptInput } from "./commit.ts";
import { decodeShardManifest, isShardManifest, type ShardManifest } from "./shards.ts";
import { fromHex, toHex } from "../src/commit/hex.ts";
import { seedArg } from "./seed.ts";

type Hex = `0x${string}`;

/** What the runtime gives a precompile call (implemented by AivmRuntimeImpl). */
export interface RuntimeAccess {
  currentFrame(): PrecompileCallFrame;
  currentTx(): TxContext;
  readonly multiplier: bigint;
  recordReceipt(input: ReceiptInput): unknown;
  traceRoot(): { root: Hex; count: number };
}

/** A tensor argument whose meta (with quantization, which its encoded size depends on) is known and whose data is loaded only on demand. */
export interface TensorArg {
  meta: GasTensor;
  /** Where it comes from, which decides what the call still pays for it (src/gas inputGas). */
  source: InputSource;
  /** Bytes this argument adds to the memory budget while the op runs (0 for scratch slots and stored tensors, which the transaction holds). */
  transientBytes: number;
  /** Length of the tensor's wire encoding (what a persistent write stores). */
  encodedBytes: number;
  /** The tensor, decoded once (later calls return the same object; tensors are never modified). */
  load(): Promise<Tensor>;
  /** Its Tensor Commit, computed once; inline and stored tensors need no decoding for it. */
  commit(): Promise<Uint8Array>;
}

/** The priced, validated call, ready to run. */
export interface Plan {
  /** The whole charge on success, including the stored reads charged while planning (`call.readGas`). */
  gas: bigint;
  flops: bigint;
  /** Tensor bytes the op will hold while it runs (inputs not already in scratch, outputs, intermediates). */
  workingBytes: number;
  /** QUOTE_ONLY was set: answer `gas` instead of executing. */
  quoteOnly?: boolean;
  /** Runs the op and returns the ABI-encoded output. Records receipts through `call.record`. */
  execute(): Promise<Uint8Array>;
}

/**
 * Stored tensors by the code array that holds them. A stored blob never changes (its id is its
 * content's commit), so its header, its decoded tensor and its commit are worked out once, not on
 * every call that reads the weights. The state manager hands out the same code array while it
 * caches it; a new array (another block, another state manager) is simply another entry.
 */
const storedArgs = new WeakMap<Uint8Array, TensorArg>();

/** A manifest resolved once per stored code array: the joined argument and its shards' ids and blob sizes (for the per-shard charges). */
interface ResolvedManifest {
  manifest: ShardManifest;
  arg: TensorArg;
  shards: { key: string; blobBytes: number }[];
}
const resolvedManifests = new WeakMap<Uint8Array, ResolvedManifest>();

/**
 * Per transaction: the stored blobs and namespace entries already read (warm), and the bytes their
 * decoded tensors hold in the transaction's memory (counted against its budget). Only calls that go
 * on to execute warm what they read; a rejected call or a QUOTE_ONLY pays for its reads but warms
 * nothing, so a quote equals the charge of the same call made next.
 */
interface WarmReads {
  keys: Set<string>;
  heldBytes: number;
}
const warmReads = new WeakMap<TxContext, WarmReads>();

function warmReadsOf(tx: TxContext): WarmReads {
  let w = warmReads.get(tx);
  if (w === undefined) {
    w = { keys: new Set(), heldBytes: 0 };
    warmReads.set(tx, w);
  }
  return w;
}

/** A stored read's charge went past the call's gas limit: the call is out of gas before the read happens. */
class ReadOutOfGas extends Error {}

/** One precompile invocation. */
export class PrecompileCall {
  readonly frame: PrecompileCallFrame;
  readonly tx: TxContext;
  readonly state: StateManagerInterface;
  /** Gas charged so far: the decode gas, then each stored read as it happens. */
  private spent: bigint;
  private reads = 0n;
  private readonly warm: WarmReads;
  private readonly pendingKeys = new Set<string>();
  private pendingHeldBytes = 0;

  constructor(
    readonly runtime: RuntimeAccess,
    readonly address: Hex,
    readonly opcode: string,
    readonly input: PrecompileInput,
  ) {
    this.frame = runtime.currentFrame();
    this.tx = runtime.currentTx();
    this.state = input._EVM.stateManager;
    this.spent = decodeGas(input.data.length);
    this.warm = warmReadsOf(this.tx);
  }

  /** Stored reads charged so far by this call (part of its charge, whatever the outcome). */
  get readGas(): bigint {
    return this.reads;
  }

  /** What a call that stops now pays: the decode gas plus the reads so far (the reject price). */
  get chargedSoFar(): bigint {
    return this.spent;
  }

  /** Bytes the transaction's stored reads hold in its memory, with those this call adds. */
  get heldBytes(): number {
    return this.warm.heldBytes + this.pendingHeldBytes;
  }

  /**
   * Charges planning work (a program's decoding and inference) before it is done, so that a program
   * rejected by inference at its last node pays for the nodes inferred (at most its gas limit).
   * The plan's gas includes it again: on success the call pays the plan's gas, not both.
   */
  chargePlanning(gas: bigint): void {
    const spent = this.spent + gas;
    this.spent = spent > this.input.gasLimit ? this.input.gasLimit : spent;
  }

  /** Charges a read before it happens; past the gas limit the call is out of gas. */
  private chargeRead(gas: bigint): void {
    this.spent += gas;
    this.reads += gas;
    if (this.spent > this.input.gasLimit) throw new ReadOutOfGas();
  }

  /** The access to a stored key, charged before the lookup; true when it is the transaction's first (cold). */
  private access(key: string): boolean {
    const cold = !this.warm.keys.has(key) && !this.pendingKeys.has(key);
    this.chargeRead(readAccessGas(cold));
    if (cold) this.pendingKeys.add(key);
    return cold;
  }

  /** This call goes on to execute: what it read becomes warm for the rest of the transaction. */
  commitReads(): void {
    for (const k of this.pendingKeys) this.warm.keys.add(k);
    this.warm.heldBytes += this.pendingHeldBytes;
    this.pendingKeys.clear();
    this.pendingHeldBytes = 0;
  }

  get data(): Uint8Array {
    return this.input.data;
  }

  get multiplier(): bigint {
    return this.runtime.multiplier;
  }

  /** ABI-decodes the call input; any layout but the canonical one is a NonCanonicalAbi (MalformedEncoding) revert. */
  decode<const T extends readonly AbiParameter[]>(params: T): DecodedParams<T> {
    return decodeParams(params, this.data, `${this.opcode} input`);
  }

  /** Resolves a tensor argument (inline or handle) to its meta, without decoding its data. */
  async tensorArg(bytes: Uint8Array): Promise<TensorArg> {
    if (!isHandle(bytes)) return inlineArg(bytes);
    const h = decodeHandle(bytes);
    if (h.kind === HANDLE_KIND.seed) return seedArg(this.tx, this.frame, h.id);
    if (h.kind === HANDLE_KIND.scratch) {
      const t = this.tx.scratch.get(scratchSlotOf(h));
      if (!t) throw new UnknownHandleError(h.kind, toHex(h.owner), toHex(h.id));
      return { meta: t, source: "scratch", transientBytes: 0, encodedBytes: encodedTensorLength(t, t.quant), load: async () => t, commit: async () => commitOf(t) };
    }
    let id = h.id;
    if (h.kind === HANDLE_KIND.namespace) {
      this.access(`ns:${toHex(h.owner)}:${toHex(h.id)}`);
      const entry = await getNamespaceEntry(this.state, h.owner, h.id);
      if (!entry) throw new UnknownHandleError(h.kind, toHex(h.owner), toHex(h.id));
      id = entry;
    }
    return this.persistentArg(id, h.kind, h.owner);
  }

  /**
   * A tensor in the persistent store by content id (a plain tensor or a shard manifest). Charged
   * like EIP-2929 as it reads: the access before the lookup, the blob's bytes on a cold read once
   * its size is known; a stored tensor's content id is its commit, so nothing is hashed.
   */
  async persistentArg(id: Uint8Array, kind: number = HANDLE_KIND.persistent, owner: Uint8Array = new Uint8Array(20)): Promise<TensorArg> {
    const cold = this.access(toHex(id));
    const code = await getBlobCode(this.state, id);
    if (!code) throw new UnknownHandleError(kind, toHex(owner), toHex(id));
    const blob = code.subarray(1);
    if (cold) this.chargeRead(readBytesGas(blob.length));
    if (isShardManifest(blob)) return this.manifestArg(code, cold);
    const arg = storedArg(code);
    if (cold) this.pendingHeldBytes += byteSize(arg.meta);
    return { ...arg, source: "stored", transientBytes: 0, commit: async () => id };
  }

  /** A stored blob that is not a tensor argument (a program, TCUSTOM and TSTREAM), charged as a stored read. */
  async storedBlob(id: Uint8Array): Promise<Uint8Array> {
    const cold = this.access(toHex(id));
    const blob = await getBlob(this.state, id);
    if (!blob) throw new UnknownHandleError(HANDLE_KIND.persistent, `0x${"00".repeat(20)}`, toHex(id));
    if (cold) this.chargeRead(readBytesGas(blob.length));
    return blob;
  }

  /**
   * A manifest's joined tensor. Cold: each shard is charged before it is resolved (its one COPY per
   * word moves it into the joined tensor); a manifest resolved before, by any transaction, is not
   * resolved again but is charged the same. Warm: the joined tensor is in the transaction's memory.
   */
  private async manifestArg(code: Uint8Array, cold: boolean): Promise<TensorArg> {
    let resolved = resolvedManifests.get(code);
    if (resolved === undefined) {
      const manifest = decodeShardManifest(code.subarray(1));
      const shards: ResolvedManifest["shards"] = [];
      resolved = { manifest, arg: manifest.assemble(await this.shardArgs(manifest.shards, cold, shards)), shards };
      resolvedManifests.set(code, resolved);
    } else if (cold) {
      for (const s of resolved.shards) this.chargeShardBytes(this.access(s.key), s.blobBytes);
    }
    if (cold) this.pendingHeldBytes += byteSize(resolved.manifest.meta);
    return { ...resolved.arg, source: "sharded", transientBytes: 0 };
  }

  /** A cold shard's bytes: moved from state and held (the same on a cached manifest as on a fresh one). */
  private chargeShardBytes(cold: boolean, blobBytes: number): void {
    if (!cold) return;
    this.chargeRead(readBytesGas(blobBytes));
    this.pendingHeldBytes += blobBytes;
  }

  /**
   * A manifest's shards: plain stored tensors (a manifest is never a shard, so loading is one level
   * deep). With `charge` each shard is charged as a stored read before it is resolved; each shard's
   * id and blob size are appended to `sizes`.
   */
  async shardArgs(ids: readonly Uint8Array[], charge = true, sizes: { key: string; blobBytes: number }[] = []): Promise<TensorArg[]> {
    const shards: TensorArg[] = [];
    for (const id of ids) {
      const key = toHex(id);
      const cold = charge && this.access(key);
      const code = await getBlobCode(this.state, id);
      if (!code) throw new UnknownHandleError(HANDLE_KIND.persistent, `0x${"00".repeat(20)}`, key);
      const blob = code.subarray(1);
      if (isShardManifest(blob)) throw new InvalidArgumentError("shards", "shard", "a manifest cannot be a shard of another");
      this.chargeShardBytes(cold, blob.length);
      sizes.push({ key, blobBytes: blob.length });
      shards.push(storedArg(code));
    }
    return shards;
  }

  /** Tensor args for a list of ABI `bytes` values. */
  async tensorArgs(args: readonly Uint8Array[]): Promise<TensorArg[]> {
    const out: TensorArg[] = [];
    for (const a of args) out.push(await this.tensorArg(a));
    return out;
  }

  /** The output form of a tensor: inline wire bytes, or a new scratch slot's handle. */
  emit(t: Tensor, flags: number): Uint8Array {
    if (flags & OUT_SCRATCH) return scratchHandle(this.tx.scratch.put(t));
    return encodeTensor(t);
  }

  /** Tensor commit, memoised per tensor object (scratch tensors are committed once). */
  commit(t: Tensor): Uint8Array {
    return commitOf(t);
  }

  /**
   * Appends this call's receipt to the transaction's trace; inputs are tensors or (loaded) arguments.
   * `paramsHash`: paramsHashBytes(params), when the caller already holds it.
   */
  async record(params: Uint8Array, inputs: readonly (Tensor | TensorArg)[], outputCommits: readonly Uint8Array[], gasUsed: bigint, flops: bigint, paramsHash?: Uint8Array): Promise<void> {
    const inputCommits: Uint8Array[] = [];
    for (const t of inputs) inputCommits.push("meta" in t ? await t.commit() : commitOf(t));
    this.runtime.recordReceipt({
      precompile: this.address,
      opcode: this.opcode,
      params,
      paramsHash,
      inputCommits,
      outputCommits: [...outputCommits],
      gasUsed,
      flops,
    });
  }

  /** Throws InvalidArgument unless `flags` only uses known bits. */
  checkFlags(flags: number, allowed: number = OUT_SCRATCH | QUOTE_ONLY): number {
    if ((flags & ~allowed) !== 0) throw new InvalidArgumentError(this.opcode, "flags", `unknown bits; allowed mask ${allowed}`);
    return flags;
  }
}

/** A stored tensor's argument, worked out once per code array. */
function storedArg(code: Uint8Array): TensorArg {
  let arg = storedArgs.get(code);
  if (arg === undefined) {
    arg = inlineArg(code.subarray(1));
    storedArgs.set(code, arg);
  }
  return arg;
}

/** A tensor argument from its wire encoding: the header now, the data and the commit on first use. */
function inlineArg(bytes: Uint8Array): TensorArg {
  const header = decodeTensorHeader(bytes);
  if (header.encodedLength !== bytes.length) {
    throw new MalformedEncodingError("tensor encoding", `${bytes.length - header.encodedLength} trailing bytes`);
  }
  const meta: GasTensor = header.quant ? { dtype: header.dtype, shape: header.shape, quant: header.quant } : { dtype: header.dtype, shape: header.shape };
  let tensor: Tensor | undefined;
  let commit: Uint8Array | undefined;
  return {
    meta,
    source: "inline",
    transientBytes: byteSize(meta),
    encodedBytes: bytes.length,
    load: async () => (tensor ??= decodeTensor(bytes)),
    // The commit of the encoding is the commit of the tensor (the wire format is canonical).
    commit: async () => (commit ??= tensor ? commitOf(tensor) : commitEncodedTensor(bytes)),
  };
}

const outOfGas = (gasLimit: bigint): ExecResult => ({
  returnValue: new Uint8Array(0),
  executionGasUsed: gasLimit,
  exceptionError: new EVMError(EVMError.errorMessages.OUT_OF_GAS),
});

const reverted = (data: Uint8Array, gasUsed: bigint): ExecResult => ({
  returnValue: data,
  executionGasUsed: gasUsed,
  exceptionError: new EVMError(EVMError.errorMessages.REVERT),
});

/**
 * An exception that is not an AivmError (an allocation failure, a failed WASM memory.grow, a stack
 * overflow, a bug) says something about this node, not about the call: another node may well have
 * succeeded. It is recorded on the transaction as a fault and the frame halts; the block builder
 * then aborts the block and the node answers the client with an internal error, so the fault never
 * becomes a consensus result (docs/precompiles.md#node-faults).
 */
function fault(call: PrecompileCall, err: unknown): ExecResult {
  call.tx.fault ??= new PrecompileFaultError(call.opcode, err);
  return halted(call.input.gasLimit);
}

/** The frame's exceptional halt after a fault; what the caller does next is discarded with the transaction. */
const halted = (gasLimit: bigint): ExecResult => ({
  returnValue: new Uint8Array(0),
  executionGasUsed: gasLimit,
  exceptionError: new EVMError(EVMError.errorMessages.OUT_OF_GAS),
});

/** A precompile's opcode-specific part. */
export type PlanFn = (call: PrecompileCall) => Promise<Plan>;

/**
 * Wraps an opcode's `plan` into an EthereumJS precompile function: decode gas first (OOG if even
 * reading the input is unaffordable); then plan, which charges each stored read before it happens
 * (OOG past the limit); a rejection reverts with the custom error and costs the decode gas plus the
 * reads so far; QUOTE_ONLY costs the same and answers the charge; then the gas limit (OOG consumes
 * everything), the memory budget, and execution. A failure once execution has begun consumes the
 * planned gas, like an EVM exceptional halt: the work was done. Only AivmErrors are results; any
 * other exception is a node fault (see `fault`).
 */
export function definePrecompile(runtime: RuntimeAccess, address: Hex, opcode: string, plan: PlanFn) {
  return async (input: PrecompileInput): Promise<ExecResult> => {
    // A transaction that hit a node fault is thrown away: do no more work for it.
    if (runtime.currentTx().fault !== undefined) return halted(input.gasLimit);
    if (input.gasLimit < decodeGas(input.data.length)) return outOfGas(input.gasLimit);
    const call = new PrecompileCall(runtime, address, opcode, input);
    let p: Plan;
    try {
      p = await plan(call);
      if (p.gas < call.readGas) throw new Error(`${opcode} planned less gas than its stored reads`);
      if (p.quoteOnly) return { returnValue: encodeUint(p.gas), executionGasUsed: call.chargedSoFar };
      if (input.gasLimit < p.gas) return outOfGas(input.gasLimit);
      call.tx.scratch.ensure(p.workingBytes + call.heldBytes);
    } catch (err) {
      if (err instanceof ReadOutOfGas) return outOfGas(input.gasLimit);
      if (!(err instanceof AivmError)) return fault(call, err);
      return reverted(fromHex(revertDataOf(err)), call.chargedSoFar);
    }
    call.commitReads();
    try {
      return { returnValue: await p.execute(), executionGasUsed: p.gas };
    } catch (err) {
      if (!(err instanceof AivmError)) return fault(call, err);
      // Execution began: the work before the failure (kernels, reads) was done, so the planned gas is consumed.
      return reverted(fromHex(revertDataOf(err)), p.gas);
    }
  };
}
