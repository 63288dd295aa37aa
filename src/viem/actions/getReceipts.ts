// aivm_getReceipts: the AIVM op receipts (Tensor Commits) of a mined transaction.
import type { Client, Hash } from "viem";
import { parseOpReceipt, type AivmRpcSchema, type TxReceipts } from "../types.ts";

export async function getReceipts(client: Client, { hash }: { hash: Hash }): Promise<TxReceipts | null> {
  const request = client.request as unknown as (args: { method: "aivm_getReceipts"; params: [Hash] }) => Promise<AivmRpcSchema[1]["ReturnType"]>;
  const raw = await request({ method: "aivm_getReceipts", params: [hash] });
  if (!raw) return null;
  return { transactionHash: raw.transactionHash, blockNumber: BigInt(raw.blockNumber), traceRoot: raw.traceRoot, receipts: raw.receipts.map(parseOpReceipt) };
}
