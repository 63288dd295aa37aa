// The chain side of the Engine API (docs/network.md#engine-api): a block tree beside the node's
// canonical chain, payload building from the pool, validation of a payload by re-executing it on
// its parent's state, and fork choice (which may reorg the node). Everything here runs inside the
// node's serial queue; the node supplies its VM, state and indexes through EngineHost.
import { createBlockFromExecutionPayload, createBlockFromRLP, genRequestsRoot, type Block, type ExecutionPayload, type HeaderData } from "@ethereumjs/block";
import type { Common } from "@ethereumjs/common";
import type { MerkleStateManager } from "@ethereumjs/statemanager";
import { Blob4844Tx } from "@ethereumjs/tx";
import { CLRequest, bytesToHex, createAddressFromString, equalsBytes, type CLRequestType, type WithdrawalData } from "@ethereumjs/util";
import type { VM } from "@ethereumjs/vm";
import { sha256 } from "@noble/hashes/sha2.js";
import { keccak256One } from "../commit/keccak.ts";
import { BlockAbortedError, buildAivmBlock } from "./builder.ts";
import { errorMessage } from "./calls.ts";
import { recordOfBlock, type IncludedTx } from "./mining.ts";
import type { BlockRecord, MinedBlock } from "./node.ts";
import type { PooledTx } from "./pool.ts";
import type { AivmRuntime } from "./types.ts";
import type { AivmOpReceipt } from "../commit/receipt.ts";

type Hex = `0x${string}`;

export type PayloadStatusKind = "VALID" | "INVALID" | "SYNCING" | "ACCEPTED";

/** PayloadStatusV1. */
export interface PayloadStatus {
  status: PayloadStatusKind;
  latestValidHash: Hex | null;
  validationError: string | null;
}

/** PayloadAttributesV3, parsed. */
export interface PayloadAttributes {
  timestamp: bigint;
  prevRandao: Uint8Array;
  suggestedFeeRecipient: Hex;
  withdrawals: WithdrawalData[];
  parentBeaconBlockRoot: Uint8Array;
}

/** A payload built by forkchoiceUpdated: the block, its record, CL requests and the fee recipient's fees. */
export interface BuiltPayload {
  block: Block;
  record: BlockRecord;
  /** Prague on: the EIP-7685 requests, each `type ‖ data`, empty ones left out. */
  executionRequests: Uint8Array[];
  blockValue: bigint;
}

/** What the engine needs of the node (node.ts implements it). */
export interface EngineHost {
  readonly vm: VM;
  readonly runtime: AivmRuntime;
  readonly stateManager: MerkleStateManager;
  readonly blockCommon: Common;
  readonly head: Block;
  /** The gas limit the node aims its blocks at (--block-gas-limit). */
  readonly blockGasLimit: bigint;
  /** A canonical block by hash. */
  canonicalByHash(hash: Hex): MinedBlock | undefined;
  pendingTxs(): readonly PooledTx[];
  /** Drops a pooled transaction that cannot run, with a droppedTransaction event. */
  dropPooled(hash: Hex, reason: string): void;
  /** BLOCKHASH's view while a side branch executes: its blocks by number over the canonical ones. */
  setAncestry(blocks: Map<number, Block> | undefined): void;
  /** The prevRandao the block being executed derives its randomness from (undefined: the head's). */
  setRandao(prevRandao: Uint8Array | undefined): void;
  /** Puts the head's state (root `root`) back after executing another block, with what the runtime keeps of it. */
  restoreHead(root: Uint8Array): Promise<void>;
  /** Makes `branch` (children of canonical block `forkNumber`, in order) the canonical chain after it. */
  setCanonical(forkNumber: bigint, branch: MinedBlock[]): Promise<MinedBlock[]>;
  /** Runs `task` in the node's serial queue, after what is queued now. */
  enqueue<T>(task: () => Promise<T>): Promise<T>;
  /** Records safe and finalized (canonical block numbers; undefined: not set). */
  setCheckpoints(safe: bigint | undefined, finalized: bigint | undefined): void;
}

