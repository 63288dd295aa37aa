// The `aivm` command. Subcommands from other parts of the toolchain (onnx, model) are registered
// when their modules are present, so this file does not change as they land.
import { Command } from "commander";
import { nodeCommand } from "./node.ts";

type CommandFactory = () => Command;

async function optionalCommand(path: string, exportName: string): Promise<Command | undefined> {
  try {
    const mod = (await import(new URL(path, import.meta.url).href)) as Record<string, unknown>;
    const factory = mod[exportName];
    return typeof factory === "function" ? (factory as CommandFactory)() : undefined;
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_MODULE_NOT_FOUND") return undefined;
    throw error;
  }
}

export async function createProgram(): Promise<Command> {
  const program = new Command("aivm")
    .description("AIVM: deterministic, FLOPs-metered AI inference as EVM precompiles")
    .version("0.1.0");
  program.addCommand(nodeCommand());
  for (const [path, name] of [
    ["./onnx.ts", "onnxCommand"],
    ["./model.ts", "modelCommand"],
    ["./generate.ts", "generateCommand"],
    ["./embed.ts", "embedCommand"],
    ["./vrf.ts", "verifyVrfCommand"],
  ] as const) {
    const command = await optionalCommand(path, name);
    if (command) program.addCommand(command);
  }
  return program;
}

const program = await createProgram();
await program.parseAsync(process.argv);
