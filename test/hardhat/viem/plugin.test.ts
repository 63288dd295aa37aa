// The aivm/hardhat plugin with @nomicfoundation/hardhat-toolbox-viem on the in-process `aivm`
// network: deploy, getContractAt, assertions (incl. AIVM custom-error reverts), network helpers,
// one fresh chain per connection, offline compiler config, and the `aivm node` task.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { privateKeyToAddress } from "viem/accounts";
import { createRequire } from "node:module";
import { decodeAbiParameters, type Hex } from "viem";
import { AIVM_IN_PROCESS_URL } from "../../../src/hardhat/index.ts";
import { connectAivm, hre, int8Tensor, linearArgmax, W, X0, X1 } from "./setup.ts";

const require = createRequire(import.meta.url);

describe("aivm/hardhat plugin", () => {
  let conn: Awaited<ReturnType<typeof connectAivm>>;
  before(async () => {
    conn = await connectAivm();
  });
  after(async () => {
    await conn.close();
  });

  it("adds the aivm http network and compiles with the pinned npm solc (no download)", async () => {
    const net = hre.config.networks.aivm!;
    assert.equal(net.type, "http");
    assert.equal(net.type === "http" ? await net.url.getUrl() : "", AIVM_IN_PROCESS_URL);
    const compiler = hre.config.solidity.profiles.default!.compilers[0]!;
    assert.equal(compiler.version, (require("solc/package.json") as { version: string }).version);
    assert.equal("path" in compiler ? compiler.path : undefined, require.resolve("solc/soljson.js"));
    assert.ok(hre.tasks.getTask(["aivm", "node"]), "the `aivm node` task is registered");
  });

  it("answers in process: an AIVM dev node whose client version passes Hardhat's dev-network check", async () => {
    const version = (await conn.provider.request({ method: "web3_clientVersion" })) as string;
    assert.match(version, /^HardhatNetwork\/aivm\//);
    assert.equal(await conn.provider.request({ method: "eth_chainId" }), "0x7a69");
    // An aivm_* method only the AIVM node has.
    const congestion = await conn.provider.request({ method: "aivm_congestion", params: [] });
    assert.ok(congestion !== null && typeof congestion === "object");
  });

  it("deploys a contract that calls the TMATMUL precompile and reads it back with getContractAt", async () => {
    const { viem } = conn;
    const model = await viem.deployContract("AivmLinearClassifier", [int8Tensor([4, 3], W)]);
    const again = await viem.getContractAt("AivmLinearClassifier", model.address);
    for (const x of [X0, X1]) {
      const out = (await again.read.infer([int8Tensor([1, 4], x)])) as Hex;
      const [label, commit] = decodeAbiParameters([{ type: "uint256" }, { type: "bytes32" }], out);
      assert.equal(label, BigInt(linearArgmax(x, W, 3)));
      assert.notEqual(commit, `0x${"00".repeat(32)}`);
    }
  });

  it("viem.assertions see AIVM custom errors: a shape mismatch reverts with ShapeMismatch", async () => {
    const { viem } = conn;
    const model = await viem.deployContract("AivmLinearClassifier", [int8Tensor([4, 3], W)]);
    const directory = await viem.deployContract("AivmModelDirectory");
    const key = `0x${"11".repeat(32)}` as Hex;
    await viem.assertions.emitWithArgs(directory.write.setModel([key, model.address]), directory, "ModelSet", [key, model.address]);
    // K = 5 against W's K = 4: the precompile's revert data arrives intact through two call frames.
    await viem.assertions.revertWithCustomError(directory.write.run([key, int8Tensor([1, 5], [1, 2, 3, 4, 5])]), model, "ShapeMismatch");
    await viem.assertions.revertWithCustomErrorWithArgs(directory.write.run([`0x${"22".repeat(32)}`, "0x"]), directory, "UnknownModel", [`0x${"22".repeat(32)}`]);
  });

  it("network helpers work: mine, time, snapshots", async () => {
    const { viem, networkHelpers } = conn;
    const client = await viem.getPublicClient();
    const start = await client.getBlockNumber();
    await networkHelpers.mine(5);
    assert.equal(await client.getBlockNumber(), start + 5n);
    const t0 = await networkHelpers.time.latest();
    await networkHelpers.time.increase(3600);
    assert.ok((await networkHelpers.time.latest()) >= t0 + 3600);
    const snapshot = await networkHelpers.takeSnapshot();
    await viem.deployContract("AivmModelDirectory");
    const afterDeploy = await client.getBlockNumber();
    await snapshot.restore();
    assert.ok((await client.getBlockNumber()) < afterDeploy);
  });

  it("network helpers edit state: setBalance, setCode, setNonce, setStorageAt", async () => {
    const { viem, networkHelpers } = conn;
    const client = await viem.getPublicClient();
    const who = "0x00000000000000000000000000000000000c0de1";
    await networkHelpers.setBalance(who, 12345n);
    assert.equal(await client.getBalance({ address: who }), 12345n);
    await networkHelpers.setCode(who, "0x60016000f3");
    assert.equal(await client.getCode({ address: who }), "0x60016000f3");
    await networkHelpers.setNonce(who, 7);
    assert.equal(await client.getTransactionCount({ address: who }), 7);
    await networkHelpers.setStorageAt(who, 3, 42);
    assert.equal(BigInt((await client.getStorageAt({ address: who, slot: "0x3" }))!), 42n);
  });

  it("network helpers set the next blocks: coinbase, base fee, prevRandao, gas limit", async () => {
    const { viem, networkHelpers } = conn;
    const client = await viem.getPublicClient();
    const coinbase = "0x00000000000000000000000000000000000c0be5";
    await networkHelpers.setCoinbase(coinbase);
    await networkHelpers.setNextBlockBaseFeePerGas(7_000_000_000n);
    await networkHelpers.setPrevRandao(0x1234n);
    await networkHelpers.setBlockGasLimit(50_000_000n);
    await networkHelpers.mine();
    const block = await client.getBlock();
    assert.equal(block.miner, coinbase);
    assert.equal(block.baseFeePerGas, 7_000_000_000n);
    assert.equal(BigInt(block.mixHash), 0x1234n);
    assert.equal(block.gasLimit, 50_000_000n);
    await networkHelpers.mine();
    const next = await client.getBlock();
    assert.notEqual(next.baseFeePerGas, 7_000_000_000n, "the base fee override is for one block");
    assert.equal(BigInt(next.mixHash), 0n, "so is prevRandao");
    assert.equal(next.gasLimit, 50_000_000n, "the gas limit stays");
    await conn.provider.request({ method: "evm_setAutomine", params: [false] });
    try {
      const [wallet] = await viem.getWalletClients();
      const hash = await wallet!.sendTransaction({ to: coinbase, value: 1n });
      assert.equal(await networkHelpers.dropTransaction(hash), true);
      assert.equal(await client.getTransactionCount({ address: wallet!.account.address, blockTag: "pending" }), await client.getTransactionCount({ address: wallet!.account.address }));
    } finally {
      await conn.provider.request({ method: "evm_setAutomine", params: [true] });
    }
  });

  it("a network's configured accounts (keys or a mnemonic) become the node's funded, unlocked accounts", async () => {
    const keys = [`0x${"11".repeat(32)}`, `0x${"22".repeat(32)}`] as const;
    const byKeys = await hre.network.create({ network: "aivm", override: { accounts: [...keys] } });
    const byMnemonic = await hre.network.create({
      network: "aivm",
      override: { accounts: { mnemonic: "test test test test test test test test test test test junk", initialIndex: 3, count: 2 } },
    });
    try {
      const expected = keys.map((k) => privateKeyToAddress(k).toLowerCase());
      assert.deepEqual((await byKeys.provider.request({ method: "eth_accounts" })) as string[], expected);
      const [wallet] = await byKeys.viem.getWalletClients();
      assert.equal(wallet!.account.address.toLowerCase(), expected[0]);
      const client = await byKeys.viem.getPublicClient();
      const hash = await wallet!.sendTransaction({ to: expected[1] as `0x${string}`, value: 5n });
      assert.equal((await client.waitForTransactionReceipt({ hash })).status, "success");
      // Hardhat's default mnemonic, accounts 3 and 4.
      assert.deepEqual((await byMnemonic.provider.request({ method: "eth_accounts" })) as string[], [
        "0x90f79bf6eb2c4f870365e785982e1f101e93b906",
        "0x15d34aaf54267db7d7c367839aaf71a00a2c6a65",
      ]);
    } finally {
      await byKeys.close();
      await byMnemonic.close();
    }
  });

  it("every connection is a fresh chain", async () => {
    const a = await hre.network.create("aivm");
    const b = await hre.network.create("aivm");
    try {
      const deployed = await a.viem.deployContract("AivmModelDirectory");
      const clientA = await a.viem.getPublicClient();
      const clientB = await b.viem.getPublicClient();
      assert.notEqual(await clientA.getCode({ address: deployed.address }), undefined);
      assert.equal(await clientB.getCode({ address: deployed.address }), undefined);
      assert.equal(await clientB.getBlockNumber(), 0n);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
