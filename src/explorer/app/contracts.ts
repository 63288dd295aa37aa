// eth_call and eth_getLogs against the registry, the scheduler and StoryTeller, with viem's ABI codec.
import { decodeEventLog, decodeFunctionResult, encodeFunctionData, type Abi } from "viem";
import type { Rpc } from "./rpc.ts";

export async function read<T>(rpc: Rpc, address: string, abi: Abi, functionName: string, args: unknown[] = []): Promise<T> {
  const data = encodeFunctionData({ abi, functionName, args } as any);
  const ret = await rpc.call<`0x${string}`>("eth_call", [{ to: address, data }, "latest"]);
  return decodeFunctionResult({ abi, functionName, data: ret } as any) as T;
}

export interface DecodedLog {
  eventName: string;
  args: Record<string, any>;
  blockNumber: string;
  transactionHash: string;
  address: string;
}

export function decodeLogs(abi: Abi, logs: any[]): DecodedLog[] {
  const out: DecodedLog[] = [];
  for (const log of logs) {
    try {
      const ev = decodeEventLog({ abi, data: log.data, topics: log.topics }) as unknown as { eventName: string; args: Record<string, any> };
      out.push({ eventName: ev.eventName, args: ev.args, blockNumber: log.blockNumber, transactionHash: log.transactionHash, address: log.address });
    } catch {
      // Another event with the same first topic shape: not ours.
    }
  }
  return out;
}

/** Every log of `address` (or of any address) with one of these first topics, from genesis. */
export async function logsOf(rpc: Rpc, abi: Abi, address: string | undefined, topic0s: string[]): Promise<DecodedLog[]> {
  const logs = await rpc.call<any[]>("eth_getLogs", [{ fromBlock: "0x0", toBlock: "latest", ...(address ? { address } : {}), topics: [topic0s] }]);
  return decodeLogs(abi, logs);
}
