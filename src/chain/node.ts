// The AIVM dev node: one chain, one VM, one serial queue. It owns block production (automine or
// interval mining; in engine mode a consensus client's, through engine-chain.ts), the transaction pool, every index the JSON-RPC layer reads (blocks, txs,
// receipts, logs, AIVM traces and anchors), snapshots, time control and persistence. It drives the
// AIVM runtime only through the AivmRuntime seam in types.ts.
import { createAivmRuntime } from "./runtime.ts";
import { EventEmitter } from "node:events";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { createBlock, createBlockFromRLP, paramsBlock, type Block, type HeaderData } from "@ethereumjs/block";
import type { Common, CustomCrypto } from "@ethereumjs/common";
import { MerklePatriciaTrie } from "@ethereumjs/mpt";
import { RLP } from "@ethereumjs/rlp";
import { Caches, MerkleStateManager, type Proof } from "@ethereumjs/statemanager";
import { createTx, createTxFromRLP, paramsTx, type TypedTransaction } from "@ethereumjs/tx";
import {
  Address,
  ValueEncoding,
  bigIntToBytes,
  bytesToBigInt,
  bytesToHex,
  equalsBytes,
  createAddressFromString,
  hexToBytes,
  setLengthLeft,
} from "@ethereumjs/util";
import type { VM } from "@ethereumjs/vm";
import { BlockAbortedError, buildAivmBlock } from "./builder.ts";
import { CallStateManager } from "../evm/call-state.ts";
import { AivmStateManager } from "../evm/state-manager.ts";
import { sharedCommon } from "../evm/shared-common.ts";
import { createChainCommon, createChainVM } from "../evm/chain-vm.ts";
import { DEFAULT_ACCOUNT_BALANCE, DEFAULT_ACCOUNT_COUNT, DEFAULT_MNEMONIC, deriveDevAccounts, devAccountsFromKeys, type DevAccount } from "./accounts.ts";
import { NodeError, TransactionRejectedError } from "./node-errors.ts";
import { SerialQueue } from "./queue.ts";
import { TxPool, type PooledTx } from "./pool.ts";
export type { PooledTx } from "./pool.ts";
import { ChainClock, wallClockSeconds } from "./clock.ts";
import { CallExecutor, errorMessage, type PendingBlock } from "./calls.ts";
import { decodeRecord, encodeRecord, recordOfBlock, type IncludedTx } from "./mining.ts";
import { Snapshots } from "./snapshots.ts";
import { setBalanceIn, setCodeIn, setNonceIn, setStorageIn, type AccountOverride } from "./state-edits.ts";
import { StateReaders } from "./state-reader.ts";
import { LevelStore, MemoryStore, type ChainMeta, type ChainStore } from "./store.ts";
import { applyGenesis } from "./vm.ts";
import { BLOCK_RANDOMNESS_ADDRESS, VRF_PUBLIC_KEY_SLOT, devVrfSecretKey, randaoBlockVrf } from "./block-randomness.ts";
import { EngineChain, type EngineHost } from "./engine-chain.ts";
import { CONGESTION_ADDRESS } from "./genesis.ts";
import { initialMultiplier } from "../../precompiles/gas.ts";
import type { AivmBlockAnchor, AivmTxTrace } from "../commit/trace.ts";
import type { AivmRuntime, GenesisAccount } from "./types.ts";
import { DEFAULT_CHAIN_ID } from "../../precompiles/addresses.ts";
import { fromHexChecked } from "../commit/hex.ts";

type Hex = `0x${string}`;

export const DEFAULT_BLOCK_GAS_LIMIT = 60_000_000n;
export const INITIAL_BASE_FEE = 1_000_000_000n;
/** Suggested priority fee (eth_maxPriorityFeePerGas). */
export const DEFAULT_PRIORITY_FEE = 1_000_000_000n;
/** Wall-clock deadline of one eth_call, eth_estimateGas or aivm_quote (geth's --rpc.evmtimeout default). */
export const DEFAULT_RPC_EVM_TIMEOUT_MS = 5_000;
const ZERO_TRACE_ROOT = `0x${"00".repeat(32)}` as Hex;
/** Hardhat's node's default fee recipient ("coinbase" in hex speak), for the blocks after genesis. */
export const DEFAULT_COINBASE: Hex = "0xc014ba5ec014ba5ec014ba5ec014ba5ec014ba5e";

export interface DevNodeOptions {
  chainId?: number;
  mnemonic?: string;
  accountCount?: number;
  /** The dev accounts' private keys, instead of `accountCount` keys derived from `mnemonic`. */
  privateKeys?: Hex[];
  accountBalance?: bigint;
  /** Seconds between blocks for interval mining. 0 or undefined: automine. */
  blockTime?: number;
  /** Mine a block per transaction. Defaults to true when blockTime is not set. */
  automine?: boolean;
  /** LevelDB directory. Undefined: in memory. */
  dbPath?: string;
  /** The AIVM runtime. undefined: load src/chain/runtime.ts if present; null: a plain EVM. */
  runtime?: AivmRuntime | null;
  blockGasLimit?: bigint;
  /** The chain's rules, a `Hardfork` name: default Osaka (DEFAULT_HARDFORK, docs/evm.md#osaka). */
  hardfork?: string;
  /** Extra genesis accounts, beside the runtime's and the dev accounts. */
  genesisAccounts?: GenesisAccount[];
  /**
   * Signature primitives for Common. Default: native libsecp256k1 ecrecover/ecsign (crypto.ts),
   * or EthereumJS's pure-JS ones when the binding cannot load; `{}` forces the JS ones.
   */
  customCrypto?: CustomCrypto;
  /**
   * The block producer's 32-byte VRF secret key (hex), used when the runtime is loaded here
   * (`runtime` undefined). Default: derived from `mnemonic` (docs/vrf.md).
   */
  vrfKey?: Hex;
  /**
   * Gas cap of eth_call, eth_estimateGas and aivm_quote (geth's --rpc.gascap): a request asking for
   * more runs with the cap. Default: the block gas limit of the blocks to come; 0n: no cap.
   */
  rpcGasCap?: bigint;
  /** Wall-clock deadline of one such request, in ms (--rpc.evmtimeout). Default 5000; 0: none. */
  rpcEvmTimeoutMs?: number;
  /**
   * Execution-client mode (docs/network.md#engine-api): no automine, no interval mining, no state
   * edits; blocks come only from a consensus client through the Engine API (`node.engine`). The
   * genesis timestamp is 0 and BlockRandomness holds no producer key, so every node has one genesis.
   */
  engine?: boolean;
  /**
   * A genesis file's header fields and accounts (genesis-json.ts): every node started from the file
   * gets the same genesis block, so its alloc replaces the dev accounts' funding.
   */
  genesis?: { header: Omit<HeaderData, "number" | "stateRoot">; accounts: GenesisAccount[] };
}

export interface LogRecord {
  address: Hex;
  topics: Hex[];
  data: Hex;
  /** Index of the log within its block. */
  logIndex: number;
}

export interface TxRecord {
  hash: Hex;
  from: Hex;
  to: Hex | null;
  contractAddress: Hex | null;
  index: number;
  type: number;
  status: 0 | 1;
  gasUsed: bigint;
  cumulativeGasUsed: bigint;
  effectiveGasPrice: bigint;
  logsBloom: Hex;
  logs: LogRecord[];
  trace: AivmTxTrace;
  /** Why a status-0 transaction failed: the EVM's reason ("revert", "invalid opcode", ...) and its return data. */
  failure?: { reason: string; data: Hex };
}

export interface BlockRecord {
  txs: TxRecord[];
  anchor: AivmBlockAnchor | null;
  /** AIVM traces of the block's system calls (the scheduler's epoch processing), anchored before the transactions'. */
  systemTraces?: AivmTxTrace[];
  /** The state the block was built on, when state edits (hardhat_set*, evm_revert) left it off the parent's root: tracing re-executes from it. */
  preStateRoot?: Hex;
}

