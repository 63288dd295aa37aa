// aivm_getReceiptProof: Merkle inclusion proof of one AIVM receipt against its block anchor.
import type { Client, Hash, Hex } from "viem";
import { parseOpReceipt, type AivmRpcSchema, type ReceiptProof } from "../types.ts";

export async function getReceiptProof(client: Client, { hash, index = 0 }: { hash: Hash; index?: number }): Promise<ReceiptProof | null> {
  const request = client.request as unknown as (args: { method: "aivm_getReceiptProof"; params: [Hash, Hex] }) => Promise<AivmRpcSchema[3]["ReturnType"]>;
  const raw = await request({ method: "aivm_getReceiptProof", params: [hash, `0x${index.toString(16)}`] });
  if (!raw) return null;
  return { ...raw, blockNumber: BigInt(raw.blockNumber), receipt: parseOpReceipt(raw.receipt[0]!) };
}
