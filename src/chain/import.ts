// Blocks from outside the node (`aivm import`, docs/node.md#chain-data). On a dev chain each is
// re-executed on the node's VM with the AIVM runtime, through the same block builder mining uses (startBlock and its VRF,
// the scheduler's epoch calls, every transaction, endBlock's anchor and multiplier), from the header
// fields its producer chose. The result must be the block: parent hash, transactions root, state root,
// receipts root, logs bloom, gas used and, last, the block hash. On any difference the block's state
// is dropped and nothing of it is written; the error names the block number and each field that differs.
// A node in engine mode takes them through its Engine API instead (importEngineBlock). Neither touches
// the transaction pool.
import type { Block, HeaderData } from "@ethereumjs/block";
import { bytesToHex, equalsBytes } from "@ethereumjs/util";
import { AivmError } from "../engine/errors.ts";
import { buildAivmBlock, type AivmBlockBuilder } from "./builder.ts";
import { errorMessage } from "./calls.ts";
import { recordOfBlock, type IncludedTx } from "./mining.ts";
import type { DevNode, MinedBlock } from "./node.ts";

type Hex = `0x${string}`;

/** A block that does not re-execute to itself, or does not follow the chain: nothing of it was written. */
export class BlockImportError extends AivmError {
  override name = "BlockImportError";
  override readonly code = "BLOCK_IMPORT";
  constructor(
    readonly blockNumber: bigint,
    /** One line per check that failed: the field, the block's value and the re-executed one. */
    readonly differences: string[],
  ) {
    super(`Block ${blockNumber} was not imported: ${differences.join("; ")}.`, { docsPath: "node.md#chain-data" });
  }
}

/**
 * Re-executes `block` on top of the node's head and, when it reproduces exactly, appends it
 * (persisted with a LevelDB store). After a refusal the state is the head's again, but the runtime's
 * in-memory view (the multiplier calls are charged at, the refused block's anchor) is the refused
 * block's: `aivm import` closes the node there.
 */
export async function importBlock(node: DevNode, block: Block): Promise<MinedBlock> {
  return node.queue.run(() => importUnqueued(node, block));
}

async function importUnqueued(node: DevNode, block: Block): Promise<MinedBlock> {
  const runtime = node.runtime;
  const header = block.header;
  const number = header.number;
  if (runtime === null) throw new BlockImportError(number, ["the node runs without the AIVM runtime, so it cannot re-execute AIVM blocks"]);
  const parent = node.head;
  if (number !== parent.header.number + 1n) throw new BlockImportError(number, [`it does not follow the head, block ${parent.header.number}`]);
  if (!equalsBytes(header.parentHash, parent.hash())) {
    throw new BlockImportError(number, [`parent hash ${bytesToHex(header.parentHash)}, but block ${parent.header.number} here is ${bytesToHex(parent.hash())} (was the chain started from the same genesis, see --genesis, or by an engine-mode node, see --engine?)`]);
  }
  if (!equalsBytes(await node.stateManager.getStateRoot(), parent.header.stateRoot)) {
    throw new BlockImportError(number, [`the head state was edited after block ${parent.header.number} (hardhat_set*), so it is not block ${parent.header.number}'s state`]);
  }
  if (header.timestamp <= parent.header.timestamp) throw new BlockImportError(number, [`timestamp ${header.timestamp} is not after its parent's ${parent.header.timestamp}`]);
  const headerData: HeaderData = {
    number,
    timestamp: header.timestamp,
    gasLimit: header.gasLimit,
    baseFeePerGas: header.baseFeePerGas,
    coinbase: header.coinbase,
    mixHash: header.mixHash,
    extraData: header.extraData,
    parentBeaconBlockRoot: header.parentBeaconBlockRoot,
  };
  const builder = await buildAivmBlock(node.vm, runtime, {
    parentBlock: parent,
    headerData,
    withdrawals: block.withdrawals?.map((w) => w.toValue()),
    // The parent's Common is the node's shared block Common (shared-common.ts).
    blockOpts: { putBlockIntoBlockchain: false, freeze: false, common: parent.common },
  });
  const included: IncludedTx[] = [];
  let built: Block;
  try {
    for (const [index, tx] of block.transactions.entries()) {
      const hash = bytesToHex(tx.hash()) as Hex;
      try {
        const result = await builder.addTransaction(tx, { skipHardForkValidation: true });
        included.push({ pooled: { tx, from: tx.getSenderAddress().toString() as Hex, hash }, result, trace: builder.traces[builder.traces.length - 1]! });
      } catch (error) {
        throw new BlockImportError(number, [`transaction ${index} (${hash}) cannot run here: ${errorMessage(error)}`]);
      }
    }
    ({ block: built } = await builder.build());
  } catch (error) {
    await revertQuietly(builder);
    throw error;
  }
  const differences = compareHeaders(block, built);
  if (differences.length > 0) {
    // The sealed block's state is in the state manager (not yet in the store): back to the parent's.
    await node.stateManager.setStateRoot(parent.header.stateRoot);
    throw new BlockImportError(number, differences);
  }
  Object.freeze(block.header);
  return node.appendBlock(block, recordOfBlock(block, included, builder.anchor ?? null, builder.epochCalls));
}

