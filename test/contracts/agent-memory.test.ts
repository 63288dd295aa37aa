// AgentMemory (contracts/examples/AgentMemory.sol) on the dev-node harness with the real AIVM
// precompiles: random int8 embeddings (D = 512) stored in pages under a sharded manifest, recalled by
// one TGRAPH program (matmul with transB, then top_k) and checked against a TypeScript top-k of the
// exact dot products. Prints the gas of remember (per embedding) and recall at 100 and 500 memories.
import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { bytesToHex, encodeAbiParameters, parseAbiParameters, type Hex } from "viem";
import { createChain, type Chain, type Deployed } from "./harness.ts";
import { commitTensor } from "../../src/commit/index.ts";
import { decodeProgram, encodeProgram } from "../../src/codec/program.ts";
import { recallProgram } from "../../src/model/sentence-encoder.ts";
import { OP_CODES } from "../../src/engine/registry.ts";
import { tensor } from "../../src/engine/tensor.ts";
import { shardManifestId } from "../../precompiles/shards.ts";
import { prng } from "../golden/nonlinear/prng.ts";

const D = 512;
const BATCH = 50;
const r = prng(512);

const randomEmbedding = (): Int8Array => Int8Array.from({ length: D }, () => r.int(-128, 127));
const hexOf = (e: Int8Array): Hex => bytesToHex(new Uint8Array(e.buffer, e.byteOffset, e.byteLength));

/** Ids of the k largest dot products with `q`, best first, ties to the lower id, and the scores. */
function expectedTopK(memories: readonly Int8Array[], q: Int8Array, k: number): { ids: bigint[]; scores: bigint[] } {
  const scored = memories.map((m, id) => {
    let s = 0;
    for (let j = 0; j < D; j++) s += m[j]! * q[j]!;
    return { id, s };
  });
  scored.sort((a, b) => b.s - a.s || a.id - b.id);
  const top = scored.slice(0, k);
  return { ids: top.map((x) => BigInt(x.id)), scores: top.map((x) => BigInt(x.s)) };
}

