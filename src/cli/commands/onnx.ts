// `aivm onnx` (implementation: ../onnx.ts).
import { Command } from "commander";
import type { OnnxRunCliOptions } from "../onnx.ts";

export function onnxCommand(): Command {
  const onnx = new Command("onnx").description("Run ONNX models on AIVM");
  onnx
    .command("run")
    .description("Import, quantize and execute an ONNX model through the TGRAPH precompile; write dequantized output_K.pb files")
    .argument("<model.onnx>", "ONNX model file")
    .requiredOption("--input <file...>", "one file per model input in order: .pb (TensorProto), .json (nested arrays or {shape, data}), .npy, or .png/.jpg/.jpeg (with --image-preprocess)")
    .option("--calibrate <file...>", "calibration inputs, same formats (groups of one file per input); default: the inputs")
    .option("--image-preprocess <json>", "how PNG/JPEG inputs become tensors (docs/models.md#inputs)")
    .requiredOption("--output-dir <dir>", "where to write output_K.pb")
    .option("--rpc <url>", "JSON-RPC URL of an AIVM node (default: an in-process dev node)")
    .option("--engine", "run the integer program in process without a chain")
    .option("--json", "machine-readable output")
    .action(async (modelPath: string, opts: OnnxRunCliOptions) => (await import("../onnx.ts")).onnxRun(modelPath, opts));
  return onnx;
}
