import hardhatToolboxViemPlugin from "@nomicfoundation/hardhat-toolbox-viem";
import { configVariable, defineConfig } from "hardhat/config";
// AIVM: the plugin (adds the in-process `aivm` network and `hardhat aivm node`) and the pinned npm solc.
import aivmPlugin, { pinnedSolc } from "aivm/hardhat";

// AIVM: compile offline with the exact npm `solc` the project pins, instead of downloading 0.8.34.
const solc = pinnedSolc(import.meta.dirname);

export default defineConfig({
  plugins: [hardhatToolboxViemPlugin, aivmPlugin],
  solidity: {
    profiles: {
      default: {
        version: solc.version,
        path: solc.path,
      },
      production: {
        version: solc.version,
        path: solc.path,
        settings: {
          optimizer: {
            enabled: true,
            runs: 200,
          },
        },
      },
    },
  },
  networks: {
    hardhatMainnet: {
      type: "edr-simulated",
      chainType: "l1",
    },
    hardhatOp: {
      type: "edr-simulated",
      chainType: "op",
    },
    sepolia: {
      type: "http",
      chainType: "l1",
      url: configVariable("SEPOLIA_RPC_URL"),
      accounts: [configVariable("SEPOLIA_PRIVATE_KEY")],
    },
    // AIVM: a running `hardhat aivm node` / `aivm node` (the in-process `aivm` network needs no entry).
    aivmNode: {
      type: "http",
      chainType: "l1",
      url: process.env.AIVM_NODE_URL ?? "http://127.0.0.1:8545",
    },
  },
});