export interface MinedBlock {
  block: Block;
  record: BlockRecord;
}

/** An eth_call / eth_estimateGas / eth_sendTransaction request, already parsed. */
export interface CallRequest {
  from?: Hex;
  to?: Hex | null;
  data?: Hex;
  value?: bigint;
  gas?: bigint;
  gasPrice?: bigint;
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
  nonce?: bigint;
  accessList?: { address: Hex; storageKeys: Hex[] }[];
  /** EIP-7702 authorizations, signed by their authorities: the request becomes a type-4 transaction. */
  authorizationList?: SignedAuthorization[];
}

/** One signed EIP-7702 authorization (EthereumJS's JSON form: hex quantities). */
export interface SignedAuthorization {
  chainId: Hex;
  address: Hex;
  nonce: Hex;
  yParity: Hex;
  r: Hex;
  s: Hex;
}

export type { AccountOverride } from "./state-edits.ts";

export interface CallResult {
  returnData: Hex;
  gasUsed: bigint;
  trace: AivmTxTrace;
}

/** A block reference already resolved by the RPC layer: a number, or latest / pending. */
export type BlockRef = bigint | "latest" | "pending";

interface Snapshot {
  headNumber: bigint;
  stateRoot: Uint8Array;
  timeOffset: bigint;
  nextTimestamp: bigint | undefined;
  pool: PooledTx[];
  queued: PooledTx[];
}


export interface DevNodeEvents {
  block: [MinedBlock];
  /** A new transaction entered the pool (before automine mines it). */
  pendingTransaction: [Hex];
  /**
   * A pooled transaction was left out of a block because it could not run there (e.g. its sender
   * could no longer pay after earlier transactions of the block) and was dropped from the pool.
   */
  droppedTransaction: [{ hash: Hex; reason: string }];
  error: [unknown];
}

export class DevNode extends EventEmitter<DevNodeEvents> {
  readonly chainId: number;
  readonly accounts: DevAccount[];
  readonly mnemonic: string;
  readonly queue = new SerialQueue();
  readonly blocks: Block[] = [];
  readonly records: BlockRecord[] = [];
  /** Gas limit of the blocks to come (evm_setBlockGasLimit changes it). */
  blockGasLimit: bigint;
  private readonly initialBlockGasLimit: bigint;
  /** Fee recipient of the blocks to come (hardhat_setCoinbase). */
  coinbase: Hex = DEFAULT_COINBASE;
  /** One-block overrides: hardhat_setNextBlockBaseFeePerGas and hardhat_setPrevRandao. */
  private nextBlockBaseFee: bigint | undefined;
  private nextPrevRandao: Uint8Array | undefined;
  automine: boolean;
  private readonly blockByHash = new Map<string, number>();
  private readonly txIndex = new Map<string, { block: number; index: number }>();
  private readonly keys = new Map<string, Uint8Array>();
  private readonly impersonated = new Set<string>();
  /** evm_snapshot's saved states (snapshots.ts). */
  private readonly snapshots = new Snapshots<Snapshot>();
  /** The pool (pending, in block order) and the queue (nonce gaps): pool.ts. */
  private readonly txs = new TxPool();
  /** Block time: wall clock, offset and a pinned next timestamp (clock.ts). */
  private readonly clock = new ChainClock();
  private intervalTimer: NodeJS.Timeout | undefined;
  /** Engine mode: the Engine API's block tree, builds and fork choice (engine-chain.ts). */
  readonly engine: EngineChain | undefined;
  /** While a side branch executes: its blocks by number, over the canonical ones (BLOCKHASH). */
  private ancestry: Map<number, Block> | undefined;
  /** Engine mode: the prevRandao of the block being built or executed (its randomness, docs/vrf.md#engine-mode). */
  private randao: Uint8Array | undefined;
  /** The consensus client's safe and finalized blocks (engine mode); undefined: the head. */
  safeNumber: bigint | undefined;
  finalizedNumber: bigint | undefined;
  private closed = false;
  private callBlock: { key: string; block: Block } | undefined;
  /** The Commons every transaction, and every block, the node builds or decodes share (shared-common.ts). */
  private readonly txCommon: Common;
  private readonly blockCommon: Common;
  /** Bumped by every change of the head state (a block, a state edit, a revert). */
  private stateVersion = 0;
  readonly rpcEvmTimeoutMs: number;
  /** The head state's root as of `version` (recorded inside the queue), for reads that skip it. */
  private headRoot: { version: number; root: Uint8Array } | undefined;
  private readers!: StateReaders;
  /** eth_call, eth_estimateGas, eth_createAccessList, eth_getProof and pending reads, on the call VM (calls.ts). */
  private readonly calls: CallExecutor;

  private constructor(
    readonly vm: VM,
    readonly common: Common,
    readonly stateManager: MerkleStateManager,
    /** eth_call and eth_estimateGas run here: a VM of its own over the same trie (call-state.ts). */
    private readonly callVm: VM,
    private readonly callState: CallStateManager,
    readonly runtime: AivmRuntime | null,
    readonly store: ChainStore,
    options: DevNodeOptions,
  ) {
    super();
    this.chainId = options.chainId ?? DEFAULT_CHAIN_ID;
    this.mnemonic = options.mnemonic ?? DEFAULT_MNEMONIC;
    this.accounts = options.privateKeys ? devAccountsFromKeys(options.privateKeys) : deriveDevAccounts(this.mnemonic, options.accountCount ?? DEFAULT_ACCOUNT_COUNT);
    for (const a of this.accounts) this.keys.set(a.address, hexToBytes(a.privateKey));
    this.blockGasLimit = options.blockGasLimit ?? DEFAULT_BLOCK_GAS_LIMIT;
    this.initialBlockGasLimit = this.blockGasLimit;
    this.rpcEvmTimeoutMs = options.rpcEvmTimeoutMs ?? DEFAULT_RPC_EVM_TIMEOUT_MS;
    this.automine = options.engine ? false : (options.automine ?? !options.blockTime);
    this.engine = options.engine ? new EngineChain(this.engineHost()) : undefined;
    this.txCommon = sharedCommon(common, paramsTx);
    this.blockCommon = sharedCommon(common, paramsBlock);
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the host's getters read the node's private state
    const node = this;
    this.calls = new CallExecutor(
      {
        runtime,
        blocks: this.blocks,
        get head() {
          return node.head;
        },
        get headNumber() {
          return node.headNumber;
        },
        get blockGasLimit() {
          return node.blockGasLimit;
        },
        get stateVersion() {
          return node.stateVersion;
        },
        headStateRoot: () => node.stateManager.getStateRoot(),
        noteHeadRoot: (root) => node.noteHeadRoot(root),
        nextBaseFee: () => node.nextBaseFee(),
        pendingHeaderBlock: (baseFee) => node.pendingHeaderBlock(baseFee),
        buildTx: (request, from) => node.buildTx(request, from),
        pendingTxs: () => node.txs.pending,
      },
      callVm,
      callState,
      options.rpcGasCap,
      this.rpcEvmTimeoutMs,
    );
  }

