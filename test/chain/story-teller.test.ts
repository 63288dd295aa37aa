// StoryTeller on a dev node with a small llama decoder: the on-chain generation equals the
// in-process one (greedy and sampled), the viem action equals the contract's view, a transaction's
// per-token commits recompute off-chain, and bad requests get their custom errors.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { decodeEventLog, encodeDeployData, encodeFunctionData, keccak256, toHex, type Abi, type Hex } from "viem";
import { commitTensor } from "../../src/commit/tensor-commit.ts";
import { tensor, type Tensor } from "../../src/engine/tensor.ts";
import { BOS, encodeText, generateTokens, type CompiledLm, type SamplerSettings } from "../../src/model/lm.ts";
import { packCompiledLm, type LmPackage } from "../../src/model/lm-package.ts";
import { DevNode } from "../../src/chain/node.ts";
import { nodeConnection, storyTellerContract, uploadLm } from "../../src/cli/demo-lm.ts";
import type { ChainConnection } from "../../src/model/chain.ts";
import { generate } from "../../src/viem/actions/generate.ts";
import { getVrf } from "../../src/viem/actions/getVrf.ts";
import { seedBytes, seedTensor } from "../../precompiles/seed.ts";
import { hexToBytes } from "viem";
import { tinyLm } from "../model/lm-fixture.ts";

let node: DevNode;
let conn: ChainConnection;
let lm: CompiledLm;
let pkg: LmPackage;
let teller: Hex;
let abi: Abi;

function inProcess(prompt: string, n: number, seed: Tensor, sampler: SamplerSettings = {}): number[] {
  return generateTokens(lm, [BOS, ...encodeText(prompt)], n, seed, sampler);
}

before(async () => {
  node = await DevNode.create();
  conn = await nodeConnection(node);
  lm = tinyLm();
  pkg = packCompiledLm(lm, "tiny");
  await uploadLm(conn, pkg);
  const c = storyTellerContract();
  abi = c.abi as Abi;
  const data = encodeDeployData({ abi, bytecode: c.bytecode, args: [pkg.programs.prefill.id, pkg.programs.step.id, pkg.emptyCache.id, BigInt(pkg.config.n_layers), BigInt(pkg.config.max_context)] });
  const hash = await conn.wallet.sendTransaction({ data, account: conn.account, chain: null });
  const r = await conn.public.waitForTransactionReceipt({ hash });
  teller = r.contractAddress!;
});

after(async () => {
  await node.close();
});

const view = async (prompt: string, n: number, t: number, k: number, p: number, salt: Hex) => {
  const r = (await conn.public.readContract({ address: teller, abi, functionName: "generate", args: [toHex(prompt), n, t, k, p, salt] })) as [bigint[], Hex[]];
  return { tokens: r[0].map(Number), commits: r[1] };
};