/** One transaction's AIVM receipts as a node reports them (aivm_getBlockAivmReceipts), for naming a mismatching one. */
export interface TxAivmReceipts {
  txHash: Hex;
  receipts: Pick<AivmOpReceipt, "index" | "opcode" | "leaf" | "paramsHash" | "inputCommits" | "outputCommits">[];
}

/** A fork-choice state that does not hold (JSON-RPC -38002). */
export class InvalidForkchoiceStateError extends Error {
  override name = "InvalidForkchoiceStateError";
}

/** Payload attributes that cannot build on the head (JSON-RPC -38003). */
export class InvalidPayloadAttributesError extends Error {
  override name = "InvalidPayloadAttributesError";
}

const ZERO_HASH = `0x${"00".repeat(32)}`;
/** How many built payloads are kept for getPayload (the consensus client asks for the latest). */
const MAX_PAYLOADS = 16;
/** At most this many blocks are fetched by one sync from peers. */
const MAX_SYNC_BLOCKS = 8192;
/** How many invalid block hashes are remembered. */
const MAX_INVALID = 1024;
/** Without a finalized block, side blocks this far below the head are dropped (no fork choice goes back so far). */
const SIDE_DEPTH = 128n;

export class EngineChain {
  /** Valid blocks off the canonical chain (forkchoice may pick them), by hash. */
  private readonly side = new Map<Hex, MinedBlock>();
  /** Blocks found invalid, by hash: the latest valid ancestor to report. */
  private readonly invalid = new Map<Hex, Hex | null>();
  private readonly payloads = new Map<Hex, Promise<BuiltPayload>>();

  constructor(private readonly host: EngineHost) {}

  // ---------------------------------------------------------------- newPayload

  /**
   * engine_newPayloadV3/V4: checks the payload's hash, re-executes it on its parent's state and
   * compares every root the header commits to. Runs in the node's queue.
   */
  async newPayload(payload: ExecutionPayload, parentBeaconBlockRoot: Hex, executionRequests: Uint8Array[] | undefined, expectedBlobVersionedHashes: Hex[]): Promise<PayloadStatus> {
    const hash = payload.blockHash.toLowerCase() as Hex;
    if (this.invalid.has(hash)) return invalid(this.invalid.get(hash) ?? null, `Block ${hash} was found invalid before.`);
    if (this.known(hash)) return valid(hash);
    let block: Block;
    try {
      const requestsHash = executionRequests ? bytesToHex(requestsRootOf(executionRequests)) : undefined;
      block = await createBlockFromExecutionPayload(
        { ...payload, parentBeaconBlockRoot, ...(requestsHash ? { requestsHash } : {}) },
        { common: this.host.blockCommon, freeze: false },
      );
    } catch (error) {
      return invalid(null, `Payload ${hash}: ${errorMessage(error)}`);
    }
    const hashes = block.transactions.flatMap((tx) => (tx instanceof Blob4844Tx ? tx.blobVersionedHashes.map((h) => h.toLowerCase()) : []));
    if (hashes.length !== expectedBlobVersionedHashes.length || hashes.some((h, i) => h !== expectedBlobVersionedHashes[i]!.toLowerCase())) {
      return invalid(null, `Block ${hash}: its blob versioned hashes [${hashes.join(", ")}] are not the expected [${expectedBlobVersionedHashes.join(", ")}].`);
    }
    const status = await this.validate(block);
    // An unknown parent: fetch the missing blocks from a peer, if there is a block source (then this one).
    if (status.status === "SYNCING") this.startSync(bytesToHex(block.header.parentHash) as Hex, block);
    return status;
  }

