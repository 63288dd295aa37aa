// Inference from ethers v6 against the dev node. Start the node with `npm start`, then:
//   npx tsx examples/ethers-inference.ts [rpcUrl] [demoAddress]
import { Contract, JsonRpcProvider, Wallet, getBytes, hexlify, isCallException } from "ethers";
import { decodeTensor, encodeTensor } from "../src/codec/tensor.ts";
import { DEMO_ADDRESS, demoAbi } from "./demo-abi.ts";

const url = process.argv[2] ?? "http://127.0.0.1:8545";
const address = process.argv[3] ?? DEMO_ADDRESS;
const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, pollingInterval: 50 });
// Dev account 2 of the default mnemonic.
const wallet = new Wallet("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a", provider);
const demo = new Contract(address, demoAbi as never, wallet);

if ((await provider.getCode(address)) === "0x") throw new Error(`No demo contract at ${address}: start the node with \`npm start\`.`);

const x = hexlify(encodeTensor({ dtype: "int8", shape: [1, 4], data: Int8Array.from([3, -1, 7, 2]) }));
const y: string = await demo.getFunction("infer").staticCall(x);
const output = decodeTensor(getBytes(y));
console.log(`y = x·W = [${[...output.data].join(", ")}]  (${output.dtype}${JSON.stringify(output.shape)})`);

const estimate = await demo.getFunction("inferAndRecord").estimateGas(x);
const tx = await demo.getFunction("inferAndRecord")(x);
const receipt = await tx.wait();
console.log(`tx ${tx.hash}: status ${receipt?.status} in block ${receipt?.blockNumber}, gas used ${receipt?.gasUsed} (estimated ${estimate})`);
for (const log of receipt?.logs ?? []) {
  const parsed = demo.interface.parseLog(log);
  if (parsed?.name === "Inferred") console.log(`Inferred: argmax ${parsed.args.argmax}, output commit ${parsed.args.outputCommit}`);
}

const aivm = (await provider.send("aivm_getReceipts", [tx.hash])) as { receipts: { opcode: string; gasUsed: string; flops: string }[] };
for (const r of aivm.receipts) console.log(`  receipt ${r.opcode}: ${BigInt(r.gasUsed)} gas, ${BigInt(r.flops)} FLOPs`);

const bad = hexlify(encodeTensor({ dtype: "int8", shape: [1, 5], data: Int8Array.from([1, 2, 3, 4, 5]) }));
try {
  await demo.getFunction("infer").staticCall(bad);
} catch (error) {
  if (isCallException(error)) console.log(`bad input reverted with ${error.revert?.name}(${error.revert?.args.slice(0, 3).join(", ")})`);
  else throw error;
}
provider.destroy();
