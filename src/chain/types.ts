// The seam between the AIVM runtime (precompiles, tensor memory, commits, end-of-block hooks) and
// the dev node that produces blocks. The runtime is implemented in src/chain/runtime.ts; the node
// (src/chain/node.ts) drives it. Keep this file small: it is the contract both sides build against.
import type { VM } from "@ethereumjs/vm";
import type { EVMInterface } from "@ethereumjs/evm";
import type { StateManagerInterface } from "@ethereumjs/common";

/** One account to place in genesis: a system contract or a predeploy. */
export interface GenesisAccount {
  address: `0x${string}`;
  /** Runtime bytecode, hex. */
  code?: `0x${string}`;
  /** Storage slots, hex key → hex value. */
  storage?: Record<`0x${string}`, `0x${string}`>;
  balance?: bigint;
}

/** One AIVM op receipt, as recorded by the precompiles during a transaction. */
export interface AivmOpReceipt {
  /** Index of the receipt within its transaction. */
  index: number;
  /** Precompile address that produced it, e.g. 0x…a101. */
  precompile: `0x${string}`;
  /** Opcode name, e.g. "TMATMUL". */
  opcode: string;
  /** keccak256 of the op's parameters encoding. */
  paramsHash: `0x${string}`;
  inputCommits: `0x${string}`[];
  outputCommits: `0x${string}`[];
  gasUsed: bigint;
  flops: bigint;
  /** The receipt's leaf hash (what the trace root and block anchor commit to). */
  leaf: `0x${string}`;
}

export interface AivmTxTrace {
  receipts: AivmOpReceipt[];
  /** Merkle root over the receipts' leaves (zero hash when there are none). */
  traceRoot: `0x${string}`;
}

export interface AivmBlockAnchor {
  blockNumber: bigint;
  /** Merkle root over every receipt leaf of the block, in transaction order. */
  anchorRoot: `0x${string}`;
  receiptCount: number;
  /** Total AIVM FLOPs executed in the block (drives the next multiplier). */
  flops: bigint;
  /** Multiplier in force during this block, as a fixed-point integer (see docs/gas.md). */
  multiplier: bigint;
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
  /** After each transaction or call. `discard` drops its receipts (calls, failed estimates). */
  endTx(txHash: `0x${string}` | undefined, discard: boolean): AivmTxTrace;
  /** After the last transaction, before sealing: writes the anchor and the next multiplier to state. */
  endBlock(vm: VM, blockNumber: bigint): Promise<AivmBlockAnchor>;
}
