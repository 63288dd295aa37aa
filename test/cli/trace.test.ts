// `aivm trace <txhash>` (issue 15) on the Fashion-MNIST demo transaction: the tree names the TCUSTOM
// call under FashionDemo with its shapes, FLOPs, gas split and commits, all as the node's AIVM
// receipt has them; --json prints the aivmTracer result; an unknown hash fails with the node's error.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { join } from "node:path";
import { encodeFunctionData, type Hex } from "viem";
import { deployDemo, type DeployedFashionDemo } from "../../src/cli/demo.ts";
import { startNodeServer, type NodeServer } from "../../src/rpc/server.ts";
import { formatAivmTrace, short } from "../../src/cli/trace.ts";
import { REPO, call } from "./helpers.ts";

const run = promisify(execFile);
const aivm = (args: string[]) => run(process.execPath, [join(REPO, "bin/aivm.mjs"), ...args], { cwd: REPO, timeout: 120_000 });

describe("aivm trace", () => {
  let server: NodeServer;
  let fashion: DeployedFashionDemo;
  let hash: Hex;
  let receipts: any;

  before(async () => {
    server = await startNodeServer({ port: 0 });
    fashion = (await deployDemo(server.node)).fashion!;
    const data = encodeFunctionData({ abi: fashion.abi, functionName: "classifyAndRecord", args: [fashion.sampleInput] });
    hash = await server.node.sendTransaction({ from: server.node.accounts[2]!.address, to: fashion.address, data });
    receipts = await call(server.url, "aivm_getReceipts", [hash]);
  });
  after(async () => server?.close());

  it("prints the call tree with the TCUSTOM op's shapes, FLOPs, gas split and the receipt's commits", async () => {
    const { stdout } = await aivm(["trace", hash, "--rpc", server.url]);
    const receipt = receipts.receipts[0];
    const txReceipt = await call(server.url, "eth_getTransactionReceipt", [hash]);
    const lines = stdout.trimEnd().split("\n");
    assert.equal(lines[0], `tx ${hash} in block ${BigInt(txReceipt.blockNumber)}, success: ${BigInt(txReceipt.gasUsed).toLocaleString("en-US")} gas used of ${BigInt((await call(server.url, "eth_getTransactionByHash", [hash])).gas).toLocaleString("en-US")}`);
    assert.match(lines[1]!, new RegExp(`^CALL ${server.node.accounts[2]!.address.toLowerCase()} → ${fashion.address.toLowerCase()}`));
    const at = lines.findIndex((l) => /STATICCALL TCUSTOM 0x000000…a103/.test(l));
    assert.ok(at > 1, stdout);
    assert.match(lines[at]!, new RegExp(`gas ${BigInt(receipt.gasUsed).toLocaleString("en-US")}$`));
    assert.match(stdout, new RegExp(`int8\\[1,784\\] → int16\\[1,10\\]   ${BigInt(receipt.flops).toLocaleString("en-US")} FLOPs`));
    const gasLine = lines.find((l) => l.includes("gas: compute "))!;
    const parts = [...gasLine.matchAll(/(compute|base|bytes|program|reads) ([\d,]+)/g)].map((m) => BigInt(m[2]!.replaceAll(",", "")));
    assert.equal(parts.length, 5, gasLine);
    assert.equal(parts.reduce((a, b) => a + b, 0n), BigInt(receipt.gasUsed), "the split adds up to the receipt's gas");
    assert.match(gasLine, new RegExp(`= ${BigInt(receipt.gasUsed).toLocaleString("en-US")}$`));
    assert.match(stdout, /· matmul → int8\[1,128\]/);
    assert.match(stdout, new RegExp(`receipt #0: in ${short(receipt.inputCommits[0])} → out ${short(receipt.outputCommits[0])}, leaf ${short(receipt.leaf)}`));
    assert.equal(lines.at(-1), `AIVM: 1 receipt, ${BigInt(receipt.gasUsed).toLocaleString("en-US")} gas, ${BigInt(receipt.flops).toLocaleString("en-US")} FLOPs, trace root ${receipts.traceRoot}`);
  });

  it("--json prints the node's aivmTracer result, which formatAivmTrace renders as the CLI does", async () => {
    const { stdout } = await aivm(["trace", hash, "--rpc", server.url, "--json"]);
    const printed = JSON.parse(stdout);
    assert.deepEqual(printed, await call(server.url, "debug_traceTransaction", [hash, { tracer: "aivmTracer" }]));
    assert.match(formatAivmTrace(hash, printed), /TCUSTOM/);
  });

  it("an unknown transaction exits 1 with the node's error", async () => {
    const missing = `0x${"12".repeat(32)}`;
    await assert.rejects(aivm(["trace", missing, "--rpc", server.url]), (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 1);
      assert.match(error.stderr, new RegExp(`aivm trace: Unable to find a block containing transaction ${missing} \\(code -32000\\)`));
      return true;
    });
  });
});
