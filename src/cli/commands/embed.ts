// `aivm embed` (implementation: ../embed.ts).
import { Command } from "commander";
import type { EmbedOptions } from "../embed.ts";

export function embedCommand(): Command {
  return new Command("embed")
    .description("Embed sentences with the on-chain sentence encoder (int8, 512 dims) and print their pairwise similarities")
    .argument("<sentences...>", "one or more sentences")
    .option("--json", "print the embeddings and similarities as JSON")
    .action(async (sentences: string[], o: EmbedOptions) => (await import("../embed.ts")).embed(sentences, o));
}