describe("StoryTeller on a dev node", () => {
  test("greedy generation through the contract equals the in-process step programs, token for token", async () => {
    const r = await view("ab", 7, 0, 0, 0, keccak256("0x01"));
    assert.deepEqual(r.tokens, inProcess("ab", 7, tensor("int32", [8], [0, 0, 0, 0, 0, 0, 0, 0])));
    assert.deepEqual(r.commits, r.tokens.map((t) => toHex(commitTensor(tensor("int32", [1], [t])))), "each commit is the step output's Tensor Commit");
  });

  test("the viem generate action streams the same sampled tokens as the contract's view (same salt, same derived seed)", async () => {
    const salt = keccak256("0x02");
    const seen: number[] = [];
    const a = await generate(conn.public, { storyTeller: teller, prompt: "xyz", maxTokens: 9, temperature: 1.2, topK: 30, topP: 0.95, salt, chunk: 4, onToken: (t) => seen.push(t) });
    const b = await view("xyz", 9, Math.round(1.2 * 65536), 30, Math.round(0.95 * 65536), salt);
    assert.deepEqual(a.tokens, b.tokens);
    assert.deepEqual(seen, a.tokens, "onToken saw every token in order");
    assert.deepEqual(a.commits, b.commits);
  });

  test("a told story emits every token with its commit, and its text is the tokens' bytes", async () => {
    const data = encodeFunctionData({ abi, functionName: "tell", args: [toHex("hi"), 5, 0, 0, 0] });
    const hash = await conn.wallet.sendTransaction({ to: teller, data, account: conn.account, chain: null });
    const r = await conn.public.waitForTransactionReceipt({ hash });
    assert.equal(r.status, "success");
    const events = r.logs.map((l) => decodeEventLog({ abi, data: l.data, topics: l.topics as [Hex, ...Hex[]] }));
    const tokens = events.filter((e) => e.eventName === "TokenGenerated").map((e) => e.args as unknown as { index: bigint; token: bigint; commit: Hex });
    assert.equal(tokens.length, 5);
    assert.deepEqual(tokens.map((t) => Number(t.token)), inProcess("hi", 5, tensor("int32", [8], [0, 0, 0, 0, 0, 0, 0, 0])));
    for (const t of tokens) assert.equal(t.commit, toHex(commitTensor(tensor("int32", [1], [Number(t.token)]))));
    const finished = events.find((e) => e.eventName === "StoryFinished")!.args as unknown as { text: Hex };
    assert.equal(finished.text, toHex(Uint8Array.from(tokens.map((t) => Number(t.token) & 0xff))));
  });

  test("a sampled story recomputes off-chain from its receipt: the block's VRF output, the tx hash, call index 0 and the salt give the seed, the seed gives the tokens", async () => {
    const sampler = { temperature: 3, topK: 200, topP: 0.99 };
    const data = encodeFunctionData({ abi, functionName: "tell", args: [toHex("so"), 8, 3 * 65536, 200, Math.round(0.99 * 65536)] });
    const hash = await conn.wallet.sendTransaction({ to: teller, data, account: conn.account, chain: null });
    const r = await conn.public.waitForTransactionReceipt({ hash });
    const events = r.logs.map((l) => decodeEventLog({ abi, data: l.data, topics: l.topics as [Hex, ...Hex[]] }));
    const started = events.find((e) => e.eventName === "StoryStarted")!.args as unknown as { seedSalt: Hex };
    const onChain = events.filter((e) => e.eventName === "TokenGenerated").map((e) => Number((e.args as unknown as { token: bigint }).token));
    const vrf = (await getVrf(conn.public, { blockNumber: r.blockNumber }))!;
    const seed = seedTensor(seedBytes(hexToBytes(vrf.beta), hexToBytes(hash), 0, hexToBytes(started.seedSalt)));
    assert.deepEqual(inProcess("so", 8, seed, sampler), onChain);
    const otherBlock = seedTensor(seedBytes(new Uint8Array(64), hexToBytes(hash), 0, hexToBytes(started.seedSalt)));
    assert.notDeepEqual(inProcess("so", 8, otherBlock, sampler), onChain, "another VRF output gives another story");
  });

  test("an empty prompt, zero tokens and a request beyond the context revert with their custom errors", async () => {
    const salt = keccak256("0x03");
    await assert.rejects(view("", 3, 0, 0, 0, salt), /EmptyPrompt/);
    await assert.rejects(view("a", 0, 0, 0, 0, salt), /NoTokensRequested/);
    await assert.rejects(view("a", pkg.config.max_context, 0, 0, 0, salt), /ContextTooLong/);
  });

  const send = async (functionName: string, args: unknown[], account = conn.account) => {
    const data = encodeFunctionData({ abi, functionName, args });
    const hash = await conn.wallet.sendTransaction({ to: teller, data, account, chain: null });
    const r = await conn.public.waitForTransactionReceipt({ hash });
    const events = r.logs.map((l) => decodeEventLog({ abi, data: l.data, topics: l.topics as [Hex, ...Hex[]] }));
    return { r, events, tokens: events.filter((e) => e.eventName === "TokenGenerated").map((e) => e.args as unknown as { storyId: bigint; index: bigint; token: bigint }) };
  };

  test("a conversation continues in a later transaction from the state kept in the agent namespace: each turn equals one in-process generation over the whole transcript", async () => {
    const first = await send("begin", [toHex("ab"), 4, 0, 0, 0]);
    assert.equal(first.r.status, "success");
    const storyId = first.tokens[0]!.storyId;
    const t1 = first.tokens.map((t) => Number(t.token));
    const zero = tensor("int32", [8], [0, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(t1, inProcess("ab", 4, zero));

    const second = await send("reply", [storyId, toHex("cd"), 5, 0, 0, 0]);
    assert.equal(second.r.status, "success");
    const t2 = second.tokens.map((t) => Number(t.token));
    // Turn 2 sees BOS, the prompt, every token of turn 1 (the last one fed first by the reply), then the reply text.
    const transcript = [BOS, ...encodeText("ab"), ...t1, ...encodeText("cd")];
    assert.deepEqual(t2, generateTokens(lm, transcript, 5, zero));
    assert.deepEqual(second.tokens.map((t) => Number(t.index)), [4, 5, 6, 7, 8], "token indices continue the story");
    const continued = second.events.find((e) => e.eventName === "StoryContinued")!.args as unknown as { turn: bigint; text: Hex };
    assert.equal(continued.turn, 1n);
    assert.equal(continued.text, toHex("cd"));

    const third = await send("reply", [storyId, "0x", 2, 0, 0, 0]);
    assert.deepEqual(third.tokens.map((t) => Number(t.token)), generateTokens(lm, [...transcript, ...t2], 2, zero), "an empty turn continues from the last token");
    const kept = (await conn.public.readContract({ address: teller, abi, functionName: "conversations", args: [storyId] })) as [Hex, number, number, number, number];
    assert.equal(kept[2], transcript.length + t2.length + 1, "position: every token fed so far");
    assert.equal(kept[3], 11, "generated");
    assert.equal(kept[4], 2, "turns");
  });

  test("only the account that began a conversation can continue it, a told story has none, and a turn past the context reverts", async () => {
    const told = await send("tell", [toHex("q"), 2, 0, 0, 0]);
    const toldId = told.tokens[0]!.storyId;
    const simulate = (args: unknown[], account: Hex = conn.account) => conn.public.simulateContract({ address: teller, abi, functionName: "reply", args, account });
    await assert.rejects(simulate([toldId, toHex("x"), 2, 0, 0, 0]), /NotYourConversation/);
    const begun = await send("begin", [toHex("q"), 2, 0, 0, 0]);
    const id = begun.tokens[0]!.storyId;
    const [, other] = await conn.wallet.getAddresses();
    await assert.rejects(simulate([id, toHex("x"), 2, 0, 0, 0], other!), /NotYourConversation/);
    await assert.rejects(simulate([id, toHex("x"), pkg.config.max_context, 0, 0, 0]), /ContextTooLong/);
  });
});
