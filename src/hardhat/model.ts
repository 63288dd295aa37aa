// Model helpers for Hardhat projects: deploy an `aivm model pack` package (weight shards and program
// via TSTORE, version in a ModelRegistry) over a Hardhat network connection's provider, encode inputs,
// and compute the expected output off chain with the same integer engine.
// The model toolchain takes seconds to load, so it is imported on first use: Hardhat loads this
// plugin for every command, and most never touch a model.
import { bytesToHex, type Abi, type Hex } from "viem";
import { encodeTensor } from "../codec/tensor.ts";
import type { DeployResult } from "../model/deploy.ts";
import type { ModelPackage } from "../model/package.ts";

export type { ModelPackage, DeployResult };
export { encodeTensor, decodeTensor } from "../codec/tensor.ts";
export { hasFashionMnist, loadFashionMnist, FASHION_MNIST_CLASSES } from "../model/fashion-mnist.ts";

/** Anything with an EIP-1193 `request` (a Hardhat connection's `provider`, a viem transport...). */
export interface Eip1193Like {
  request(args: { method: string; params?: unknown }): Promise<unknown>;
}

export interface DeployModelOptions {
  /** A ModelRegistry to register the version in (deployer as sole approver, no timelock → active). */
  registry?: { address: Hex; abi: Abi };
}

/** Reads a package file's JSON (as written by `aivm model pack`). */
export async function loadModelPackage(json: string): Promise<ModelPackage> {
  const { parsePackage } = await import("../model/package.ts");
  return parsePackage(json);
}

/** Stores the package's shards and program, then registers it when a registry is given. */
export async function deployModelPackage(provider: Eip1193Like, pkg: ModelPackage, options: DeployModelOptions = {}): Promise<DeployResult> {
  const [{ connect }, { registerPackage, uploadPackage }] = await Promise.all([import("../model/chain.ts"), import("../model/deploy.ts")]);
  const conn = await connect(provider);
  const deployed = await uploadPackage(conn, pkg);
  if (options.registry) deployed.registry = await registerPackage(conn, options.registry.address, options.registry.abi, pkg, deployed);
  return deployed;
}

/** The model's first input, quantized as the package prescribes, as a wire-format tensor (hex). */
export async function encodeModelInput(pkg: ModelPackage, shape: number[], values: ArrayLike<number>): Promise<Hex> {
  const [{ encodeInputs }, { hostTensor }] = await Promise.all([import("../model/package.ts"), import("../model/onnx.ts")]);
  const [tensor] = encodeInputs(pkg, [hostTensor("float32", shape, Array.from(values))]);
  return bytesToHex(encodeTensor(tensor!));
}

/** argmax of the model's first output, computed off chain by the integer engine (what the chain must return). */
export async function predictLocally(pkg: ModelPackage, shape: number[], values: ArrayLike<number>): Promise<number> {
  const [{ encodeInputs, inlineProgram }, { hostTensor }, { runProgram }] = await Promise.all([
    import("../model/package.ts"),
    import("../model/onnx.ts"),
    import("../codec/program-run.ts"),
  ]);
  const inputs = encodeInputs(pkg, [hostTensor("float32", shape, Array.from(values))]);
  const out = runProgram(inlineProgram(pkg), inputs, new Map())[0]!;
  let best = 0;
  for (let k = 1; k < out.data.length; k++) if (out.data[k]! > out.data[best]!) best = k;
  return best;
}

/** A wire-format int8 tensor (hex), e.g. for contract arguments in tests. */
export function int8Tensor(shape: number[], values: readonly number[]): Hex {
  return bytesToHex(encodeTensor({ dtype: "int8", shape, data: Int8Array.from(values) }));
}