  /** A block whose hash is known to be its header's: checked against its parent and re-executed on its state. */
  private async validate(block: Block): Promise<PayloadStatus> {
    const hash = bytesToHex(block.hash()) as Hex;
    if (this.invalid.has(hash)) return invalid(this.invalid.get(hash) ?? null, `Block ${hash} was found invalid before.`);
    if (this.known(hash)) return valid(hash);
    const parentHash = bytesToHex(block.header.parentHash) as Hex;
    if (this.invalid.has(parentHash)) {
      const latestValid = this.invalid.get(parentHash) ?? null;
      this.markInvalid(hash, latestValid);
      return invalid(latestValid, `Block ${hash} builds on invalid block ${parentHash}.`);
    }
    const parent = this.lookup(parentHash);
    if (parent === undefined) return { status: "SYNCING", latestValidHash: null, validationError: null };
    const failure = checkHeaderAgainstParent(block, parent.block, this.host.blockCommon);
    let mismatch: string | undefined = failure;
    let executed: MinedBlock | undefined;
    if (mismatch === undefined) {
      try {
        executed = await this.execute(parent.block, block);
        mismatch = compareHeaders(block, executed.block);
      } catch (error) {
        mismatch = errorMessage(error);
      }
    }
    if (mismatch !== undefined || executed === undefined) {
      const message = `Block ${block.header.number} (${hash}) is invalid: ${mismatch ?? "it did not execute"}`;
      console.error(`aivm engine: ${message}`);
      if (executed && executed.block.header.extraData.length === 32 && !equalsBytes(executed.block.header.extraData, block.header.extraData)) {
        logAivmReceipts(executed);
        this.nameMismatchingReceipt(hash, executed);
      }
      this.markInvalid(hash, parentHash);
      return invalid(parentHash, message);
    }
    this.side.set(hash, { block, record: executed.record });
    return valid(hash);
  }

  // ---------------------------------------------------------------- forkchoiceUpdated

  /**
   * engine_forkchoiceUpdatedV3: makes `headHash` canonical (reorging when it is not on the current
   * chain), records safe and finalized, and starts a payload build when attributes are given.
   */
  async forkchoiceUpdated(
    headHash: Hex,
    safeHash: Hex,
    finalizedHash: Hex,
    attributes: PayloadAttributes | undefined,
  ): Promise<{ payloadStatus: PayloadStatus; payloadId: Hex | null }> {
    headHash = headHash.toLowerCase() as Hex;
    if (this.invalid.has(headHash)) return { payloadStatus: invalid(this.invalid.get(headHash) ?? null, `Block ${headHash} is invalid.`), payloadId: null };
    const canonical = this.host.canonicalByHash(headHash);
    const head = this.host.head;
    // The spec: a VALID ancestor of the head is not rewound to, and starts no build.
    if (canonical !== undefined && canonical.block.header.number < head.header.number) {
      this.setCheckpoints(safeHash, finalizedHash);
      return { payloadStatus: valid(headHash), payloadId: null };
    }
    if (canonical === undefined) {
      const branch = this.branchTo(headHash);
      if (branch === undefined) {
        this.startSync(headHash);
        return { payloadStatus: { status: "SYNCING", latestValidHash: null, validationError: null }, payloadId: null };
      }
      const removed = await this.host.setCanonical(branch.forkNumber, branch.blocks);
      for (const b of branch.blocks) this.side.delete(bytesToHex(b.block.hash()) as Hex);
      for (const b of removed) this.side.set(bytesToHex(b.block.hash()) as Hex, b);
    }
    this.setCheckpoints(safeHash, finalizedHash);
    let payloadId: Hex | null = null;
    if (attributes !== undefined) {
      const parent = this.host.head;
      if (attributes.timestamp <= parent.header.timestamp) {
        throw new InvalidPayloadAttributesError(`Payload attributes' timestamp ${attributes.timestamp} is not after the head's ${parent.header.timestamp}.`);
      }
      payloadId = payloadIdOf(parent, attributes);
      if (!this.payloads.has(payloadId)) {
        const build = this.host.enqueue(() => this.build(parent, attributes));
        // Kept for getPayload; a failed build answers there.
        build.catch(() => {});
        this.payloads.set(payloadId, build);
        for (const old of this.payloads.keys()) {
          if (this.payloads.size <= MAX_PAYLOADS) break;
          this.payloads.delete(old);
        }
      }
    }
    return { payloadStatus: valid(headHash), payloadId };
  }

