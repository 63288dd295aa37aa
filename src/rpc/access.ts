// Who may reach the dev node. It serves unlocked, funded dev accounts and hardhat_* state edits, so
// by default it listens on loopback only, and it refuses browser requests from pages that are not
// on localhost: a disallowed Origin is refused outright (a "simple" cross-origin POST would
// otherwise still run, CORS only hides the answer), and a Host header that names some other domain
// is refused too (DNS rebinding: a page whose domain now resolves to 127.0.0.1 would be
// same-origin with the node). A Host that is an IP literal cannot come from rebinding, so it passes.
import { isIP } from "node:net";
import { AivmError } from "../engine/errors.ts";

/** Any origin or any host (`--cors '*'`, `--allowed-hosts '*'`). */
export const ANY = "*";

export interface AccessPolicy {
  /** Allowed browser origins beyond localhost ones, e.g. `https://app.example`; `*`: any. */
  corsOrigins: readonly string[];
  /** Allowed Host header names beyond localhost and IP literals; `*`: any. */
  allowedHosts: readonly string[];
}

/** Binding to `host` would accept connections from other machines. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  if (h === "localhost" || h.endsWith(".localhost") || h === "::1") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  // ::ffff:127.0.0.1 is loopback too.
  return /^::ffff:127\./.test(h);
}

/** The name part of a Host header ("example.com:8545" → "example.com", "[::1]:8545" → "::1"). */
function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(1, h.indexOf("]") > 0 ? h.indexOf("]") : undefined);
  const colon = h.lastIndexOf(":");
  return colon >= 0 && h.indexOf(":") === colon ? h.slice(0, colon) : h;
}

/** Whether a request's Host header may be served (a missing one, from HTTP/1.0 tools, may). */
export function hostAllowed(header: string | undefined, policy: AccessPolicy): boolean {
  if (header === undefined) return true;
  const name = hostName(header);
  if (isLoopbackHost(name) || isIP(name) !== 0) return true;
  return policy.allowedHosts.some((allowed) => allowed === ANY || allowed.toLowerCase() === name);
}

/** Whether a browser page at `origin` may drive the node; requests without an Origin are not from a page. */
export function originAllowed(origin: string | undefined, policy: AccessPolicy): boolean {
  if (origin === undefined) return true;
  if (policy.corsOrigins.some((allowed) => allowed === ANY || allowed.toLowerCase() === origin.toLowerCase())) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    // "null" (sandboxed frames, file://) and anything unparsable.
    return false;
  }
  return (url.protocol === "http:" || url.protocol === "https:") && isLoopbackHost(url.hostname);
}

/** What a node bound beyond loopback exposes, for the startup warning. */
export function remoteExposureWarning(host: string, port: number, accounts: number): string {
  return [
    `WARNING: the AIVM dev node is listening on ${host}:${port}, reachable from other machines.`,
    `Anyone who can reach it can use the ${accounts} unlocked, funded dev accounts (eth_sendTransaction signs for them),`,
    "rewrite state with hardhat_setBalance / hardhat_setCode / hardhat_setStorageAt / hardhat_setNonce, impersonate",
    "any account (hardhat_impersonateAccount), rewind the chain (evm_revert) and use CPU with eth_call.",
    "Use it only on a trusted network. Browser pages still need --cors, other host names --allowed-hosts.",
  ].join("\n");
}

/** Refused server settings (binding beyond loopback without opting in). */
export class ExposureError extends AivmError {
  override name = "ExposureError";
  override readonly code = "EXPOSURE_NOT_ALLOWED";
  constructor(host: string) {
    super(
      `Refusing to listen on ${host}: it is reachable from other machines, and the node serves unlocked funded dev accounts and hardhat_* state edits. Pass --allow-remote (allowRemote: true) to do it anyway.`,
      { docsPath: "node.md#network-exposure" },
    );
  }
}
