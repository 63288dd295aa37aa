// `aivm verify` as a library (docs/verify.md): checks a node's AIVM receipts through its JSON-RPC
// alone. Per block:
//   - the header rebuilt from eth_getBlockByNumber hashes to the block hash;
//   - the anchor is read from BlockAnchor's storage with eth_getProof and checked against the
//     header's state root (so it is the anchor the chain committed to, not what aivm_getAnchor says);
//   - every receipt's leaf is recomputed from its fields, every trace root from the leaves, the
//     anchor root from all the block's leaves, and every aivm_getReceiptProof path is checked;
//   - unless inclusion-only: the block is re-executed in a fresh VM and runtime of this process
//     (createChainVM, the precompiles' own code) over the parent block's state read through
//     eth_getProof and eth_getCode, each read proven against the parent header's state root
//     (proven-state.ts), with the block's VRF output verified against the producer's key, and
//     every receipt, commit, trace root and the anchor compared with the node's.
import { createBlockFromRPC, createBlockHeaderFromRPC, type Block, type JSONRPCBlock } from "@ethereumjs/block";
import type { Common } from "@ethereumjs/common";
import { verifyMerkleProof as verifyTrieProof } from "@ethereumjs/mpt";
import { RLP } from "@ethereumjs/rlp";
import { Address, bigIntToBytes, bytesToBigInt, bytesToHex, equalsBytes, hexToBytes, setLengthLeft } from "@ethereumjs/util";
import { keccak256 } from "../../commit/keccak.ts";
import { verifyMerkleProof } from "../../commit/merkle.ts";
import { receiptLeaf, type AivmOpReceipt } from "../../commit/receipt.ts";
import { anchorRoot, traceRoot } from "../../commit/trace.ts";
import { vrfVerify } from "../../commit/vrf.ts";
import { createChainCommon, createChainVM } from "../../evm/chain-vm.ts";
import { buildAivmBlock } from "../../chain/builder.ts";
import { BLOCK_ANCHOR_ADDRESS } from "../../chain/genesis.ts";
import { createAivmRuntime, type AivmRuntimeImpl } from "../../chain/runtime.ts";
import { BLOCK_RANDOMNESS_ADDRESS, VRF_PUBLIC_KEY_SLOT, vrfAlpha, type BlockVrf } from "../../chain/block-randomness.ts";
import type { ReceiptInput } from "../../../precompiles/commit.ts";
import { JsonRpcClient } from "./json-rpc.ts";
import { ProvenRpcStateManager, UnprovenStateError } from "./proven-state.ts";

type Hex = `0x${string}`;

export interface VerifyOptions {
  /** Check leaves, trace roots, the anchor and the proofs only; do not re-execute. */
  inclusionOnly?: boolean;
  /** The node's --hardfork (cancun, prague or osaka). Default: cancun for headers without requestsHash, else osaka. */
  hardfork?: string;
}

/** The node's rules cannot be the ones asked for: the header's fields belong to another fork. */
export class HardforkMismatchError extends Error {
  override name = "HardforkMismatchError";
}

/**
 * The rules a block is re-executed under. A header tells Cancun (no requestsHash) from Prague and
 * Osaka (EIP-7685's requestsHash); Prague and Osaka share a header shape, so `requested` (the
 * node's --hardfork) tells them apart, and Osaka is the node's default.
 */
export function chainCommonFor(chainId: number, header: { requestsHash?: string | null }, requested?: string): Common {
  const hasRequests = header.requestsHash !== undefined && header.requestsHash !== null;
  const hardfork = requested ?? (hasRequests ? "osaka" : "cancun");
  if (requested !== undefined && (requested === "cancun") === hasRequests) {
    throw new HardforkMismatchError(
      `The node's blocks ${hasRequests ? "carry" : "lack"} requestsHash (EIP-7685), so its rules are ${hasRequests ? "prague or osaka" : "cancun"}, not --hardfork ${requested}.`,
    );
  }
  return createChainCommon({ chainId, hardfork });
}

/** One receipt's verdict. `mismatches` names each disagreeing part ("output commit 0", "inclusion", …). */
export interface ReceiptVerdict {
  blockNumber: bigint;
  /** The transaction, or null for a system call's receipt (scheduler epoch). */
  txHash: Hex | null;
  /** Index of the receipt within its transaction. */
  index: number;
  /** Position among the block's anchored leaves. */
  leafIndex: number;
  opcode: string;
  leaf: Hex;
  valid: boolean;
  mismatches: string[];
  /** Milliseconds: re-executing the op (this process, from the previous receipt to this one) plus checking it. */
  ms: number;
}