  /** engine_getPayload: the payload built for `payloadId`, or undefined when the id is unknown. */
  async getPayload(payloadId: Hex): Promise<BuiltPayload | undefined> {
    const build = this.payloads.get(payloadId.toLowerCase() as Hex);
    if (build === undefined) return undefined;
    const built = await build;
    const hash = bytesToHex(built.block.hash()) as Hex;
    // Forkchoice may pick it without a newPayload (its builder knows it is valid).
    if (this.host.canonicalByHash(hash) === undefined) this.side.set(hash, { block: built.block, record: built.record });
    return built;
  }

  private setCheckpoints(safeHash: Hex, finalizedHash: Hex): void {
    const numberOf = (hash: Hex, what: string): bigint | undefined => {
      if (hash === ZERO_HASH) return undefined;
      const found = this.host.canonicalByHash(hash.toLowerCase() as Hex);
      if (found === undefined) throw new InvalidForkchoiceStateError(`The ${what} block ${hash} is not on the chain of the head.`);
      return found.block.header.number;
    };
    const safe = numberOf(safeHash, "safe");
    const finalized = numberOf(finalizedHash, "finalized");
    this.host.setCheckpoints(safe, finalized);
    // Side blocks at or below finalized can never become canonical.
    const floor = finalized ?? this.host.head.header.number - SIDE_DEPTH;
    for (const [hash, b] of this.side) if (b.block.header.number <= floor) this.side.delete(hash);
  }

  /** The side blocks from the canonical chain up to `hash`, or undefined when an ancestor is unknown. */
  private branchTo(hash: Hex): { forkNumber: bigint; blocks: MinedBlock[] } | undefined {
    const blocks: MinedBlock[] = [];
    let at: Hex = hash;
    for (;;) {
      const canonical = this.host.canonicalByHash(at);
      if (canonical !== undefined) return { forkNumber: canonical.block.header.number, blocks: blocks.reverse() };
      const side = this.side.get(at);
      if (side === undefined) return undefined;
      blocks.push(side);
      at = bytesToHex(side.block.header.parentHash) as Hex;
    }
  }

  private markInvalid(hash: Hex, latestValidHash: Hex | null): void {
    this.invalid.set(hash, latestValidHash);
    for (const old of this.invalid.keys()) {
      if (this.invalid.size <= MAX_INVALID) break;
      this.invalid.delete(old);
    }
  }

  private known(hash: Hex): boolean {
    return this.side.has(hash) || this.host.canonicalByHash(hash) !== undefined;
  }

  private lookup(hash: Hex): MinedBlock | undefined {
    return this.host.canonicalByHash(hash) ?? this.side.get(hash);
  }

  // ---------------------------------------------------------------- sync from peers

  /**
   * Where missing blocks come from (a peer's debug_getRawBlock, src/rpc/engine/sync.ts): a block's
   * RLP by hash, or undefined. Without one, an unknown parent stays SYNCING until the consensus
   * client sends the missing payloads.
   */
  setBlockSource(source: ((hash: Hex) => Promise<Uint8Array | undefined>) | undefined): void {
    this.blockSource = source;
  }

  private blockSource: ((hash: Hex) => Promise<Uint8Array | undefined>) | undefined;
  private syncing: Promise<void> | undefined;

  /**
   * In the background (one sync at a time): fetches `hash` and its ancestors back to a known block
   * from the block source, then validates them oldest first (each re-executed like a payload, in
   * the queue), then `tip`. They become canonical when forkchoice names one of them.
   */
  private startSync(hash: Hex, tip?: Block): void {
    const source = this.blockSource;
    if (source === undefined || this.syncing !== undefined) return;
    this.syncing = (async () => {
      const fetched: Block[] = [];
      for (let at = hash; !this.known(at) && fetched.length < MAX_SYNC_BLOCKS; ) {
        const rlp = await source(at);
        if (rlp === undefined) throw new Error(`no peer has block ${at}`);
        const block = createBlockFromRLP(rlp, { common: this.host.blockCommon });
        if (bytesToHex(block.hash()) !== at) throw new Error(`a peer answered block ${at} with block ${bytesToHex(block.hash())}`);
        fetched.push(block);
        at = bytesToHex(block.header.parentHash) as Hex;
      }
      const blocks = [...fetched.reverse(), ...(tip ? [tip] : [])];
      for (const block of blocks) {
        const status = await this.host.enqueue(() => this.validate(block));
        if (status.status !== "VALID") throw new Error(`block ${block.header.number} (${bytesToHex(block.hash())}) is ${status.status}: ${status.validationError ?? ""}`);
      }
      if (blocks.length > 0) console.error(`aivm engine: synced ${blocks.length} block(s) from peers, up to ${blocks[blocks.length - 1]!.header.number}`);
    })()
      .catch((error: unknown) => console.error(`aivm engine: sync towards ${hash} stopped: ${errorMessage(error)}`))
      .finally(() => (this.syncing = undefined));
  }