  /** Creates (or, with `dbPath`, reopens) a chain. */
  static async create(options: DevNodeOptions = {}): Promise<DevNode> {
    const chainId = options.chainId ?? DEFAULT_CHAIN_ID;
    const common = createChainCommon({ chainId, customCrypto: options.customCrypto, hardfork: options.hardfork });
    const store: ChainStore = options.dbPath ? await LevelStore.open(options.dbPath) : new MemoryStore();
    const runtime = options.runtime === undefined ? createAivmRuntime({ vrfSecretKey: vrfSecretKeyOf(options) }) : options.runtime;
    const trie = new MerklePatriciaTrie({ db: store.trieDB, useKeyHashing: true, valueEncoding: ValueEncoding.Bytes, common });
    const stateManager = new AivmStateManager({ common, trie, caches: new Caches() });
    const holder: { node?: DevNode } = {};
    // BLOCKHASH reads our block list; unknown numbers hash to zero like the EVM's own mock.
    const blockchain = {
      getBlock: async (n: number) => holder.node?.ancestry?.get(n) ?? holder.node?.blocks[n] ?? { hash: () => new Uint8Array(32) },
      putBlock: async () => {},
      shallowCopy() {
        return blockchain;
      },
    };
    const vm = await createChainVM({ common, stateManager, blockchain: blockchain as never, runtime });
    const callState = new CallStateManager({ common, trie: trie.shallowCopy(false), caches: new Caches() });
    const callVm = await createChainVM({ common, stateManager: callState, blockchain: blockchain as never, runtime });
    const node = new DevNode(vm, common, stateManager, callVm, callState, runtime, store, options);
    node.readers = new StateReaders(trie, common);
    holder.node = node;
    const meta = await store.readMeta();
    if (meta) await node.resume(meta);
    else await node.createGenesis(options);
    if (options.engine) node.useRandaoRandomness();
    else if (options.blockTime && options.blockTime > 0) node.startIntervalMining(options.blockTime);
    return node;
  }

  // ---------------------------------------------------------------- genesis and restart

  private async createGenesis(options: DevNodeOptions): Promise<void> {
    const balance = options.accountBalance ?? DEFAULT_ACCOUNT_BALANCE;
    const genesis: GenesisAccount[] = [
      ...(this.runtime?.genesisAccounts() ?? []).map((a) => (options.engine ? withoutProducerKey(a) : a)),
      ...(options.genesisAccounts ?? []),
      ...(options.genesis?.accounts ?? this.accounts.map((a) => ({ address: a.address, balance }))),
    ];
    await applyGenesis(this.vm, genesis);
    const stateRoot = await this.stateManager.getStateRoot();
    const block = createBlock(
      {
        header: {
          number: 0n,
          gasLimit: this.blockGasLimit,
          baseFeePerGas: INITIAL_BASE_FEE,
          timestamp: options.engine ? 0n : wallClockSeconds(),
          ...options.genesis?.header,
          stateRoot,
        },
      },
      { common: this.blockCommon },
    );
    const record: BlockRecord = { txs: [], anchor: null };
    this.indexBlock(block, record);
    await this.store.putBlock({ number: 0n, rlp: block.serialize(), record: encodeRecord(record) }, this.meta(stateRoot));
  }

  private async resume(meta: ChainMeta): Promise<void> {
    if (meta.chainId !== this.chainId) {
      throw new NodeError(`The database holds chain ${meta.chainId}, not ${this.chainId}.`);
    }
    for (const stored of await this.store.readBlocks(meta.headNumber)) {
      const block = createBlockFromRLP(stored.rlp, { common: this.blockCommon });
      this.indexBlock(block, decodeRecord(stored.record));
    }
    this.clock.timeOffset = meta.timeOffset;
    await this.stateManager.setStateRoot(hexToBytes(meta.stateRoot as Hex));
    this.stateVersion++;
  }

  private meta(stateRoot: Uint8Array): ChainMeta {
    return {
      headNumber: BigInt(this.blocks.length - 1),
      stateRoot: bytesToHex(stateRoot),
      timeOffset: this.clock.timeOffset,
      chainId: this.chainId,
    };
  }

  private indexBlock(block: Block, record: BlockRecord): void {
    this.stateVersion++;
    const n = Number(block.header.number);
    this.blocks[n] = block;
    this.records[n] = record;
    this.blockByHash.set(bytesToHex(block.hash()), n);
    for (const tx of record.txs) this.txIndex.set(tx.hash, { block: n, index: tx.index });
  }

  // ---------------------------------------------------------------- reads

  get head(): Block {
    return this.blocks[this.blocks.length - 1]!;
  }

  get headNumber(): bigint {
    return BigInt(this.blocks.length - 1);
  }

  blockByNumber(n: bigint): MinedBlock | undefined {
    const block = this.blocks[Number(n)];
    return block && n >= 0n ? { block, record: this.records[Number(n)]! } : undefined;
  }

  blockByHashHex(hash: string): MinedBlock | undefined {
    const n = this.blockByHash.get(hash.toLowerCase());
    return n === undefined ? undefined : this.blockByNumber(BigInt(n));
  }

  transaction(hash: string): { block: Block; tx: TypedTransaction; record: TxRecord } | undefined {
    const at = this.txIndex.get(hash.toLowerCase());
    if (!at) return undefined;
    const block = this.blocks[at.block]!;
    return { block, tx: block.transactions[at.index]!, record: this.records[at.block]!.txs[at.index]! };
  }

  /** A pooled or queued transaction (both are pending to clients). */
  pendingTransaction(hash: string): PooledTx | undefined {
    const key = hash.toLowerCase();
    return this.txs.find(key);
  }

  /** Transactions the next block will try, in order. */
  get pendingCount(): number {
    return this.txs.pendingCount;
  }

  /** Transactions waiting for an earlier nonce of their sender. */
  get queuedCount(): number {
    return this.txs.queuedCount;
  }

  /** The pool in block order and the queue, for txpool_content. */
  txpool(): { pending: readonly PooledTx[]; queued: readonly PooledTx[] } {
    return { pending: [...this.txs.pending], queued: this.txs.queuedList() };
  }

  /** The base fee the next block will charge. */
  nextBaseFee(): bigint {
    return this.nextBlockBaseFee ?? this.head.header.calcNextBaseFee();
  }

  /**
   * Reads state at a block (latest/pending: the current state). A past block's state, and the
   * latest once its root is known for the current state version, are read beside the queue
   * (state-reader.ts), so balance and code reads do not wait behind a long eth_call or a block:
   * until a block or state edit completes, they see the state before it, as eth_blockNumber does.
   * Otherwise the read is queued, and records the head's root for the reads after it.
   */
  async readState<T>(ref: BlockRef, read: (sm: MerkleStateManager) => Promise<T>, opts: { pool?: boolean } = {}): Promise<T> {
    // "pending" with transactions in the pool: the state after them, as the next block would leave it.
    if (ref === "pending" && (opts.pool ?? true) && this.txs.pendingCount > 0) {
      return this.queue.run(async () => {
        if (this.txs.pendingCount === 0) return this.withStateAt(ref, () => read(this.stateManager));
        return this.calls.readPending(read);
      });
    }
    const atHead = ref === "latest" || ref === "pending" || ref === this.headNumber;
    if (!atHead && ref >= 0n && this.blocks[Number(ref)] !== undefined) return read(this.readers.at(this.blocks[Number(ref)]!.header.stateRoot));
    // Not "pending": while a block is built its transactions have left the pool but not yet reached
    // the head, so the pending nonce (head nonce + pool count) is only right inside the queue.
    if (atHead && ref !== "pending" && this.headRoot?.version === this.stateVersion) return read(this.readers.at(this.headRoot.root));
    return this.queue.run(async () => {
      const result = await this.withStateAt(ref, () => read(this.stateManager));
      if (atHead) this.noteHeadRoot(await this.stateManager.getStateRoot());
      return result;
    });
  }

  /** Records the head state's root for the current version. Inside the queue, with no block half-built. */
  private noteHeadRoot(root: Uint8Array): void {
    this.headRoot = { version: this.stateVersion, root };
  }

  async getBalance(address: Hex, ref: BlockRef = "latest"): Promise<bigint> {
    return this.readState(ref, async (sm) => (await sm.getAccount(createAddressFromString(address)))?.balance ?? 0n);
  }