export interface BlockVerdict {
  blockNumber: bigint;
  blockHash: Hex;
  valid: boolean;
  /** Block-level disagreements ("header hash", "anchor root", "trace root of 0x…", …). */
  mismatches: string[];
  receipts: ReceiptVerdict[];
  anchorRoot: Hex;
  receiptCount: number;
  reexecuted: boolean;
  ms: number;
}

interface ServedTrace {
  txHash: Hex;
  traceRoot: Hex;
  receipts: AivmOpReceipt[];
}

function parseReceipt(r: Record<string, unknown>): AivmOpReceipt {
  return {
    index: Number(r.index),
    precompile: (r.precompile as string).toLowerCase() as Hex,
    opcode: r.opcode as string,
    paramsHash: r.paramsHash as Hex,
    inputCommits: r.inputCommits as Hex[],
    outputCommits: r.outputCommits as Hex[],
    gasUsed: BigInt(r.gasUsed as string),
    flops: BigInt(r.flops as string),
    leaf: r.leaf as Hex,
  };
}

/** BlockAnchor's storage slots of block n's anchor root and receipt count. */
function anchorSlots(n: bigint): [Uint8Array, Uint8Array] {
  const key = new Uint8Array(64);
  key.set(hexToBytes(`0x${n.toString(16).padStart(64, "0")}`), 0);
  key[63] = 1;
  const base = bytesToBigInt(keccak256(key));
  const slot = (i: bigint) => hexToBytes(`0x${((base + i) % (1n << 256n)).toString(16).padStart(64, "0")}`);
  return [slot(0n), slot(1n)];
}

/** The anchor of block n from BlockAnchor's storage, proven against the block's state root. */
async function provenAnchor(client: JsonRpcClient, n: bigint, stateRoot: Uint8Array): Promise<{ root: Hex; count: number } | string> {
  const slots = anchorSlots(n);
  const proof = await client.request<{ accountProof: Hex[]; storageHash: Hex; storageProof: { key: Hex; value: Hex; proof: Hex[] }[] }>("eth_getProof", [
    BLOCK_ANCHOR_ADDRESS,
    slots.map((s) => bytesToHex(s)),
    `0x${n.toString(16)}`,
  ]);
  const accountNodes = proof.accountProof.map((p) => hexToBytes(p));
  if (accountNodes.length === 0 || bytesToHex(keccak256(accountNodes[0]!)) !== bytesToHex(stateRoot)) return "anchor proof (account proof is not under the header's state root)";
  let account: Uint8Array | null;
  try {
    account = await verifyTrieProof(hexToBytes(BLOCK_ANCHOR_ADDRESS), accountNodes, { useKeyHashing: true });
  } catch {
    return "anchor proof (invalid account proof)";
  }
  if (!account) return "anchor proof (BlockAnchor absent from state)";
  const storageRoot = (RLP.decode(account) as Uint8Array[])[2]!;
  const values: bigint[] = [];
  for (const [i, sp] of proof.storageProof.entries()) {
    const nodes = sp.proof.map((p) => hexToBytes(p));
    if (nodes.length > 0 && bytesToHex(keccak256(nodes[0]!)) !== bytesToHex(storageRoot)) return "anchor proof (storage proof is not under BlockAnchor's storage root)";
    let value: Uint8Array | null;
    try {
      value = nodes.length === 0 ? null : await verifyTrieProof(slots[i]!, nodes, { useKeyHashing: true });
    } catch {
      return "anchor proof (invalid storage proof)";
    }
    values.push(value === null ? 0n : bytesToBigInt(RLP.decode(value) as Uint8Array));
  }
  return { root: `0x${values[0]!.toString(16).padStart(64, "0")}`, count: Number(values[1]!) };
}

