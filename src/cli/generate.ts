// `aivm generate`: text from the on-chain language model, streamed as it is produced — in process
// (the same integer step programs the chain runs) or on-chain through a node (eth_call TSTREAM
// against a StoryTeller deployment).
import { InvalidArgumentError } from "commander";
import { createPublicClient, hexToBytes, http, keccak256, pad, toHex, type Address, type Hex } from "viem";
import { seedTensor } from "../../precompiles/seed.ts";
import { BOS, compileLm, decodeTokens, encodeText, generateTokens, loadLmFiles } from "../model/lm.ts";
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

/** `aivm generate [model-dir]` (the command: ./commands/generate.ts). */
export async function generateText(dir: string, o: GenerateOptions): Promise<void> {
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
}
