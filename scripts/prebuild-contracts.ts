// npm run prebuild:contracts — rewrites contracts/prebuilt/: the compiler outputs of everything a
// demo start compiles (genesis system contracts, predeploys, the demo contracts), each from a fresh
// solc run, named by its content key (src/chain/solc.ts). Files for older sources are removed.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DevNode } from "../src/chain/node.ts";
import { deployDemo } from "../src/cli/demo.ts";
import { agentMemoryContract, storyTellerContract } from "../src/cli/demo-lm.ts";
import { PREBUILT_DIR, compileFresh, compileRequests } from "../src/chain/solc.ts";

const node = await DevNode.create();
await deployDemo(node);
// The agent demos (src/cli/node.ts): StoryTeller over the language model held in genesis, AgentMemory.
storyTellerContract();
agentMemoryContract();
await node.close();

mkdirSync(PREBUILT_DIR, { recursive: true });
const keep = new Set<string>();
for (const key of compileRequests().keys()) {
  writeFileSync(join(PREBUILT_DIR, `${key}.json`), JSON.stringify(compileFresh(key)));
  keep.add(`${key}.json`);
}
for (const file of readdirSync(PREBUILT_DIR)) if (file.endsWith(".json") && !keep.has(file)) rmSync(join(PREBUILT_DIR, file));
console.log(`contracts/prebuilt: ${keep.size} compiler outputs`);
