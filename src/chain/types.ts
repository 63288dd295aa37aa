// The seam between the AIVM runtime (precompiles, tensor memory, commits, end-of-block hooks) and
// the dev node that produces blocks. The runtime is implemented in src/chain/runtime.ts; the node
// (src/chain/node.ts) drives it. Keep this file small: it is the contract both sides build against.
import type { VM } from "@ethereumjs/vm";
import type { EVMInterface } from "@ethereumjs/evm";
import type { StateManagerInterface } from "@ethereumjs/common";
import type { AivmBlockAnchor, AivmTxTrace } from "../commit/trace.ts";

/** One account to place in genesis: a system contract or a predeploy. */
export interface GenesisAccount {
  address: `0x${string}`;
  /** Runtime bytecode, hex. */
  code?: `0x${string}`;
  /** Storage slots, hex key → hex value. */
  storage?: Record<`0x${string}`, `0x${string}`>;
  balance?: bigint;
  /** Default: 1 for a code account (as if deployed), else 0. */
  nonce?: bigint;
}

/**
 * The AIVM runtime. One instance per chain. The node calls the hooks in this order for a block:
 *   startBlock → (startTx → runTx → endTx)* → endBlock → seal
 * and for eth_call / eth_estimateGas: [prepareCall] → startTx → runCall → endTx(discard = true).
 */
export interface AivmRuntime {
  /** For createVM({ evmOpts: { customPrecompiles } }). */
  readonly customPrecompiles: { address: unknown; function: unknown }[];
  /** System contracts and predeploys for genesis. */
  genesisAccounts(): GenesisAccount[];
  /** Once, after the VM exists: subscribes to the EVM's message events to learn callers. */
  attach(vm: VM): void;
  /**
   * Before the first transaction of a block. Reads the multiplier in force from state, and proves
   * and writes the block's VRF over `parentHash` (docs/vrf.md; zero bytes when omitted, for test
   * harnesses without a chain of blocks).
   */
  startBlock(vm: VM, blockNumber: bigint, timestamp: bigint, parentHash?: Uint8Array): Promise<void>;
  /**
   * Before each transaction or call: fresh scratch memory and an empty trace. `txHash` is the
   * transaction's hash (seed handles mix it in); calls and system calls pass none (zero bytes).
   */
  startTx(evm?: EVMInterface, txHash?: Uint8Array): void;
  /**
   * Before an eth_call / eth_estimateGas, inside its checkpoint on `state`: the block-start writes of
   * the pending block `blockNumber` (its VRF record), so the call sees what a transaction would.
   */
  prepareCall?(state: StateManagerInterface, blockNumber: bigint, parentHash: Uint8Array): Promise<void>;
  /**
   * The node fault (an exception that is not an AivmError, precompiles/call.ts) the current
   * transaction or call hit, if any. Read before endTx: such a transaction is not included and its
   * block is aborted (builder.ts); a call answers with an internal error.
   */
  txFault?(): Error | undefined;
  /** After each transaction or call. `discard` drops its receipts (calls, failed estimates). */
  endTx(txHash: `0x${string}` | undefined, discard: boolean): AivmTxTrace;
  /** After the last transaction, before sealing: writes the anchor and the next multiplier to state. */
  endBlock(vm: VM, blockNumber: bigint): Promise<AivmBlockAnchor>;
}
