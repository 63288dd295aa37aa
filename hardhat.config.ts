// Hardhat 3 config of the AIVM repository: compiles contracts/ with the exact-pinned npm solc
// (offline: `solidity.path`, never a download) and runs hardhat-viem tests on the in-process
// `aivm` network added by the aivm/hardhat plugin.
import { createRequire } from "node:module";
import hardhatToolboxViemPlugin from "@nomicfoundation/hardhat-toolbox-viem";
import { defineConfig } from "hardhat/config";
import aivmPlugin from "./src/hardhat/index.ts";

const require = createRequire(import.meta.url);
const solcVersion = (require("solc/package.json") as { version: string }).version;

export default defineConfig({
  plugins: [hardhatToolboxViemPlugin, aivmPlugin],
  solidity: {
    version: solcVersion,
    path: require.resolve("solc/soljson.js"),
    // Same settings as src/chain/solc.ts, so artifacts match what the node's predeploys use.
    settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "osaka" },
  },
  paths: {
    sources: "contracts",
    tests: { nodejs: "test/hardhat/viem" },
  },
});