/** Compares a re-executed receipt with the node's; the names of the parts that differ. */
function compareReceipts(mine: AivmOpReceipt, served: AivmOpReceipt): string[] {
  const out: string[] = [];
  if (mine.precompile !== served.precompile) out.push("precompile");
  if (mine.paramsHash !== served.paramsHash) out.push("params hash");
  if (mine.inputCommits.length !== served.inputCommits.length) out.push("input count");
  mine.inputCommits.forEach((c, i) => c !== served.inputCommits[i] && out.push(`input commit ${i}`));
  if (mine.outputCommits.length !== served.outputCommits.length) out.push("output count");
  mine.outputCommits.forEach((c, i) => c !== served.outputCommits[i] && out.push(`output commit ${i}`));
  if (mine.gasUsed !== served.gasUsed) out.push("gas");
  if (mine.flops !== served.flops) out.push("flops");
  if (mine.leaf !== served.leaf) out.push("leaf");
  return out;
}

/** A Blockchain for BLOCKHASH: headers fetched from the node (their hashes are what the opcode reads). */
function rpcBlockchain(client: JsonRpcClient, common: Common) {
  return {
    async getBlock(n: bigint | number) {
      const json = await client.request<JSONRPCBlock>("eth_getBlockByNumber", [`0x${BigInt(n).toString(16)}`, false]);
      return { hash: () => createBlockHeaderFromRPC(json, { common, skipConsensusFormatValidation: true }).hash(), header: createBlockHeaderFromRPC(json, { common, skipConsensusFormatValidation: true }) };
    },
    async getCanonicalHeadBlock() {
      throw new Error("not available to the verifier");
    },
    async putBlock() {},
    async validateHeader() {},
    shallowCopy() {
      return this;
    },
    events: undefined,
  };
}

interface Reexecution {
  /** The receipts this process computed: per transaction in block order, and per system call (anchored first). */
  txTraces: AivmOpReceipt[][];
  systemTraces: AivmOpReceipt[][];
  /** Milliseconds each receipt took to produce, same order as the receipts. */
  receiptMs: Map<AivmOpReceipt, number>;
  anchorRoot: Hex;
  receiptCount: number;
  vrf: string | undefined;
  /** Pre-state reads whose proofs failed (the re-execution is then meaningless past them). */
  unproven: string[];
}

/** Re-executes block `block` on the parent's state, read through the node's RPC. */
async function reexecuteBlock(client: JsonRpcClient, block: Block, parent: Block, common: Common): Promise<Reexecution> {
  const n = block.header.number;
  const stateManager = new ProvenRpcStateManager({ provider: client.url, blockTag: n - 1n, common }, parent.header.stateRoot, client);
  const runtime: AivmRuntimeImpl = createAivmRuntime();
  // The block's VRF: the producer's proof, checked against its public key in the (proven) parent state.
  const served = await client.request<{ pi: Hex; beta: Hex; publicKey: Hex } | null>("aivm_getVrf", [`0x${n.toString(16)}`]);
  let vrfProblem: string | undefined;
  if (served) {
    const alpha = vrfAlpha(block.header.parentHash, n);
    const keyWord = await stateManager.getStorage(new Address(hexToBytes(BLOCK_RANDOMNESS_ADDRESS)), setLengthLeft(bigIntToBytes(VRF_PUBLIC_KEY_SLOT), 32));
    const publicKey = setLengthLeft(keyWord, 32);
    const beta = vrfVerify(publicKey, hexToBytes(served.pi), alpha);
    if (!beta || bytesToHex(beta) !== served.beta.toLowerCase()) vrfProblem = "block VRF proof (under the producer's key in state)";
    const vrf: BlockVrf = { blockNumber: n, alpha, pi: hexToBytes(served.pi), beta: hexToBytes(served.beta) };
    runtime.blockVrfFor = () => vrf;
  }
  const receiptMs = new Map<AivmOpReceipt, number>();
  let last = performance.now();
  const record = runtime.recordReceipt.bind(runtime);
  runtime.recordReceipt = (input: ReceiptInput) => {
    const r = record(input);
    const now = performance.now();
    receiptMs.set(r, now - last);
    last = now;
    return r;
  };
  const vm = await createChainVM({ common, runtime, stateManager: stateManager as never, blockchain: rpcBlockchain(client, common) as never });
  const h = block.header;
  const builder = await buildAivmBlock(vm, runtime, {
    parentBlock: parent,
    headerData: { number: n, timestamp: h.timestamp, gasLimit: h.gasLimit, baseFeePerGas: h.baseFeePerGas, coinbase: h.coinbase, mixHash: h.mixHash },
    blockOpts: { putBlockIntoBlockchain: false, freeze: false, common },
  });
  const systemTraces = builder.epochCalls.map((c) => c.trace.receipts);
  for (const tx of block.transactions) {
    last = performance.now();
    await builder.addTransaction(tx, { skipHardForkValidation: true });
  }
  const anchor = await runtime.endBlock(vm, n);
  return {
    txTraces: builder.traces.map((t) => t.receipts),
    systemTraces,
    receiptMs,
    anchorRoot: anchor.anchorRoot,
    receiptCount: anchor.receiptCount,
    vrf: vrfProblem,
    unproven: [...new Set(stateManager.unproven)],
  };
}

