// The exact-pinned npm `solc` as a Hardhat compiler: Hardhat runs this soljson.js and never downloads one.
import { createRequire } from "node:module";

export interface PinnedSolc {
  /** The version in solc's package.json, e.g. "0.8.37". */
  version: string;
  /** Absolute path of solc/soljson.js (Hardhat's `solidity.path`). */
  path: string;
}

/** Resolves `solc` from `fromDir` (a project root), or from this package when omitted. */
export function pinnedSolc(fromDir?: string): PinnedSolc {
  const require = createRequire(fromDir === undefined ? import.meta.url : `${fromDir.replace(/\/?$/, "/")}package.json`);
  const { version } = require("solc/package.json") as { version: string };
  return { version, path: require.resolve("solc/soljson.js") };
}
