// `aivm/hardhat`: the Hardhat 3 plugin. Adds the in-process `aivm` network (answered by the
// network hooks, a fresh AIVM chain per connection) and the `hardhat aivm node` task.
import type { HardhatPlugin } from "hardhat/types/plugins";
import { emptyTask, task } from "hardhat/config";
import { ArgumentType } from "hardhat/types/arguments";

export { AIVM_IN_PROCESS_URL, AIVM_NETWORK, AIVM_NETWORK_NAME } from "./in-process.ts";
export { pinnedSolc, type PinnedSolc } from "./solc.ts";
export {
  deployModelPackage,
  loadModelPackage,
  encodeModelInput,
  predictLocally,
  int8Tensor,
  encodeTensor,
  decodeTensor,
  hasFashionMnist,
  loadFashionMnist,
  FASHION_MNIST_CLASSES,
  type ModelPackage,
  type DeployResult,
  type DeployModelOptions,
  type Eip1193Like,
} from "./model.ts";

// The node's defaults (src/rpc/server.ts), repeated so loading the plugin does not load the node.
const DEFAULT_HOST = "127.0.0.1";
const DEFAULT_PORT = 8545;

const aivmPlugin: HardhatPlugin = {
  id: "aivm",
  npmPackage: "aivm",
  hookHandlers: {
    config: () => import("./hook-handlers/config.ts"),
    network: () => import("./hook-handlers/network.ts"),
  },
  tasks: [
    emptyTask("aivm", "AIVM: deterministic AI inference precompiles").build(),
    task(["aivm", "node"], "Start the AIVM dev node (JSON-RPC over HTTP and WebSocket, AIVM precompiles)")
      .addOption({ name: "hostname", description: "Interface to bind", type: ArgumentType.STRING, defaultValue: DEFAULT_HOST })
      .addOption({ name: "port", description: "Port to listen on (0 = any free port)", type: ArgumentType.INT, defaultValue: DEFAULT_PORT })
      .addOption({ name: "chainId", description: "Chain id (default 31337)", type: ArgumentType.INT, defaultValue: 0 })
      .addOption({ name: "blockTime", description: "Mine a block every N seconds (default: one block per transaction)", type: ArgumentType.INT, defaultValue: 0 })
      .addOption({ name: "db", description: "Keep the chain in LevelDB at this directory (default: in memory)", type: ArgumentType.STRING, defaultValue: "" })
      .setAction(() => import("./tasks/node.ts"))
      .build(),
  ],
};

export default aivmPlugin;