  async getNonce(address: Hex, ref: BlockRef = "latest"): Promise<bigint> {
    // The pending nonce counts the pool (and the queue's gaps stay gaps): the head's nonce plus the sender's pooled transactions.
    const nonce = await this.readState(ref, async (sm) => (await sm.getAccount(createAddressFromString(address)))?.nonce ?? 0n, { pool: false });
    if (ref !== "pending") return nonce;
    return nonce + BigInt(this.txs.pendingCountOf(address.toLowerCase()));
  }

  async getCode(address: Hex, ref: BlockRef = "latest"): Promise<Hex> {
    return this.readState(ref, async (sm) => bytesToHex(await sm.getCode(createAddressFromString(address))));
  }

  async getStorageAt(address: Hex, slot: Hex, ref: BlockRef = "latest"): Promise<Hex> {
    return this.readState(ref, async (sm) => {
      const value = await sm.getStorage(createAddressFromString(address), setLengthLeft(hexToBytes(slot), 32));
      return bytesToHex(setLengthLeft(value, 32));
    });
  }

  private async withStateAt<T>(ref: BlockRef, run: () => Promise<T>): Promise<T> {
    if (ref === "latest" || ref === "pending" || ref === this.headNumber) return run();
    const block = this.blocks[Number(ref)];
    if (!block || ref < 0n) throw new NodeError(`Block ${ref} does not exist (head is ${this.headNumber}).`);
    const current = await this.stateManager.getStateRoot();
    await this.stateManager.setStateRoot(block.header.stateRoot);
    try {
      return await run();
    } finally {
      await this.stateManager.setStateRoot(current);
    }
  }

  // ---------------------------------------------------------------- calls and estimates (calls.ts)

  /**
   * eth_call: runs the request on the current (or a past, or the pending) state and discards every
   * effect. `exactGas` (aivm_quote) runs it as a whole transaction so `gasUsed` is what a
   * transaction would be charged; otherwise a plain unpriced call takes the direct path, whose
   * `gasUsed` is intrinsic plus execution gas, before refunds.
   */
  async call(request: CallRequest, ref: BlockRef = "latest", opts: { exactGas?: boolean; overrides?: Map<Hex, AccountOverride> } = {}): Promise<CallResult> {
    return this.queue.run(() => this.calls.call(request, ref, opts));
  }

  /** The pending block's contents: the pool's transactions that run, their gas, bloom and roots (eth_getBlockByNumber("pending")). */
  async pendingBlock(): Promise<PendingBlock> {
    return this.queue.run(() => this.calls.pendingBlock());
  }

  /** The gas cap of calls and estimates (rpcGasCap, else the block gas limit); 0n: none. */
  get callGasCap(): bigint {
    return this.calls.gasCap;
  }

  /** How many eth_calls took the direct path (diagnostics; tests check it is used). */
  get callStats(): { direct: number } {
    return this.calls.stats;
  }

  /** eth_getProof (EIP-1186): the account and storage proofs at a block, against its state root. */
  async getProof(address: Hex, slots: Uint8Array[], ref: BlockRef = "latest"): Promise<Proof> {
    return this.queue.run(() => this.calls.getProof(address, slots, ref));
  }

  /**
   * eth_createAccessList: the addresses and slots the request touches (EthereumJS's journal; the
   * sender, target, precompiles and coinbase are warm anyway and left out unless their slots are
   * read), and the gas it uses with that list.
   */
  async createAccessList(request: CallRequest, ref: BlockRef = "pending"): Promise<{ accessList: { address: Hex; storageKeys: Hex[] }[]; gasUsed: bigint }> {
    return this.queue.run(() => this.calls.createAccessList(request, ref));
  }

  /** eth_estimateGas: the smallest gas limit (within 1/64) at which the request succeeds. */
  async estimateGas(request: CallRequest, ref: BlockRef = "pending", overrides?: Map<Hex, AccountOverride>): Promise<bigint> {
    return this.queue.run(() => this.calls.estimateGas(request, ref, overrides));
  }

  private pendingHeaderBlock(baseFeePerGas: bigint): Block {
    // Calls between two blocks share one header: building a Block copies Common (costly per call).
    const key = `${this.headNumber}:${this.peekTimestamp()}:${baseFeePerGas}:${this.coinbase}:${this.blockGasLimit}:${this.nextPrevRandao ? bytesToHex(this.nextPrevRandao) : ""}`;
    if (this.callBlock?.key === key) return this.callBlock.block;
    const block = this.createPendingHeaderBlock(baseFeePerGas);
    this.callBlock = { key, block };
    return block;
  }

  private createPendingHeaderBlock(baseFeePerGas: bigint): Block {
    return createBlock(
      {
        header: {
          number: this.headNumber + 1n,
          parentHash: this.head.hash(),
          gasLimit: this.blockGasLimit,
          timestamp: this.peekTimestamp(),
          baseFeePerGas,
          coinbase: createAddressFromString(this.coinbase),
          ...(this.nextPrevRandao ? { mixHash: this.nextPrevRandao } : {}),
        },
      },
      { common: this.blockCommon, freeze: false },
    );
  }

  // ---------------------------------------------------------------- transactions

  /** Builds an EIP-1559 transaction (a legacy one for a bare gasPrice), signed with the dev key of `from` or marked as sent by it. */
  private buildTx(request: CallRequest & { nonce: bigint; gas: bigint }, from: Hex): TypedTransaction {
    const common = {
      chainId: BigInt(this.chainId),
      nonce: request.nonce,
      to: request.to ?? undefined,
      data: request.data ?? "0x",
      value: request.value ?? 0n,
      gasLimit: request.gas,
    };
    const data = isLegacy(request)
      ? request.accessList?.length
        ? { ...common, type: 1, gasPrice: request.gasPrice, accessList: request.accessList }
        : { ...common, type: 0, gasPrice: request.gasPrice }
      : {
          ...common,
          type: request.authorizationList ? 4 : 2,
          maxFeePerGas: request.maxFeePerGas ?? request.gasPrice ?? 0n,
          maxPriorityFeePerGas: request.maxPriorityFeePerGas ?? 0n,
          accessList: request.accessList ?? [],
          ...(request.authorizationList ? { authorizationList: request.authorizationList } : {}),
        };
    const key = this.keys.get(from);
    if (key) {
      const signed = this.checkedTx(() => createTx(data as never, { common: this.txCommon })).sign(key);
      // We signed it, so we know the sender: seed the tx's cache instead of recovering it (ms each).
      (signed as unknown as { cache: { senderPubKey?: Uint8Array } }).cache.senderPubKey = this.publicKeyOf(from, key);
      return signed;
    }
    // Impersonated (or eth_call) sender: a placeholder signature, with the sender pinned on the object.
    // A legacy transaction's v carries the chain id (EIP-155); the typed ones' is the y-parity bit.
    const v = data.type === 0 ? BigInt(this.chainId) * 2n + 35n : 0n;
    const tx = this.checkedTx(() => createTx({ ...data, v, r: 1n, s: 1n } as never, { common: this.txCommon, freeze: false }));
    const sender = createAddressFromString(from);
    (tx as { getSenderAddress: () => Address }).getSenderAddress = () => sender;
    return tx;
  }

  private readonly publicKeys = new Map<string, Uint8Array>();

  /** EthereumJS's field checks (gas × fee beyond 2^256, values past their widths) as a rejection, not a node fault. */
  private checkedTx<T>(build: () => T): T {
    try {
      return build();
    } catch (error) {
      throw new TransactionRejectedError(`Invalid transaction: ${errorMessage(error)}`);
    }
  }

