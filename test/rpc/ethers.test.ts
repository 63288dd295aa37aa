// Real ethers v6 over HTTP: deploy the TMATMUL contract with a ContractFactory, write, read,
// estimate, wait, query logs, decode the AIVM custom error; also a JsonRpcSigner (eth_sendTransaction).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Contract, ContractFactory, JsonRpcProvider, Wallet, getBytes, isCallException, type InterfaceAbi } from "ethers";
import { decodeTensor } from "../../src/codec/tensor.ts";
import type { NodeServer } from "../../src/rpc/server.ts";
import { badInputHex, demo, expectedOutput, inputHex, startTestServer, weightsHex } from "./helpers.ts";

describe("ethers v6 against the AIVM dev node over HTTP", () => {
  let server: NodeServer;
  let provider: JsonRpcProvider;
  let contract: Contract;

  before(async () => {
    server = await startTestServer();
    provider = new JsonRpcProvider(server.url, undefined, { staticNetwork: true, pollingInterval: 20, cacheTimeout: -1 });
  });
  after(async () => {
    provider.destroy();
    await server.close();
  });

  it("deploys with a Wallet (eth_sendRawTransaction) and waits for deployment", async () => {
    const wallet = new Wallet(server.node.accounts[0]!.privateKey, provider);
    const factory = new ContractFactory(demo.abi as InterfaceAbi, demo.bytecode, wallet);
    const deployed = await factory.deploy(weightsHex);
    await deployed.waitForDeployment();
    contract = deployed as unknown as Contract;
    assert.notEqual(await provider.getCode(await contract.getAddress()), "0x");
  });

  it("reads, estimates and writes an inference, then queries its logs", async () => {
    const y: string = await contract.getFunction("infer").staticCall(inputHex);
    assert.deepEqual([...decodeTensor(getBytes(y)).data].map(BigInt), expectedOutput());
    const estimate = await contract.getFunction("inferAndRecord").estimateGas(inputHex);
    const tx = await contract.getFunction("inferAndRecord")(inputHex);
    const receipt = await tx.wait();
    assert.equal(receipt?.status, 1);
    assert.ok(estimate >= receipt!.gasUsed);
    const events = await contract.queryFilter(contract.filters.Inferred!(), 0, "latest");
    assert.equal(events.length, 1);
    assert.equal((events[0] as unknown as { args: { argmax: bigint } }).args.argmax, 0n);
  });

  it("sends through a JsonRpcSigner (eth_accounts + eth_sendTransaction)", async () => {
    const signer = await provider.getSigner(2);
    assert.equal((await signer.getAddress()).toLowerCase(), server.node.accounts[2]!.address);
    const connected = contract.connect(signer) as Contract;
    const tx = await connected.getFunction("inferAndRecord")(inputHex);
    const receipt = await tx.wait();
    assert.equal(receipt?.status, 1);
    assert.equal(await contract.getFunction("inferences")(), 2n);
    const fee = await provider.getFeeData();
    assert.ok(fee.maxFeePerGas! > 0n && fee.gasPrice! > 0n);
  });

  it("decodes the ShapeMismatch custom error of a TMATMUL revert", async () => {
    const error = await contract.getFunction("infer").staticCall(badInputHex).catch((e: unknown) => e);
    assert.ok(isCallException(error));
    assert.equal(error.revert?.name, "ShapeMismatch");
    assert.equal(error.revert?.args[0], "matmul");
    assert.equal(error.revert?.args[1], "b", "the K mismatch is reported on input b");
  });
});
