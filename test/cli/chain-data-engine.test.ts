// `aivm import --engine`: the chain of an engine-mode node (blocks built through its Engine API with
// the consensus client's prevRandao and beacon roots, randomness from prevRandao, the AIVM anchor in
// extraData) goes into a fresh database through engine_newPayload and forkchoiceUpdated, and every
// block hash comes back; a block with an altered state root is refused there, nothing from it on
// written. The chain is built in process; the import runs as the CLI.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Block } from "@ethereumjs/block";
import { RLP } from "@ethereumjs/rlp";
import { bytesToHex, concatBytes } from "@ethereumjs/util";
import { encodeDeployData, encodeFunctionData, type Hex } from "viem";
import { DevNode } from "../../src/chain/node.ts";
import { readGenesisFile } from "../../src/cli/chain-data.ts";
import { devVrfSecretKey } from "../../src/chain/block-randomness.ts";
import { REPO } from "./helpers.ts";
import { demo, inputHex, weightsHex } from "../rpc/helpers.ts";

const run = promisify(execFile);
const aivm = (...args: string[]) => run(process.execPath, [join(REPO, "bin/aivm.mjs"), ...args], { cwd: REPO });

describe("aivm import --engine", { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "aivm-import-engine-"));
  const genesisFile = join(dir, "genesis.json");
  const chainFile = join(dir, "chain.rlp");
  let blocks: Block[] = [];

  before(async () => {
    await aivm("genesis", "--out", genesisFile, "--alloc-dev-accounts", "--timestamp", "0");
    const spec = await readGenesisFile(genesisFile, devVrfSecretKey());
    const node = await DevNode.create({ engine: true, chainId: spec.chainId, hardfork: spec.hardfork, blockGasLimit: spec.blockGasLimit, genesis: spec.genesis });
    const from = node.accounts[0]!.address as Hex;
    // What a consensus client does per slot: forkchoiceUpdated with attributes, getPayload, forkchoiceUpdated to it.
    const produce = async () => {
      const head = bytesToHex(node.head.hash()) as Hex;
      const attributes = { timestamp: node.head.header.timestamp + 12n, prevRandao: randomBytes(32), suggestedFeeRecipient: from, withdrawals: [], parentBeaconBlockRoot: randomBytes(32) };
      const { payloadId } = await node.engine!.forkchoiceUpdated(head, head, head, attributes);
      const built = (await node.engine!.getPayload(payloadId!))!.block;
      const hash = bytesToHex(built.hash()) as Hex;
      await node.engine!.forkchoiceUpdated(hash, hash, hash, undefined);
    };
    try {
      await node.sendTransaction({ from, to: node.accounts[1]!.address as Hex, value: 7n });
      await node.sendTransaction({ from, data: encodeDeployData({ abi: demo.abi, bytecode: demo.bytecode, args: [weightsHex] }) });
      await produce();
      const address = node.records[1]!.txs[1]!.contractAddress!;
      for (let i = 0; i < 2; i++) {
        await node.sendTransaction({ from, to: address, data: encodeFunctionData({ abi: demo.abi, functionName: "inferAndRecord", args: [inputHex] }) });
        await produce();
      }
      await produce();
      blocks = [...node.blocks];
      const opcodes = node.records.flatMap((r) => r.txs.flatMap((tx) => tx.trace.receipts.map((receipt) => receipt.opcode)));
      assert.deepEqual(opcodes, ["TSTORE", "TMATMUL", "TMATMUL"]);
    } finally {
      await node.close();
    }
    writeFileSync(chainFile, concatBytes(...blocks.slice(1).map((b) => b.serialize())));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("reproduces every block hash of an engine-mode chain", async () => {
    const { stdout } = await aivm("import", "--engine", "--db", join(dir, "a"), "--genesis", genesisFile, chainFile);
    assert.match(stdout, new RegExp(`Imported ${blocks.length - 1} blocks \\(0 already known\\)`));
    const node = await DevNode.create({ engine: true, dbPath: join(dir, "a"), chainId: 31337 });
    try {
      assert.deepEqual(
        node.blocks.map((b) => bytesToHex(b.hash())),
        blocks.map((b) => bytesToHex(b.hash())),
      );
    } finally {
      await node.close();
    }
  });

  it("refuses a block whose state root was altered, with the blocks before it imported and none after", async () => {
    const bad = 2;
    const fields = RLP.decode(blocks[bad]!.serialize()) as Uint8Array[][];
    fields[0]![3] = new Uint8Array(32).fill(0x22);
    const tampered = join(dir, "tampered.rlp");
    writeFileSync(tampered, concatBytes(...blocks.slice(1, bad).map((b) => b.serialize()), RLP.encode(fields), ...blocks.slice(bad + 1).map((b) => b.serialize())));
    const failed = await aivm("import", "--engine", "--db", join(dir, "b"), "--genesis", genesisFile, tampered).then(
      () => assert.fail("the import succeeded"),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, new RegExp(`Block ${bad} was not imported: Block ${bad} \\(0x[0-9a-f]{64}\\) is invalid: stateRoot 0x(22){32} != re-executed ${bytesToHex(blocks[bad]!.header.stateRoot)}`));
    const node = await DevNode.create({ engine: true, dbPath: join(dir, "b"), chainId: 31337 });
    try {
      assert.equal(node.headNumber, BigInt(bad - 1));
    } finally {
      await node.close();
    }
  });
});