  private publicKeyOf(address: Hex, key: Uint8Array): Uint8Array {
    let pub = this.publicKeys.get(address);
    if (!pub) {
      pub = secp256k1.getPublicKey(key, false).subarray(1);
      this.publicKeys.set(address, pub);
    }
    return pub;
  }

  isImpersonated(address: Hex): boolean {
    return this.impersonated.has(address.toLowerCase());
  }

  impersonate(address: Hex): void {
    this.impersonated.add(address.toLowerCase());
  }

  stopImpersonating(address: Hex): boolean {
    return this.impersonated.delete(address.toLowerCase());
  }

  /** eth_sendTransaction: fills nonce, gas and fees, signs with a dev key (or impersonates), submits. */
  async sendTransaction(request: CallRequest): Promise<Hex> {
    const from = request.from?.toLowerCase() as Hex | undefined;
    if (!from) throw new TransactionRejectedError("eth_sendTransaction needs a `from` address.");
    if (!this.keys.has(from) && !this.impersonated.has(from)) {
      throw new TransactionRejectedError(`Unknown account ${from}: not a dev account and not impersonated.`);
    }
    const gas = request.gas ?? (await this.estimateGas({ ...request, from }));
    // Nonce, signature and admission in one queued step, so concurrent sends get distinct nonces.
    return this.queue.run(async () => {
      const nonce = request.nonce ?? (await this.expectedNonce(from));
      // A gasPrice without EIP-1559 fields is a legacy (or EIP-2930) transaction, as on Hardhat's node.
      if (isLegacy(request)) return this.admit(this.buildTx({ ...request, nonce, gas }, from), from);
      const maxFeePerGas = request.maxFeePerGas ?? request.gasPrice ?? this.nextBaseFee() * 2n + DEFAULT_PRIORITY_FEE;
      const maxPriorityFeePerGas = request.maxPriorityFeePerGas ?? (DEFAULT_PRIORITY_FEE < maxFeePerGas ? DEFAULT_PRIORITY_FEE : maxFeePerGas);
      const tx = this.buildTx({ ...request, nonce, gas, maxFeePerGas, maxPriorityFeePerGas }, from);
      return this.admit(tx, from);
    });
  }

  private async expectedNonce(from: Hex): Promise<bigint> {
    const account = await this.stateManager.getAccount(createAddressFromString(from));
    return (account?.nonce ?? 0n) + BigInt(this.txs.pendingCountOf(from));
  }

  /** eth_sendRawTransaction. */
  async sendRawTransaction(raw: Uint8Array): Promise<Hex> {
    let tx: TypedTransaction;
    let from: Hex;
    try {
      tx = createTxFromRLP(raw, { common: this.txCommon });
      from = tx.getSenderAddress().toString() as Hex;
    } catch (error) {
      // EthereumJS's own message here prints a method's source in place of the chain id.
      const chainId = rawTxChainId(raw);
      if (chainId !== undefined && chainId !== BigInt(this.chainId)) {
        throw new TransactionRejectedError(`Invalid raw transaction: chain ID ${chainId}, this chain's is ${this.chainId}.`);
      }
      throw new TransactionRejectedError(`Invalid raw transaction: ${errorMessage(error)}`);
    }
    if (tx.common.chainId() !== BigInt(this.chainId)) {
      throw new TransactionRejectedError(`Transaction is for chain ${tx.common.chainId()}, this node is chain ${this.chainId}.`);
    }
    return this.submit(tx, from);
  }

  private async submit(tx: TypedTransaction, from: Hex): Promise<Hex> {
    return this.queue.run(() => this.admit(tx, from));
  }

  /** Validates a transaction against the pending state, pools it, and mines it under automine. Queued. */
  private async admit(tx: TypedTransaction, from: Hex): Promise<Hex> {
    const hash = bytesToHex(tx.hash()) as Hex;
    if (this.closed) throw new NodeError("The node is shutting down.");
    if (this.txIndex.has(hash) || this.txs.find(hash) !== undefined) throw new TransactionRejectedError(`Transaction ${hash} is already known.`);
    const account = await this.stateManager.getAccount(createAddressFromString(from));
    const expected = await this.expectedNonce(from);
    if (tx.nonce < expected) throw new TransactionRejectedError(`Nonce too low: ${tx.nonce}, the next nonce of ${from} is ${expected}.`);
    if (tx.nonce > expected && this.automine) {
      throw new TransactionRejectedError(
        `Nonce too high: ${tx.nonce}, the next nonce of ${from} is ${expected}. A transaction with a later nonce is queued only while automine is off (evm_setAutomine false, or --block-time).`,
      );
    }
    if (tx.nonce > expected && this.txs.isQueued(from, tx.nonce)) {
      throw new TransactionRejectedError(`A transaction with nonce ${tx.nonce} from ${from} is already queued; queued transactions cannot be replaced.`);
    }
    if (tx.gasLimit > this.blockGasLimit) throw new TransactionRejectedError(`Gas limit ${tx.gasLimit} exceeds the block gas limit ${this.blockGasLimit}.`);
    const cost = tx.getUpfrontCost(this.nextBaseFee());
    if ((account?.balance ?? 0n) < cost) throw new TransactionRejectedError(`Insufficient funds: ${from} cannot pay ${cost} wei up front.`);
    if ("maxFeePerGas" in tx && (tx.maxFeePerGas as bigint) < this.nextBaseFee()) {
      throw new TransactionRejectedError(`maxFeePerGas ${tx.maxFeePerGas} is below the next base fee ${this.nextBaseFee()}.`);
    }
    if ("gasPrice" in tx && (tx.gasPrice as bigint) < this.nextBaseFee()) {
      throw new TransactionRejectedError(`gasPrice ${tx.gasPrice} is below the next base fee ${this.nextBaseFee()}.`);
    }
    if (tx.nonce > expected) {
      this.txs.enqueue({ tx, from, hash });
      return hash;
    }
    this.txs.add({ tx, from, hash });
    this.emit("pendingTransaction", hash);
    await this.promote(from);
    if (this.automine) {
      const { rejected } = await this.mineUnqueued();
      const own = rejected.find((r) => r.hash === hash);
      if (own) throw new TransactionRejectedError(own.reason);
    }
    return hash;
  }

  /**
   * Moves a sender's queued transactions into the pool while their nonces follow on; drops queued
   * ones whose nonce was used meanwhile (hardhat_setNonce), with a droppedTransaction event.
   */
  private async promote(from: Hex): Promise<void> {
    if (!this.txs.queuedSenders().includes(from)) return;
    const next = await this.expectedNonce(from);
    const { promoted, stale } = this.txs.promote(from, next);
    for (const pooled of stale) this.emit("droppedTransaction", { hash: pooled.hash, reason: `Nonce too low: ${pooled.tx.nonce}, the next nonce of ${from} is ${next}.` });
    for (const pooled of promoted) this.emit("pendingTransaction", pooled.hash);
  }

  // ---------------------------------------------------------------- mining

  /** Mines one block with every pending transaction. */
  async mine(timestamp?: bigint): Promise<MinedBlock> {
    return this.queue.run(async () => {
      if (timestamp !== undefined) this.clock.pin(timestamp, this.head.header.timestamp);
      return (await this.mineUnqueued()).mined;
    });
  }

