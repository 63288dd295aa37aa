// Model helpers for Hardhat projects: deploy an `aivm model pack` package (weight shards and program
// via TSTORE, version in a ModelRegistry) over a Hardhat network connection's provider, encode inputs,
// and compute the expected output off chain with the same integer engine.
import { bytesToHex, type Abi, type Hex } from "viem";
import { runProgram } from "../codec/program-run.ts";
import { encodeTensor } from "../codec/tensor.ts";
import { connect } from "../model/chain.ts";
import { registerPackage, uploadPackage, type DeployResult } from "../model/deploy.ts";
import { hostTensor } from "../model/onnx.ts";
import { encodeInputs, inlineProgram, parsePackage, type ModelPackage } from "../model/package.ts";

export { parsePackage, type ModelPackage };
export { hasFashionMnist, loadFashionMnist, FASHION_MNIST_CLASSES } from "../model/fashion-mnist.ts";

/** Anything with an EIP-1193 `request` (a Hardhat connection's `provider`, a viem transport...). */
export interface Eip1193Like {
  request(args: { method: string; params?: unknown }): Promise<unknown>;
}

export interface DeployModelOptions {
  /** A ModelRegistry to register the version in (deployer as sole approver, no timelock → active). */
  registry?: { address: Hex; abi: Abi };
}

/** Stores the package's shards and program, then registers it when a registry is given. */
export async function deployModelPackage(provider: Eip1193Like, pkg: ModelPackage, options: DeployModelOptions = {}): Promise<DeployResult> {
  const conn = await connect(provider);
  const deployed = await uploadPackage(conn, pkg);
  if (options.registry) deployed.registry = await registerPackage(conn, options.registry.address, options.registry.abi, pkg, deployed);
  return deployed;
}

/** The model's first input, quantized as the package prescribes, as a wire-format tensor (hex). */
export function encodeModelInput(pkg: ModelPackage, shape: number[], values: ArrayLike<number>): Hex {
  const [tensor] = encodeInputs(pkg, [hostTensor("float32", shape, Array.from(values))]);
  return bytesToHex(encodeTensor(tensor!));
}

/** argmax of the model's first output, computed off chain by the integer engine (what the chain must return). */
export function predictLocally(pkg: ModelPackage, shape: number[], values: ArrayLike<number>): number {
  const inputs = encodeInputs(pkg, [hostTensor("float32", shape, Array.from(values))]);
  const out = runProgram(inlineProgram(pkg), inputs, new Map())[0]!;
  let best = 0;
  for (let k = 1; k < out.data.length; k++) if (out.data[k]! > out.data[best]!) best = k;
  return best;
}

export { encodeTensor, decodeTensor } from "../codec/tensor.ts";

/** A wire-format int8 tensor (hex), e.g. for contract arguments in tests. */
export function int8Tensor(shape: number[], values: readonly number[]): Hex {
  return bytesToHex(encodeTensor({ dtype: "int8", shape, data: Int8Array.from(values) }));
}
