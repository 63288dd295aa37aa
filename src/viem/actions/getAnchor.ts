// aivm_getAnchor: the block anchor (Merkle root of every AIVM receipt in the block).
import type { Client, Hex } from "viem";
import type { AivmRpcSchema, BlockAnchor } from "../types.ts";

export async function getAnchor(client: Client, { blockNumber }: { blockNumber?: bigint } = {}): Promise<BlockAnchor | null> {
  const request = client.request as unknown as (args: { method: "aivm_getAnchor"; params: [Hex | "latest"] }) => Promise<AivmRpcSchema[2]["ReturnType"]>;
  const raw = await request({ method: "aivm_getAnchor", params: [blockNumber === undefined ? "latest" : `0x${blockNumber.toString(16)}`] });
  if (!raw) return null;
  return {
    blockNumber: BigInt(raw.blockNumber),
    blockHash: raw.blockHash,
    anchorRoot: raw.anchorRoot,
    receiptCount: raw.receiptCount,
    flops: BigInt(raw.flops),
    multiplier: BigInt(raw.multiplier),
  };
}
