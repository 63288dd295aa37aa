// Classify with any model deployed by `aivm model deploy`, from Solidity: deploys
// test/model/sol/FashionClassifier.sol (it resolves the model's active version in ModelRegistry,
// runs the stored program through TCUSTOM and returns the argmax of the logits; nothing in it is
// specific to Fashion-MNIST), reads `classify(input)`, then sends `classifyAndRecord(input)` as a
// transaction and prints its gas and the AIVM receipts' gas next to the package's quote.
//   npx tsx examples/registry-classify.ts <package.aivm.json> <input file> <model id> [rpcUrl]
// The input file is anything `aivm model run --input` reads (.pb, .json, .npy, a picture).
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { bytesToHex, decodeFunctionResult, encodeFunctionData, type Abi, type Hex } from "viem";
import { compileContracts } from "../src/chain/solc.ts";
import { MODEL_REGISTRY_ADDRESS } from "../src/chain/predeploys.ts";
import { loadInputs } from "../src/cli/onnx.ts";
import { encodeTensor } from "../src/codec/tensor.ts";
import { connect } from "../src/model/chain.ts";
import { encodeInputs, parsePackage, quoteModel } from "../src/model/package.ts";

const [pkgFile, inputFile, modelId, url = "http://127.0.0.1:8545"] = process.argv.slice(2);
if (!pkgFile || !inputFile || !modelId) {
  console.error("usage: npx tsx examples/registry-classify.ts <package.aivm.json> <input file> <model id> [rpcUrl]");
  process.exit(2);
}
const pkg = parsePackage(readFileSync(pkgFile, "utf8"));
const targets = pkg.inputs.map((i) => ({ name: i.name, shape: i.shape, dtype: i.hostDtype }));
const input = encodeInputs(pkg, loadInputs([inputFile], targets, pkg.imagePreprocess === undefined ? undefined : JSON.stringify(pkg.imagePreprocess)))[0]!;
const conn = await connect(url);

const sol = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../test/model/sol");
const compiled = compileContracts(sol, ["FashionClassifier.sol"]).get("FashionClassifier")!;
const abi = compiled.abi as Abi;
const deployHash = await conn.wallet.deployContract({ abi, bytecode: compiled.bytecode as Hex, args: [MODEL_REGISTRY_ADDRESS, BigInt(modelId)], account: conn.account, chain: null });
const address = (await conn.public.waitForTransactionReceipt({ hash: deployHash })).contractAddress!;
console.log(`FashionClassifier at ${address} for model ${modelId} in ModelRegistry ${MODEL_REGISTRY_ADDRESS}`);

const arg = bytesToHex(encodeTensor(input));
const { data } = await conn.public.call({ to: address, data: encodeFunctionData({ abi, functionName: "classify", args: [arg] }), account: conn.account });
console.log(`classify(${path.basename(inputFile)}) = ${decodeFunctionResult({ abi, functionName: "classify", data: data! }) as bigint} (eth_call)`);

const hash = await conn.wallet.sendTransaction({ to: address, data: encodeFunctionData({ abi, functionName: "classifyAndRecord", args: [arg] }), account: conn.account, chain: null });
const receipt = await conn.public.waitForTransactionReceipt({ hash });
const aivm = (await conn.public.request({ method: "aivm_getReceipts", params: [hash] } as never)) as { receipts: { gasUsed: Hex }[] };
const charged = aivm.receipts.reduce((s, r) => s + BigInt(r.gasUsed), 0n);
console.log(`classifyAndRecord: ${receipt.status}, gasUsed ${receipt.gasUsed}; AIVM receipts ${charged} gas (package quote ${quoteModel(pkg).gas})`);
