// `aivm verify` (src/rpc/verify, src/cli/verify.ts): on the Fashion demo chain every receipt is valid,
// both by inclusion and by re-execution in the verifier's own VM; on a node whose runtime flips one
// output-commit bit (--inject-fault) the re-execution names the receipt and the commit, while
// inclusion alone cannot tell (the node committed to its own wrong result). The CLI end to end:
// `aivm node --inject-fault TMATMUL` (runNode), a TMATMUL transaction, `aivm verify` sets exit code 1.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { bytesToHex, encodeAbiParameters, hexToBytes } from "viem";
import { deployDemo, demoInferCalldata, fashionClassifyCalldata, DEMO_INPUT, DEMO_WEIGHTS } from "../../src/cli/demo.ts";
import { createAivmRuntime } from "../../src/chain/runtime.ts";
import { encodeTensor } from "../../src/codec/tensor.ts";
import { startNodeServer, type NodeServer } from "../../src/rpc/server.ts";
import { HardforkMismatchError, verifyBlocks, verifyTransaction } from "../../src/rpc/verify/verify-blocks.ts";
import { sampleIndices, verifySample } from "../../src/rpc/verify/sample.ts";
import { TMATMUL_INPUT } from "../../precompiles/a101-tmatmul.ts";
import { PRECOMPILE_ADDRESSES } from "../../precompiles/addresses.ts";
import { call } from "./helpers.ts";
import { runNode } from "../../src/cli/node.ts";
import { verifyCommand } from "../../src/cli/verify.ts";
import { DEFAULT_MNEMONIC } from "../../src/chain/accounts.ts";

/** A dev node with the Fashion demo, one classify and one InferenceDemo transaction mined. */
async function demoServer(injectFault?: string, hardfork?: string): Promise<{ server: NodeServer; classify: `0x${string}` }> {
  const server = await startNodeServer({ port: 0, ...(injectFault ? { runtime: createAivmRuntime({ injectFault }) } : {}), ...(hardfork ? { hardfork } : {}) });
  const node = server.node;
  const demo = await deployDemo(node);
  const from = node.accounts[0]!.address;
  const classify = await node.sendTransaction({ from, to: demo.fashion!.address, data: fashionClassifyCalldata(demo.fashion!) });
  await node.sendTransaction({ from, to: demo.address, data: demoInferCalldata(demo) });
  return { server, classify };
}