  /** Where a producer's AIVM receipts of a block come from (peers' aivm_getBlockAivmReceipts, src/rpc/engine/sync.ts). */
  setReceiptSource(source: ((blockHash: Hex) => Promise<TxAivmReceipts[] | undefined>) | undefined): void {
    this.receiptSource = source;
  }

  private receiptSource: ((blockHash: Hex) => Promise<TxAivmReceipts[] | undefined>) | undefined;
  /** The last anchor-mismatch diagnosis: the first receipt where a peer's record and this node's re-execution differ. */
  lastDiagnosis: Promise<string> | undefined;

  /** The AIVM receipts of a block this node holds (canonical, or valid and off the chain), per transaction. */
  aivmReceiptsOf(hash: Hex): { txHash: Hex; receipts: AivmOpReceipt[] }[] | undefined {
    const mined = this.lookup(hash.toLowerCase() as Hex);
    return mined === undefined ? undefined : txAivmReceipts(mined);
  }

  /** In the background: asks the peers for the producer's receipts of `hash` and logs the first that differs from `executed`'s. */
  private nameMismatchingReceipt(hash: Hex, executed: MinedBlock): void {
    const source = this.receiptSource;
    if (source === undefined) return;
    const number = executed.block.header.number;
    this.lastDiagnosis = (async () => {
      const theirs = await source(hash);
      const message =
        theirs === undefined
          ? `block ${number}: no peer has the producer's AIVM receipts of ${hash}`
          : `block ${number}: ${firstReceiptMismatch(txAivmReceipts(executed), theirs) ?? "the producer's AIVM receipts equal this node's (the mismatch is outside them)"}`;
      console.error(`aivm engine: ${message}`);
      return message;
    })().catch((error: unknown) => `block ${number}: asking the peers for receipts failed: ${errorMessage(error)}`);
  }

  /** The sync running now, if any (tests wait for it). */
  get syncInProgress(): Promise<void> | undefined {
    return this.syncing;
  }

  // ---------------------------------------------------------------- execution

  /** Runs `work` on the state after `parent` (a side block's branch visible to BLOCKHASH), then puts the head's state back. */
  private async onStateOf<T>(parent: Block, prevRandao: Uint8Array, work: () => Promise<T>): Promise<T> {
    const { stateManager } = this.host;
    const headRoot = await stateManager.getStateRoot();
    const parentHash = bytesToHex(parent.hash()) as Hex;
    if (this.host.canonicalByHash(parentHash) === undefined) {
      const branch = this.branchTo(parentHash);
      this.host.setAncestry(new Map(branch?.blocks.map((b) => [Number(b.block.header.number), b.block])));
    }
    this.host.setRandao(prevRandao);
    try {
      await stateManager.setStateRoot(parent.header.stateRoot);
      return await work();
    } finally {
      this.host.setAncestry(undefined);
      this.host.setRandao(undefined);
      await this.host.restoreHead(headRoot);
    }
  }

