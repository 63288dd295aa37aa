// What `npm start` deploys: InferenceDemo, a one-layer int8 classifier whose weights live in the
// persistent tensor store and whose inference is one TMATMUL call; then the real Fashion-MNIST MLP
// from its committed package (scripts/pack-demo-model.ts), registered in ModelRegistry and called
// by FashionDemo. deployDemo is the only thing the CLI calls.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { encodeFunctionData, encodeDeployData, bytesToHex, type Abi, type Hex } from "viem";
import { encodeTensor } from "../codec/tensor.ts";
import type { Tensor } from "../engine/tensor.ts";
import { connect } from "../model/chain.ts";
import { registerPackage, uploadPackage } from "../model/deploy.ts";
import { parsePackage, type ModelPackage } from "../model/package.ts";
import { createAivmProvider } from "../rpc/provider.ts";
import type { DevNode } from "../chain/node.ts";
import { TransactionRejectedError } from "../chain/node-errors.ts";
import { MODEL_REGISTRY_ADDRESS } from "../chain/predeploys.ts";
import { REPO_ROOT, getContract } from "../chain/solc.ts";

/** The pre-packed Fashion-MNIST MLP and ten labelled test images (committed; no dataset needed). */
export const FASHION_PACKAGE_PATH = join(REPO_ROOT, "test/fixtures/models/fashion_mlp.aivm.json");
export const FASHION_SAMPLES_PATH = join(REPO_ROOT, "test/fixtures/models/demo-samples.json");

/** W: int8 [4, 3]; column j scores class j. */
export const DEMO_WEIGHTS: Tensor = {
  dtype: "int8",
  shape: [4, 3],
  data: Int8Array.from([12, -3, 5, -7, 9, 2, 4, 4, -6, 1, -8, 11]),
};

/** A sample input x: int8 [1, 4]. */
export const DEMO_INPUT: Tensor = { dtype: "int8", shape: [1, 4], data: Int8Array.from([3, -1, 7, 2]) };

export interface DeployedDemo {
  name: string;
  address: Hex;
  abi: Abi;
  deployTx: Hex;
  /** Wire-format encodings, ready to pass to `infer` / `inferAndRecord`. */
  sampleInput: Hex;
  weights: Hex;
  /** The Fashion-MNIST MLP; absent when the chain has no ModelRegistry at 0x…A120. */
  fashion?: DeployedFashionDemo;
}

export interface DeployedFashionDemo {
  /** FashionDemo, the classifier contract. */
  address: Hex;
  abi: Abi;
  registry: Hex;
  modelId: string;
  version: number;
  /** keccak256 of the stored program: the TCUSTOM handle ModelRegistry resolves to. */
  programId: Hex;
  /** Exact AIVM gas of one inference at multiplier 1.0. */
  quoteGas: string;
  /** The first committed sample image (a T-shirt/top), wire format. */
  sampleInput: Hex;
}

export function demoContract() {
  return getContract("InferenceDemo", undefined, ["examples/demo/InferenceDemo.sol"]);
}

/** Deploys InferenceDemo from the first dev account and returns its address and ABI. */
export async function deployDemo(node: DevNode): Promise<DeployedDemo> {
  const compiled = demoContract();
  const weights = bytesToHex(encodeTensor(DEMO_WEIGHTS));
  const data = encodeDeployData({ abi: compiled.abi, bytecode: compiled.bytecode, args: [weights] });
  const from = node.accounts[0]!.address;
  const hash = await node.sendTransaction({ from, data });
  if (!node.automine) await node.mine();
  const found = node.transaction(hash);
  if (!found?.record.contractAddress || found.record.status !== 1) {
    throw new TransactionRejectedError("Deploying the demo contract failed.");
  }
  const fashion = await deployFashionDemo(node);
  return { name: compiled.name, address: found.record.contractAddress, abi: compiled.abi, deployTx: hash, sampleInput: bytesToHex(encodeTensor(DEMO_INPUT)), weights, fashion };
}

export function fashionPackage(): ModelPackage {
  return parsePackage(readFileSync(FASHION_PACKAGE_PATH, "utf8"));
}

export interface FashionSample {
  index: number;
  label: number;
  labelName: string;
  pixels: number[];
  /** int8 [1, 784] model input, wire format. */
  input: Hex;
}

export function fashionSamples(): FashionSample[] {
  return (JSON.parse(readFileSync(FASHION_SAMPLES_PATH, "utf8")) as { samples: FashionSample[] }).samples;
}

export function fashionDemoContract() {
  return getContract("FashionDemo", undefined, ["examples/demo/FashionDemo.sol"]);
}

/**
 * Stores the MLP's shards and program (TSTORE), registers and activates it in ModelRegistry (dev
 * account 0 is the dev registry's sole approver) and deploys FashionDemo against it.
 */
export async function deployFashionDemo(node: DevNode): Promise<DeployedFashionDemo | undefined> {
  if ((await node.getCode(MODEL_REGISTRY_ADDRESS)) === "0x") return undefined;
  const pkg = fashionPackage();
  // The model toolchain talks EIP-1193; wrap this node (closing the wrapper would close the node).
  // Without automine each transaction is mined at once, so startup never waits for the block timer.
  const provider = await createAivmProvider({ node });
  const conn = await connect({
    async request(args: { method: string; params?: unknown }) {
      const result = await provider.request(args as Parameters<typeof provider.request>[0]);
      if (args.method === "eth_sendTransaction" && !node.automine) await node.mine();
      return result;
    },
  });
  const uploaded = await uploadPackage(conn, pkg);
  const registryAbi = getContract("ModelRegistry", undefined, ["ModelRegistry.sol", "AgentScheduler.sol"]).abi as Abi;
  const registered = await registerPackage(conn, MODEL_REGISTRY_ADDRESS, registryAbi, pkg, uploaded);
  if (!registered.active) throw new TransactionRejectedError(`The demo model was registered but not activated: ${registered.note ?? "unknown reason"}.`);
  const compiled = fashionDemoContract();
  const data = encodeDeployData({ abi: compiled.abi, bytecode: compiled.bytecode, args: [MODEL_REGISTRY_ADDRESS, BigInt(registered.modelId)] });
  const hash = await node.sendTransaction({ from: node.accounts[0]!.address, data });
  if (!node.automine) await node.mine();
  const found = node.transaction(hash);
  if (!found?.record.contractAddress || found.record.status !== 1) throw new TransactionRejectedError("Deploying the FashionDemo contract failed.");
  return {
    address: found.record.contractAddress,
    abi: compiled.abi,
    registry: MODEL_REGISTRY_ADDRESS,
    modelId: registered.modelId,
    version: registered.version,
    programId: uploaded.programId,
    quoteGas: pkg.quote.gas,
    sampleInput: fashionSamples()[0]!.input,
  };
}

/** Calldata for `classify(sampleInput)`, for printed examples. */
export function fashionClassifyCalldata(fashion: DeployedFashionDemo): Hex {
  return encodeFunctionData({ abi: fashion.abi, functionName: "classify", args: [fashion.sampleInput] });
}

/** Calldata for `infer(sampleInput)`, for printed examples. */
export function demoInferCalldata(demo: DeployedDemo): Hex {
  return encodeFunctionData({ abi: demo.abi, functionName: "infer", args: [demo.sampleInput] });
}
