// `aivm generate`: text from the on-chain language model, streamed as it is produced — in process
// (the same integer step programs the chain runs) or on-chain through a node (eth_call TSTREAM
// against a StoryTeller deployment).
import { Command, InvalidArgumentError } from "commander";
import { createPublicClient, hexToBytes, http, keccak256, pad, toHex, type Address, type Hex } from "viem";
import { seedTensor } from "../../precompiles/seed.ts";
import { BOS, compileLm, decodeTokens, encodeText, generateTokens, loadLmFiles, LM_DIR } from "../model/lm.ts";
import { generate } from "../viem/actions/generate.ts";

export interface GenerateOptions {
  prompt: string;
  maxTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  seed?: Hex;
  rpc?: string;
  storyTeller?: Address;
  chunk: number;
  json?: boolean;
}

/** Generates in process; `onToken` sees each token as its step finishes. */
export function generateInProcess(dir: string, o: Omit<GenerateOptions, "rpc" | "storyTeller" | "chunk">, onToken: (t: number) => void): number[] {
  const files = loadLmFiles(dir);
  const lm = compileLm(files.config, files.weights, files.calibration);
  if (o.prompt.length === 0) throw new InvalidArgumentError("The prompt is empty.");
  // Every text starts with BOS, as in training.
  const prompt = [BOS, ...encodeText(o.prompt)];
  if (prompt.length + o.maxTokens > lm.config.max_context) {
    throw new InvalidArgumentError(`Prompt (${prompt.length} tokens) plus ${o.maxTokens} new tokens exceed the model's context of ${lm.config.max_context}.`);
  }
  const seed = seedTensor(hexToBytes(pad(o.seed ?? keccak256(toHex(o.prompt)), { size: 32 })));
  return generateTokens(lm, prompt, o.maxTokens, seed, o, onToken);
}

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
    .action(async (dir: string, o: GenerateOptions) => {
      const write = (t: number) => {
        if (!o.json && t < 256) process.stdout.write(decodeTokens([t]));
      };
      let tokens: number[];
      let commits: Hex[] | undefined;
      if (o.rpc) {
        if (!o.storyTeller) throw new InvalidArgumentError("--rpc needs --story-teller <address>.");
        const client = createPublicClient({ transport: http(o.rpc) });
        const r = await generate(client, { storyTeller: o.storyTeller, prompt: o.prompt, maxTokens: o.maxTokens, temperature: o.temperature, topK: o.topK, topP: o.topP, chunk: o.chunk, ...(o.seed ? { salt: o.seed } : {}), onToken: write });
        tokens = r.tokens;
        commits = r.commits;
      } else {
        tokens = generateInProcess(dir, o, write);
      }
      if (o.json) console.log(JSON.stringify({ prompt: o.prompt, tokens, text: decodeTokens(tokens), ...(commits ? { commits } : {}) }, null, 2));
      else process.stdout.write("\n");
    });
}
