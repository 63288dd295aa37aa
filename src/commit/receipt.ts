// Per-op receipt leaves (docs/spec.md#receipts): one hash binding which precompile ran, with what
// parameters, on which inputs, producing which outputs, for how much gas and how many FLOPs.
import type { AivmOpReceipt } from "../chain/types.ts";
import { encodeOpParams } from "../codec/program.ts";
import type { Attrs } from "../engine/op.ts";
import { DOMAIN, fromHex, taggedHash, toHex, u256be, u32be, type Hex } from "./hash.ts";

/** The fields a receipt leaf commits to (AivmOpReceipt minus index, opcode name and the leaf itself). */
export type ReceiptFields = Pick<AivmOpReceipt, "precompile" | "paramsHash" | "inputCommits" | "outputCommits" | "gasUsed" | "flops">;

function bytes32(h: Hex, what: string): Uint8Array {
  const b = fromHex(h);
  if (b.length !== 32) throw new RangeError(`${what} must be 32 bytes`);
  return b;
}

/**
 * keccak256(0x02 ‖ precompile (20) ‖ paramsHash (32) ‖ inputCount u32 ‖ inputCommits (32 each)
 *           ‖ outputCount u32 ‖ outputCommits (32 each) ‖ gasUsed uint256 ‖ flops uint256)
 */
export function receiptLeaf(r: ReceiptFields): Hex {
  const address = fromHex(r.precompile);
  if (address.length !== 20) throw new RangeError("precompile must be a 20-byte address");
  return toHex(
    taggedHash(
      DOMAIN.receiptLeaf,
      address,
      bytes32(r.paramsHash, "paramsHash"),
      u32be(r.inputCommits.length),
      ...r.inputCommits.map((c) => bytes32(c, "input commit")),
      u32be(r.outputCommits.length),
      ...r.outputCommits.map((c) => bytes32(c, "output commit")),
      u256be(r.gasUsed),
      u256be(r.flops),
    ),
  );
}

/** keccak256(0x05 ‖ params): the paramsHash of a call whose parameters encode to `params`. */
export function paramsHash(params: Uint8Array): Hex {
  return toHex(taggedHash(DOMAIN.opParams, params));
}

/** paramsHash of a single engine op call: its code and attributes, canonically encoded. */
export function opParamsHash(op: number, attrs: Attrs): Hex {
  return paramsHash(encodeOpParams(op, attrs));
}

/** Builds a complete receipt, computing its leaf. */
export function makeReceipt(index: number, opcode: string, fields: ReceiptFields): AivmOpReceipt {
  return { index, opcode, ...fields, leaf: receiptLeaf(fields) };
}
