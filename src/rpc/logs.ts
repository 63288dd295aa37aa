// Log queries over the node's block records: eth_getLogs, log filters and `logs` subscriptions.
import type { DevNode, MinedBlock } from "../chain/node.ts";
import { formatLog } from "./format.ts";
import type { LogFilter } from "./params.ts";

export function logsOfBlock(mined: MinedBlock, filter: Pick<LogFilter, "addresses" | "topics">): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const tx of mined.record.txs) {
    for (const log of tx.logs) {
      if (filter.addresses && !filter.addresses.includes(log.address.toLowerCase() as `0x${string}`)) continue;
      let match = true;
      for (let i = 0; i < filter.topics.length && match; i++) {
        const wanted = filter.topics[i];
        if (wanted && !wanted.includes(log.topics[i]?.toLowerCase() as `0x${string}`)) match = false;
      }
      if (match) out.push(formatLog(log, tx, mined.block));
    }
  }
  return out;
}

export function queryLogs(node: DevNode, filter: LogFilter): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const to = filter.toBlock < node.headNumber ? filter.toBlock : node.headNumber;
  for (let n = filter.fromBlock; n <= to; n++) {
    const mined = node.blockByNumber(n);
    if (mined) out.push(...logsOfBlock(mined, filter));
  }
  return out;
}
