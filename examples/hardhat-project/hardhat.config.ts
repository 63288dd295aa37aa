import hardhatToolboxViemPlugin from "@nomicfoundation/hardhat-toolbox-viem";
import { defineConfig } from "hardhat/config";
import aivmPlugin, { pinnedSolc } from "aivm/hardhat";

const solc = pinnedSolc(import.meta.dirname);

export default defineConfig({
  plugins: [hardhatToolboxViemPlugin, aivmPlugin],
  solidity: {
    version: solc.version,
    path: solc.path,
    settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "prague" },
  },
  networks: {
    aivmNode: { type: "http", chainType: "l1", url: process.env.AIVM_NODE_URL ?? "http://127.0.0.1:8545" },
  },
});
