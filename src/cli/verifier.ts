// `aivm verifier`: one member of an AttestationRegistry committee (docs/verify.md#committee). It
// registers its key with a bond if needed, then follows the node: every block with AIVM receipts is
// re-executed in this process and, when it matches, its (number, hash, anchor root) is signed and
// sent to attest(). A mismatch is logged with the receipt and commit named, and not signed. Counted
// signatures that disagree with an attested root are reported to slashWrongRoot. Exits with code 1
// once its own bond is slashed.
import { existsSync, readFileSync } from "node:fs";
import { formatEther, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { CommitteeVerifier, type CommitteeEvent, type VerifierFault } from "../rpc/verify/committee.ts";

// test/verify/committee.test.ts builds the command from here.
export { verifierCommand } from "./commands/verifier.ts";

export interface VerifierCommandOptions {
  key: string;
  rpc: string;
  registry: `0x${string}`;
  fromBlock?: bigint;
  bond?: bigint;
  poll: number;
  json: boolean;
  fault?: VerifierFault;
  hardfork?: string;
}

/** The key itself (32 bytes of hex, 0x optional) or the path of a file holding it. */
export function readVerifierKey(value: string): Hex {
  const text = /^(0x)?[0-9a-fA-F]{64}$/.test(value.trim()) ? value.trim() : existsSync(value) ? readFileSync(value, "utf8").trim() : "";
  // The message never echoes the value: it may be a secret.
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(text)) throw new Error("--key must be 32 bytes of hex, or a file that holds them.");
  return (text.startsWith("0x") ? text : `0x${text}`).toLowerCase() as Hex;
}

const short = (h: string) => `${h.slice(0, 10)}…`;

/** One log line per event. */
export function formatCommitteeEvent(e: CommitteeEvent): string {
  switch (e.kind) {
    case "waiting":
      return `waiting for the node and the registry: ${e.reason}`;
    case "error":
      return `error (retrying at the next poll): ${e.error}`;
    case "registered":
      return `registered ${e.verifier} with a bond of ${formatEther(e.bond)} ETH (tx ${short(e.txHash)})`;
    case "already-registered":
      return `${e.verifier} is registered, bond ${formatEther(e.bond)} ETH`;
    case "skipped":
      return `block ${e.blockNumber}: not signed, ${e.reason}`;
    case "mismatch": {
      const lines = [`block ${e.blockNumber}: MISMATCH, not signing`];
      for (const r of e.verdict.receipts.filter((x) => !x.valid)) {
        lines.push(`  ${r.txHash ? `tx ${r.txHash}` : "system call"} receipt #${r.index} (leaf ${r.leafIndex}) ${r.opcode}: ${r.mismatches.join(", ")}`);
      }
      for (const m of e.verdict.mismatches) lines.push(`  ${m}`);
      return lines.join("\n");
    }
    case "signed":
      return `block ${e.blockNumber}: re-executed and signed anchor ${e.attestation.anchorRoot} (${e.ms.toFixed(0)} ms); ${e.counted ? `counted, ${e.votes} signature(s)` : "not counted"} (tx ${short(e.txHash)})`;
    case "rejected":
      return `block ${e.blockNumber}: the registry refused: ${e.error}`;
    case "attested":
      return `block ${e.blockNumber}: ATTESTED anchor ${e.anchorRoot} by ${e.votes} signatures`;
    case "slashed":
      return `${e.self ? "THIS VERIFIER" : e.verifier} SLASHED for block ${e.blockNumber} (${e.reason}); ${e.reporter.toLowerCase() === e.verifier.toLowerCase() ? "relayed by itself, no reward" : `${formatEther(e.reward)} ETH to reporter ${e.reporter}`}`;
    case "reported":
      return `reported ${e.vote.verifier}'s signature on block ${e.vote.blockNumber} root ${e.vote.anchorRoot} to slashWrongRoot (tx ${short(e.txHash)})`;
  }
}

/** `aivm verifier` (the command: ./commands/verifier.ts). Runs until SIGINT/SIGTERM or its own slashing. */
export async function runVerifier(options: VerifierCommandOptions): Promise<void> {
  const account = privateKeyToAccount(readVerifierKey(options.key));
  const verifier = new CommitteeVerifier({
    rpc: options.rpc,
    account,
    registry: options.registry,
    ...(options.fromBlock !== undefined ? { fromBlock: options.fromBlock } : {}),
    ...(options.bond !== undefined ? { bond: options.bond } : {}),
    ...(options.fault ? { fault: options.fault } : {}),
    ...(options.hardfork ? { hardfork: options.hardfork } : {}),
    pollMs: options.poll,
    onEvent: (e) => console.log(options.json ? JSON.stringify(e, (_k, v) => (typeof v === "bigint" ? v.toString() : v)) : formatCommitteeEvent(e)),
  });
  if (options.fault) console.log(`TEST ONLY: --fault ${options.fault}: this verifier signs every anchor root with its lowest bit flipped`);
  const stop = () => verifier.stop();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  console.log(`verifier ${account.address} following ${options.rpc}, registry ${options.registry}`);
  await verifier.run();
  process.off("SIGINT", stop);
  process.off("SIGTERM", stop);
  if (verifier.slashed) {
    console.log("this verifier's bond was slashed: stopping");
    process.exitCode = 1;
  }
}
