// End to end on a dev node: pack the Fashion-MNIST MLP, store its shards and program with TSTORE,
// register it in ModelRegistry, run it through TGRAPH/TCUSTOM, check the quote against the gas
// actually charged, and classify images from a Solidity contract.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { bytesToHex, decodeEventLog, encodeFunctionData, decodeFunctionResult, hexToBytes, type Abi, type Hex } from "viem";
import { runProgram } from "../../src/codec/program-run.ts";
import { decodeProgram } from "../../src/codec/program.ts";
import { encodeTensor } from "../../src/codec/tensor.ts";
import { compileContracts, getContract } from "../../src/chain/solc.ts";
import { PRECOMPILE_ADDRESSES } from "../../precompiles/addresses.ts";
import { chainExecutor, connect, quoteOnChain, tcustomCalldata, tgraphCalldata, type ChainConnection } from "../../src/model/chain.ts";
import { registerPackage, uploadPackage, type DeployResult } from "../../src/model/deploy.ts";
import { hasFashionMnist, loadFashionMnist } from "../../src/model/fashion-mnist.ts";
import { hostTensor } from "../../src/model/onnx.ts";
import { encodeInputs, inlineProgram, inputMetas, packageReads, packModel, parsePackage, quoteModel, serializePackage, type ModelPackage } from "../../src/model/package.ts";
import { MULTIPLIER_ONE, quoteProgram, storedReadsGas } from "../../src/gas/index.ts";
import { createAivmProvider, type AivmProvider } from "../../src/rpc/provider.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../..");
const skip = hasFashionMnist("train") && hasFashionMnist("test") ? false : "Fashion-MNIST (dataset-fashion-mnist) is not installed";

let provider: AivmProvider;
let conn: ChainConnection;
let pkg: ModelPackage;
let deployed: DeployResult;
let registry: Hex;
let registryAbi: Abi;
const test10k = skip ? undefined : loadFashionMnist("test");
const image = (i: number) => hostTensor("float32", [1, 784], Array.from(test10k!.images[i]!, (v) => v / 255));

async function sendTx(to: Hex, data: Hex): Promise<{ hash: Hex; gasUsed: bigint; logs: { data: Hex; topics: Hex[] }[] }> {
  const hash = await conn.wallet.sendTransaction({ to, data, account: conn.account, chain: null, gas: 30_000_000n });
  const r = await conn.public.waitForTransactionReceipt({ hash });
  assert.equal(r.status, "success", `tx to ${to} failed`);
  return { hash, gasUsed: r.gasUsed, logs: r.logs as never };
}

/** AIVM gas the precompiles charged in a transaction: the sum of its op receipts. */
async function aivmGasOf(hash: Hex): Promise<bigint> {
  const r = (await provider.request({ method: "aivm_getReceipts", params: [hash] })) as { receipts: { gasUsed: Hex }[] };
  return r.receipts.reduce((s, x) => s + BigInt(x.gasUsed), 0n);
}

before(async () => {
  if (skip) return;
  const train = loadFashionMnist("train");
  const samples = Array.from({ length: 24 }, (_, i) => [hostTensor("float32", [1, 784], Array.from(train.images[i * 2500]!, (v) => v / 255))]);
  pkg = parsePackage(serializePackage(packModel(readFileSync(path.join(repoRoot, "test/fixtures/models/fashion_mlp.onnx")), samples, { name: "fashion_mlp" })));
  provider = await createAivmProvider();
  conn = await connect(provider);
  const reg = getContract("ModelRegistry", path.join(repoRoot, "contracts"), ["ModelRegistry.sol"]);
  registryAbi = reg.abi as Abi;
  // The deployer governs and is the sole approver, with no timelock: a version activates at its approval.
  const hash = await conn.wallet.deployContract({ abi: registryAbi, bytecode: reg.bytecode as Hex, args: [conn.account, [conn.account], 1, 0n], account: conn.account, chain: null });
  registry = (await conn.public.waitForTransactionReceipt({ hash })).contractAddress!;
  deployed = await uploadPackage(conn, pkg);
  deployed.registry = await registerPackage(conn, registry, registryAbi, pkg, deployed);
});

after(async () => {
  await provider?.close();
});

test("deploy stores every shard and the program under the package's content ids and activates the version", { skip }, async () => {
  // The 784×128 int8 weight (98 KiB) is split into ≤ 24 KiB pieces joined by a manifest.
  assert.ok(pkg.manifests.length >= 1);
  assert.ok(pkg.shards.every((s) => (s.tensor.length - 2) / 2 <= 24 * 1024 + 64), "every shard fits one small store transaction");
  assert.equal(deployed.shards.length, pkg.shards.length);
  assert.deepEqual(deployed.shards.map((s) => s.id.toLowerCase()), pkg.shards.map((s) => s.id.toLowerCase()));
  assert.equal(deployed.programId.toLowerCase(), pkg.programId.toLowerCase());
  assert.equal(deployed.registry?.active, true);
  const r = (await conn.public.readContract({ address: registry, abi: registryAbi, functionName: "resolve", args: [BigInt(deployed.registry!.modelId), 0] })) as { programHandle: Hex; gasQuote: bigint };
  assert.equal(r.programHandle.toLowerCase(), pkg.programId.toLowerCase());
  assert.equal(r.gasQuote, BigInt(pkg.quote.gas));
});

