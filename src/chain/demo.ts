// The demo model `npm start` deploys: InferenceDemo, a one-layer int8 classifier whose weights live
// in the persistent tensor store and whose inference is one TMATMUL call. This is the hook the ONNX
// demo model (src/model, helper H7) can replace: deployDemo is the only thing the CLI calls.
import { encodeFunctionData, encodeDeployData, bytesToHex, type Abi, type Hex } from "viem";
import { encodeTensor } from "../codec/tensor.ts";
import type { Tensor } from "../engine/tensor.ts";
import { compileDemoContract } from "./demo-compile.ts";
import type { DevNode } from "./node.ts";
import { TransactionRejectedError } from "./node-errors.ts";

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
}

export function demoContract() {
  return compileDemoContract("InferenceDemo.sol", "InferenceDemo");
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
  return { name: compiled.name, address: found.record.contractAddress, abi: compiled.abi, deployTx: hash, sampleInput: bytesToHex(encodeTensor(DEMO_INPUT)), weights };
}

/** Calldata for `infer(sampleInput)`, for printed examples. */
export function demoInferCalldata(demo: DeployedDemo): Hex {
  return encodeFunctionData({ abi: demo.abi, functionName: "infer", args: [demo.sampleInput] });
}