/**
 * Imports `block` into a node in engine mode (DevNode `engine: true`, `aivm node --engine`) the way a
 * consensus client hands it over: engine_newPayload, which re-executes it with the payload's
 * randomness and compares every root (engine-chain.ts), then forkchoiceUpdated to make it the head.
 */
export async function importEngineBlock(node: DevNode, block: Block): Promise<void> {
  const engine = node.engine;
  const number = block.header.number;
  if (engine === undefined) throw new BlockImportError(number, ["the node is not in engine mode"]);
  const hash = bytesToHex(block.hash()) as Hex;
  const blobHashes = block.transactions.flatMap((tx) => ("blobVersionedHashes" in tx ? (tx.blobVersionedHashes as Hex[]) : []));
  const beaconRoot = bytesToHex(block.header.parentBeaconBlockRoot ?? new Uint8Array(32)) as Hex;
  const status = await engine.newPayload(block.toExecutionPayload(), beaconRoot, undefined, blobHashes);
  if (status.status === "SYNCING") throw new BlockImportError(number, [`its parent ${bytesToHex(block.header.parentHash)} is not in the database (was the chain started from the same genesis? see --genesis)`]);
  if (status.status !== "VALID") throw new BlockImportError(number, [status.validationError ?? `newPayload answered ${status.status}`]);
  const { payloadStatus } = await engine.forkchoiceUpdated(hash, hash, hash, undefined);
  if (payloadStatus.status !== "VALID") throw new BlockImportError(number, [payloadStatus.validationError ?? `forkchoiceUpdated answered ${payloadStatus.status}`]);
}

/** The fields re-execution decides, then the hash (which covers the rest of the header). */
function compareHeaders(block: Block, built: Block): string[] {
  const differences: string[] = [];
  const bytesField = (name: string, theirs: Uint8Array, ours: Uint8Array) => {
    if (!equalsBytes(theirs, ours)) differences.push(`${name}: the block has ${bytesToHex(theirs)}, re-execution gives ${bytesToHex(ours)}`);
  };
  const a = block.header;
  const b = built.header;
  bytesField("transactions root", a.transactionsTrie, b.transactionsTrie);
  bytesField("state root", a.stateRoot, b.stateRoot);
  bytesField("receipts root", a.receiptTrie, b.receiptTrie);
  if (a.gasUsed !== b.gasUsed) differences.push(`gas used: the block has ${a.gasUsed}, re-execution gives ${b.gasUsed}`);
  bytesField("logs bloom", a.logsBloom, b.logsBloom);
  if (differences.length === 0) bytesField("block hash", block.hash(), built.hash());
  return differences;
}

async function revertQuietly(builder: AivmBlockBuilder): Promise<void> {
  try {
    await builder.revert();
  } catch {
    // Already reverted (a node fault aborts the block itself) or sealed.
  }
}

/** Splits a file of concatenated block RLPs (geth's export format) into each block's bytes. */
export function splitBlockRlps(bytes: Uint8Array): Uint8Array[] {
  const blocks: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const length = rlpItemLength(bytes, offset);
    if (offset + length > bytes.length) throw new AivmError(`The chain file is cut short: the block at byte ${offset} needs ${length} bytes, ${bytes.length - offset} are left.`, { docsPath: "node.md#chain-data" });
    blocks.push(bytes.subarray(offset, offset + length));
    offset += length;
  }
  return blocks;
}

/** The byte length of the RLP list starting at `offset` (a block is always a list). */
function rlpItemLength(bytes: Uint8Array, offset: number): number {
  const first = bytes[offset]!;
  if (first < 0xc0) throw new AivmError(`The chain file holds no block RLP at byte ${offset} (0x${first.toString(16).padStart(2, "0")} is not a list).`, { docsPath: "node.md#chain-data" });
  if (first <= 0xf7) return 1 + (first - 0xc0);
  const lengthBytes = first - 0xf7;
  let length = 0;
  for (let i = 1; i <= lengthBytes; i++) length = length * 256 + (bytes[offset + i] ?? 0);
  return 1 + lengthBytes + length;
}