test("eth_call through TGRAPH (weights loaded from the store) equals the in-process engine bit for bit", { skip }, async () => {
  const program = decodeProgram(hexToBytes(pkg.program));
  for (const i of [0, 1, 2]) {
    const ins = encodeInputs(pkg, [image(i)]);
    const viaChain = await chainExecutor(conn)(program, ins);
    const viaEngine = runProgram(inlineProgram(pkg), ins, new Map());
    assert.deepEqual(Array.from(viaChain[0]!.data), Array.from(viaEngine[0]!.data));
  }
});

test("aivm model quote equals the gas charged, to the unit (TGRAPH and TCUSTOM transactions, and QUOTE_ONLY)", { skip }, async () => {
  const quote = quoteModel(pkg).gas;
  assert.equal(quote.toString(), pkg.quote.gas);
  const ins = encodeInputs(pkg, [image(3)]);
  // TGRAPH carries the program inline (decoded and hashed, not a stored read); the weights are the same cold reads.
  const graphIo = { readsGas: storedReadsGas(packageReads(pkg).slice(1)) };
  const graphQuote = quoteProgram(decodeProgram(hexToBytes(pkg.program)), inputMetas(pkg), MULTIPLIER_ONE, undefined, graphIo).gas;
  // Every block here carries little AIVM work, so the congestion multiplier stays at 1.0.
  const viaGraph = await sendTx(PRECOMPILE_ADDRESSES.TGRAPH, tgraphCalldata(hexToBytes(pkg.program), ins));
  assert.equal(await aivmGasOf(viaGraph.hash), graphQuote);
  assert.equal(await quoteOnChain(conn, hexToBytes(pkg.program), ins), graphQuote);
  const viaCustom = await sendTx(PRECOMPILE_ADDRESSES.TCUSTOM, tcustomCalldata(pkg.programId, ins));
  const customGas = await aivmGasOf(viaCustom.hash);
  assert.ok(customGas > 0n);
  assert.equal(customGas, quote);
});

test("a Solidity contract resolves the model in ModelRegistry, runs it through TCUSTOM and gets the class", { skip }, async () => {
  const compiled = compileContracts(path.join(here, "sol"), ["FashionClassifier.sol"]).get("FashionClassifier")!;
  const abi = compiled.abi as Abi;
  const hash = await conn.wallet.deployContract({ abi, bytecode: compiled.bytecode as Hex, args: [registry, BigInt(deployed.registry!.modelId)], account: conn.account, chain: null });
  const address = (await conn.public.waitForTransactionReceipt({ hash })).contractAddress!;
  let agreeWithLabels = 0;
  const N = 12;
  for (let i = 0; i < N; i++) {
    const ins = encodeInputs(pkg, [image(i)]);
    const logits = runProgram(inlineProgram(pkg), ins, new Map())[0]!;
    let expected = 0;
    for (let k = 1; k < logits.data.length; k++) if (logits.data[k]! > logits.data[expected]!) expected = k;
    const data = encodeFunctionData({ abi, functionName: "classify", args: [bytesToHex(encodeTensor(ins[0]!))] });
    const { data: ret } = await conn.public.call({ to: address, data, account: conn.account });
    const label = Number(decodeFunctionResult({ abi, functionName: "classify", data: ret! }) as bigint);
    assert.equal(label, expected, `image ${i}`);
    if (label === test10k!.labels[i]) agreeWithLabels++;
  }
  assert.ok(agreeWithLabels >= 9, `${agreeWithLabels}/${N} match the dataset labels`);
  // As a transaction: the class lands in an event and the precompile leaves a receipt.
  const ins = encodeInputs(pkg, [image(0)]);
  const tx = await sendTx(address, encodeFunctionData({ abi, functionName: "classifyAndRecord", args: [bytesToHex(encodeTensor(ins[0]!))] }));
  const ev = tx.logs.map((l) => {
    try {
      return decodeEventLog({ abi, data: l.data, topics: l.topics as [Hex, ...Hex[]] }) as unknown as { eventName: string; args: { label: bigint } };
    } catch {
      return undefined;
    }
  }).find((e) => e?.eventName === "Classified");
  assert.equal(Number(ev!.args.label), test10k!.labels[0]);
  // Called from a contract, the program run is charged exactly the package's quote too.
  assert.equal(await aivmGasOf(tx.hash), quoteModel(pkg).gas);
});
