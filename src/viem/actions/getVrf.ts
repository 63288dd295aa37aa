// aivm_getVrf: a block's VRF proof and output with the input and key they are checked against.
import type { Client, Hex } from "viem";
import type { AivmRpcSchema, BlockVrf } from "../types.ts";

type GetVrfReturn = Extract<AivmRpcSchema[number], { Method: "aivm_getVrf" }>["ReturnType"];

export async function getVrf(client: Client, { blockNumber }: { blockNumber?: bigint } = {}): Promise<BlockVrf | null> {
  const request = client.request as unknown as (args: { method: "aivm_getVrf"; params: [Hex | "latest"] }) => Promise<GetVrfReturn>;
  const raw = await request({ method: "aivm_getVrf", params: [blockNumber === undefined ? "latest" : `0x${blockNumber.toString(16)}`] });
  if (!raw) return null;
  return { blockNumber: BigInt(raw.blockNumber), alpha: raw.alpha, pi: raw.pi, beta: raw.beta, publicKey: raw.publicKey };
}
