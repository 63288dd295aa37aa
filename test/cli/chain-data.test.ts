// `aivm genesis`, `aivm node --genesis`, `aivm export` and `aivm import` as real processes: two nodes
// started from one genesis.json agree on the genesis hash `aivm genesis` printed; a chain with
// transfers, contract calls, TSTOREd weights, TMATMUL inferences and a model package uploaded and
// registered in ModelRegistry is exported through RPC and from the database (the same bytes), and
// `aivm import` into a fresh database reproduces every block hash. A block whose state root was
// altered stops the import there, naming the block and both roots, with nothing after it written.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { RLP } from "@ethereumjs/rlp";
import { bytesToHex, concatBytes } from "@ethereumjs/util";
import { createPublicClient, createWalletClient, http, type Abi, type Hex } from "viem";
import { DevNode } from "../../src/chain/node.ts";
import { splitBlockRlps } from "../../src/chain/import.ts";
import { getContract } from "../../src/chain/solc.ts";
import { MODEL_REGISTRY_ADDRESS } from "../../src/chain/predeploys.ts";
import { connect } from "../../src/model/chain.ts";
import { aivmChainAt } from "../../src/viem/index.ts";
import { registerPackage, uploadPackage } from "../../src/model/deploy.ts";
import { fashionPackage } from "../../src/cli/demo.ts";
import { call, REPO, spawnAivmNode, waitForExit, type SpawnedNode } from "./helpers.ts";
import { demo, inputHex, weightsHex } from "../rpc/helpers.ts";

const run = promisify(execFile);
const aivm = (...args: string[]) => run(process.execPath, [join(REPO, "bin/aivm.mjs"), ...args], { cwd: REPO, maxBuffer: 16 << 20 });

