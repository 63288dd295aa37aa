// One BlockchainTests case: genesis from `pre` (its root must be the genesis header's), then every
// block of `blocks` run with runBlock on its parent's post state (so side chains work), each checked
// by runBlock itself (state root, receipts root, bloom, gas used) and by validateHeader below; then
// the state of `lastblockhash` compared account by account with `postState` (or its root with `postStateHash`).
import { createBlockFromRLP, type Block, type BlockHeader } from "@ethereumjs/block";
import type { EVMMockBlockchainInterface } from "@ethereumjs/evm";
import { bytesToBigInt, bytesToHex, equalsBytes, setLengthLeft } from "@ethereumjs/util";
import { runBlock } from "@ethereumjs/vm";
import { readFixture, type CaseRef } from "./fixtures.ts";
import { addressOf, bytesOf, writePreState, type PreAccount } from "./state-setup.ts";
import { suiteCommon, suiteStateManager, suiteVM, type Stack } from "./stack.ts";
import type { CaseResult } from "./state.ts";

interface BlockchainTest {
  genesisRLP: string;
  blocks: { rlp: string; expectException?: string }[];
  lastblockhash: string;
  pre: Record<string, PreAccount>;
  /** The post state, or for large ones only its root. */
  postState?: Record<string, PreAccount>;
  postStateHash?: string;
}

/**
 * Blocks by hash; BLOCKHASH walks back from the parent of the block being run, so each branch of a
 * fork sees its own ancestors.
 */
class FixtureChain implements EVMMockBlockchainInterface {
  readonly byHash = new Map<string, Block>();
  tip: Block | undefined;

  add(block: Block): void {
    this.byHash.set(bytesToHex(block.hash()), block);
  }

  parentOf(block: Block): Block | undefined {
    return this.byHash.get(bytesToHex(block.header.parentHash));
  }

  async getBlock(n: number): Promise<Block> {
    for (let b = this.tip; b !== undefined; b = this.parentOf(b)) if (b.header.number === BigInt(n)) return b;
    throw new Error(`block ${n} is not an ancestor of the block being run`);
  }

  async putBlock(): Promise<void> {}

  shallowCopy(): this {
    return this;
  }

  /** The header rules runBlock leaves to a blockchain: number, time, gas limit, base fee and blob gas against the parent. */
  async validateHeader(header: BlockHeader): Promise<void> {
    const parent = this.byHash.get(bytesToHex(header.parentHash));
    if (parent === undefined) throw new Error("unknown parent");
    const p = parent.header;
    if (header.number !== p.number + 1n) throw new Error("number is not parent + 1");
    if (header.timestamp <= p.timestamp) throw new Error("timestamp not after parent's");
    header.validateGasLimit(p);
    if (header.baseFeePerGas !== p.calcNextBaseFee()) throw new Error("base fee is not the parent's next base fee");
    if (header.excessBlobGas !== p.calcNextExcessBlobGas(header.common)) throw new Error("excess blob gas is not the parent's next");
  }
}

export async function runBlockchainCase(stack: Stack, ref: CaseRef): Promise<CaseResult> {
  const test = readFixture(ref.file)[ref.test] as BlockchainTest;
  const common = suiteCommon(stack);
  const stateManager = suiteStateManager(stack, common);
  const chain = new FixtureChain();
  const vm = await suiteVM(stack, common, stateManager, chain);
  const fail = async (reason: string): Promise<CaseResult> => ({ id: ref.id, pass: false, stateRoot: bytesToHex(await stateManager.getStateRoot()), reason });

  await writePreState(stateManager, test.pre);
  const genesis = createBlockFromRLP(bytesOf(test.genesisRLP), { common });
  if (!equalsBytes(await stateManager.getStateRoot(), genesis.header.stateRoot)) return fail("genesis state root differs from the genesis header's");
  chain.add(genesis);

  for (const [i, fixture] of test.blocks.entries()) {
    let block: Block;
    try {
      block = createBlockFromRLP(bytesOf(fixture.rlp), { common });
    } catch (e) {
      if (fixture.expectException !== undefined) continue;
      return fail(`block ${i} does not decode: ${(e as Error).message.split("\n")[0]}`);
    }
    const parent = chain.parentOf(block);
    if (parent === undefined) return fail(`block ${i}: unknown parent`);
    chain.tip = parent;
    try {
      await runBlock(vm, { block, root: parent.header.stateRoot });
    } catch (e) {
      if (fixture.expectException !== undefined) continue;
      return fail(`block ${i} (number ${block.header.number}): ${(e as Error).message.split("\n")[0]}`);
    }
    if (fixture.expectException !== undefined) return fail(`block ${i} ran, expected ${fixture.expectException}`);
    chain.add(block);
  }

  const head = chain.byHash.get(test.lastblockhash);
  if (head === undefined) return fail(`lastblockhash ${test.lastblockhash} was never imported`);
  if (test.postStateHash !== undefined && test.postStateHash !== bytesToHex(head.header.stateRoot)) return fail("head state root is not postStateHash");
  await stateManager.setStateRoot(head.header.stateRoot);
  for (const [address, want] of Object.entries(test.postState ?? {})) {
    const at = addressOf(address);
    const account = await stateManager.getAccount(at);
    if (account === undefined) return fail(`post state: ${address} missing`);
    if (account.balance !== BigInt(want.balance) || account.nonce !== BigInt(want.nonce)) return fail(`post state: ${address} balance or nonce differs`);
    if (!equalsBytes(await stateManager.getCode(at), bytesOf(want.code))) return fail(`post state: ${address} code differs`);
    for (const [key, value] of Object.entries(want.storage)) {
      const got = await stateManager.getStorage(at, setLengthLeft(bytesOf(key), 32));
      if (bytesToBigInt(got) !== BigInt(value)) return fail(`post state: ${address} slot ${key} differs`);
    }
  }
  return { id: ref.id, pass: true, stateRoot: bytesToHex(head.header.stateRoot) };
}

