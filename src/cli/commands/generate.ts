// `aivm generate` (implementation: ../generate.ts).
import { Command, InvalidArgumentError } from "commander";
import type { GenerateOptions } from "../generate.ts";
import { LM_DIR } from "./defaults.ts";

function number(name: string, min: number, max: number, integer = false) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(`${name} must be ${integer ? "an integer" : "a number"} in [${min}, ${max}].`);
    }
    return n;
  };
}

export function generateCommand(): Command {
  return new Command("generate")
    .description("Generate text with the on-chain language model, streamed token by token (in process, or on a node with --rpc)")
    .argument("[model-dir]", "directory with lm.onnx, config.json and calibration.json", LM_DIR)
    .requiredOption("--prompt <text>", "the prompt")
    .option("--max-tokens <n>", "tokens to generate", number("--max-tokens", 1, 4096, true), 64)
    .option("--temperature <t>", "0 is greedy", number("--temperature", 0, 100), 0)
    .option("--top-k <k>", "keep the k most likely tokens (0: all)", number("--top-k", 0, 1 << 20, true), 0)
    .option("--top-p <p>", "nucleus mass (1: off)", number("--top-p", 0.000016, 1), 1)
    .option("--seed <hex>", "32-byte sampling seed (in process; on a node the seed comes from the block VRF)")
    .option("--rpc <url>", "generate on a node through eth_call TSTREAM")
    .option("--story-teller <address>", "the StoryTeller contract on that node (printed by `aivm node --demo`)")
    .option("--chunk <n>", "tokens per eth_call on a node", number("--chunk", 1, 4096, true), 8)
    .option("--json", "print JSON instead of streaming text")
    .action(async (dir: string, o: GenerateOptions) => (await import("../generate.ts")).generateText(dir, o));
}
