// Each oracle adapter: a consumer contract written against the original oracle interface (Ritual
// Infernet CallbackConsumer, ORA AIOracleCallbackReceiver, Chainlink FunctionsClient) gets its answer
// from an AIVM model — synchronously (Infernet), or in a later transaction by a keeper or the
// AgentScheduler (ORA, Chainlink). Runs on the in-process `aivm` network through hardhat-viem.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { decodeAbiParameters, decodeErrorResult, keccak256, numberToHex, parseEventLogs, stringToHex, type Hex } from "viem";
import { connectAivm, int8Tensor, linearArgmax, W, X0, X1, X2 } from "./setup.ts";

const OUTPUT = [{ type: "uint256" }, { type: "bytes32" }] as const;
const ZERO32 = `0x${"00".repeat(32)}` as Hex;

describe("oracle adapters on AIVM", () => {
  let conn: Awaited<ReturnType<typeof connectAivm>>;
  let model: any;
  let directory: any;
  const CONTAINER = "fashion-classifier";
  const ORA_MODEL_ID = 7n;
  const DON_ID = keccak256(stringToHex("aivm-linear-classifier"));

  before(async () => {
    conn = await connectAivm();
    const { viem } = conn;
    model = await viem.deployContract("AivmLinearClassifier", [int8Tensor([4, 3], W)]);
    directory = await viem.deployContract("AivmModelDirectory");
    await directory.write.setModel([keccak256(stringToHex(CONTAINER)), model.address]);
    await directory.write.setModel([numberToHex(ORA_MODEL_ID, { size: 32 }), model.address]);
    await directory.write.setModel([DON_ID, model.address]);
  });
  after(async () => {
    await conn.close();
  });

  it("Infernet: _receiveCompute gets the AIVM answer before _requestCompute returns, with the trace root as proof", async () => {
    const { viem } = conn;
    const tagger = await viem.deployContract("InfernetItemTagger", [directory.address]);
    const client = await viem.getPublicClient();
    for (const [i, x] of [X0, X1, X2].entries()) {
      const hash = await tagger.write.tag([int8Tensor([1, 4], x)]);
      const receipt = await client.waitForTransactionReceipt({ hash });
      const [tagged] = parseEventLogs({ abi: tagger.abi, logs: receipt.logs, eventName: "Tagged" }) as any[];
      assert.equal(tagged.args.label, BigInt(linearArgmax(x, W, 3)));
      assert.notEqual(tagged.args.proofRoot, ZERO32, "the proof is the transaction's AIVM trace root");
      assert.equal(await tagger.read.tagOf([i + 1]), BigInt(linearArgmax(x, W, 3)) + 1n);
    }
    // Only the synchronous delivery may enter rawReceiveCompute.
    await viem.assertions.revertWithCustomError(
      tagger.write.rawReceiveCompute([9, 1, model.address, "0x", "0x", "0x", ZERO32]),
      tagger,
      "NotSelf",
    );
    // A bad input reverts the request with the precompile's custom error.
    await viem.assertions.revertWithCustomError(tagger.write.tag([int8Tensor([1, 5], [1, 2, 3, 4, 5])]), model, "ShapeMismatch");
  });

  it("ORA: a Prompt-style receiver is answered by AivmAIOracle in a keeper's later transaction", async () => {
    const { viem } = conn;
    const oracle = await viem.deployContract("AivmAIOracle", [directory.address]);
    const prompt = await viem.deployContract("OraPrompt", [oracle.address]);
    assert.equal(await prompt.read.estimateFee([ORA_MODEL_ID]), 0n);
    await prompt.write.calculateAIResult([ORA_MODEL_ID, int8Tensor([1, 4], X1)]);
    assert.equal(await oracle.read.isFinalized([0n]), false);
    assert.equal(await oracle.read.queued(), 1n);

    const [keeper] = await viem.getWalletClients();
    await viem.assertions.emit(oracle.write.fulfillPending([10n], { account: keeper!.account }), oracle, "AICallbackResult");
    assert.equal(await oracle.read.isFinalized([0n]), true);
    const [, , , output] = (await prompt.read.requests([0n])) as [Hex, bigint, Hex, Hex];
    const [label] = decodeAbiParameters(OUTPUT, output);
    assert.equal(label, BigInt(linearArgmax(X1, W, 3)));
    await viem.assertions.revertWithCustomErrorWithArgs(oracle.write.fulfill([0n]), oracle, "NotPending", [0n]);
    // The receiver still only trusts its oracle.
    await viem.assertions.revertWithCustomError(prompt.write.aiOracleCallback([0n, "0x", "0x"]), prompt, "UnauthorizedCallbackSource");
  });

  it("ORA through the AgentScheduler: a tick the oracle submitted fulfils the pending request", async () => {
    const { viem, networkHelpers } = conn;
    const [governor] = await viem.getWalletClients();
    // The tick's callback gas must cover the model run plus the receiver's own 500k callback limit.
    const config = { epochLength: 10, capacity: 2_000_000n, guaranteedCapacity: 1_500_000n, maxCallbackGas: 1_200_000, stakeUnit: 1_000n, unitPrice: 1n };
    // The registry is only consulted for MODEL_INFER requests; ticks do not touch it.
    const scheduler = await viem.deployContract("AgentScheduler", [directory.address, "0x0000000000000000000000000000000000000000", governor!.account.address, config]);
    const oracle = await viem.deployContract("AivmAIOracle", [directory.address]);
    const prompt = await viem.deployContract("OraPrompt", [oracle.address]);
    await oracle.write.attachScheduler([scheduler.address], { value: 1_000n });
    await prompt.write.calculateAIResult([ORA_MODEL_ID, int8Tensor([1, 4], X2)]);

    const [, fee] = (await scheduler.read.quoteTick([1_000_000])) as [bigint, bigint];
    await oracle.write.scheduleTick([0, 1_000_000], { value: fee }); // RT: runs in the next epoch
    assert.equal(await oracle.read.isFinalized([0n]), false);
    const client = await viem.getPublicClient();
    const seen: string[] = [];
    // Play the node's part: process every slot as soon as its epoch starts (deadlines are strict).
    for (let i = 0; i < 8 && !(await oracle.read.isFinalized([0n])); i++) {
      if (((await scheduler.read.nextSlot()) as bigint) > ((await scheduler.read.currentEpoch()) as bigint)) {
        await networkHelpers.mine(10 - Number((await client.getBlockNumber()) % 10n));
        continue;
      }
      const receipt = await client.waitForTransactionReceipt({ hash: await scheduler.write.processEpoch() });
      for (const log of parseEventLogs({ abi: scheduler.abi, logs: receipt.logs }) as any[]) seen.push(`${log.eventName}(${Object.values(log.args).join(",")})`);
    }
    assert.equal(await oracle.read.isFinalized([0n]), true, `the scheduler's tick fulfilled the request; scheduler events: ${seen.join(" ")}`);
    const [, , , output] = (await prompt.read.requests([0n])) as [Hex, bigint, Hex, Hex];
    assert.equal(decodeAbiParameters(OUTPUT, output)[0], BigInt(linearArgmax(X2, W, 3)));
  });

  it("Chainlink Functions: the migrated ItemTagger keeps its request-id check and gets the category from AIVM", async () => {
    const { viem } = conn;
    const router = await viem.deployContract("AivmFunctionsRouter", [directory.address]);
    const tagger = await viem.deployContract("ItemTagger", [router.address, DON_ID]);
    await tagger.write.sendRequest([int8Tensor([1, 4], X0), 1n]);
    const requestId = (await tagger.read.s_lastRequestId()) as Hex;
    assert.equal(requestId, await router.read.requestIdOf([1n]));
    assert.equal(await tagger.read.category(), 0n, "nothing is delivered inside the request transaction");

    await viem.assertions.emitWithArgs(router.write.fulfill([1n]), tagger, "RequestFulfilled", [requestId]);
    assert.equal(await tagger.read.category(), BigInt(linearArgmax(X0, W, 3)) + 1n);

    // A model failure arrives as `err`: the precompile's ShapeMismatch revert data.
    await tagger.write.sendRequest([int8Tensor([1, 3], [1, 2, 3]), 1n]);
    await router.write.fulfillPending([5n]);
    const err = (await tagger.read.s_lastError()) as Hex;
    assert.equal(decodeErrorResult({ abi: model.abi, data: err }).errorName, "ShapeMismatch");
    // Only the router may fulfil.
    await viem.assertions.revertWithCustomError(tagger.write.handleOracleFulfillment([requestId, "0x", "0x"]), tagger, "OnlyRouterCanFulfill");
  });
});
