// `npm start`'s Fashion-MNIST demo: deployDemo stores the committed MLP package, registers it in the
// ModelRegistry predeploy and deploys FashionDemo. The on-chain classes must equal the engine's
// off-chain run of the same package, and examples/fashion-classify.ts must work against it.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { join } from "node:path";
import { createPublicClient, decodeFunctionResult, encodeFunctionData, hexToBytes, http, type Abi, type Hex } from "viem";
import { deployDemo, fashionPackage, fashionSamples, type DeployedFashionDemo } from "../../src/cli/demo.ts";
import { DevNode } from "../../src/chain/node.ts";
import { getContract } from "../../src/chain/solc.ts";
import { runProgram } from "../../src/codec/program-run.ts";
import { decodeTensor } from "../../src/codec/tensor.ts";
import { FASHION_MNIST_CLASSES } from "../../src/model/fashion-mnist.ts";
import { inlineProgram } from "../../src/model/package.ts";
import { startNodeServer, type NodeServer } from "../../src/rpc/server.ts";
import { FASHION_DEMO_ADDRESS } from "../../examples/fashion-abi.ts";
import { REPO } from "./helpers.ts";

const run = promisify(execFile);

/** Index of the largest logit (first on ties, as FashionDemo's loop). */
function argmax(values: ArrayLike<number | bigint>): number {
  let best = 0;
  for (let k = 1; k < values.length; k++) if (values[k]! > values[best]!) best = k;
  return best;
}

describe("npm start's Fashion-MNIST demo", () => {
  let server: NodeServer;
  let fashion: DeployedFashionDemo;
  const pkg = fashionPackage();
  const samples = fashionSamples();
  // The engine's own prediction for each committed sample: what the chain must reproduce.
  const offChain = samples.map((s) => argmax(runProgram(inlineProgram(pkg), [decodeTensor(hexToBytes(s.input))], new Map())[0]!.data));

  before(async () => {
    server = await startNodeServer({ port: 0 });
    const demo = await deployDemo(server.node);
    assert.ok(demo.fashion, "the dev chain has ModelRegistry at 0x…A120, so the MLP is deployed");
    fashion = demo.fashion;
  });
  after(async () => server?.close());

  it("registers the package's program as the active version of a new model in ModelRegistry", async () => {
    assert.equal(fashion.programId.toLowerCase(), pkg.programId.toLowerCase());
    const client = createPublicClient({ transport: http(server.url) });
    const abi = getContract("ModelRegistry", undefined, ["ModelRegistry.sol", "AgentScheduler.sol"]).abi as Abi;
    const r = (await client.readContract({ address: fashion.registry, abi, functionName: "resolve", args: [BigInt(fashion.modelId), 0] })) as { programHandle: Hex; gasQuote: bigint };
    assert.equal(r.programHandle.toLowerCase(), pkg.programId.toLowerCase());
    assert.equal(r.gasQuote, BigInt(pkg.quote.gas));
  });

  it("classify() on chain returns the engine's off-chain class for every committed sample", async () => {
    for (const [i, s] of samples.entries()) {
      const data = encodeFunctionData({ abi: fashion.abi, functionName: "classify", args: [s.input] });
      const ret = await server.node.call({ to: fashion.address, data });
      const [label, name] = decodeFunctionResult({ abi: fashion.abi, functionName: "classify", data: ret.returnData }) as [bigint, string];
      assert.equal(Number(label), offChain[i], `sample ${s.index}`);
      assert.equal(name, FASHION_MNIST_CLASSES[offChain[i]!], "the contract names the class");
    }
  });

  it("examples/fashion-classify.ts prints the engine's classes, the AIVM receipt and a verified proof", async () => {
    assert.equal(fashion.address, FASHION_DEMO_ADDRESS.toLowerCase(), "the example's default address is where npm start deploys FashionDemo");
    const { stdout } = await run(process.execPath, ["--import", "tsx", join(REPO, "examples", "fashion-classify.ts"), server.url], { cwd: REPO, timeout: 120_000 });
    for (const [i, s] of samples.entries()) {
      assert.match(stdout, new RegExp(`image +${s.index}: predicted ${offChain[i]} `), `sample ${s.index}`);
    }
    // The transaction's one TCUSTOM receipt is charged exactly the package's quote.
    assert.match(stdout, new RegExp(`receipt #0 TCUSTOM: ${pkg.quote.gas} gas`));
    const commit = /logits Tensor Commit (0x[0-9a-f]{64})/.exec(stdout)?.[1];
    assert.ok(commit, "the Classified event carries the logits' Tensor Commit");
    assert.match(stdout, new RegExp(`output commit ${commit}`), "the event's commit is the receipt's output commit");
    assert.match(stdout, /receipt proof verified/);
  });

  it("with interval mining (--block-time) deploys the same contracts without waiting for the block timer", { timeout: 60_000 }, async () => {
    const node = await DevNode.create({ blockTime: 3600 });
    try {
      const demo = await deployDemo(node);
      assert.equal(demo.fashion?.address, FASHION_DEMO_ADDRESS.toLowerCase());
      assert.equal(demo.fashion?.modelId, fashion.modelId);
    } finally {
      await node.close();
    }
  });
});
