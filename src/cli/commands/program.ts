// The `aivm` program: every subcommand's name, arguments and options, cheap to build. Each action
// imports its implementation (the EVM, the engine, the model importers, solc, viem) when it runs, so
// `aivm --help` loads none of them (issue 21).
import { Command } from "commander";
import { exportCommand, genesisCommand, importCommand } from "./chain-data.ts";
import { devnetCommand } from "./devnet.ts";
import { embedCommand } from "./embed.ts";
import { explorerCommand } from "./explorer.ts";
import { ffiCommand } from "./ffi.ts";
import { generateCommand } from "./generate.ts";
import { modelCommand } from "./model.ts";
import { nodeCommand } from "./node.ts";
import { onnxCommand } from "./onnx.ts";
import { traceCommand } from "./trace.ts";
import { verifyCommand } from "./verify.ts";
import { verifierCommand } from "./verifier.ts";
import { verifyVrfCommand } from "./vrf.ts";

export function createProgram(): Command {
  const program = new Command("aivm")
    .description("AIVM: deterministic, FLOPs-metered AI inference as EVM precompiles")
    .version("0.1.0");
  for (const command of [nodeCommand(), onnxCommand(), modelCommand(), generateCommand(), embedCommand(), verifyVrfCommand(), ffiCommand(), traceCommand(), verifyCommand(), verifierCommand(), explorerCommand(), exportCommand(), importCommand(), genesisCommand(), devnetCommand()]) {
    program.addCommand(command);
  }
  return program;
}