describe("aivm genesis, export and import", { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "aivm-chain-data-"));
  const genesisFile = join(dir, "genesis.json");
  let printedGenesisHash: string;
  let nodeA: SpawnedNode;
  let nodeB: SpawnedNode;
  const hashes: Hex[] = [];

  before(async () => {
    const { stdout } = await aivm("genesis", "--out", genesisFile, "--alloc-dev-accounts", "--chain-id", "4242");
    printedGenesisHash = /genesis hash (0x[0-9a-f]{64})/.exec(stdout)![1]!;
    [nodeA, nodeB] = await Promise.all([spawnAivmNode(["--genesis", genesisFile, "--db", join(dir, "a"), "--quiet"]), spawnAivmNode(["--genesis", genesisFile, "--quiet"])]);
  });
  after(async () => {
    for (const node of [nodeA, nodeB]) {
      if (node && node.child.exitCode === null) {
        node.child.kill("SIGTERM");
        await waitForExit(node.child);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("gives two nodes started from one genesis.json the genesis hash aivm genesis printed, and the file's chain id", async () => {
    const [a, b] = await Promise.all([call(nodeA.url, "eth_getBlockByNumber", ["0x0", false]), call(nodeB.url, "eth_getBlockByNumber", ["0x0", false])]);
    assert.equal(a.hash, printedGenesisHash);
    assert.equal(b.hash, printedGenesisHash);
    assert.equal(await call(nodeA.url, "eth_chainId"), "0x1092");
    // The dev accounts are funded by the file's alloc, not by the node.
    const [account] = await call(nodeA.url, "eth_accounts");
    assert.equal(BigInt(await call(nodeA.url, "eth_getBalance", [account, "0x0"])), 10_000n * 10n ** 18n);
    nodeB.child.kill("SIGTERM");
    await waitForExit(nodeB.child);
  });

  it("exports a chain of transfers, TSTORE, TMATMUL and registry calls, and aivm import reproduces every block hash", async () => {
    const url = nodeA.url;
    const [from, to] = (await call(url, "eth_accounts")) as Hex[];
    const chain = { ...aivmChainAt(url), id: 4242 };
    const client = createPublicClient({ chain, transport: http(url), pollingInterval: 20 });
    const wallet = createWalletClient({ chain, transport: http(url), account: from! });
    await wallet.sendTransaction({ to: to!, value: 10n ** 18n, type: "legacy", gasPrice: 3_000_000_000n });
    const deploy = await wallet.deployContract({ abi: demo.abi, bytecode: demo.bytecode, args: [weightsHex] });
    const address = (await client.waitForTransactionReceipt({ hash: deploy })).contractAddress!;
    for (let i = 0; i < 3; i++) await wallet.writeContract({ address, abi: demo.abi, functionName: "inferAndRecord", args: [inputHex] });
    // The Fashion-MNIST package: its shards by TSTORE, then ModelRegistry's registration and activation.
    const pkg = fashionPackage();
    const conn = await connect(url);
    const uploaded = await uploadPackage(conn, pkg);
    const registryAbi = getContract("ModelRegistry", undefined, ["ModelRegistry.sol", "AgentScheduler.sol"]).abi as Abi;
    assert.equal((await registerPackage(conn, MODEL_REGISTRY_ADDRESS, registryAbi, pkg, uploaded)).active, true);
    await wallet.sendTransaction({ to: to!, value: 5n });
    const head = BigInt(await call(url, "eth_blockNumber"));
    assert.ok(head >= 10n, `a chain of ${head} blocks`);
    for (let n = 0n; n <= head; n++) hashes.push((await call(url, "eth_getBlockByNumber", [`0x${n.toString(16)}`, false])).hash);

    const viaRpc = join(dir, "rpc.rlp");
    const exported = await aivm("export", "--rpc", url, viaRpc);
    assert.match(exported.stdout, new RegExp(`Exported blocks 1 to ${head} \\(${head} blocks`));
    nodeA.child.kill("SIGTERM");
    await waitForExit(nodeA.child);
    const viaDb = join(dir, "db.rlp");
    await aivm("export", "--db", join(dir, "a"), viaDb);
    const bytes = readFileSync(viaRpc);
    assert.ok(bytes.equals(readFileSync(viaDb)), "the RPC and database exports are the same bytes");
    assert.equal(splitBlockRlps(bytes).length, Number(head));

    const imported = await aivm("import", "--db", join(dir, "b"), "--genesis", genesisFile, viaRpc);
    assert.match(imported.stdout, new RegExp(`Imported ${head} blocks \\(0 already known\\).*head ${head} ${hashes[Number(head)]}`));
    const node = await DevNode.create({ dbPath: join(dir, "b"), chainId: 4242 });
    try {
      assert.equal(node.headNumber, head);
      for (let n = 0; n <= Number(head); n++) assert.equal(bytesToHex(node.blocks[n]!.hash()), hashes[n], `block ${n}`);
      // Re-executed, not copied: the receipts are the node's own, and the TMATMUL calls left AIVM receipts.
      const records = node.records.slice(1);
      assert.ok(records.some((r) => r.txs.some((tx) => tx.trace.receipts.some((receipt) => receipt.opcode === "TMATMUL"))));
      assert.ok(records.some((r) => r.txs.some((tx) => tx.trace.receipts.some((receipt) => receipt.opcode === "TSTORE"))));
    } finally {
      await node.close();
    }
    // Importing the same file again: every block is known.
    const again = await aivm("import", "--db", join(dir, "b"), viaRpc);
    assert.match(again.stdout, new RegExp(`Imported 0 blocks \\(${head} already known\\)`));
  });

  it("refuses to reopen a database with a genesis.json it was not made from", async () => {
    const other = join(dir, "other-genesis.json");
    const json = JSON.parse(readFileSync(genesisFile, "utf8"));
    writeFileSync(other, JSON.stringify({ ...json, timestamp: "0x1" }));
    const failed = await aivm("node", "--port", "0", "--quiet", "--genesis", other, "--db", join(dir, "a")).then(
      () => assert.fail("the node started"),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(failed.code, 1);
    assert.ok(failed.stderr.includes(`aivm node: the database's genesis block (${printedGenesisHash}) was not made from ${other}.`), failed.stderr);
  });

  it("stops at a block whose state root differs, naming it and both roots, and writes nothing from it on", async () => {
    const blocks = splitBlockRlps(readFileSync(join(dir, "rpc.rlp")));
    const bad = 4;
    const fields = RLP.decode(blocks[bad - 1]!) as Uint8Array[][];
    const trueRoot = bytesToHex(fields[0]![3]!);
    fields[0]![3] = new Uint8Array(32).fill(0x11);
    const tampered = join(dir, "tampered.rlp");
    writeFileSync(tampered, concatBytes(...blocks.slice(0, bad - 1), RLP.encode(fields), ...blocks.slice(bad)));
    const failed = await aivm("import", "--db", join(dir, "c"), "--genesis", genesisFile, tampered).then(
      () => assert.fail("the import succeeded"),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, new RegExp(`Block ${bad} was not imported: state root: the block has 0x(11){32}, re-execution gives ${trueRoot}`));
    const node = await DevNode.create({ dbPath: join(dir, "c"), chainId: 4242 });
    try {
      assert.equal(node.headNumber, BigInt(bad - 1));
      assert.equal(bytesToHex(node.head.hash()), hashes[bad - 1]);
    } finally {
      await node.close();
    }
  });
});
