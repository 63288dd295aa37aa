// `aivm embed`: int8 sentence embeddings from the Universal Sentence Encoder lite imported as an AIVM
// program (docs/embeddings.md), computed by the same integer program the chain runs, with the
// pairwise similarities (integer dot products, and the cosine they stand for).
import { loadSentenceEncoder } from "../model/sentence-encoder.ts";

export interface EmbedOptions {
  json?: boolean;
}

/** Integer dot product of two int8 embeddings (what AgentMemory ranks by). */
export function dotInt8(a: Int8Array, b: Int8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** `aivm embed <sentences...>` (the command: ./commands/embed.ts). */
export async function embed(sentences: string[], o: EmbedOptions): Promise<void> {
  const encoder = await loadSentenceEncoder();
  const embeddings = sentences.map((s) => encoder.embedInts(s));
  const scale2 = encoder.outputScale * encoder.outputScale;
  const pairs: { a: number; b: number; dot: number; cosine: number }[] = [];
  for (let i = 0; i < sentences.length; i++) {
    for (let j = i + 1; j < sentences.length; j++) {
      const dot = dotInt8(embeddings[i]!, embeddings[j]!);
      pairs.push({ a: i, b: j, dot, cosine: dot * scale2 });
    }
  }
  if (o.json) {
    console.log(JSON.stringify({ dim: encoder.dim, outputScale: encoder.outputScale, sentences, embeddings: embeddings.map((e) => [...e]), pairs }, null, 2));
    return;
  }
  sentences.forEach((s, i) => console.log(`[${i}] ${s}\n    int8[${encoder.dim}] ${[...embeddings[i]!.subarray(0, 8)].join(" ")} …`));
  for (const p of pairs) console.log(`[${p.a}]·[${p.b}] = ${p.dot} (cosine ≈ ${p.cosine.toFixed(3)})`);
}
