// aivm_congestion: the congestion multiplier in force and the one the next block will use.
import type { Client } from "viem";
import type { AivmRpcSchema, Congestion } from "../types.ts";

export async function getCongestion(client: Client): Promise<Congestion> {
  const request = client.request as unknown as (args: { method: "aivm_congestion"; params: [] }) => Promise<AivmRpcSchema[5]["ReturnType"]>;
  const raw = await request({ method: "aivm_congestion", params: [] });
  return {
    blockNumber: BigInt(raw.blockNumber),
    multiplier: raw.multiplier === null ? null : BigInt(raw.multiplier),
    nextMultiplier: raw.nextMultiplier === null ? null : BigInt(raw.nextMultiplier),
    lastBlockFlops: BigInt(raw.lastBlockFlops),
  };
}
