// `aivm model pack | deploy | quote | run` (implementation: ../model.ts).
import { Command, InvalidArgumentError } from "commander";
import type { PackOptions } from "../model.ts";
import { MODEL_REGISTRY_ADDRESS } from "./defaults.ts";

type Hex = `0x${string}`;

function positive(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer.`);
    return n;
  };
}

function gasAmount(v: string): bigint {
  if (!/^(0|[1-9][0-9]{0,19})$/.test(v)) throw new InvalidArgumentError("--gas-limit must be a gas amount (0 = no check).");
  return BigInt(v);
}

export function modelCommand(): Command {
  const model = new Command("model").description("Package, deploy, quote and run quantized models");

  model
    .command("pack")
    .description("Quantize an ONNX model into an AIVM model package (program, weight shards, I/O schema, config, quantization report)")
    .argument("<model.onnx>")
    .requiredOption("--calibration <dir>", "calibration inputs: .pb files, test_data_set_N folders, or the Fashion-MNIST idx folder")
    .requiredOption("-o, --output <file>", "package file to write (JSON)")
    .option("--name <name>", "model name (≤ 31 bytes, used in ModelRegistry)")
    .option("--samples <n>", "maximum calibration samples", positive("samples"), 200)
    .option("--image-preprocess <json>", 'how `aivm model run` turns a PNG/JPEG into the input, e.g. \'{"layout":"NCHW","size":[28,28],"channels":1,"scale":0.00392156862745098}\' (fields: layout, channels, size, resize, scale, mean, std, invert; docs/models.md#inputs)')
    .option("--rpc <url>", "check the quote against this node's block gas limit (default: the dev node's default limit)")
    .option("--gas-limit <gas>", "check the quote against this block gas limit instead (0 = no check)", gasAmount)
    .option("--json", "machine-readable output")
    .action(async (modelPath: string, opts: PackOptions) => (await import("../model.ts")).modelPack(modelPath, opts));

  model
    .command("deploy")
    .description("Upload the weight shards and the program with TSTORE, then register the model in ModelRegistry")
    .argument("<file>", "model package")
    .requiredOption("--rpc <url>", "JSON-RPC URL of an AIVM node")
    .option("--registry <address>", "ModelRegistry address", MODEL_REGISTRY_ADDRESS)
    .option("--no-register", "only store the shards and the program")
    .option("--json", "machine-readable output")
    .action(async (file: string, opts: { rpc: string; registry: Hex; register: boolean; json?: boolean }) => (await import("../model.ts")).modelDeploy(file, opts));

  model
    .command("quote")
    .description("Exact gas of one inference (static shape inference; equals what the precompile charges)")
    .argument("<file>", "model package")
    .option("--rpc <url>", "also read the node's congestion multiplier and ask the precompile (QUOTE_ONLY)")
    .option("--json", "machine-readable output")
    .action(async (file: string, opts: { rpc?: string; json?: boolean }) => (await import("../model.ts")).modelQuote(file, opts));

  model
    .command("run")
    .description("Run one inference through the TGRAPH precompile (deployed weights with --rpc, else an in-process dev node)")
    .argument("<file>", "model package")
    .requiredOption("--input <file...>", "one file per model input: .pb (TensorProto), .json (nested arrays or {shape, data}), .npy, or .png/.jpg/.jpeg (with the package's --image-preprocess)")
    .option("--rpc <url>", "JSON-RPC URL of a node where the package is deployed")
    .option("--output-dir <dir>", "also write dequantized output_K.pb files")
    .option("--json", "machine-readable output")
    .action(async (file: string, opts: { input: string[]; rpc?: string; outputDir?: string; json?: boolean }) => (await import("../model.ts")).modelRun(file, opts));
  return model;
}
