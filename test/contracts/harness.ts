// Test chain for the registry and scheduler contracts: real transactions (runTx) on the production
// VM (createChainVM through src/chain/vm.ts) with the AIVM runtime's precompiles and genesis system
// contracts, contracts compiled from contracts/ with npm solc (src/chain/solc.ts), ABI through viem.
import { createBlock } from "@ethereumjs/block";
import type { Common } from "@ethereumjs/common";
import { createLegacyTx } from "@ethereumjs/tx";
import { Account, Address, createAddressFromPrivateKey, hexToBytes, bytesToHex } from "@ethereumjs/util";
import { runTx, type VM } from "@ethereumjs/vm";
import {
  decodeErrorResult,
  decodeEventLog,
  decodeFunctionResult,
  encodeDeployData,
  encodeFunctionData,
  getContractAddress,
  type Abi,
  type Hex,
} from "viem";
import { getContract, type CompiledContract } from "../../src/chain/solc.ts";
import type { AivmRuntime } from "../../src/chain/types.ts";
import { createAivmRuntime } from "../../src/chain/runtime.ts";
import { createAivmCommon, createAivmVM } from "../../src/chain/vm.ts";

export const BLOCK_GAS_LIMIT = 2_000_000_000n;

/** A decoded log. */
export interface Event {
  address: Hex;
  eventName: string;
  args: Record<string, unknown>;
}

export interface TxResult {
  gasUsed: bigint;
  /** Decoded return value (undefined for a revert). */
  result: unknown;
  /** Decoded custom error, when the transaction reverted. */
  error?: { errorName: string; args: readonly unknown[] };
  events: Event[];
}

export class RevertError extends Error {
  constructor(
    readonly errorName: string,
    readonly args: readonly unknown[],
  ) {
    super(`reverted with ${errorName}(${args.map(String).join(", ")})`);
  }
}

/** A deployed contract: its address and ABI. */
export interface Deployed {
  address: Hex;
  abi: Abi;
}

export interface Account_ {
  key: Uint8Array;
  address: Hex;
}

export class Chain {
  blockNumber = 1n;
  timestamp = 1_700_000_000n;
  private readonly nonces = new Map<string, bigint>();
  /** ABIs used to decode revert data and logs from any contract. */
  private readonly abis: Abi[] = [];

  constructor(
    readonly vm: VM,
    readonly common: Common,
    readonly accounts: Account_[],
    readonly runtime: AivmRuntime | undefined,
  ) {}

  /** Whether the VM carries the real AIVM precompiles. */
  get aivm(): boolean {
    return this.runtime !== undefined;
  }

  /** Moves the chain to block `n` (and advances time by 12 s per block). */
  async setBlock(n: bigint): Promise<void> {
    this.timestamp += 12n * (n > this.blockNumber ? n - this.blockNumber : 0n);
    this.blockNumber = n;
    await this.runtime?.startBlock(this.vm, n, this.timestamp);
  }

  async advanceTime(seconds: bigint): Promise<void> {
    this.timestamp += seconds;
  }

  /**
   * Checkpoints the state and the harness's own counters; the returned function rolls both back, so
   * one fixture can serve many tests.
   */
  async snapshot(): Promise<() => Promise<void>> {
    await this.vm.stateManager.checkpoint();
    const nonces = new Map(this.nonces);
    const { blockNumber, timestamp } = this;
    return async () => {
      await this.vm.stateManager.revert();
      this.nonces.clear();
      for (const [k, v] of nonces) this.nonces.set(k, v);
      this.timestamp = timestamp;
      this.blockNumber = blockNumber;
      await this.runtime?.startBlock(this.vm, blockNumber, timestamp);
    };
  }

  registerAbi(abi: Abi): void {
    this.abis.push(abi);
  }

  private block() {
    return createBlock(
      {
        header: {
          number: this.blockNumber,
          timestamp: this.timestamp,
          gasLimit: BLOCK_GAS_LIMIT,
          baseFeePerGas: 7n,
          coinbase: "0x00000000000000000000000000000000000c0ffe",
        },
      },
      { common: this.common },
    );
  }

