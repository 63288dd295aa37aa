// Streams text from an on-chain language model (a StoryTeller deployment, docs/lm.md) through
// eth_call: the prompt is prefilled by one TSTREAM call, then tokens come `chunk` at a time, each
// call carrying the KV cache forward inline. Nothing is sent as a transaction.
import { bytesToHex, concatHex, hexToBytes, keccak256, toHex, type Address, type Client, type Hex } from "viem";
import { call, readContract } from "viem/actions";
import { decodeTensor, encodeTensor } from "../../codec/tensor.ts";
import type { Tensor } from "../../engine/tensor.ts";
import { PRECOMPILE_ADDRESSES } from "../../../precompiles/addresses.ts";
import { STACK_OUTPUTS } from "../../../precompiles/flags.ts";
import { decodeStreamOutput, encodeStreamInput } from "../../codec/abi.ts";

const BOS = 256;

const STORY_TELLER_ABI = [
  { type: "function", name: "prefillProgram", stateMutability: "view", inputs: [], outputs: [{ type: "bytes32" }] },
  { type: "function", name: "stepProgram", stateMutability: "view", inputs: [], outputs: [{ type: "bytes32" }] },
  { type: "function", name: "emptyCache", stateMutability: "view", inputs: [], outputs: [{ type: "bytes32" }] },
  { type: "function", name: "layers", stateMutability: "view", inputs: [], outputs: [{ type: "uint256" }] },
  { type: "function", name: "maxContext", stateMutability: "view", inputs: [], outputs: [{ type: "uint256" }] },
] as const;

export interface GenerateParameters {
  /** A StoryTeller contract: its getters name the programs and the empty cache. */
  storyTeller: Address;
  prompt: string;
  maxTokens: number;
  /** 0 (default) is greedy. */
  temperature?: number;
  topK?: number;
  topP?: number;
  /** Seed salt; the node derives the seed from it, the block VRF output and the call (docs/vrf.md). */
  salt?: Hex;
  /** Tokens per eth_call after the prefill (default 8). */
  chunk?: number;
  /** Called with each token as it arrives, and the Tensor Commit of its step output. */
  onToken?: (token: number, commit: Hex) => void;
}

export interface GenerateResult {
  tokens: number[];
  commits: Hex[];
  text: string;
}

function ref(kind: number, id: Hex): Uint8Array {
  return hexToBytes(concatHex(["0x41524546", toHex(kind, { size: 1 }), toHex(0, { size: 20 }), id]));
}

function int32s(shape: number[], values: number[]): Uint8Array {
  const t: Tensor = { dtype: "int32", shape, data: Int32Array.from(values) };
  return encodeTensor(t);
}

// Node's Buffer converts hex natively, several times faster than viem's loops on a KV cache; the
// same strings and bytes either way (browsers take viem's).
const nodeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer;
const hexOf = (b: Uint8Array): Hex => (nodeBuffer ? `0x${nodeBuffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex")}` : bytesToHex(b));
const bytesOf = (h: Hex): Uint8Array => (nodeBuffer ? nodeBuffer.from(h.slice(2), "hex") : hexToBytes(h));

function ints(t: Uint8Array): number[] {
  return Array.from(decodeTensor(t).data);
}

export async function generate(client: Client, p: GenerateParameters): Promise<GenerateResult> {
  const read = <F extends (typeof STORY_TELLER_ABI)[number]["name"]>(functionName: F) =>
    readContract(client, { address: p.storyTeller, abi: STORY_TELLER_ABI, functionName }) as Promise<F extends "layers" | "maxContext" ? bigint : Hex>;
  const [prefill, step, cache, layers, maxContext] = await Promise.all([
    read("prefillProgram"),
    read("stepProgram"),
    read("emptyCache"),
    read("layers"),
    read("maxContext"),
  ]);
  if (p.prompt.length === 0) throw new Error("The prompt is empty.");
  // Every text starts with BOS, as in training.
  const prompt = [BOS, ...new TextEncoder().encode(p.prompt)];
  if (!Number.isInteger(p.maxTokens) || p.maxTokens < 1) throw new Error("maxTokens must be a positive integer.");
  if (prompt.length + p.maxTokens > Number(maxContext)) {
    throw new Error(`Prompt (${prompt.length} tokens) plus ${p.maxTokens} new tokens exceed the model's context of ${maxContext}.`);
  }
  const temperature = p.temperature ?? 0;
  const topP = p.topP ?? 1;
  const sampler = [Math.round(temperature * 65536), p.topK ?? 0, topP >= 1 ? 0 : Math.max(1, Math.round(topP * 65536)), 0];
  const salt = p.salt ?? keccak256(toHex(p.prompt));
  // The state stays bytes from call to call: the KV cache is most of each call's data, and viem's
  // ABI coder would take it through hex strings twice a call (precompiles/abi.ts lays it out directly).
  let state: readonly Uint8Array[] = [
    int32s([1], [BOS]),
    int32s([1], [0]),
    ref(4, salt),
    int32s([4], sampler),
    ...Array.from({ length: 2 * Number(layers) }, () => ref(2, cache)),
  ];
  const stream = async (programId: Hex, xs: Uint8Array, steps: number, flags: number) => {
    const data = hexOf(encodeStreamInput(hexToBytes(programId), state, xs, steps, flags));
    const { data: out } = await call(client, { to: PRECOMPILE_ADDRESSES.TSTREAM, data });
    if (!out) throw new Error("TSTREAM returned no data.");
    const { state: finalState, last, commits } = decodeStreamOutput(bytesOf(out));
    state = finalState;
    return { last, commits: commits.map((c) => bytesToHex(c)) };
  };
  const tokens: number[] = [];
  const commits: Hex[] = [];
  const emit = (token: number, commit: Hex) => {
    tokens.push(token);
    commits.push(commit);
    p.onToken?.(token, commit);
  };
  const first = await stream(prefill, int32s([prompt.length, 1], prompt), prompt.length, 0);
  emit(ints(first.last)[0]!, first.commits[first.commits.length - 1]!);
  const chunk = p.chunk ?? 8;
  while (tokens.length < p.maxTokens) {
    const n = Math.min(chunk, p.maxTokens - tokens.length);
    const r = await stream(step, new Uint8Array(0), n, STACK_OUTPUTS);
    ints(r.last).forEach((t, i) => emit(t, r.commits[i]!));
  }
  return { tokens, commits, text: new TextDecoder().decode(Uint8Array.from(tokens.filter((t) => t < 256))) };
}