  /** Re-executes `payload`'s transactions on `parent` with the payload's header inputs; returns the block that yields. */
  private async execute(parent: Block, payload: Block): Promise<MinedBlock> {
    const h = payload.header;
    return this.onStateOf(parent, h.mixHash, async () => {
      const builder = await buildAivmBlock(this.host.vm, this.host.runtime, {
        parentBlock: parent,
        headerData: {
          number: h.number,
          timestamp: h.timestamp,
          gasLimit: h.gasLimit,
          coinbase: h.coinbase,
          mixHash: h.mixHash,
          extraData: h.extraData,
          ...(h.parentBeaconBlockRoot ? { parentBeaconBlockRoot: h.parentBeaconBlockRoot } : {}),
        } as HeaderData,
        ...(payload.withdrawals ? { withdrawals: payload.withdrawals.map((w) => w.toValue()) } : {}),
        blockOpts: { putBlockIntoBlockchain: false, freeze: false, common: this.host.blockCommon },
        anchorInExtraData: true,
      });
      const included: IncludedTx[] = [];
      try {
        for (const [index, tx] of payload.transactions.entries()) {
          const hash = bytesToHex(tx.hash()) as Hex;
          let result;
          try {
            result = await builder.addTransaction(tx, { skipHardForkValidation: true });
          } catch (error) {
            throw new Error(`transaction ${index} (${hash}) cannot run: ${errorMessage(error)}`);
          }
          included.push({ pooled: { tx, from: tx.getSenderAddress().toString() as Hex, hash }, result, trace: builder.traces[builder.traces.length - 1]! });
        }
      } catch (error) {
        await builder.revert();
        throw error;
      }
      const { block } = await builder.build();
      Object.freeze(block.header);
      return { block, record: recordOfBlock(block, included, builder.anchor ?? null, builder.epochCalls) };
    });
  }

  /** Builds a payload on `parent` from the pool (engine_forkchoiceUpdated with attributes). */
  private async build(parent: Block, attributes: PayloadAttributes): Promise<BuiltPayload> {
    // A node fault drops its transaction and the block is built again without it.
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.buildOnce(parent, attributes);
      } catch (error) {
        if (!(error instanceof BlockAbortedError) || error.txHash === undefined || attempt >= 3) throw error;
        this.host.dropPooled(error.txHash, errorMessage(error));
      }
    }
  }

  private async buildOnce(parent: Block, attributes: PayloadAttributes): Promise<BuiltPayload> {
    return this.onStateOf(parent, attributes.prevRandao, async () => {
      const gasLimit = nextGasLimit(parent.header.gasLimit, this.host.blockGasLimit);
      const builder = await buildAivmBlock(this.host.vm, this.host.runtime, {
        parentBlock: parent,
        headerData: {
          number: parent.header.number + 1n,
          timestamp: attributes.timestamp,
          gasLimit,
          coinbase: createAddressFromString(attributes.suggestedFeeRecipient),
          mixHash: attributes.prevRandao,
          parentBeaconBlockRoot: attributes.parentBeaconBlockRoot,
        },
        withdrawals: attributes.withdrawals,
        blockOpts: { putBlockIntoBlockchain: false, freeze: false, common: this.host.blockCommon },
        anchorInExtraData: true,
      });
      const included: IncludedTx[] = [];
      const dropped: { hash: Hex; reason: string }[] = [];
      // Senders with a transaction left out: their later ones wait (nonces stay in order).
      const skipped = new Set<Hex>();
      for (const pooled of this.host.pendingTxs()) {
        // Blob transactions need their sidecars, which this node does not keep.
        if (skipped.has(pooled.from) || pooled.tx instanceof Blob4844Tx || builder.gasUsed + pooled.tx.gasLimit > gasLimit) {
          skipped.add(pooled.from);
          continue;
        }
        try {
          const result = await builder.addTransaction(pooled.tx, { skipHardForkValidation: true });
          included.push({ pooled, result, trace: builder.traces[builder.traces.length - 1]! });
        } catch (error) {
          if (error instanceof BlockAbortedError) throw error;
          dropped.push({ hash: pooled.hash, reason: errorMessage(error) });
          skipped.add(pooled.from);
        }
      }
      const { block, requests } = await builder.build();
      Object.freeze(block.header);
      for (const d of dropped) this.host.dropPooled(d.hash, d.reason);
      const executionRequests = (requests ?? []).filter((r) => r.bytes.length > 1).map((r) => r.bytes);
      return { block, record: recordOfBlock(block, included, builder.anchor ?? null, builder.epochCalls), executionRequests, blockValue: builder.minerValue };
    });
  }
}