describe("aivm verify", () => {
  let honest: { server: NodeServer; classify: `0x${string}` };
  let faulty: { server: NodeServer; classify: `0x${string}` };
  before(async () => {
    honest = await demoServer();
    faulty = await demoServer("TCUSTOM");
  });
  after(async () => {
    await honest?.server.close();
    await faulty?.server.close();
  });

  it("finds every receipt of the Fashion demo chain valid, by inclusion and by re-execution", async () => {
    const head = honest.server.node.headNumber;
    const inclusion = await verifyBlocks(honest.server.url, 1n, head, { inclusionOnly: true });
    assert.ok(inclusion.every((b) => b.valid), JSON.stringify(inclusion.flatMap((b) => b.mismatches)));
    const opcodes = inclusion.flatMap((b) => b.receipts.map((r) => r.opcode));
    assert.ok(opcodes.includes("TSTORE") && opcodes.includes("TCUSTOM") && opcodes.includes("TMATMUL"), opcodes.join());
    // Re-execution of the two inference blocks in this process's own VM (`aivm verify` over the
    // whole demo chain, model upload included, is the docs/verify.md run).
    const reexec = await verifyBlocks(honest.server.url, head - 1n, head);
    assert.ok(reexec.every((b) => b.valid && b.reexecuted), JSON.stringify(reexec.map((b) => [b.mismatches, b.receipts.map((r) => r.mismatches)])));
    assert.deepEqual(reexec.flatMap((b) => b.receipts.map((r) => r.opcode)).slice(-2), ["TCUSTOM", "TMATMUL"]);
  });

  it("names the receipt and the commit a faulty node got wrong; inclusion alone cannot see it", async () => {
    const verdict = await verifyTransaction(faulty.server.url, faulty.classify);
    assert.equal(verdict.valid, false);
    assert.equal(verdict.receipts.length, 1);
    const r = verdict.receipts[0]!;
    assert.equal(r.opcode, "TCUSTOM");
    assert.equal(r.txHash, faulty.classify);
    assert.deepEqual(r.mismatches, ["output commit 0", "leaf"]);
    assert.ok(verdict.mismatches.some((m) => m.startsWith("trace root of")));
    // The node's own commitments are consistent with its lie: the anchor includes the flipped leaf.
    const inclusion = await verifyTransaction(faulty.server.url, faulty.classify, { inclusionOnly: true });
    assert.equal(inclusion.valid, true);
    // The other op of the chain (TMATMUL, not faulted) stays valid.
    const next = await verifyBlocks(faulty.server.url, faulty.server.node.headNumber, faulty.server.node.headNumber);
    assert.equal(next[0]!.valid, true);
  });

  it("refuses a pre-state the node cannot prove: stored weights served altered are caught by the code hash", async () => {
    // A proxy in front of the honest node that flips one byte of every stored blob eth_getCode returns.
    const proxy = createServer(async (req, res) => {
      let body = "";
      for await (const chunk of req) body += chunk;
      const request = JSON.parse(body) as { method: string };
      const upstream = (await (await fetch(honest.server.url, { method: "POST", headers: { "content-type": "application/json" }, body })).json()) as { result?: unknown };
      if (request.method === "eth_getCode" && typeof upstream.result === "string" && upstream.result.startsWith("0xfe") && upstream.result.length > 200) {
        upstream.result = `${upstream.result.slice(0, 100)}${upstream.result[100] === "0" ? "1" : "0"}${upstream.result.slice(101)}`;
      }
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(upstream));
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const verdict = await verifyTransaction(url, honest.classify);
      assert.equal(verdict.valid, false);
      assert.ok(verdict.mismatches.some((m) => /^pre-state: code of 0x[0-9a-f]{40} does not match the parent block's state root$/.test(m)), verdict.mismatches.join("; "));
      // Inclusion reads no blobs: the proxy changes nothing it checks.
      assert.equal((await verifyTransaction(url, honest.classify, { inclusionOnly: true })).valid, true);
    } finally {
      proxy.close();
    }
  });

  it("--sample: the next block's VRF picks which blocks are re-executed, the same ones every time", async () => {
    const node = faulty.server.node;
    const head = node.headNumber;
    await node.mine(); // block head+1: its VRF output is the seed
    const all = await verifySample(faulty.server.url, 1n, head, 1000);
    assert.equal(all.seedBlock, head + 1n);
    assert.deepEqual([...all.sampled].sort((x, y) => Number(x - y)), all.candidates, "k ≥ candidates: every block with receipts is re-executed");
    assert.ok(all.blocks.some((b) => b.receipts.some((r) => r.mismatches.includes("output commit 0"))), "so the faulty TCUSTOM receipt is found");
    const one = await verifySample(faulty.server.url, 1n, head, 1);
    const again = await verifySample(faulty.server.url, 1n, head, 1);
    assert.equal(one.sampled.length, 1);
    assert.deepEqual(one.sampled, again.sampled);
    assert.deepEqual(one.blocks.filter((b) => b.reexecuted).map((b) => b.blockNumber), one.sampled);
    assert.equal(sampleIndices(hexToBytes(one.beta), 5, 5).toSorted().join(), "0,1,2,3,4", "a permutation");
  });

  it("aivm node --inject-fault TMATMUL, then aivm verify: exit code 1 and the mismatch named", async () => {
    // The two commands in process (runNode and verifyCommand are what bin/aivm.mjs runs), to keep the test fast.
    const logs: string[] = [];
    const { log, error } = console;
    console.log = (...a: unknown[]) => void logs.push(a.join(" "));
    console.error = (...a: unknown[]) => void logs.push(a.join(" "));
    let server: NodeServer | undefined;
    try {
      server = await runNode({ port: 0, host: "127.0.0.1", mnemonic: DEFAULT_MNEMONIC, demo: false, quiet: true, injectFault: "TMATMUL" });
      assert.ok(logs.some((l) => /TEST ONLY: every TMATMUL receipt/.test(l)));
      const from = server.node.accounts[0]!.address;
      const data = encodeAbiParameters(TMATMUL_INPUT, [[bytesToHex(encodeTensor(DEMO_INPUT)), bytesToHex(encodeTensor(DEMO_WEIGHTS))], [], [], 0]);
      const hash = (await call(server.url, "eth_sendTransaction", [{ from, to: PRECOMPILE_ADDRESSES.TMATMUL, data }])) as string;
      assert.equal((await call(server.url, "aivm_getReceipts", [hash])).receipts[0].opcode, "TMATMUL");
      logs.length = 0;
      await verifyCommand().parseAsync(["--rpc", server.url, "--tx", hash], { from: "user" });
      assert.equal(process.exitCode, 1);
      assert.match(logs.join("\n"), /receipt #0 \(leaf 0\) TMATMUL +MISMATCH: output commit 0, leaf/);
    } finally {
      process.exitCode = undefined;
      console.log = log;
      console.error = error;
      await server?.close();
    }
  });
});

describe("aivm verify re-executes under the node's own rules", () => {
  for (const hardfork of ["cancun", "prague"]) {
    it(`a --hardfork ${hardfork} chain: every receipt valid by re-execution; a wrong --hardfork is refused or caught`, { timeout: 120_000 }, async () => {
      const { server } = await demoServer(undefined, hardfork);
      try {
        const head = server.node.headNumber;
        const inferred = hardfork === "cancun" ? undefined : hardfork;
        const reexec = await verifyBlocks(server.url, head - 1n, head, inferred ? { hardfork: inferred } : {});
        assert.ok(reexec.every((b) => b.valid && b.reexecuted), JSON.stringify(reexec.map((b) => [b.mismatches, b.receipts.map((r) => r.mismatches)])));
        assert.equal(reexec.flatMap((b) => b.receipts).length, 2);
        if (hardfork === "cancun") {
          // The header shape rules out Prague and Osaka.
          await assert.rejects(verifyBlocks(server.url, head, head, { hardfork: "osaka" }), HardforkMismatchError);
        }
      } finally {
        await server.close();
      }
    });
  }
});
