// Inference from viem against the dev node. Start the node with `npm start`, then:
//   npx tsx examples/viem-inference.ts [rpcUrl] [demoAddress]
// Reads x·W through TMATMUL, quotes the exact gas, sends the inference as a transaction, and
// prints the output, the gas and the AIVM receipts with their Merkle proof against the block anchor.
import { BaseError, ContractFunctionRevertedError, createPublicClient, createWalletClient, hexToBytes, http, bytesToHex, encodeFunctionData, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { aivmActions, aivmChainAt } from "../src/viem/index.ts";
import { decodeTensor, encodeTensor } from "../src/codec/tensor.ts";
import { DEMO_ADDRESS, demoAbi } from "./demo-abi.ts";

const url = process.argv[2] ?? "http://127.0.0.1:8545";
const address = (process.argv[3] ?? DEMO_ADDRESS) as Hex;
// Dev account 1 of the default mnemonic ("test test ... junk").
const account = privateKeyToAccount("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
const chain = aivmChainAt(url);
const client = createPublicClient({ chain, transport: http(url), pollingInterval: 50 }).extend(aivmActions());
const wallet = createWalletClient({ chain, transport: http(url), account });

if ((await client.getCode({ address })) === undefined) {
  throw new Error(`No demo contract at ${address}: start the node with \`npm start\` (aivm node --demo).`);
}

// x: int8 [1, 4], in the AIVM tensor wire format.
const x = bytesToHex(encodeTensor({ dtype: "int8", shape: [1, 4], data: Int8Array.from([3, -1, 7, 2]) }));

const y = await client.readContract({ address, abi: demoAbi, functionName: "infer", args: [x] });
const output = decodeTensor(hexToBytes(y));
console.log(`y = x·W = [${[...output.data].join(", ")}]  (${output.dtype}${JSON.stringify(output.shape)})`);

const quote = await client.quote({ account: account.address, to: address, data: encodeFunctionData({ abi: demoAbi, functionName: "inferAndRecord", args: [x] }) });
console.log(`quote: ${quote.gas} gas, of which AIVM ${quote.aivmGas} for ${quote.flops} FLOPs`);

const hash = await wallet.writeContract({ address, abi: demoAbi, functionName: "inferAndRecord", args: [x] });
const receipt = await client.waitForTransactionReceipt({ hash });
console.log(`tx ${hash}: ${receipt.status} in block ${receipt.blockNumber}, gas used ${receipt.gasUsed}`);

const aivm = await client.getReceipts({ hash });
for (const r of aivm?.receipts ?? []) console.log(`  receipt #${r.index} ${r.opcode}: ${r.gasUsed} gas, ${r.flops} FLOPs, output commit ${r.outputCommits[0]}`);
const proof = await client.getReceiptProof({ hash, index: 0 });
console.log(`anchor ${proof?.anchorRoot}: receipt proof ${proof?.verified ? "verified" : "NOT verified"}`);

// A wrongly shaped input reverts with the AIVM custom error, decoded by viem.
const bad = bytesToHex(encodeTensor({ dtype: "int8", shape: [1, 5], data: Int8Array.from([1, 2, 3, 4, 5]) }));
try {
  await client.readContract({ address, abi: demoAbi, functionName: "infer", args: [bad] });
} catch (error) {
  const revert = (error as BaseError).walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
  console.log(`bad input reverted with ${revert?.data?.errorName}(${revert?.data?.args?.slice(0, 3).join(", ")})`);
}
