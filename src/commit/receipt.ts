// Per-op receipt leaves (docs/spec.md#receipts): one hash binding which precompile ran, with what
// parameters, on which inputs, producing which outputs, for how much gas and how many FLOPs.
import { encodeOpParams } from "../codec/program.ts";
import type { Attrs } from "../engine/op.ts";
import { DOMAIN, taggedHash, u256be, u32be } from "./hash.ts";
import { fromHexChecked, toHex, type Hex } from "./hex.ts";

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

/** The fields a receipt leaf commits to (AivmOpReceipt minus index, opcode name and the leaf itself). */
export type ReceiptFields = Pick<AivmOpReceipt, "precompile" | "paramsHash" | "inputCommits" | "outputCommits" | "gasUsed" | "flops">;

function bytes32(h: Hex, what: string): Uint8Array {
  const b = fromHexChecked(h, what);
  if (b.length !== 32) throw new RangeError(`${what} must be 32 bytes`);
  return b;
}

/**
 * keccak256(0x02 ‖ precompile (20) ‖ paramsHash (32) ‖ inputCount u32 ‖ inputCommits (32 each)
 *           ‖ outputCount u32 ‖ outputCommits (32 each) ‖ gasUsed uint256 ‖ flops uint256)
 */
export function receiptLeaf(r: ReceiptFields): Hex {
  return toHex(
    receiptLeafBytes(
      fromHexChecked(r.precompile, "precompile"),
      bytes32(r.paramsHash, "paramsHash"),
      r.inputCommits.map((c) => bytes32(c, "input commit")),
      r.outputCommits.map((c) => bytes32(c, "output commit")),
      r.gasUsed,
      r.flops,
    ),
  );
}

/** receiptLeaf over raw bytes (what the precompiles hold), without hex round trips. */
export function receiptLeafBytes(
  precompile: Uint8Array,
  paramsHash: Uint8Array,
  inputCommits: readonly Uint8Array[],
  outputCommits: readonly Uint8Array[],
  gasUsed: bigint,
  flops: bigint,
): Uint8Array {
  if (precompile.length !== 20) throw new RangeError("precompile must be a 20-byte address");
  for (const c of [paramsHash, ...inputCommits, ...outputCommits]) if (c.length !== 32) throw new RangeError("hashes and commits must be 32 bytes");
  return taggedHash(
    DOMAIN.receiptLeaf,
    precompile,
    paramsHash,
    u32be(inputCommits.length),
    ...inputCommits,
    u32be(outputCommits.length),
    ...outputCommits,
    u256be(gasUsed),
    u256be(flops),
  );
}

/** keccak256(0x05 ‖ params): the paramsHash of a call whose parameters encode to `params`. */
export function paramsHash(params: Uint8Array): Hex {
  return toHex(paramsHashBytes(params));
}

export function paramsHashBytes(params: Uint8Array): Uint8Array {
  return taggedHash(DOMAIN.opParams, params);
}

/** paramsHash of a single engine op call: its code and attributes, canonically encoded. */
export function opParamsHash(op: number, attrs: Attrs): Hex {
  return paramsHash(encodeOpParams(op, attrs));
}

/** Builds a complete receipt, computing its leaf. */
export function makeReceipt(index: number, opcode: string, fields: ReceiptFields): AivmOpReceipt {
  return { index, opcode, ...fields, leaf: receiptLeaf(fields) };
}
