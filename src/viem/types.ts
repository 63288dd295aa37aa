// Types of the aivm_* JSON-RPC methods, raw (hex quantities, as on the wire) and parsed (bigints).
import type { Address, Hex } from "viem";

export interface RpcOpReceipt {
  index: number;
  precompile: Address;
  opcode: string;
  paramsHash: Hex;
  inputCommits: Hex[];
  outputCommits: Hex[];
  gasUsed: Hex;
  flops: Hex;
  leaf: Hex;
}

export interface OpReceipt {
  index: number;
  precompile: Address;
  opcode: string;
  paramsHash: Hex;
  inputCommits: Hex[];
  outputCommits: Hex[];
  gasUsed: bigint;
  flops: bigint;
  leaf: Hex;
}

export interface QuoteCallParameters {
  account?: Address;
  to: Address;
  data?: Hex;
  value?: bigint;
  blockTag?: "latest" | "pending";
}

export interface QuoteProgramParameters {
  /** A tensor program in the program format (docs/spec.md#program-format). */
  program: Hex;
}

export interface QuoteResult {
  /** Exact gas the transaction would use on the current state. */
  gas: bigint;
  /** Part of `gas` charged by AIVM precompiles. */
  aivmGas?: bigint;
  flops?: bigint;
  returnData?: Hex;
  traceRoot?: Hex;
  receipts?: OpReceipt[];
}

export interface TxReceipts {
  transactionHash: Hex;
  blockNumber: bigint;
  traceRoot: Hex;
  receipts: OpReceipt[];
}

export interface BlockAnchor {
  blockNumber: bigint;
  blockHash: Hex;
  anchorRoot: Hex;
  receiptCount: number;
  flops: bigint;
  multiplier: bigint;
}

export interface ReceiptProof {
  transactionHash: Hex;
  blockNumber: bigint;
  receipt: OpReceipt;
  leaf: Hex;
  leafIndex: number;
  leafCount: number;
  siblings: Hex[];
  anchorRoot: Hex | null;
  verified: boolean;
}

export interface StoredTensor {
  id: Hex;
  size: number;
  /** The tensor in the wire format (decode with decodeTensor). */
  data: Hex;
}

export interface Congestion {
  blockNumber: bigint;
  /** Multiplier in force in the head block (fixed point, 1.0 = 1_000_000). */
  multiplier: bigint | null;
  /** Multiplier the next block will use. */
  nextMultiplier: bigint | null;
  lastBlockFlops: bigint;
}

/** A block's VRF (ECVRF-EDWARDS25519-SHA512-TAI, RFC 9381) as aivm_getVrf returns it (docs/vrf.md). */
export interface BlockVrf {
  blockNumber: bigint;
  /** parentHash ‖ uint64 big-endian blockNumber (40 bytes). */
  alpha: Hex;
  /** 80-byte proof. */
  pi: Hex;
  /** 64-byte output; BlockRandomness.vrfOutput(blockNumber) is its keccak256. */
  beta: Hex;
  /** The producer's 32-byte public key. */
  publicKey: Hex;
}

export const parseOpReceipt = (r: RpcOpReceipt): OpReceipt => ({ ...r, gasUsed: BigInt(r.gasUsed), flops: BigInt(r.flops) });

/** The JSON-RPC schema of the aivm_* methods, for viem's typed `client.request`. */
export type AivmRpcSchema = [
  { Method: "aivm_quote"; Parameters: [Record<string, unknown>] | [Record<string, unknown>, string]; ReturnType: Record<string, unknown> },
  { Method: "aivm_getReceipts"; Parameters: [Hex]; ReturnType: { transactionHash: Hex; blockNumber: Hex; traceRoot: Hex; receipts: RpcOpReceipt[] } | null },
  { Method: "aivm_getAnchor"; Parameters: [Hex | "latest"]; ReturnType: { blockNumber: Hex; blockHash: Hex; anchorRoot: Hex; receiptCount: number; flops: Hex; multiplier: Hex } | null },
  {
    Method: "aivm_getReceiptProof";
    Parameters: [Hex, Hex];
    ReturnType: { transactionHash: Hex; blockNumber: Hex; receipt: RpcOpReceipt[]; leaf: Hex; leafIndex: number; leafCount: number; siblings: Hex[]; anchorRoot: Hex | null; verified: boolean } | null;
  },
  { Method: "aivm_getTensor"; Parameters: [Hex]; ReturnType: StoredTensor | null },
  { Method: "aivm_congestion"; Parameters: []; ReturnType: { blockNumber: Hex; multiplier: Hex | null; nextMultiplier: Hex | null; lastBlockFlops: Hex } },
  { Method: "aivm_getVrf"; Parameters: [Hex | "latest"]; ReturnType: { blockNumber: Hex; alpha: Hex; pi: Hex; beta: Hex; publicKey: Hex } | null },
];
