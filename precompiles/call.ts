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
import type { PrecompileCallFrame, TxContext } from "../src/chain/runtime.ts";
import { getBlob, getBlobCode, getNamespaceEntry } from "../src/chain/memory.ts";
import { HANDLE_KIND, UnknownHandleError, revertDataOf } from "./errors.ts";
import { decodeHandle, isHandle, scratchHandle, scratchSlotOf } from "./handles.ts";
import { decodeGas, type GasTensor } from "./gas.ts";
import { encodeUint } from "./abi.ts";
import { decodeParams, type DecodedParams } from "./abi-decode.ts";
import { commitOf, type ReceiptInput } from "./commit.ts";
import { decodeShardManifest, isShardManifest } from "./shards.ts";
import { fromHex, toHex } from "./hex.ts";

type Hex = `0x${string}`;

/** flags bit 0: outputs go to scratch, handles come back. */
export const OUT_SCRATCH = 1;
/** flags bit 1: return the exact gas instead of executing. */
export const QUOTE_ONLY = 2;

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
  /** Bytes this argument adds to the memory budget while the op runs (0 for scratch slots). */
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

/** One precompile invocation. */
export class PrecompileCall {
  readonly frame: PrecompileCallFrame;
  readonly tx: TxContext;
  readonly state: StateManagerInterface;

  constructor(
    readonly runtime: RuntimeAccess,
    readonly address: Hex,
    readonly opcode: string,
    readonly input: PrecompileInput,
  ) {
    this.frame = runtime.currentFrame();
    this.tx = runtime.currentTx();
    this.state = input._EVM.stateManager;
  }

  get data(): Uint8Array {
    return this.input.data;
  }

  get multiplier(): bigint {
    return this.runtime.multiplier;
  }

  /** ABI-decodes the call input; a malformed input is a MalformedEncoding revert. */
  decode<const T extends readonly AbiParameter[]>(params: T): DecodedParams<T> {
    try {
      return decodeParams(params, this.data);
    } catch {
      throw new MalformedEncodingError(`${this.opcode} input`, `not an ABI encoding of (${params.map((p) => p.type).join(",")})`);
    }
  }

  /** Resolves a tensor argument (inline or handle) to its meta, without decoding its data. */
  async tensorArg(bytes: Uint8Array): Promise<TensorArg> {
    if (!isHandle(bytes)) return inlineArg(bytes);
    const h = decodeHandle(bytes);
    if (h.kind === HANDLE_KIND.scratch) {
      const t = this.tx.scratch.get(scratchSlotOf(h));
      if (!t) throw new UnknownHandleError(h.kind, toHex(h.owner), toHex(h.id));
      return { meta: t, transientBytes: 0, encodedBytes: encodedTensorLength(t, t.quant), load: async () => t, commit: async () => commitOf(t) };
    }
    let id = h.id;
    if (h.kind === HANDLE_KIND.namespace) {
      const entry = await getNamespaceEntry(this.state, h.owner, h.id);
      if (!entry) throw new UnknownHandleError(h.kind, toHex(h.owner), toHex(h.id));
      id = entry;
    }
    return this.persistentArg(id, h.kind, h.owner);
  }

  /** A tensor in the persistent store by content id (a plain tensor or a shard manifest). */
  async persistentArg(id: Uint8Array, kind: number = HANDLE_KIND.persistent, owner: Uint8Array = new Uint8Array(20)): Promise<TensorArg> {
    const code = await getBlobCode(this.state, id);
    if (!code) throw new UnknownHandleError(kind, toHex(owner), toHex(id));
    const blob = code.subarray(1);
    if (isShardManifest(blob)) {
      const manifest = decodeShardManifest(blob);
      return manifest.assemble(await this.shardArgs(manifest.shards));
    }
    let arg = storedArgs.get(code);
    if (arg === undefined) {
      arg = inlineArg(blob);
      storedArgs.set(code, arg);
    }
    return arg;
  }

  /** A manifest's shards: plain stored tensors (a manifest is never a shard, so loading is one level deep). */
  async shardArgs(ids: readonly Uint8Array[]): Promise<TensorArg[]> {
    const shards: TensorArg[] = [];
    for (const id of ids) {
      const blob = await getBlob(this.state, id);
      if (!blob) throw new UnknownHandleError(HANDLE_KIND.persistent, `0x${"00".repeat(20)}`, toHex(id));
      if (isShardManifest(blob)) throw new InvalidArgumentError("shards", "shard", "a manifest cannot be a shard of another");
      shards.push(inlineArg(blob));
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

  /** Appends this call's receipt to the transaction's trace; inputs are tensors or (loaded) arguments. */
  async record(params: Uint8Array, inputs: readonly (Tensor | TensorArg)[], outputCommits: readonly Uint8Array[], gasUsed: bigint, flops: bigint): Promise<void> {
    const inputCommits: Uint8Array[] = [];
    for (const t of inputs) inputCommits.push("meta" in t ? await t.commit() : commitOf(t));
    this.runtime.recordReceipt({
      precompile: this.address,
      opcode: this.opcode,
      params,
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

/** A failure that is not an AivmError (a bug) still reverts deterministically instead of aborting the block. */
class InternalPrecompileError extends AivmError {
  override name = "InternalPrecompileError";
  override readonly code = "INTERNAL_ERROR";
}

function asAivmError(err: unknown): AivmError {
  if (err instanceof AivmError) return err;
  return new InternalPrecompileError(err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 200) : "unknown failure");
}

/** A precompile's opcode-specific part. */
export type PlanFn = (call: PrecompileCall) => Promise<Plan>;

/**
 * Wraps an opcode's `plan` into an EthereumJS precompile function:
 * decode gas first (OOG if even reading the input is unaffordable), then plan (a rejection reverts
 * with the custom error and costs the decode gas), QUOTE_ONLY short-cut, the gas limit (OOG consumes
 * everything), the memory budget, and execution.
 */
export function definePrecompile(runtime: RuntimeAccess, address: Hex, opcode: string, plan: PlanFn) {
  return async (input: PrecompileInput): Promise<ExecResult> => {
    const rejectGas = decodeGas(input.data.length);
    if (input.gasLimit < rejectGas) return outOfGas(input.gasLimit);
    const call = new PrecompileCall(runtime, address, opcode, input);
    let p: Plan;
    try {
      p = await plan(call);
      if (p.quoteOnly) return { returnValue: encodeUint(p.gas), executionGasUsed: rejectGas };
      if (input.gasLimit < p.gas) return outOfGas(input.gasLimit);
      call.tx.scratch.ensure(p.workingBytes);
    } catch (err) {
      return reverted(fromHex(revertDataOf(asAivmError(err))), rejectGas);
    }
    try {
      return { returnValue: await p.execute(), executionGasUsed: p.gas };
    } catch (err) {
      // plan validated everything shapes can reveal; anything left is charged as if rejected at decode.
      return reverted(fromHex(revertDataOf(asAivmError(err))), rejectGas);
    }
  };
}
