// Classify Fashion-MNIST images on chain with the dev node's demo model. Start the node with
// `npm start`, then:
//   npx tsx examples/fashion-classify.ts [rpcUrl] [classifierAddress]
// Reads `classify(image)` on FashionDemo for ten committed test images (ModelRegistry resolves the
// MLP to its stored program, TCUSTOM runs it), prints predicted vs true labels, then sends one
// classification as a transaction and prints its gas, its AIVM receipts and the logits' Tensor
// Commit with its Merkle proof against the block anchor.
import { readFileSync } from "node:fs";
import { createPublicClient, createWalletClient, decodeEventLog, encodeFunctionData, http, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { aivmActions, aivmChainAt } from "../src/viem/index.ts";
import { FASHION_DEMO_ADDRESS, fashionDemoAbi } from "./fashion-abi.ts";

interface Sample {
  index: number;
  label: number;
  labelName: string;
  /** int8 [1, 784] model input (pixel / 255, quantized), tensor wire format. */
  input: Hex;
}

const url = process.argv[2] ?? "http://127.0.0.1:8545";
const address = (process.argv[3] ?? FASHION_DEMO_ADDRESS) as Hex;
// Dev account 2 of the default mnemonic ("test test ... junk").
const account = privateKeyToAccount("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a");
const chain = aivmChainAt(url);
const client = createPublicClient({ chain, transport: http(url), pollingInterval: 50 }).extend(aivmActions());
const wallet = createWalletClient({ chain, transport: http(url), account });

if ((await client.getCode({ address })) === undefined) {
  throw new Error(`No FashionDemo contract at ${address}: start the node with \`npm start\` (aivm node --demo).`);
}
const modelId = await client.readContract({ address, abi: fashionDemoAbi, functionName: "modelId" });
console.log(`FashionDemo at ${address}, model id ${modelId} in ModelRegistry ${await client.readContract({ address, abi: fashionDemoAbi, functionName: "registry" })}`);

const samples = (JSON.parse(readFileSync(new URL("../test/fixtures/models/demo-samples.json", import.meta.url), "utf8")) as { samples: Sample[] }).samples;
let correct = 0;
for (const s of samples) {
  const [label, name] = await client.readContract({ address, abi: fashionDemoAbi, functionName: "classify", args: [s.input] });
  if (Number(label) === s.label) correct++;
  console.log(`image ${String(s.index).padStart(2)}: predicted ${label} ${name.padEnd(11)}  true ${s.label} ${s.labelName.padEnd(11)} ${Number(label) === s.label ? "ok" : "MISS"}`);
}
console.log(`${correct}/${samples.length} correct`);

const first = samples[0]!;
const quote = await client.quote({ account: account.address, to: address, data: encodeFunctionData({ abi: fashionDemoAbi, functionName: "classifyAndRecord", args: [first.input] }) });
console.log(`quote: ${quote.gas} gas, of which AIVM ${quote.aivmGas} for ${quote.flops} FLOPs`);

const hash = await wallet.writeContract({ address, abi: fashionDemoAbi, functionName: "classifyAndRecord", args: [first.input] });
const receipt = await client.waitForTransactionReceipt({ hash });
console.log(`tx ${hash}: ${receipt.status} in block ${receipt.blockNumber}, gas used ${receipt.gasUsed}`);
for (const log of receipt.logs) {
  const ev = decodeEventLog({ abi: fashionDemoAbi, data: log.data, topics: log.topics, strict: false });
  if (ev.eventName === "Classified") console.log(`  Classified: label ${ev.args.label}, logits Tensor Commit ${ev.args.logitsCommit}, program ${ev.args.programHandle}`);
}

const aivm = await client.getReceipts({ hash });
for (const r of aivm?.receipts ?? []) console.log(`  receipt #${r.index} ${r.opcode}: ${r.gasUsed} gas, ${r.flops} FLOPs, output commit ${r.outputCommits[0]}`);
const proof = await client.getReceiptProof({ hash, index: 0 });
console.log(`anchor ${proof?.anchorRoot}: receipt proof ${proof?.verified ? "verified" : "NOT verified"}`);
