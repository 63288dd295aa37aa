// A minimal chain for the precompile tests: the production VM (createChainVM, through createAivmVM),
// real signed transactions, real blocks built by AivmBlockBuilder (so the runtime hooks run),
// contracts compiled by npm solc.
import { createBlock, type Block } from "@ethereumjs/block";
import { createFeeMarket1559Tx } from "@ethereumjs/tx";
import type { EVMResult } from "@ethereumjs/evm";
import type { RunTxResult, VM } from "@ethereumjs/vm";
import { Address, bytesToHex, hexToBytes, privateToAddress } from "@ethereumjs/util";
import { decodeFunctionResult, encodeDeployData, encodeFunctionData, type Abi, type Hex } from "viem";
import { createAivmRuntime, type AivmRuntimeImpl, type AivmRuntimeOptions } from "../../src/chain/runtime.ts";
import { createAivmVM } from "../../src/chain/vm.ts";
import { buildAivmBlock, type AivmBlockBuilder } from "../../src/chain/builder.ts";
import { getContract } from "../../src/chain/solc.ts";
import type { AivmBlockAnchor, AivmTxTrace } from "../../src/commit/trace.ts";

export const TEST_SOURCES = [
  "AIVM.sol",
  "examples/AivmProbe.sol",
  "examples/PlainMatmul.sol",
  "system/BlockAnchor.sol",
  "system/Congestion.sol",
  "system/AgentNamespaces.sol",
] as const;

export function contract(name: string) {
  return getContract(name, undefined, TEST_SOURCES);
}

const KEY = hexToBytes("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
export const SENDER = new Address(privateToAddress(KEY));

export interface SentTx {
  result: RunTxResult;
  trace: AivmTxTrace;
  block: Block;
  anchor: AivmBlockAnchor;
}

export interface TxRequest {
  to?: Hex;
  data: Hex;
  gasLimit?: bigint;
}

export class TestChain {
  private nonce = 0n;
  private head: Block;
  readonly blocks: Block[] = [];

  constructor(
    readonly vm: VM,
    readonly runtime: AivmRuntimeImpl,
  ) {
    this.head = createBlock({ header: { gasLimit: 100_000_000n, baseFeePerGas: 7n, timestamp: 1n } }, { common: vm.common });
    this.blocks.push(this.head);
  }

  /** Builds one block holding `txs`, in order. */
  async mine(txs: readonly TxRequest[]): Promise<{ block: Block; results: RunTxResult[]; builder: AivmBlockBuilder }> {
    const builder = await buildAivmBlock(this.vm, this.runtime, {
      parentBlock: this.head,
      headerData: { timestamp: this.head.header.timestamp + 12n, gasLimit: 100_000_000n },
      blockOpts: { putBlockIntoBlockchain: false },
    });
    const results: RunTxResult[] = [];
    for (const t of txs) results.push(await builder.addTransaction(this.signTx(t)));
    const block = await this.adopt(builder);
    return { block, results, builder };
  }

  /** Signs the next transaction from SENDER. */
  signTx(t: TxRequest) {
    return createFeeMarket1559Tx(
      { nonce: this.nonce++, to: t.to, data: t.data, gasLimit: t.gasLimit ?? 30_000_000n, maxFeePerGas: 1_000_000_000n, maxPriorityFeePerGas: 1n },
      { common: this.vm.common },
    ).sign(KEY);
  }

  /** Seals a builder's block and makes it the head. */
  async adopt(builder: AivmBlockBuilder): Promise<Block> {
    const { block } = await builder.build();
    this.head = block;
    this.blocks.push(block);
    return block;
  }

  /** Sends one transaction in its own block. */
  async send(req: TxRequest): Promise<SentTx> {
    const { block, results, builder } = await this.mine([req]);
    return { result: results[0]!, trace: builder.traces[0]!, block, anchor: builder.anchor! };
  }

  async deploy(name: string, args: readonly unknown[] = []): Promise<Hex> {
    const c = contract(name);
    const data = encodeDeployData({ abi: c.abi, bytecode: c.bytecode, args });
    const { result } = await this.send({ data });
    if (result.execResult.exceptionError) throw new Error(`deploy ${name} failed: ${result.execResult.exceptionError.error}`);
    return result.createdAddress!.toString() as Hex;
  }

  /** A transaction calling `fn` on a contract; returns the decoded result too. */
  async sendCall(abi: Abi, to: Hex, functionName: string, args: readonly unknown[], gasLimit?: bigint) {
    const data = encodeFunctionData({ abi, functionName, args });
    const sent = await this.send({ to, data, gasLimit });
    const ret = sent.result.execResult.exceptionError ? undefined : decodeFunctionResult({ abi, functionName, data: bytesToHex(sent.result.execResult.returnValue) as Hex });
    return { ...sent, ret };
  }

  /** An eth_call-style read against the head state: runtime hooks around evm.runCall, receipts discarded. */
  async call(to: Hex, data: Hex, gasLimit = 30_000_000n): Promise<EVMResult> {
    this.runtime.startTx(this.vm.evm);
    // A read: whatever the call writes (nonce, TSTORE) is rolled back.
    await this.vm.stateManager.checkpoint();
    try {
      return await this.vm.evm.runCall({
        to: new Address(hexToBytes(to)),
        caller: SENDER,
        origin: SENDER,
        data: hexToBytes(data),
        gasLimit,
        skipBalance: true,
      });
    } finally {
      await this.vm.stateManager.revert();
      this.runtime.endTx(undefined, true);
    }
  }
}

/** What the EVM charged each AIVM precompile frame (executionGasUsed), in call order. */
export interface PrecompileCharge {
  to: string;
  gasUsed: bigint;
  error: string | undefined;
  returnValue: Uint8Array;
  /** The call's input (what the library encoded). */
  input: Uint8Array;
}

/** Records every precompile frame's charge from the EVM's own message events. */
export function watchPrecompiles(vm: VM): PrecompileCharge[] {
  const seen: PrecompileCharge[] = [];
  const stack: { to: string; input: Uint8Array }[] = [];
  vm.evm.events!.on("beforeMessage", (m) => stack.push({ to: m.to?.toString() ?? "", input: m.data.slice() }));
  vm.evm.events!.on("afterMessage", (r: EVMResult) => {
    const { to, input } = stack.pop() ?? { to: "", input: new Uint8Array() };
    if (/^0x0{36}a10[1-8]$/.test(to)) {
      seen.push({ to, gasUsed: r.execResult.executionGasUsed, error: r.execResult.exceptionError?.error, returnValue: r.execResult.returnValue, input });
    }
  });
  return seen;
}

export async function createTestChain(options?: AivmRuntimeOptions): Promise<TestChain> {
  const runtime = createAivmRuntime(options);
  const vm = await createAivmVM({ runtime, accounts: [{ address: SENDER.toString() as Hex, balance: 10n ** 24n }] });
  return new TestChain(vm, runtime);
}