  private async mineUnqueued(): Promise<{ mined: MinedBlock; rejected: { hash: Hex; reason: string }[] }> {
    this.refuseInEngineMode("mine a block");
    const parent = this.head;
    const number = parent.header.number + 1n;
    const timestamp = this.clock.take(parent.header.timestamp);
    const baseFeePerGas = this.nextBaseFee();
    const mixHash = this.nextPrevRandao;
    this.nextBlockBaseFee = undefined;
    this.nextPrevRandao = undefined;
    const batch = this.txs.pending;
    // Nothing is pending in the state manager between blocks, so this is a lookup, not a flush of work.
    const preStateRoot = bytesToHex(await this.stateManager.getStateRoot()) as Hex;
    // H4's builder: O(1) addTransaction, and it drives startBlock/startTx/endTx/endBlock itself.
    // Built before the pool is emptied: a system call's node fault aborts the block and keeps the pool.
    const builder = await buildAivmBlock(this.vm, this.runtime ?? PLAIN_EVM_RUNTIME, {
      parentBlock: parent,
      headerData: { number, timestamp, gasLimit: this.blockGasLimit, baseFeePerGas, coinbase: createAddressFromString(this.coinbase), ...(mixHash ? { mixHash } : {}) },
      blockOpts: { putBlockIntoBlockchain: false, freeze: false, common: this.blockCommon },
    });
    this.txs.setPending([]);
    const rejected: { hash: Hex; reason: string }[] = [];
    const included: IncludedTx[] = [];
    let block: Block;
    try {
      const deferred = new Set<Hex>();
      // Senders with a transaction dropped from this block: their later ones wait in the queue.
      const gapped = new Set<Hex>();
      for (const pooled of batch) {
        if (gapped.has(pooled.from)) {
          this.txs.enqueue(pooled);
          continue;
        }
        // A sender's later transactions follow its deferred one, so nonces stay in order.
        if (deferred.has(pooled.from) || builder.gasUsed + pooled.tx.gasLimit > this.blockGasLimit) {
          deferred.add(pooled.from);
          this.txs.add(pooled);
          continue;
        }
        try {
          const result = await builder.addTransaction(pooled.tx, { skipHardForkValidation: true });
          included.push({ pooled, result, trace: builder.traces[builder.traces.length - 1]! });
        } catch (error) {
          // A node fault is no result of the transaction: the whole block is abandoned (below).
          if (error instanceof BlockAbortedError) throw error;
          rejected.push({ hash: pooled.hash, reason: errorMessage(error) });
          gapped.add(pooled.from);
        }
      }
      ({ block } = await builder.build());
    } catch (error) {
      // Leave the chain as it was: undo the block's state changes and keep its transactions pending,
      // all but one that hit a node fault (the builder logged it): it would abort every block.
      await builder.revert();
      const faulty = error instanceof BlockAbortedError ? batch.find((p) => p.hash === error.txHash) : undefined;
      // The faulty transaction's sender's later ones now follow a gap: they wait in the queue.
      const gap = (p: PooledTx) => faulty !== undefined && p.from === faulty.from && p.tx.nonce > faulty.tx.nonce;
      const batched = new Set(batch);
      for (const pooled of batch) if (this.txs.queuedByHash(pooled.hash) === pooled) this.txs.unqueue(pooled);
      this.txs.setPending([...batch.filter((p) => p !== faulty && !gap(p)), ...this.txs.pending.filter((p) => !batched.has(p))]);
      for (const pooled of batch) if (gap(pooled)) this.txs.enqueue(pooled);
      if (faulty !== undefined) this.emit("droppedTransaction", { hash: faulty.hash, reason: errorMessage(error) });
      throw error;
    }
    // The block is final: a frozen header caches its hash (else every block.hash() re-encodes and hashes it).
    Object.freeze(block.header);
    const anchor = this.runtime ? (builder.anchor ?? null) : null;
    const record = recordOfBlock(block, included, anchor, builder.epochCalls);
    if (preStateRoot !== bytesToHex(parent.header.stateRoot)) record.preStateRoot = preStateRoot;
    const mined = await this.appendBlock(block, record);
    for (const dropped of rejected) this.emit("droppedTransaction", dropped);
    return { mined, rejected };
  }

  /**
   * Appends a block executed on the head's state (the state manager holds its post-state) to the
   * chain: the indexes, the store when persistent, and the "block" event. Mining and `aivm import`
   * (import.ts) end with it. Inside the queue.
   */
  async appendBlock(block: Block, record: BlockRecord): Promise<MinedBlock> {
    this.indexBlock(block, record);
    // An in-memory chain keeps the block and its record in the indexes alone: encoding them for a
    // store that drops them cost ~40 µs per transaction.
    if (this.store.persistent) {
      const stateRoot = await this.stateManager.getStateRoot();
      await this.store.putBlock({ number: block.header.number, rlp: block.serialize(), record: encodeRecord(record) }, this.meta(stateRoot));
    }
    const mined = { block, record };
    this.emit("block", mined);
    return mined;
  }

  setAutomine(enabled: boolean): void {
    if (enabled) this.refuseInEngineMode("automine");
    this.automine = enabled;
  }

  startIntervalMining(seconds: number): void {
    this.stopIntervalMining();
    this.intervalTimer = setInterval(() => {
      this.mine().catch((error: unknown) => {
        // An unhandled "error" event would throw; a failed interval block must not kill the node.
        if (this.listenerCount("error") > 0) this.emit("error", error);
        else console.error(`aivm node: interval mining failed: ${errorMessage(error)}`);
      });
    }, seconds * 1000);
    this.intervalTimer.unref();
  }

  stopIntervalMining(): void {
    if (this.intervalTimer) clearInterval(this.intervalTimer);
    this.intervalTimer = undefined;
  }

  // ---------------------------------------------------------------- time

  /** The timestamp the next block would get, without consuming a pinned one. */
  peekTimestamp(): bigint {
    return this.clock.peek(this.head.header.timestamp);
  }

  /** evm_increaseTime: returns the total offset in seconds. */
  increaseTime(seconds: bigint): bigint {
    return this.clock.increase(seconds);
  }

  /** evm_setNextBlockTimestamp. */
  async setNextBlockTimestamp(timestamp: bigint): Promise<void> {
    await this.queue.run(async () => this.clock.pin(timestamp, this.head.header.timestamp));
  }

  // ---------------------------------------------------------------- state edits and snapshots

  /** hardhat_setBalance. */
  async setBalance(address: Hex, balance: bigint): Promise<void> {
    await this.editState((sm) => setBalanceIn(sm, address, balance));
  }

  /** hardhat_setNonce: raises an account's nonce (lowering it is refused, as on Hardhat's node). */
  async setNonce(address: Hex, nonce: bigint): Promise<void> {
    await this.editState((sm) => setNonceIn(sm, address, nonce));
  }

  /** hardhat_setCode. */
  async setCode(address: Hex, code: Hex): Promise<void> {
    await this.editState((sm) => setCodeIn(sm, address, code));
  }

  /** hardhat_setStorageAt: `value` is a 32-byte word. */
  async setStorageAt(address: Hex, slot: Hex, value: Hex): Promise<void> {
    await this.editState((sm) => setStorageIn(sm, address, slot, value));
  }

  /** hardhat_setCoinbase: the fee recipient of the blocks to come. */
  async setCoinbase(address: Hex): Promise<void> {
    await this.queue.run(async () => {
      this.coinbase = address.toLowerCase() as Hex;
    });
  }

  /** evm_setBlockGasLimit: the gas limit of the blocks to come. */
  async setBlockGasLimit(gasLimit: bigint): Promise<void> {
    if (gasLimit < 21_000n) throw new NodeError(`Block gas limit ${gasLimit} is below the 21000 a transfer needs.`);
    await this.queue.run(async () => {
      this.blockGasLimit = gasLimit;
    });
  }

  /** hardhat_setNextBlockBaseFeePerGas: the base fee of the next block only. */
  async setNextBlockBaseFee(baseFee: bigint): Promise<void> {
    await this.queue.run(async () => {
      this.nextBlockBaseFee = baseFee;
    });
  }

  /** hardhat_setPrevRandao: the PREVRANDAO (mixHash) of the next block only. */
  async setNextPrevRandao(value: Uint8Array): Promise<void> {
    if (value.length !== 32) throw new NodeError(`prevRandao must be 32 bytes, got ${value.length}.`);
    await this.queue.run(async () => {
      this.nextPrevRandao = value;
    });
  }