/** Verifies one block (see the top of this file). */
export async function verifyBlock(client: JsonRpcClient, n: bigint, opts: VerifyOptions = {}): Promise<BlockVerdict> {
  const t0 = performance.now();
  const mismatches: string[] = [];
  const blockJson = await client.request<JSONRPCBlock | null>("eth_getBlockByNumber", [`0x${n.toString(16)}`, true]);
  if (!blockJson) throw new Error(`Block ${n} does not exist on ${client.url}.`);
  const common = chainCommonFor(Number(await client.request<Hex>("eth_chainId")), blockJson, opts.hardfork);
  const block = createBlockFromRPC(blockJson, [], { common, skipConsensusFormatValidation: true });
  if (bytesToHex(block.hash()) !== blockJson.hash) mismatches.push("header hash");

  // The anchor the chain committed to: BlockAnchor's storage under this header's state root.
  const anchor = await provenAnchor(client, n, block.header.stateRoot);
  if (typeof anchor === "string") mismatches.push(anchor);
  const root = typeof anchor === "string" ? (`0x${"0".repeat(64)}` as Hex) : anchor.root;
  const count = typeof anchor === "string" ? 0 : anchor.count;
  const served = await client.request<{ anchorRoot: Hex; receiptCount: number } | null>("aivm_getAnchor", [`0x${n.toString(16)}`]);
  if (served && (served.anchorRoot !== root || served.receiptCount !== count)) mismatches.push("aivm_getAnchor differs from BlockAnchor's state");

  // The node's receipts, per transaction.
  const traces: ServedTrace[] = [];
  for (const tx of block.transactions) {
    const txHash = bytesToHex(tx.hash()) as Hex;
    const got = await client.request<{ traceRoot: Hex; receipts: Record<string, unknown>[] } | null>("aivm_getReceipts", [txHash]);
    traces.push({ txHash, traceRoot: got?.traceRoot ?? (`0x${"0".repeat(64)}` as Hex), receipts: (got?.receipts ?? []).map(parseReceipt) });
  }
  let reexec: Reexecution | undefined;
  if (!opts.inclusionOnly) {
    // The parent header, tied to this block by its hash, fixes the pre-state root every read is proven against.
    const parent = await parentBlockOf(client, n, common);
    if (!equalsBytes(parent.hash(), block.header.parentHash)) mismatches.push("parent header hash");
    try {
      reexec = await reexecuteBlock(client, block, parent, common);
    } catch (e) {
      if (!(e instanceof UnprovenStateError)) throw e;
      mismatches.push(e.shortMessage);
    }
  }
  if (reexec?.vrf) mismatches.push(reexec.vrf);
  if (reexec) mismatches.push(...reexec.unproven);

  const verdicts: ReceiptVerdict[] = [];
  // System-call receipts come first in the anchor; the node serves no fields for them, so only a
  // re-execution can account for them.
  const systemLeaves = reexec ? reexec.systemTraces.flat().map((r) => r.leaf) : [];
  for (const [k, r] of (reexec?.systemTraces.flat() ?? []).entries()) {
    verdicts.push({ blockNumber: n, txHash: null, index: r.index, leafIndex: k, opcode: r.opcode, leaf: r.leaf, valid: true, mismatches: [], ms: reexec!.receiptMs.get(r) ?? 0 });
  }
  const txLeaves: Hex[] = [];
  let offset: number | undefined = reexec ? systemLeaves.length : undefined;
  for (const [t, trace] of traces.entries()) {
    if (trace.receipts.length === 0 && (!reexec || reexec.txTraces[t]!.length === 0)) continue;
    if (traceRoot(trace.receipts) !== trace.traceRoot) mismatches.push(`trace root of ${trace.txHash} (served)`);
    const mine = reexec?.txTraces[t];
    if (mine && traceRoot(mine) !== trace.traceRoot) mismatches.push(`trace root of ${trace.txHash}`);
    if (mine && mine.length !== trace.receipts.length) mismatches.push(`receipt count of ${trace.txHash} (node ${trace.receipts.length}, re-executed ${mine.length})`);
    for (const [i, r] of trace.receipts.entries()) {
      const problems: string[] = [];
      let leaf: Hex;
      try {
        leaf = receiptLeaf(r);
      } catch {
        leaf = r.leaf;
        problems.push("malformed fields");
      }
      if (leaf !== r.leaf.toLowerCase()) problems.push("leaf (not the hash of the served fields)");
      const proof = await client.request<{ leaf: Hex; leafIndex: number; leafCount: number; siblings: Hex[] } | null>("aivm_getReceiptProof", [trace.txHash, `0x${i.toString(16)}`]);
      const checkStart = performance.now();
      if (!proof) problems.push("inclusion (no proof served)");
      else {
        offset ??= proof.leafIndex - i;
        if (proof.leafIndex !== offset + txLeaves.length) problems.push("inclusion (leaf position)");
        if (!verifyMerkleProof(hexToBytes(root), hexToBytes(leaf), proof.leafIndex, count, proof.siblings.map((s) => hexToBytes(s)))) problems.push("inclusion");
      }
      const mineR = mine?.[i];
      if (mine && !mineR) problems.push("not produced by re-execution");
      if (mineR) problems.push(...compareReceipts(mineR, { ...r, leaf }));
      txLeaves.push(leaf);
      const checkMs = performance.now() - checkStart;
      verdicts.push({
        blockNumber: n,
        txHash: trace.txHash,
        index: i,
        leafIndex: proof?.leafIndex ?? -1,
        opcode: r.opcode,
        leaf: r.leaf,
        valid: problems.length === 0,
        mismatches: problems,
        ms: (mineR ? (reexec!.receiptMs.get(mineR) ?? 0) : 0) + checkMs,
      });
    }
  }
  // The anchor: the served receipts (after the system ones) must make up the committed root.
  const leaves = [...systemLeaves, ...txLeaves];
  if (reexec || (offset ?? 0) === 0) {
    if (anchorRoot(leaves) !== root || leaves.length !== count) mismatches.push("anchor root (the block's receipts do not hash to BlockAnchor's root)");
  }
  if (reexec && (reexec.anchorRoot !== root || reexec.receiptCount !== count)) mismatches.push("anchor root (re-executed)");
  return {
    blockNumber: n,
    blockHash: blockJson.hash as Hex,
    valid: mismatches.length === 0 && verdicts.every((v) => v.valid),
    mismatches,
    receipts: verdicts,
    anchorRoot: root,
    receiptCount: count,
    reexecuted: reexec !== undefined,
    ms: performance.now() - t0,
  };
}

