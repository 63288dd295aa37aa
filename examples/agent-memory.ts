// An agent that remembers and recalls, on chain. Start the node with `npm start`, then:
//   npx tsx examples/agent-memory.ts [rpcUrl] ["query"]
// Embeds a handful of facts with the sentence encoder (Universal Sentence Encoder lite imported as an
// integer AIVM program: the bytes the chain's program computes, run here in process), stores them in
// the demo AgentMemory contract (remember, a transaction), then asks which facts are nearest to each
// query (recall: one TGRAPH on chain, integer dot products and top_k).
import { createPublicClient, createWalletClient, http, toHex, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { aivmChainAt } from "../src/viem/index.ts";
import { loadSentenceEncoder } from "../src/model/sentence-encoder.ts";
import { AGENT_MEMORY_ADDRESS, agentMemoryAbi } from "./agent-memory-abi.ts";

const url = process.argv[2] ?? "http://127.0.0.1:8545";
const queries = process.argv[3] ? [process.argv[3]] : ["Where does the agent keep its money?", "What does the cat like?", "When is the meeting?"];
// Dev account 4 of the default mnemonic deploys, and so owns, the demo AgentMemory.
const owner = privateKeyToAccount("0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a");
const chain = aivmChainAt(url);
const client = createPublicClient({ chain, transport: http(url), pollingInterval: 50 });
const wallet = createWalletClient({ chain, transport: http(url), account: owner });

if ((await client.getCode({ address: AGENT_MEMORY_ADDRESS })) === undefined) {
  throw new Error(`No AgentMemory contract at ${AGENT_MEMORY_ADDRESS}: start the node with \`npm start\` (aivm node --demo).`);
}

const facts = [
  "The agent's treasury is held in a multisig wallet.",
  "The cat loves sleeping in the sun by the window.",
  "The weekly team meeting is on Tuesday at ten.",
  "Gas prices on the network rose sharply yesterday.",
  "Paris is the capital of France.",
  "The oracle contract was migrated to AIVM last month.",
];
console.log("loading the sentence encoder (imports and quantizes the TF.js model)…");
const encoder = await loadSentenceEncoder();
const embed = (s: string): Hex => toHex(Uint8Array.from(encoder.embedInts(s), (v) => v & 0xff));

const before = await client.readContract({ address: AGENT_MEMORY_ADDRESS, abi: agentMemoryAbi, functionName: "size" });
const hash = await wallet.writeContract({ address: AGENT_MEMORY_ADDRESS, abi: agentMemoryAbi, functionName: "remember", args: [facts.map(embed)], gas: 30_000_000n });
const receipt = await client.waitForTransactionReceipt({ hash });
if (receipt.status !== "success") throw new Error(`remember reverted (tx ${hash})`);
console.log(`remembered ${facts.length} facts (ids ${before}…${before + BigInt(facts.length) - 1n}) in ${hash}, ${receipt.gasUsed} gas`);

for (const q of queries) {
  const [ids, scores] = await client.readContract({ address: AGENT_MEMORY_ADDRESS, abi: agentMemoryAbi, functionName: "recall", args: [embed(q), 3n] });
  console.log(`\n${q}`);
  ids.forEach((id, i) => {
    const fact = id >= before ? facts[Number(id - before)] : `(memory ${id} from an earlier run)`;
    console.log(`  ${i + 1}. [${id}] score ${scores[i]} (cosine ≈ ${(Number(scores[i]) * encoder.outputScale ** 2).toFixed(3)})  ${fact}`);
  });
}