  /**
   * hardhat_dropTransaction: removes a pending or queued transaction; false if it is neither. The
   * sender's later pooled transactions move to the queue, as they now follow a gap.
   */
  async dropTransaction(hash: Hex): Promise<boolean> {
    return this.queue.run(async () => {
      const key = hash.toLowerCase();
      if (this.txIndex.has(key)) throw new NodeError(`Transaction ${key} is already mined; only pending transactions can be dropped.`);
      return this.txs.drop(key);
    });
  }

  /** A state edit outside any block: applied, flushed into the trie, and the new root persisted. */
  private async editState(edit: (sm: MerkleStateManager) => Promise<void>): Promise<void> {
    this.refuseInEngineMode("edit the state");
    await this.queue.run(async () => {
      await edit(this.stateManager);
      this.stateVersion++;
      await this.store.putMeta(this.meta(await this.stateManager.getStateRoot()));
      // A nonce edit can fill (or overtake) a queued transaction's gap.
      for (const from of this.txs.queuedSenders()) await this.promote(from);
    });
  }

  /** evm_snapshot: returns the snapshot id. */
  async snapshot(): Promise<number> {
    return this.queue.run(async () => {
      return this.snapshots.take({
        headNumber: this.headNumber,
        stateRoot: await this.stateManager.getStateRoot(),
        ...this.clock.save(),
        pool: [...this.txs.pending],
        queued: this.txs.queuedList(),
      });
    });
  }

  /** evm_revert: restores a snapshot; it and every later snapshot are consumed. */
  async revert(id: number): Promise<boolean> {
    this.refuseInEngineMode("revert to a snapshot");
    return this.queue.run(async () => {
      const snap = this.snapshots.consume(id);
      if (!snap) return false;
      const oldHead = this.headNumber;
      this.truncateTo(snap.headNumber);
      await this.stateManager.setStateRoot(snap.stateRoot);
      this.stateVersion++;
      this.clock.restore(snap);
      this.txs.setPending(snap.pool);
      this.txs.setQueued(snap.queued);
      const drop = oldHead > snap.headNumber ? { from: snap.headNumber + 1n, to: oldHead } : undefined;
      await this.store.putMeta(this.meta(snap.stateRoot), drop);
      return true;
    });
  }

  /** Drops the blocks after `n` and their index entries (evm_revert, hardhat_reset). */
  private truncateTo(n: bigint): void {
    for (let i = Number(n) + 1; i <= Number(this.headNumber); i++) {
      this.blockByHash.delete(bytesToHex(this.blocks[i]!.hash()));
      for (const tx of this.records[i]!.txs) this.txIndex.delete(tx.hash);
    }
    this.blocks.length = Number(n) + 1;
    this.records.length = Number(n) + 1;
  }

  /**
   * hardhat_reset: back to the genesis block and its state, as a fresh node with the same options
   * (the pool, the queue, snapshots, impersonation, time and next-block settings go too).
   */
  async reset(): Promise<void> {
    this.refuseInEngineMode("reset the chain");
    await this.queue.run(async () => {
      const oldHead = this.headNumber;
      this.truncateTo(0n);
      const root = this.blocks[0]!.header.stateRoot;
      await this.stateManager.setStateRoot(root);
      this.stateVersion++;
      this.clock.restore({ timeOffset: 0n, nextTimestamp: undefined });
      this.nextBlockBaseFee = undefined;
      this.nextPrevRandao = undefined;
      this.coinbase = DEFAULT_COINBASE;
      this.blockGasLimit = this.initialBlockGasLimit;
      this.snapshots.clear();
      this.impersonated.clear();
      this.txs.setPending([]);
      this.txs.setQueued([]);
      await this.store.putMeta(this.meta(root), oldHead > 0n ? { from: 1n, to: oldHead } : undefined);
    });
  }

  // ---------------------------------------------------------------- engine mode (engine-chain.ts)

  private refuseInEngineMode(what: string): void {
    if (this.engine) throw new NodeError(`This node runs under a consensus client (--engine): it cannot ${what}; blocks come only through the Engine API.`);
  }

  /** The consensus client's safe (or finalized) block: its number, or the head's before one is set. */
  checkpointNumber(which: "safe" | "finalized"): bigint {
    return (which === "safe" ? this.safeNumber : this.finalizedNumber) ?? this.headNumber;
  }

  /** engine_newPayload (engine-chain.ts), in the queue. */
  async engineNewPayload(...args: Parameters<EngineChain["newPayload"]>): ReturnType<EngineChain["newPayload"]> {
    const engine = this.requireEngine();
    return this.queue.run(() => engine.newPayload(...args));
  }

  /** engine_forkchoiceUpdated (engine-chain.ts), in the queue. */
  async engineForkchoiceUpdated(...args: Parameters<EngineChain["forkchoiceUpdated"]>): ReturnType<EngineChain["forkchoiceUpdated"]> {
    const engine = this.requireEngine();
    return this.queue.run(() => engine.forkchoiceUpdated(...args));
  }

  /** engine_getPayload: waits for the build (queued by forkchoiceUpdated). */
  async engineGetPayload(payloadId: Hex): ReturnType<EngineChain["getPayload"]> {
    return this.requireEngine().getPayload(payloadId);
  }

  private requireEngine(): EngineChain {
    if (this.engine === undefined) throw new NodeError("The Engine API needs a node started with --engine.");
    return this.engine;
  }

  /**
   * Engine mode's randomness rule (docs/vrf.md#engine-mode): a block's VRF output derives from its
   * prevRandao (the block being executed or built, a canonical block when tracing re-executes it,
   * else the head's for calls on the pending block), never from a producer key.
   */
  private useRandaoRandomness(): void {
    const runtime = this.runtime as (AivmRuntime & { blockVrfFor?: (parentHash: Uint8Array, blockNumber: bigint) => unknown }) | null;
    if (runtime === null || runtime.blockVrfFor === undefined) return;
    runtime.blockVrfFor = (parentHash: Uint8Array, blockNumber: bigint) => {
      const block = this.blocks[Number(blockNumber)];
      const own = block !== undefined && equalsBytes(block.header.parentHash, parentHash) ? block.header.mixHash : undefined;
      return randaoBlockVrf(this.randao ?? own ?? this.head.header.mixHash, parentHash, blockNumber);
    };
  }

  private engineHost(): EngineHost {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the host's getters read the node's private state
    const node = this;
    return {
      get vm() {
        return node.vm;
      },
      get runtime() {
        return node.runtime ?? PLAIN_EVM_RUNTIME;
      },
      get stateManager() {
        return node.stateManager;
      },
      get blockCommon() {
        return node.blockCommon;
      },
      get head() {
        return node.head;
      },
      get blockGasLimit() {
        return node.blockGasLimit;
      },
      canonicalByHash: (hash) => node.blockByHashHex(hash),
      pendingTxs: () => node.txs.pending,
      dropPooled: (hash, reason) => {
        if (node.txs.drop(hash)) node.emit("droppedTransaction", { hash, reason });
      },
      setAncestry: (blocks) => {
        node.ancestry = blocks;
      },
      setRandao: (prevRandao) => {
        node.randao = prevRandao;
      },
      setCanonical: (forkNumber, branch) => node.setCanonical(forkNumber, branch),
      restoreHead: async (root) => {
        await node.stateManager.setStateRoot(root);
        await node.syncRuntimeMultiplier();
      },
      enqueue: (task) => node.queue.run(task),
      setCheckpoints: (safe, finalized) => {
        node.safeNumber = safe;
        node.finalizedNumber = finalized;
      },
    };
  }