/** EIP-7685's requests hash over `type ‖ data` requests (empty ones are skipped by genRequestsRoot). */
function requestsRootOf(requests: Uint8Array[]): Uint8Array {
  const parsed = requests.map((bytes, i) => {
    if (bytes.length < 2) throw new Error(`execution request ${i} has no data (empty requests are left out of the list)`);
    return new CLRequest(bytes[0] as CLRequestType, bytes.subarray(1));
  });
  for (let i = 1; i < parsed.length; i++) {
    if (parsed[i]!.type <= parsed[i - 1]!.type) throw new Error("execution requests must be in strictly ascending order of type");
  }
  return genRequestsRoot(parsed, sha256);
}

/** The header fields a block's parent fixes: number, time, base fee, blob gas, gas limit bounds. */
function checkHeaderAgainstParent(block: Block, parent: Block, common: Common): string | undefined {
  const h = block.header;
  const p = parent.header;
  if (h.number !== p.number + 1n) return `number ${h.number} does not follow its parent's ${p.number}`;
  if (h.timestamp <= p.timestamp) return `timestamp ${h.timestamp} is not after its parent's ${p.timestamp}`;
  const baseFee = p.calcNextBaseFee();
  if (h.baseFeePerGas !== baseFee) return `baseFeePerGas ${h.baseFeePerGas} is not ${baseFee}, what its parent sets`;
  if (h.excessBlobGas !== undefined) {
    const excess = p.calcNextExcessBlobGas(common);
    if (h.excessBlobGas !== excess) return `excessBlobGas ${h.excessBlobGas} is not ${excess}, what its parent sets`;
  }
  try {
    h.validateGasLimit(p);
  } catch (error) {
    return errorMessage(error);
  }
  return undefined;
}

/** Every field where the payload's header differs from the re-executed one, named; undefined when equal. */
function compareHeaders(payload: Block, executed: Block): string | undefined {
  const a = payload.header;
  const b = executed.header;
  const hex = (v: Uint8Array | bigint | undefined) => (v === undefined ? "none" : typeof v === "bigint" ? v.toString() : bytesToHex(v));
  const fields: [string, Uint8Array | bigint | undefined, Uint8Array | bigint | undefined][] = [
    ["AIVM anchor root (extraData)", a.extraData, b.extraData],
    ["stateRoot", a.stateRoot, b.stateRoot],
    ["receiptsRoot", a.receiptTrie, b.receiptTrie],
    ["logsBloom", a.logsBloom, b.logsBloom],
    ["gasUsed", a.gasUsed, b.gasUsed],
    ["transactionsRoot", a.transactionsTrie, b.transactionsTrie],
    ["withdrawalsRoot", a.withdrawalsRoot, b.withdrawalsRoot],
    ["blobGasUsed", a.blobGasUsed, b.blobGasUsed],
    ["requestsHash", a.requestsHash, b.requestsHash],
  ];
  const diffs = fields.filter(([, x, y]) => hex(x) !== hex(y)).map(([name, x, y]) => `${name} ${name === "logsBloom" ? "differs" : `${hex(x)} != re-executed ${hex(y)}`}`);
  if (diffs.length === 0 && !equalsBytes(payload.hash(), executed.hash())) diffs.push(`block hash ${bytesToHex(payload.hash())} != re-executed ${bytesToHex(executed.hash())}`);
  return diffs.length === 0 ? undefined : diffs.join("; ");
}

/** A block's AIVM receipts per transaction, as aivm_getBlockAivmReceipts answers them. */
export function txAivmReceipts(mined: MinedBlock): { txHash: Hex; receipts: AivmOpReceipt[] }[] {
  return mined.record.txs.map((t) => ({ txHash: t.hash, receipts: t.trace.receipts }));
}

