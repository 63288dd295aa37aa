// The bytes a receipt leaf hashes (docs/verify.md): what contracts/verify/AivmReceipts.sol decodes,
// so a contract can take one byte string, hash it into the leaf and read the fields back out.
import { DOMAIN, keccak, u256be, u32be } from "./hash.ts";
import { fromHexChecked, toHex, type Hex } from "./hex.ts";
import type { ReceiptFields } from "./receipt.ts";

/** 0x02 ‖ precompile (20) ‖ paramsHash (32) ‖ u32 n ‖ n input commits ‖ u32 m ‖ m output commits ‖ gasUsed ‖ flops. */
export function receiptLeafPreimage(r: ReceiptFields): Uint8Array {
  const precompile = fromHexChecked(r.precompile, "precompile");
  if (precompile.length !== 20) throw new RangeError("precompile must be a 20-byte address");
  const words = [r.paramsHash, ...r.inputCommits, ...r.outputCommits].map((h) => fromHexChecked(h, "receipt hash"));
  if (words.some((w) => w.length !== 32)) throw new RangeError("hashes and commits must be 32 bytes");
  const parts = [
    Uint8Array.of(DOMAIN.receiptLeaf),
    precompile,
    words[0]!,
    u32be(r.inputCommits.length),
    ...words.slice(1, 1 + r.inputCommits.length),
    u32be(r.outputCommits.length),
    ...words.slice(1 + r.inputCommits.length),
    u256be(r.gasUsed),
    u256be(r.flops),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** keccak256 of the preimage: equal to receiptLeaf(r). */
export function leafOfPreimage(preimage: Uint8Array): Hex {
  return toHex(keccak(preimage));
}
