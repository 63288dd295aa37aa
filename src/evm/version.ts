// The overrides in src/evm/ patch EthereumJS internals (unexported classes, opcode tables, private
// fields) line for line against one upstream release. Any other release may move or change what
// they replace, so the VM factory refuses to start on it instead of running a silently different EVM.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { AivmError } from "../engine/errors.ts";

/** The one EthereumJS release the overrides were written and checked against. */
export const PINNED_ETHEREUMJS_VERSION = "10.1.3";

/** Every @ethereumjs package the chain loads (package.json pins each exactly). */
export const ETHEREUMJS_PACKAGES = [
  "@ethereumjs/block",
  "@ethereumjs/common",
  "@ethereumjs/evm",
  "@ethereumjs/mpt",
  "@ethereumjs/rlp",
  "@ethereumjs/statemanager",
  "@ethereumjs/tx",
  "@ethereumjs/util",
  "@ethereumjs/vm",
] as const;

/** An installed @ethereumjs package is not the release the overrides were written for. */
export class UnsupportedEthereumJSVersionError extends AivmError {
  override name = "UnsupportedEthereumJSVersionError";
  override readonly code = "UNSUPPORTED_ETHEREUMJS_VERSION";
  constructor(readonly mismatches: readonly { name: string; version: string }[]) {
    super(`The EVM overrides need @ethereumjs/* ${PINNED_ETHEREUMJS_VERSION}; found ${mismatches.map((m) => `${m.name} ${m.version}`).join(", ")}.`, {
      details: "Reinstall with `npm ci` (package.json pins the release), or re-check every override in src/evm/ against the new release and move the pin.",
      docsPath: "evm.md#pinned-version",
      metaMessages: mismatches.map((m) => `${m.name}: ${m.version}, expected ${PINNED_ETHEREUMJS_VERSION}`),
    });
  }
}

/** The version of each package in ETHEREUMJS_PACKAGES as Node resolves it from here ("missing" if it does not). */
export function installedEthereumJSVersions(): Record<string, string> {
  const found: Record<string, string> = {};
  for (const name of ETHEREUMJS_PACKAGES) found[name] = resolvedVersion(name);
  return found;
}

/** Throws UnsupportedEthereumJSVersionError unless every package is at PINNED_ETHEREUMJS_VERSION. */
export function checkEthereumJSVersions(found: Readonly<Record<string, string>>): void {
  const mismatches = ETHEREUMJS_PACKAGES.filter((name) => found[name] !== PINNED_ETHEREUMJS_VERSION).map((name) => ({ name, version: found[name] ?? "missing" }));
  if (mismatches.length > 0) throw new UnsupportedEthereumJSVersionError(mismatches);
}

/** The package.json version of the copy of `name` that `import` would load from this module. */
function resolvedVersion(name: string): string {
  let entry: string;
  try {
    entry = fileURLToPath(import.meta.resolve(name));
  } catch {
    return "missing";
  }
  // The exports map hides package.json, so walk up from the entry file to the package's root.
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    let manifest: { name?: string; version?: string };
    try {
      manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
    } catch {
      continue;
    }
    if (manifest.name === name) return manifest.version ?? "missing";
  }
  return "missing";
}
