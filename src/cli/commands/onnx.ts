// `aivm onnx` (implementation: ../onnx.ts).
import { Command } from "commander";
import type { OnnxRunCliOptions } from "../onnx.ts";

export function onnxCommand(): Command {
  const onnx = new Command("onnx").description("Run ONNX models on AIVM");
  onnx
    .command("run")
    .description("Import, quantize and execute an ONNX model through the TGRAPH precompile; write dequantized output_K.pb files")
    .argument("<model.onnx>", "ONNX model file")
    .requiredOption("--input <pb...>", "input_K.pb TensorProto files, one per model input in order")
    .option("--calibrate <pb...>", "calibration TensorProto files (groups of one file per input); default: the inputs")
    .requiredOption("--output-dir <dir>", "where to write output_K.pb")
    .option("--rpc <url>", "JSON-RPC URL of an AIVM node (default: an in-process dev node)")
    .option("--engine", "run the integer program in process without a chain")
    .option("--json", "machine-readable output")
    .action(async (modelPath: string, opts: OnnxRunCliOptions) => (await import("../onnx.ts")).onnxRun(modelPath, opts));
  return onnx;
}