  private async rawTx(from: Account_, to: Hex | undefined, data: Hex, value: bigint, gasLimit: bigint) {
    const nonce = this.nonces.get(from.address) ?? 0n;
    const tx = createLegacyTx(
      { nonce, gasPrice: 10n, gasLimit, to, value, data },
      { common: this.common },
    ).sign(from.key);
    this.runtime?.startTx(this.vm.evm);
    const res = await runTx(this.vm, { tx, block: this.block(), skipBlockGasLimitValidation: true });
    this.runtime?.endTx(bytesToHex(tx.hash()) as Hex, false);
    this.nonces.set(from.address, nonce + 1n);
    return res;
  }

  /** Deploys `name` with constructor `args`; throws a RevertError when the constructor reverts. */
  async deploy(name: string, from: Account_ = this.accounts[0]!, args: unknown[] = []): Promise<Deployed> {
    const r = await this.deployTx(name, from, args);
    if (r.error) {
      const error = new RevertError(r.error.errorName, r.error.args);
      error.message = `deploy ${name} failed: ${error.message}`;
      throw error;
    }
    return r.deployed!;
  }

  /** The deployment transaction's gas, events and decoded revert (`deployed` is unset when it reverted). */
  async deployTx(name: string, from: Account_ = this.accounts[0]!, args: unknown[] = []): Promise<TxResult & { deployed?: Deployed }> {
    const c: CompiledContract = getContract(name);
    const data = encodeDeployData({ abi: c.abi, bytecode: c.bytecode, args });
    const nonce = this.nonces.get(from.address) ?? 0n;
    this.registerAbi(c.abi);
    const res = await this.rawTx(from, undefined, data, 0n, 30_000_000n);
    const events = this.decodeLogs(res.execResult.logs ?? []);
    if (res.execResult.exceptionError) {
      const error = this.decodeError(bytesToHex(res.execResult.returnValue) as Hex, res.execResult.exceptionError.error);
      return { gasUsed: res.totalGasSpent, result: undefined, error, events };
    }
    return { gasUsed: res.totalGasSpent, result: undefined, events, deployed: { address: getContractAddress({ from: from.address, nonce }), abi: c.abi } };
  }

  /** Sends a transaction calling `fn`; a revert is returned decoded in `error`, not thrown. */
  async send(
    from: Account_,
    target: Deployed,
    fn: string,
    args: unknown[] = [],
    opts: { value?: bigint; gas?: bigint } = {},
  ): Promise<TxResult> {
    const data = encodeFunctionData({ abi: target.abi, functionName: fn, args });
    const res = await this.rawTx(from, target.address, data, opts.value ?? 0n, opts.gas ?? 1_500_000_000n);
    const events = this.decodeLogs(res.execResult.logs ?? []);
    if (res.execResult.exceptionError) {
      const ret = bytesToHex(res.execResult.returnValue) as Hex;
      return { gasUsed: res.totalGasSpent, result: undefined, error: this.decodeError(ret, res.execResult.exceptionError.error), events };
    }
    const result = decodeFunctionResult({ abi: target.abi, functionName: fn, data: bytesToHex(res.execResult.returnValue) as Hex });
    return { gasUsed: res.totalGasSpent, result, events };
  }

  /** Like `send`, but throws a RevertError on revert. */
  async sendOk(from: Account_, target: Deployed, fn: string, args: unknown[] = [], opts: { value?: bigint; gas?: bigint } = {}): Promise<TxResult> {
    const r = await this.send(from, target, fn, args, opts);
    if (r.error) throw new RevertError(r.error.errorName, r.error.args);
    return r;
  }