describe("AgentMemory", () => {
  let chain: Chain;
  let memory: Deployed;
  const stored: Int8Array[] = [];
  const gas: Record<string, unknown> = {};

  before(async () => {
    chain = await createChain(2);
  });

  async function remember(batch: Int8Array[]): Promise<bigint> {
    const res = await chain.sendOk(chain.accounts[0]!, memory, "remember", [batch.map(hexOf)]);
    const ev = res.events.find((e) => e.eventName === "Remembered")!;
    assert.equal(ev.args.firstId, BigInt(stored.length));
    assert.equal(ev.args.count, BigInt(batch.length));
    stored.push(...batch);
    return res.gasUsed;
  }

  async function checkRecall(label: string): Promise<void> {
    const queries = [randomEmbedding(), randomEmbedding(), stored[stored.length - 7]!];
    for (const k of [1, 5]) {
      for (const q of queries) {
        const [ids, scores] = (await chain.read(memory, "recall", [hexOf(q), BigInt(k)])) as [bigint[], bigint[]];
        const want = expectedTopK(stored, q, k);
        assert.deepEqual([...ids], want.ids, `${label} k=${k}`);
        assert.deepEqual([...scores], want.scores, `${label} k=${k}`);
      }
      gas[`recall_${label}_k${k}`] = (await chain.callGas(memory, "recall", [hexOf(queries[0]!), BigInt(k)])).toString();
    }
    // A stored embedding recalls itself first unless another memory scores higher against it.
    const self = (await chain.read(memory, "recall", [hexOf(queries[2]!), 1n])) as [bigint[], bigint[]];
    assert.equal(self[0][0], expectedTopK(stored, queries[2]!, 1).ids[0]);
  }

  it("stores pages under a sharded manifest and recalls the same top-k as TypeScript, at 100 and 500 memories", async (t) => {
    if (!chain.aivm) return t.skip("AIVM runtime not available");
    memory = await chain.deploy("AgentMemory", chain.accounts[0]!, [D]);
    assert.equal(await chain.read(memory, "dim"), D);
    assert.equal(await chain.read(memory, "size"), 0n);

    const first = Array.from({ length: BATCH }, randomEmbedding);
    gas.remember_batch50_first = (await remember(first)).toString();
    // The page is the batch as one 1-D int8 tensor, content-addressed by its Tensor Commit.
    const pageData = new Int8Array(BATCH * D);
    first.forEach((e, i) => pageData.set(e, i * D));
    assert.equal(await chain.read(memory, "pageIds", [0n]), bytesToHex(commitTensor(tensor("int8", [BATCH * D], pageData))));
    await remember(Array.from({ length: BATCH }, randomEmbedding));
    assert.equal(await chain.read(memory, "size"), 100n);
    const pages = [await chain.read(memory, "pageIds", [0n]), await chain.read(memory, "pageIds", [1n])] as Hex[];
    const manifest = encodeAbiParameters(parseAbiParameters("uint8, uint32[], bytes32[]"), [1, [100, D], pages]);
    assert.equal(await chain.read(memory, "manifestId"), bytesToHex(shardManifestId(Buffer.from(manifest.slice(2), "hex"))));
    await checkRecall("100");

    for (let b = 2; b < 500 / BATCH; b++) {
      const g = await remember(Array.from({ length: BATCH }, randomEmbedding));
      if (b === 500 / BATCH - 1) gas.remember_batch50_tenth = g.toString();
    }
    assert.equal(await chain.read(memory, "size"), 500n);
    await checkRecall("500");

    gas.remember_single = (await remember([randomEmbedding()])).toString();
    gas.remember_per_embedding_first_batch = (BigInt(gas.remember_batch50_first as string) / BigInt(BATCH)).toString();
    gas.remember_per_embedding_tenth_batch = (BigInt(gas.remember_batch50_tenth as string) / BigInt(BATCH)).toString();
    console.log(JSON.stringify({ agentMemoryGas: { dim: D, batch: BATCH, ...gas } }));
  });

  it("builds the recall program the codec decodes: matmul(transB) then top_k, byte for byte recallProgram", async (t) => {
    if (!chain.aivm) return t.skip("AIVM runtime not available");
    const fresh = await chain.deploy("AgentMemory", chain.accounts[0]!, [D]);
    const bytes = (await chain.read(fresh, "recallProgram", [300n, 4n])) as Hex;
    const p = decodeProgram(Buffer.from(bytes.slice(2), "hex"));
    assert.deepEqual(p.values, [
      { kind: "input", dtype: "int8", shape: [1, D] },
      { kind: "input", dtype: "int8", shape: [300, D] },
    ]);
    assert.deepEqual(p.nodes.map((n) => [n.op, [...n.inputs], n.outputs, n.attrs]), [
      [OP_CODES.matmul, [0, 1], 1, { transB: 1 }],
      [OP_CODES.top_k, [2], 2, { k: 4 }],
    ]);
    assert.deepEqual([...p.outputs], [3, 4]);
    // bench:embed measures retrieval with recallProgram in process: it is these bytes.
    assert.equal(bytesToHex(encodeProgram(recallProgram(300, 4, D))), bytes);
  });

  it("rejects strangers, bad lengths, empty batches and k outside [1, size] with custom errors", async (t) => {
    if (!chain.aivm) return t.skip("AIVM runtime not available");
    const fresh = await chain.deploy("AgentMemory", chain.accounts[0]!, [8]);
    const e8 = bytesToHex(new Uint8Array(8).fill(3));
    const stranger = await chain.send(chain.accounts[1]!, fresh, "remember", [[e8]]);
    assert.equal(stranger.error?.errorName, "NotOwner");
    assert.equal((await chain.send(chain.accounts[0]!, fresh, "remember", [[]])).error?.errorName, "EmptyBatch");
    const short = await chain.send(chain.accounts[0]!, fresh, "remember", [[e8, bytesToHex(new Uint8Array(7))]]);
    assert.equal(short.error?.errorName, "EmbeddingLength");
    assert.deepEqual(short.error?.args, [1n, 8n, 7n]);
    await assert.rejects(chain.read(fresh, "recall", [e8, 1n]), /InvalidK/);
    await chain.sendOk(chain.accounts[0]!, fresh, "remember", [[e8, e8]]);
    await assert.rejects(chain.read(fresh, "recall", [e8, 3n]), /InvalidK/);
    await assert.rejects(chain.read(fresh, "recall", [e8, 0n]), /InvalidK/);
    await assert.rejects(chain.read(fresh, "recall", [bytesToHex(new Uint8Array(9)), 1n]), /EmbeddingLength/);
    // Equal scores: the older memory comes first.
    const [ids, scores] = (await chain.read(fresh, "recall", [e8, 2n])) as [bigint[], bigint[]];
    assert.deepEqual([...ids], [0n, 1n]);
    assert.deepEqual([...scores], [72n, 72n]);
    await assert.rejects(chain.deploy("AgentMemory", chain.accounts[0]!, [0]), /failed/);
  });
});
