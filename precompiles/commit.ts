// The precompiles' one door to src/commit: tensor commitments, receipt leaves and Merkle roots.
// TEMPORARY: until src/commit lands, keccak-based stand-ins with the same roles.
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, concatBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { encodeTensor } from "../src/codec/tensor.ts";
import type { Tensor } from "../src/engine/tensor.ts";
import type { AivmOpReceipt } from "../src/chain/types.ts";

type Hex = `0x${string}`;
const hex = (b: Uint8Array) => `0x${bytesToHex(b)}` as Hex;
const unhex = (h: Hex) => Uint8Array.from(Buffer.from(h.slice(2), "hex"));

export function tensorCommit(t: Tensor): Uint8Array {
  return keccak_256(concatBytes(utf8ToBytes("AIVM.tensor"), encodeTensor(t)));
}

export interface ReceiptInput {
  precompile: Hex;
  opcode: string;
  params: Uint8Array;
  inputCommits: Uint8Array[];
  outputCommits: Uint8Array[];
  gasUsed: bigint;
  flops: bigint;
}

export function receiptLeafOf(index: number, r: ReceiptInput): AivmOpReceipt {
  const paramsHash = hex(keccak_256(r.params));
  const leaf = keccak_256(
    concatBytes(utf8ToBytes("AIVM.receipt" + r.opcode), unhex(paramsHash), ...r.inputCommits, ...r.outputCommits, utf8ToBytes(`${r.gasUsed}:${r.flops}`)),
  );
  return {
    index,
    precompile: r.precompile,
    opcode: r.opcode,
    paramsHash,
    inputCommits: r.inputCommits.map(hex),
    outputCommits: r.outputCommits.map(hex),
    gasUsed: r.gasUsed,
    flops: r.flops,
    leaf: hex(leaf),
  };
}

export function rootOfLeaves(leaves: readonly Hex[]): Hex {
  if (leaves.length === 0) return hex(new Uint8Array(32));
  let level: Uint8Array[] = leaves.map(unhex);
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(keccak_256(concatBytes(level[i]!, level[i + 1] ?? level[i]!)));
    level = next;
  }
  return hex(level[0]!);
}