  /**
   * A reorg (or an extension) to `branch`, the children of canonical block `forkNumber` in order:
   * the blocks after the fork leave every index, the branch's enter them, the state moves to the
   * new head's, the store drops and writes the same, and the pool takes back the transactions of
   * the blocks that left and loses the ones the branch included. Returns the blocks that left.
   */
  private async setCanonical(forkNumber: bigint, branch: MinedBlock[]): Promise<MinedBlock[]> {
    const oldHead = this.headNumber;
    const removed: MinedBlock[] = [];
    for (let n = forkNumber + 1n; n <= oldHead; n++) removed.push(this.blockByNumber(n)!);
    if (removed.length > 0) {
      this.truncateTo(forkNumber);
      await this.stateManager.setStateRoot(this.head.header.stateRoot);
      await this.store.putMeta(this.meta(this.head.header.stateRoot), { from: forkNumber + 1n, to: oldHead });
      console.error(`aivm engine: reorg: ${removed.length} block(s) after ${forkNumber} replaced by ${branch.length}`);
    }
    for (const mined of branch) {
      this.indexBlock(mined.block, mined.record);
      this.rememberAnchor(mined);
      if (this.store.persistent) await this.store.putBlock({ number: mined.block.header.number, rlp: mined.block.serialize(), record: encodeRecord(mined.record) }, this.meta(mined.block.header.stateRoot));
    }
    await this.stateManager.setStateRoot(this.head.header.stateRoot);
    await this.syncRuntimeMultiplier();
    this.stateVersion++;
    await this.reconcilePool(removed.flatMap((m) => m.record.txs.map((r, i) => ({ tx: m.block.transactions[i]!, from: r.from, hash: r.hash }))));
    for (const mined of branch) this.emit("block", mined);
    return removed;
  }

  /**
   * The runtime's multiplier (what calls and quotes charge) from the head state's Congestion slot:
   * executing another block (a side branch, a rejected payload, a build forkchoice never picks) left
   * that block's next multiplier there.
   */
  private async syncRuntimeMultiplier(): Promise<void> {
    const runtime = this.runtime as { multiplier?: bigint } | null;
    if (runtime === null || runtime.multiplier === undefined) return;
    const stored = bytesToBigInt(await this.stateManager.getStorage(createAddressFromString(CONGESTION_ADDRESS), new Uint8Array(32)));
    runtime.multiplier = stored === 0n ? initialMultiplier() : stored;
  }

  /** The runtime's recent-anchor record of a block that became canonical (the block executed last at its height may have been another). */
  private rememberAnchor(mined: MinedBlock): void {
    const runtime = this.runtime as { blocks?: Map<bigint, { anchor: unknown; leaves: Hex[]; traces: { txHash: Hex | undefined; trace: unknown }[] }> } | null;
    const anchor = mined.record.anchor;
    if (runtime?.blocks === undefined || anchor === null) return;
    const system = mined.record.systemTraces ?? [];
    const leaves = [...system, ...mined.record.txs.map((t) => t.trace)].flatMap((t) => t.receipts.map((r) => r.leaf));
    const traces = [...system.map((trace) => ({ txHash: undefined, trace })), ...mined.record.txs.map((t) => ({ txHash: t.hash, trace: t.trace }))];
    runtime.blocks.delete(anchor.blockNumber);
    runtime.blocks.set(anchor.blockNumber, { anchor, leaves, traces });
  }

  /**
   * After the head moved: the pool holds, per sender, the transactions that follow on from the new
   * head's nonce (pending) or after a gap (queued); ones the chain has included, or whose nonce it
   * used, leave it. `returned` (from blocks a reorg removed) go first.
   */
  private async reconcilePool(returned: PooledTx[]): Promise<void> {
    const seen = new Set<string>();
    const bySender = new Map<Hex, PooledTx[]>();
    for (const pooled of [...returned, ...this.txs.pending, ...this.txs.queuedList()]) {
      if (seen.has(pooled.hash) || this.txIndex.has(pooled.hash)) continue;
      seen.add(pooled.hash);
      const list = bySender.get(pooled.from) ?? [];
      list.push(pooled);
      bySender.set(pooled.from, list);
    }
    const pending: PooledTx[] = [];
    const queued: PooledTx[] = [];
    for (const [from, list] of bySender) {
      let next = (await this.stateManager.getAccount(createAddressFromString(from)))?.nonce ?? 0n;
      for (const pooled of list.sort((a, b) => (a.tx.nonce < b.tx.nonce ? -1 : a.tx.nonce > b.tx.nonce ? 1 : 0))) {
        if (pooled.tx.nonce < next) continue;
        if (pooled.tx.nonce === next) {
          pending.push(pooled);
          next++;
        } else queued.push(pooled);
      }
    }
    this.txs.setPending(pending);
    this.txs.setQueued(queued);
  }

  // ---------------------------------------------------------------- lifecycle

  /** Stops mining, waits for queued work, closes the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.stopIntervalMining();
    await this.queue.run(async () => {
      this.closed = true;
    });
    await this.store.close();
  }
}

/** Hooks for a chain without the AIVM runtime (runtime: null): no receipts, an empty anchor. */
const PLAIN_EVM_RUNTIME: AivmRuntime = {
  customPrecompiles: [],
  genesisAccounts: () => [],
  attach: () => {},
  startBlock: async () => {},
  startTx: () => {},
  endTx: () => ({ receipts: [], traceRoot: ZERO_TRACE_ROOT }),
  endBlock: async (_vm, blockNumber) => ({ blockNumber, anchorRoot: ZERO_TRACE_ROOT, receiptCount: 0, flops: 0n, multiplier: 0n }),
};

export { errorMessage } from "./calls.ts";

export { encodeRecord, decodeRecord } from "./mining.ts";

/** Engine mode's BlockRandomness genesis account: no producer key (randomness comes from prevRandao, docs/vrf.md#engine-mode). */
function withoutProducerKey(account: GenesisAccount): GenesisAccount {
  if (account.address.toLowerCase() !== BLOCK_RANDOMNESS_ADDRESS.toLowerCase() || account.storage === undefined) return account;
  const keySlot = bytesToHex(setLengthLeft(bigIntToBytes(VRF_PUBLIC_KEY_SLOT), 32));
  const storage = Object.fromEntries(Object.entries(account.storage).filter(([slot]) => slot.toLowerCase() !== keySlot)) as GenesisAccount["storage"];
  return { ...account, storage };
}

/** The VRF secret key a loaded runtime gets: `vrfKey`, or the one derived from the mnemonic. */
function vrfSecretKeyOf(options: DevNodeOptions): Uint8Array {
  if (options.vrfKey === undefined) return devVrfSecretKey(options.mnemonic ?? DEFAULT_MNEMONIC);
  const key = fromHexChecked(options.vrfKey, "VRF key");
  if (key.length !== 32) throw new NodeError(`The VRF key must be 32 bytes, got ${key.length}.`);
  return key;
}

/** The chain ID a raw transaction is signed for: a typed transaction's first field, a legacy one's EIP-155 v. */
export function rawTxChainId(raw: Uint8Array): bigint | undefined {
  try {
    const typed = raw[0] !== undefined && raw[0] < 0x80;
    const fields = RLP.decode(typed ? raw.subarray(1) : raw) as Uint8Array[];
    if (typed) return bytesToBigInt(fields[0]!);
    const v = bytesToBigInt(fields[6]!);
    return v >= 35n ? (v - 35n) / 2n : undefined;
  } catch {
    return undefined;
  }
}

/** A request with a gasPrice and no EIP-1559 fee fields: sent as type 0 (type 1 with an access list). */
function isLegacy(request: CallRequest): request is CallRequest & { gasPrice: bigint } {
  return request.gasPrice !== undefined && request.maxFeePerGas === undefined && request.maxPriorityFeePerGas === undefined && request.authorizationList === undefined;
}
