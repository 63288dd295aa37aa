// A block builder for AIVM chains. Upstream BlockBuilder.addTransaction rebuilds a Block holding
// every transaction so far before each runTx (O(n) per tx, O(n²) per block); this one builds the
// header-only block once and passes the running gas to runTx, so each addTransaction is O(1) in
// the block's size. It also drives the runtime hooks: startBlock → (startTx → runTx → endTx)* →
// endBlock (anchor + next multiplier, inside the block's state) → build.
import { createBlock, type Block, type HeaderData } from "@ethereumjs/block";
import { Blob4844Tx, type TypedTransaction } from "@ethereumjs/tx";
import { BlockBuilder, runTx, type BuildBlockOpts, type RunTxResult, type VM } from "@ethereumjs/vm";
import { bytesToHex } from "@ethereumjs/util";
import type { AivmBlockAnchor, AivmRuntime, AivmTxTrace } from "./types.ts";
import { AivmError } from "../engine/errors.ts";

/** The transaction's gas limit exceeds what is left in the block. */
export class BlockGasExceededError extends AivmError {
  override name = "BlockGasExceededError";
  override readonly code = "BLOCK_GAS_EXCEEDED";
  constructor(
    readonly txGasLimit: bigint,
    readonly remaining: bigint,
  ) {
    super(`Transaction gas limit ${txGasLimit} exceeds the ${remaining} gas left in the block.`, { docsPath: "precompiles.md#blocks" });
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
  private headerBlock: Block | undefined;

  constructor(
    vm: VM,
    opts: BuildBlockOpts,
    readonly runtime: AivmRuntime,
  ) {
    super(vm, opts);
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
    // Blob transactions and EIP-8037 accounting keep upstream's path (not active on this chain's Prague rules).
    const upstream = tx instanceof Blob4844Tx || vm.common.isActivatedEIP(8037);
    self.checkStatus();
    const blockGasLimit = BigInt(self.headerData.gasLimit);
    if (!upstream && tx.gasLimit > blockGasLimit - this.gasUsed) throw new BlockGasExceededError(tx.gasLimit, blockGasLimit - this.gasUsed);

    this.runtime.startTx(vm.evm);
    let result: RunTxResult;
    try {
      if (upstream) {
        result = await super.addTransaction(tx, opts);
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

  /** Writes the anchor and next multiplier into the block's state, then seals. */
  override async build(sealOpts?: Parameters<BlockBuilder["build"]>[0]): ReturnType<BlockBuilder["build"]> {
    this.internals.checkStatus();
    this.anchor = await this.runtime.endBlock(this.internals.vm, this.number);
    return super.build(sealOpts);
  }
}

/**
 * Starts a block on `vm`: like upstream `buildBlock`, plus `runtime.startBlock` (which reads the
 * multiplier in force from state).
 */
export async function buildAivmBlock(vm: VM, runtime: AivmRuntime, opts: BuildBlockOpts): Promise<AivmBlockBuilder> {
  const builder = new AivmBlockBuilder(vm, opts, runtime);
  await builder.initState();
  const header = (builder as unknown as BuilderInternals).headerData;
  await runtime.startBlock(vm, BigInt(header.number), BigInt((header.timestamp as bigint | undefined) ?? 0n));
  return builder;
}
