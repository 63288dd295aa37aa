// `aivm verify`: checks a node's AIVM receipts through its JSON-RPC (docs/verify.md). For a
// transaction, a block or a range: header hashes, the anchor proven from each block's state root,
// every leaf, trace root and inclusion proof, and (unless --inclusion-only) every op re-executed in
// this process and its commits compared. Exit code 1 when anything does not match.
import { verifyBlocks, verifyTransaction, type BlockVerdict } from "../rpc/verify/verify-blocks.ts";
import { JsonRpcClient } from "../rpc/verify/json-rpc.ts";
import { verifySample } from "../rpc/verify/sample.ts";

// test/cli/verify.test.ts builds the command from here.
export { verifyCommand } from "./commands/verify.ts";

export interface VerifyCommandOptions {
  rpc: string;
  tx?: `0x${string}`;
  block?: string;
  from?: string;
  to?: string;
  inclusionOnly: boolean;
  /** Re-execute only this many blocks of the range, chosen by the next block's VRF. */
  sample?: number;
  /** The node's --hardfork; default: read from the headers (cancun, else osaka). */
  hardfork?: string;
  json: boolean;
}

async function resolve(client: JsonRpcClient, tag: string): Promise<bigint> {
  return tag === "latest" ? BigInt(await client.request<string>("eth_blockNumber")) : BigInt(tag);
}

const short = (h: string) => `${h.slice(0, 10)}…`;

/** One line per receipt, then the block-level problems and a summary. */
export function formatVerdicts(blocks: readonly BlockVerdict[], mode: string): string {
  const lines: string[] = [];
  let receipts = 0;
  let bad = 0;
  for (const b of blocks) {
    for (const r of b.receipts) {
      receipts++;
      if (!r.valid) bad++;
      const who = r.txHash ? `tx ${short(r.txHash)}` : "system call";
      const verdict = r.valid ? "valid" : `MISMATCH: ${r.mismatches.join(", ")}`;
      lines.push(`block ${b.blockNumber} ${who} receipt #${r.index} (leaf ${r.leafIndex}) ${r.opcode.padEnd(8)} ${verdict}  ${r.ms.toFixed(2)} ms`);
    }
    for (const m of b.mismatches) lines.push(`block ${b.blockNumber}: MISMATCH: ${m}`);
  }
  const blocksBad = blocks.filter((b) => !b.valid).length;
  const ms = blocks.reduce((t, b) => t + b.ms, 0);
  lines.push(
    blocksBad === 0
      ? `${receipts} receipts in ${blocks.length} blocks: all valid (${mode}, ${ms.toFixed(0)} ms)`
      : `${bad} of ${receipts} receipts mismatch; ${blocksBad} of ${blocks.length} blocks fail (${mode}, ${ms.toFixed(0)} ms)`,
  );
  return lines.join("\n");
}

/** `aivm verify` (the command: ./commands/verify.ts). */
export async function verify(options: VerifyCommandOptions): Promise<void> {
  const opts = { inclusionOnly: options.inclusionOnly, hardfork: options.hardfork };
  const client = new JsonRpcClient(options.rpc);
  let blocks: BlockVerdict[];
  let mode = options.inclusionOnly ? "inclusion only" : "re-executed";
  if (options.sample !== undefined && !options.tx) {
    const from = await resolve(client, options.block ?? options.from ?? "1");
    // The seed is the next block's VRF: by default the range ends one block before the head.
    const to = options.block ?? options.to ? await resolve(client, (options.block ?? options.to)!) : (await resolve(client, "latest")) - 1n;
    const run = await verifySample(options.rpc, from, to, options.sample, options.hardfork);
    blocks = run.blocks;
    mode = `re-executed ${run.sampled.length} of ${run.candidates.length} blocks with receipts (${run.sampled.join(", ")}), drawn by block ${run.seedBlock}'s VRF; the rest inclusion only`;
  } else if (options.tx) blocks = [await verifyTransaction(options.rpc, options.tx, opts)];
  else if (options.block) {
    const n = await resolve(client, options.block);
    blocks = await verifyBlocks(options.rpc, n, n, opts);
  } else {
    const to = await resolve(client, options.to ?? "latest");
    blocks = await verifyBlocks(options.rpc, await resolve(client, options.from ?? "1"), to, opts);
  }
  if (options.json) console.log(JSON.stringify({ mode, valid: blocks.every((b) => b.valid), blocks }, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2));
  else console.log(formatVerdicts(blocks, mode));
  if (!blocks.every((b) => b.valid)) process.exitCode = 1;
}
