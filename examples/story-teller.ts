// Tell a story on chain with the dev node's language model. Start the node with `npm start`, then:
//   npx tsx examples/story-teller.ts [rpcUrl] ["prompt"]
// Streams a greedy continuation through eth_call (the viem `generate` action: TSTREAM, the KV cache
// carried between calls), then sends `tell` as a transaction with temperature 0.8, top-k 40 and
// top-p 0.95: the block's VRF output seeds the sampler, and every token comes with its Tensor Commit.
// Last, a two-turn conversation: `begin` keeps the model state (KV cache, position) in the contract's
// agent namespace and `reply` continues from it in a second transaction.
import { createPublicClient, createWalletClient, decodeEventLog, encodeFunctionData, http, toHex, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { aivmActions, aivmChainAt } from "../src/viem/index.ts";
import { generate } from "../src/viem/actions/generate.ts";
import { STORY_TELLER_ADDRESS, storyTellerAbi } from "./story-teller-abi.ts";

const url = process.argv[2] ?? "http://127.0.0.1:8545";
const prompt = process.argv[3] ?? "dog: ";
// Dev account 2 of the default mnemonic ("test test ... junk").
const account = privateKeyToAccount("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a");
const chain = aivmChainAt(url);
const client = createPublicClient({ chain, transport: http(url), pollingInterval: 50 }).extend(aivmActions());
const wallet = createWalletClient({ chain, transport: http(url), account });

if ((await client.getCode({ address: STORY_TELLER_ADDRESS })) === undefined) {
  throw new Error(`No StoryTeller contract at ${STORY_TELLER_ADDRESS}: start the node with \`npm start\` (aivm node --demo).`);
}

process.stdout.write(`greedy, through eth_call: ${prompt}`);
const greedy = await generate(client, { storyTeller: STORY_TELLER_ADDRESS, prompt, maxTokens: 48, chunk: 8, onToken: (t) => t < 256 && process.stdout.write(String.fromCharCode(t)) });
console.log(`\n  ${greedy.tokens.length} tokens, first commit ${greedy.commits[0]}`);

const data = encodeFunctionData({ abi: storyTellerAbi, functionName: "tell", args: [toHex(prompt), 48, Math.round(0.8 * 65536), 40, Math.round(0.95 * 65536)] });
const hash = await wallet.sendTransaction({ to: STORY_TELLER_ADDRESS, data, gas: 50_000_000n });
const receipt = await client.waitForTransactionReceipt({ hash });
if (receipt.status !== "success") throw new Error(`tell reverted (tx ${hash})`);
const events = receipt.logs.map((l) => decodeEventLog({ abi: storyTellerAbi, data: l.data, topics: l.topics as [Hex, ...Hex[]] }));
const started = events.find((e) => e.eventName === "StoryStarted")!.args as { seedSalt: Hex };
const tokens = events.filter((e) => e.eventName === "TokenGenerated").map((e) => e.args as { index: bigint; token: bigint; commit: Hex });
const finished = events.find((e) => e.eventName === "StoryFinished")!.args as { text: Hex; traceRoot: Hex };
const vrf = await client.getVrf({ blockNumber: receipt.blockNumber });
console.log(`sampled, in transaction ${hash} (block ${receipt.blockNumber}, ${receipt.gasUsed} gas):`);
console.log(`  ${prompt}${Buffer.from(finished.text.slice(2), "hex").toString("utf8")}`);
console.log(`  seed salt ${started.seedSalt}, block VRF output ${vrf?.beta.slice(0, 18)}…, trace root ${finished.traceRoot}`);
console.log(`  token 0: ${tokens[0]!.token} commit ${tokens[0]!.commit}; ${tokens.length} TokenGenerated events`);

/** Sends one StoryTeller transaction and returns its receipt and the text of its StoryFinished event. */
async function send(functionName: "begin" | "reply", args: readonly unknown[]) {
  const h = await wallet.sendTransaction({ to: STORY_TELLER_ADDRESS, data: encodeFunctionData({ abi: storyTellerAbi, functionName, args } as never), gas: 55_000_000n });
  const r = await client.waitForTransactionReceipt({ hash: h });
  if (r.status !== "success") throw new Error(`${functionName} reverted (tx ${h})`);
  const evs = r.logs.map((l) => decodeEventLog({ abi: storyTellerAbi, data: l.data, topics: l.topics as [Hex, ...Hex[]] }));
  const story = evs.find((e) => e.eventName === "TokenGenerated")!.args as { storyId: bigint };
  const text = (evs.find((e) => e.eventName === "StoryFinished")!.args as { text: Hex }).text;
  return { receipt: r, storyId: story.storyId, text: Buffer.from(text.slice(2), "hex").toString("utf8") };
}

const reply = process.argv[4] ?? " and the ";
console.log("a conversation, state kept in the contract's agent namespace between transactions:");
const turn1 = await send("begin", [toHex(prompt), 24, 0, 0, 0]);
console.log(`  begin (${turn1.receipt.gasUsed} gas): ${prompt}${turn1.text}`);
const turn2 = await send("reply", [turn1.storyId, toHex(reply), 24, 0, 0, 0]);
console.log(`  reply (${turn2.receipt.gasUsed} gas): …${reply}${turn2.text}`);
