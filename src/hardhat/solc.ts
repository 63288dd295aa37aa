// The exact-pinned npm `solc` as a Hardhat compiler: Hardhat runs this soljson.js and never downloads one.
import { createRequire } from "node:module";

export interface PinnedSolc {
  /** The version in solc's package.json, e.g. "0.8.37". */
  version: string;
  /** Absolute path of solc/soljson.js (Hardhat's `solidity.path`). */
  path: string;
}

/** The solc release aivm pins (its package.json's peerDependencies). */
function pinnedVersion(): string {
  return (createRequire(import.meta.url)("../../package.json") as { peerDependencies: { solc: string } }).peerDependencies.solc;
}

/** Resolves `solc` from `fromDir` (a project root), or from this package when omitted. */
export function pinnedSolc(fromDir?: string): PinnedSolc {
  const require = createRequire(fromDir === undefined ? import.meta.url : `${fromDir.replace(/\/?$/, "/")}package.json`);
  let version: string;
  try {
    ({ version } = require("solc/package.json") as { version: string });
  } catch {
    throw new Error(`The solc package is not installed${fromDir === undefined ? "" : ` in ${fromDir}`}: it is aivm's optional peer dependency, needed to compile. Install it: npm install --save-dev solc@${pinnedVersion()}`);
  }
  return { version, path: require.resolve("solc/soljson.js") };
}
