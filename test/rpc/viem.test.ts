// Real viem over HTTP against a node this test starts: deploy a TMATMUL contract, write, read,
// estimate, wait for receipts, filter logs, decode an AIVM custom-error revert, and the aivm_* actions.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  http,
  hexToBytes,
  type Address,
  type Hex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { aivmActions, aivmChainAt } from "../../src/viem/index.ts";
import { decodeTensor } from "../../src/codec/tensor.ts";
import { rootFromProof } from "../../src/rpc/receipt-proof.ts";
import type { NodeServer } from "../../src/rpc/server.ts";
import { badInputHex, demo, expectedOutput, inputHex, startTestServer, weightsHex } from "./helpers.ts";

describe("viem against the AIVM dev node over HTTP", () => {
  let server: NodeServer;
  let publicClient: ReturnType<typeof makeClients>["publicClient"];
  let wallet: ReturnType<typeof makeClients>["wallet"];
  let address: Address;

  function makeClients(url: string) {
    const chain = aivmChainAt(url);
    const account = privateKeyToAccount(server.node.accounts[0]!.privateKey);
    return {
      publicClient: createPublicClient({ chain, transport: http(url), pollingInterval: 20 }).extend(aivmActions()),
      wallet: createWalletClient({ chain, transport: http(url), account, pollingInterval: 20 }),
    };
  }

  before(async () => {
    server = await startTestServer();
    ({ publicClient, wallet } = makeClients(server.url));
  });
  after(async () => server.close());

  it("deploys a contract whose constructor stores weights with TSTORE", async () => {
    const hash = await wallet.deployContract({ abi: demo.abi, bytecode: demo.bytecode, args: [weightsHex] });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    assert.equal(receipt.status, "success");
    assert.ok(receipt.contractAddress);
    address = receipt.contractAddress;
    const code = await publicClient.getCode({ address });
    assert.ok(code && code.length > 2);
  });

  it("reads an inference (TMATMUL in eth_call) and gets x·W", async () => {
    const y = (await publicClient.readContract({ address, abi: demo.abi, functionName: "infer", args: [inputHex] })) as Hex;
    const t = decodeTensor(hexToBytes(y));
    assert.equal(t.dtype, "int32");
    assert.deepEqual(t.shape, [1, 3]);
    assert.deepEqual([...t.data].map(BigInt), expectedOutput());
  });

  it("estimates, writes, waits for the receipt and the quote equals the gas used", async () => {
    const gas = await publicClient.estimateContractGas({ address, abi: demo.abi, functionName: "inferAndRecord", args: [inputHex], account: wallet.account });
    assert.ok(gas > 21_000n);
    const { request } = await publicClient.simulateContract({ address, abi: demo.abi, functionName: "inferAndRecord", args: [inputHex], account: wallet.account });
    const data = (await import("viem")).encodeFunctionData({ abi: demo.abi, functionName: "inferAndRecord", args: [inputHex] });
    const quote = await publicClient.quote({ account: wallet.account.address, to: address, data });
    assert.ok(quote.aivmGas! > 0n, "the call charges AIVM gas");
    assert.equal(quote.receipts?.[0]?.opcode, "TMATMUL");
    const hash = await wallet.writeContract(request);
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    assert.equal(receipt.status, "success");
    assert.equal(receipt.gasUsed, quote.gas, "aivm_quote is exact, not an estimate");
    assert.ok(gas >= receipt.gasUsed, "the estimate is enough");
    const inferences = await publicClient.readContract({ address, abi: demo.abi, functionName: "inferences" });
    assert.equal(inferences, 1n);
  });

  it("filters the Inferred logs with getContractEvents and an event filter", async () => {
    const filter = await publicClient.createContractEventFilter({ address, abi: demo.abi, eventName: "Inferred", fromBlock: 0n });
    const hash = await wallet.writeContract({ address, abi: demo.abi, functionName: "inferAndRecord", args: [inputHex] });
    await publicClient.waitForTransactionReceipt({ hash });
    const logs = await publicClient.getContractEvents({ address, abi: demo.abi, eventName: "Inferred", fromBlock: 0n });
    assert.equal(logs.length, 2);
    const args = logs[1]!.args as { caller: Address; argmax: bigint; output: Hex };
    assert.equal(args.caller.toLowerCase(), wallet.account.address.toLowerCase());
    assert.equal(args.argmax, 0n);
    const fromFilter = await publicClient.getFilterLogs({ filter });
    assert.equal(fromFilter.length, 2);
    const changes = await publicClient.getFilterChanges({ filter });
    assert.equal(changes.length, 2);
    assert.equal((await publicClient.getFilterChanges({ filter })).length, 0, "changes are reported once");
    const none = await publicClient.getContractEvents({ address, abi: demo.abi, eventName: "Inferred", args: { caller: server.node.accounts[5]!.address as Address }, fromBlock: 0n });
    assert.equal(none.length, 0, "topic filter excludes other callers");
  });

  it("decodes a ShapeMismatch custom error from a TMATMUL revert (code 3 with data)", async () => {
    const error = await publicClient.readContract({ address, abi: demo.abi, functionName: "infer", args: [badInputHex] }).catch((e: unknown) => e);
    assert.ok(error instanceof BaseError);
    const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
    assert.ok(revert instanceof ContractFunctionRevertedError);
    assert.equal(revert.data?.errorName, "ShapeMismatch");
    assert.equal(revert.data?.args?.[0], "matmul");
    const estimate = await publicClient
      .estimateContractGas({ address, abi: demo.abi, functionName: "inferAndRecord", args: [badInputHex], account: wallet.account })
      .catch((e: unknown) => e);
    const revert2 = (estimate as BaseError).walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError;
    assert.equal(revert2.data?.errorName, "ShapeMismatch");
  });

  it("exposes receipts, anchors, proofs, tensors and congestion through aivmActions", async () => {
    const hash = await wallet.writeContract({ address, abi: demo.abi, functionName: "inferAndRecord", args: [inputHex] });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    const receipts = await publicClient.getReceipts({ hash });
    assert.ok(receipts);
    assert.equal(receipts.receipts[0]!.opcode, "TMATMUL");
    assert.ok(receipts.receipts[0]!.flops > 0n);
    const anchor = await publicClient.getAnchor({ blockNumber: receipt.blockNumber });
    assert.ok(anchor);
    assert.equal(anchor.receiptCount, receipts.receipts.length);
    const proof = await publicClient.getReceiptProof({ hash, index: 0 });
    assert.ok(proof?.verified);
    assert.equal(rootFromProof(proof), anchor.anchorRoot);
    const ref = (await publicClient.readContract({ address, abi: demo.abi, functionName: "weightsRef" })) as Hex;
    const stored = await publicClient.getTensor({ handle: ref });
    assert.equal(stored?.data, weightsHex, "the persistent store returns the weights byte for byte");
    const congestion = await publicClient.getCongestion();
    assert.equal(congestion.blockNumber, receipt.blockNumber);
    assert.ok(congestion.multiplier && congestion.multiplier > 0n);
  });
});