/**
 * The first AIVM receipt where the producer's record (`theirs`) and this node's re-execution
 * (`ours`) differ, named by transaction, index and opcode with the differing field; undefined when
 * they agree.
 */
export function firstReceiptMismatch(ours: TxAivmReceipts[], theirs: TxAivmReceipts[]): string | undefined {
  for (let t = 0; t < Math.max(ours.length, theirs.length); t++) {
    const [a, b] = [ours[t], theirs[t]];
    if (a === undefined || b === undefined || a.txHash.toLowerCase() !== b.txHash.toLowerCase()) return `transaction ${t}: the producer has ${b?.txHash ?? "none"}, this node ${a?.txHash ?? "none"}`;
    for (let i = 0; i < Math.max(a.receipts.length, b.receipts.length); i++) {
      const [x, y] = [a.receipts[i], b.receipts[i]];
      if (x === undefined || y === undefined) return `transaction ${a.txHash}: the producer recorded ${b.receipts.length} AIVM receipts, re-execution ${a.receipts.length}`;
      if (x.leaf === y.leaf) continue;
      const field =
        x.opcode !== y.opcode
          ? `opcode ${y.opcode} != re-executed ${x.opcode}`
          : x.paramsHash !== y.paramsHash
            ? `params hash ${y.paramsHash} != re-executed ${x.paramsHash}`
            : differingCommit("input", y.inputCommits, x.inputCommits) ?? differingCommit("output", y.outputCommits, x.outputCommits) ?? `leaf ${y.leaf} != re-executed ${x.leaf}`;
      return `the mismatching AIVM receipt is transaction ${a.txHash} receipt ${x.index} (${x.opcode}): ${field}`;
    }
  }
  return undefined;
}

function differingCommit(kind: string, theirs: readonly string[], ours: readonly string[]): string | undefined {
  for (let k = 0; k < Math.max(theirs.length, ours.length); k++) {
    if (theirs[k] !== ours[k]) return `${kind} commit ${k} ${theirs[k] ?? "none"} != re-executed ${ours[k] ?? "none"}`;
  }
  return undefined;
}

/** On an anchor mismatch: this node's AIVM receipts of the block, to set beside the producer's (aivm_getReceipts). */
function logAivmReceipts(executed: MinedBlock): void {
  const lines: string[] = [];
  for (const tx of executed.record.txs) {
    for (const r of tx.trace.receipts) lines.push(`  tx ${tx.hash} receipt ${r.index} ${r.opcode}: leaf ${r.leaf}, output commits ${r.outputCommits.join(", ")}`);
  }
  console.error(`aivm engine: block ${executed.block.header.number}: this node's AIVM receipts (anchor ${executed.record.anchor?.anchorRoot ?? "none"}):\n${lines.join("\n") || "  none"}`);
}

/** The gas limit of a child of a block with `parent`'s, moved toward `target` as far as a block may (parent / 1024 - 1). */
export function nextGasLimit(parent: bigint, target: bigint): bigint {
  const step = parent / 1024n - 1n;
  if (target > parent) return target - parent > step ? parent + step : target;
  if (target < parent) return parent - target > step ? parent - step : target;
  return parent;
}

/** A payload id: the first 8 bytes of a hash of the parent and the attributes (the same request gets the same id). */
function payloadIdOf(parent: Block, a: PayloadAttributes): Hex {
  const text = [
    bytesToHex(parent.hash()),
    a.timestamp.toString(),
    bytesToHex(a.prevRandao),
    a.suggestedFeeRecipient.toLowerCase(),
    bytesToHex(a.parentBeaconBlockRoot),
    JSON.stringify(a.withdrawals, (_k, v) => (typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? bytesToHex(v) : v)),
  ].join("|");
  return bytesToHex(keccak256One(new TextEncoder().encode(text)).subarray(0, 8)) as Hex;
}

function valid(hash: Hex): PayloadStatus {
  return { status: "VALID", latestValidHash: hash, validationError: null };
}

function invalid(latestValidHash: Hex | null, validationError: string): PayloadStatus {
  return { status: "INVALID", latestValidHash, validationError };
}