  /** A read-only call (runCall, no transaction); throws a RevertError on revert. */
  async read(target: Deployed, fn: string, args: unknown[] = [], from: Hex = this.accounts[0]!.address): Promise<any> {
    const data = encodeFunctionData({ abi: target.abi, functionName: fn, args });
    this.runtime?.startTx(this.vm.evm);
    // runCall bumps the caller's nonce and may touch state: a read must leave no trace.
    await this.vm.stateManager.checkpoint();
    const res = await this.vm.evm.runCall({
      to: new Address(hexToBytes(target.address)),
      caller: new Address(hexToBytes(from)),
      data: hexToBytes(data),
      gasLimit: 100_000_000n,
      block: this.block(),
    }).finally(() => this.vm.stateManager.revert());
    this.runtime?.endTx(undefined, true);
    const ret = bytesToHex(res.execResult.returnValue) as Hex;
    if (res.execResult.exceptionError) {
      const e = this.decodeError(ret, res.execResult.exceptionError.error);
      throw new RevertError(e.errorName, e.args);
    }
    return decodeFunctionResult({ abi: target.abi, functionName: fn, data: ret });
  }

  /** Execution gas of a read-only call (what it costs when another contract makes it), excluding the 21,000 intrinsic. */
  async callGas(target: Deployed, fn: string, args: unknown[] = []): Promise<bigint> {
    const data = encodeFunctionData({ abi: target.abi, functionName: fn, args });
    this.runtime?.startTx(this.vm.evm);
    await this.vm.stateManager.checkpoint();
    const res = await this.vm.evm
      .runCall({
        to: new Address(hexToBytes(target.address)),
        caller: new Address(hexToBytes(this.accounts[0]!.address)),
        data: hexToBytes(data),
        gasLimit: 100_000_000n,
        block: this.block(),
      })
      .finally(() => this.vm.stateManager.revert());
    this.runtime?.endTx(undefined, true);
    if (res.execResult.exceptionError) throw new Error(`${fn} reverted`);
    return res.execResult.executionGasUsed;
  }

  async balance(address: Hex): Promise<bigint> {
    const acc = await this.vm.stateManager.getAccount(new Address(hexToBytes(address)));
    return acc?.balance ?? 0n;
  }

  async putCode(address: Hex, code: Hex): Promise<void> {
    await this.vm.stateManager.putAccount(new Address(hexToBytes(address)), new Account(1n, 0n));
    await this.vm.stateManager.putCode(new Address(hexToBytes(address)), hexToBytes(code));
  }

  private decodeError(ret: Hex, evmError: string): { errorName: string; args: readonly unknown[] } {
    if (ret === "0x" || ret.length < 10) return { errorName: `EVM:${evmError}`, args: [] };
    for (const abi of this.abis) {
      try {
        const d = decodeErrorResult({ abi, data: ret });
        return { errorName: d.errorName, args: d.args ?? [] };
      } catch {
        // not this ABI
      }
    }
    return { errorName: `unknown:${ret.slice(0, 10)}`, args: [] };
  }

  private decodeLogs(logs: [Uint8Array, Uint8Array[], Uint8Array][]): Event[] {
    const out: Event[] = [];
    for (const [addr, topics, data] of logs) {
      const t = topics.map((x) => bytesToHex(x) as Hex) as [Hex, ...Hex[]];
      for (const abi of this.abis) {
        try {
          const d = decodeEventLog({ abi, topics: t, data: bytesToHex(data) as Hex }) as unknown as { eventName: string; args: Record<string, unknown> };
          out.push({ address: bytesToHex(addr) as Hex, eventName: d.eventName, args: d.args });
          break;
        } catch {
          // not this ABI
        }
      }
    }
    return out;
  }
}

/** Deterministic funded test keys. */
function testAccounts(n: number): Account_[] {
  const out: Account_[] = [];
  for (let i = 1; i <= n; i++) {
    const key = hexToBytes(`0x${i.toString(16).padStart(64, "0")}` as Hex);
    out.push({ key, address: createAddressFromPrivateKey(key).toString() as Hex });
  }
  return out;
}

export async function createChain(accountCount = 8): Promise<Chain> {
  const accounts = testAccounts(accountCount);
  // The production stack (createChainVM) with the real runtime: a failure here is a test failure, never a plainer VM.
  const runtime = createAivmRuntime();
  const common = createAivmCommon();
  const vm = await createAivmVM({ runtime, common });
  for (const a of accounts) {
    await vm.stateManager.putAccount(new Address(hexToBytes(a.address)), new Account(0n, 10n ** 30n));
  }
  const chain = new Chain(vm, common, accounts, runtime);
  await chain.setBlock(1n);
  return chain;
}