async function parentBlockOf(client: JsonRpcClient, n: bigint, common: Common): Promise<Block> {
  const json = await client.request<JSONRPCBlock>("eth_getBlockByNumber", [`0x${(n - 1n).toString(16)}`, false]);
  return createBlockFromRPC({ ...json, transactions: [] }, [], { common, skipConsensusFormatValidation: true });
}

/** Verifies blocks `from`…`to` (inclusive) of the node at `url`. */
export async function verifyBlocks(url: string, from: bigint, to: bigint, opts: VerifyOptions = {}): Promise<BlockVerdict[]> {
  const client = new JsonRpcClient(url);
  const out: BlockVerdict[] = [];
  for (let n = from; n <= to; n++) out.push(await verifyBlock(client, n, opts));
  return out;
}

/** Verifies the block holding transaction `txHash`; only that transaction's receipts are reported. */
export async function verifyTransaction(url: string, txHash: Hex, opts: VerifyOptions = {}): Promise<BlockVerdict> {
  const client = new JsonRpcClient(url);
  const tx = await client.request<{ blockNumber: Hex | null } | null>("eth_getTransactionByHash", [txHash]);
  if (!tx || tx.blockNumber === null) throw new Error(`Transaction ${txHash} is not mined on ${url}.`);
  const verdict = await verifyBlock(client, BigInt(tx.blockNumber), opts);
  return { ...verdict, receipts: verdict.receipts.filter((r) => r.txHash === txHash.toLowerCase()) };
}
