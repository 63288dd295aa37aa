// debug_getRawBlock / getRawHeader / getRawReceipts / getRawTransaction over real JSON-RPC, with
// every answer decoded by EthereumJS on its own: the raw block hashes to the block's hash, the raw
// header to the same, the raw receipts rebuild the header's receipts root in a fresh trie, and a raw
// transaction hashes to its hash. The chain has transfers of types 0, 1 and 2, a contract deploy
// that stores weights with TSTORE, a TMATMUL call with a log, and a failed transaction.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createBlockFromRLP, createBlockHeaderFromRLP } from "@ethereumjs/block";
import { MerklePatriciaTrie } from "@ethereumjs/mpt";
import { RLP } from "@ethereumjs/rlp";
import { createTxFromRLP } from "@ethereumjs/tx";
import { bytesToHex, hexToBytes } from "@ethereumjs/util";
import { createPublicClient, createWalletClient, http, parseEther, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { aivmChainAt } from "../../src/viem/index.ts";
import { createChainCommon } from "../../src/evm/chain-vm.ts";
import type { NodeServer } from "../../src/rpc/server.ts";
import { badInputHex, demo, inputHex, rpc, startTestServer, weightsHex } from "./helpers.ts";

describe("debug_getRaw* over JSON-RPC", () => {
  let server: NodeServer;
  const txHashes: Hex[] = [];
  let failedTx: Hex;
  const call = async (method: string, params: unknown[]) => {
    const { json } = await rpc(server.url, { jsonrpc: "2.0", id: 1, method, params });
    return json as { result?: unknown; error?: { code: number; message: string } };
  };

  before(async () => {
    server = await startTestServer();
    const chain = aivmChainAt(server.url);
    const account = privateKeyToAccount(server.node.accounts[0]!.privateKey);
    const wallet = createWalletClient({ chain, transport: http(server.url), account });
    const client = createPublicClient({ chain, transport: http(server.url), pollingInterval: 20 });
    const to = server.node.accounts[1]!.address;
    const sent = async (hash: Hex) => {
      await client.waitForTransactionReceipt({ hash });
      txHashes.push(hash);
      return hash;
    };
    await sent(await wallet.sendTransaction({ to, value: parseEther("1"), type: "legacy", gasPrice: 3_000_000_000n }));
    await sent(await wallet.sendTransaction({ to, value: 7n, type: "eip2930", gasPrice: 3_000_000_000n, accessList: [{ address: to, storageKeys: [] }] }));
    await sent(await wallet.sendTransaction({ to, value: 11n }));
    const deploy = await sent(await wallet.deployContract({ abi: demo.abi, bytecode: demo.bytecode, args: [weightsHex] }));
    const address = (await client.getTransactionReceipt({ hash: deploy })).contractAddress!;
    await sent(await wallet.writeContract({ address, abi: demo.abi, functionName: "inferAndRecord", args: [inputHex] }));
    // A shape mismatch inside TMATMUL: mined with status 0.
    failedTx = await sent(await wallet.writeContract({ address, abi: demo.abi, functionName: "inferAndRecord", args: [badInputHex], gas: 2_000_000n }));
  });
  after(async () => server.close());

  it("debug_getRawBlock decodes to a block with the block's hash, number and transactions", async () => {
    const common = createChainCommon({ chainId: server.node.chainId });
    for (let n = 0n; n <= server.node.headNumber; n++) {
      const served = (await call("eth_getBlockByNumber", [`0x${n.toString(16)}`, false])).result as { hash: Hex; transactions: Hex[] };
      const raw = (await call("debug_getRawBlock", [`0x${n.toString(16)}`])).result as Hex;
      const block = createBlockFromRLP(hexToBytes(raw), { common });
      assert.equal(bytesToHex(block.hash()), served.hash, `block ${n}`);
      assert.equal(block.header.number, n);
      assert.deepEqual(block.transactions.map((tx) => bytesToHex(tx.hash())), served.transactions);
      // By hash, bare and as EIP-1898's object, and by tag.
      assert.equal((await call("debug_getRawBlock", [served.hash])).result, raw);
      assert.equal((await call("debug_getRawBlock", [{ blockHash: served.hash }])).result, raw);
    }
    const latest = (await call("debug_getRawBlock", ["latest"])).result as Hex;
    assert.equal(bytesToHex(createBlockFromRLP(hexToBytes(latest), { common }).hash()), bytesToHex(server.node.head.hash()));
  });

  it("debug_getRawHeader is the RLP of the header the block hash is taken over", async () => {
    const common = createChainCommon({ chainId: server.node.chainId });
    for (let n = 0n; n <= server.node.headNumber; n++) {
      const raw = (await call("debug_getRawHeader", [`0x${n.toString(16)}`])).result as Hex;
      const header = createBlockHeaderFromRLP(hexToBytes(raw), { common });
      assert.equal(bytesToHex(header.hash()), bytesToHex(server.node.blockByNumber(n)!.block.hash()), `header ${n}`);
    }
  });

  it("debug_getRawReceipts rebuild each block's receipts root and carry each receipt's status, gas and logs", async () => {
    let receiptsSeen = 0;
    for (let n = 0n; n <= server.node.headNumber; n++) {
      const tag = `0x${n.toString(16)}`;
      const raws = (await call("debug_getRawReceipts", [tag])).result as Hex[];
      const served = (await call("eth_getBlockReceipts", [tag])).result as { status: Hex; cumulativeGasUsed: Hex; logs: { data: Hex }[]; type: Hex }[];
      assert.equal(raws.length, served.length, `block ${n}`);
      const trie = new MerklePatriciaTrie();
      for (const [i, raw] of raws.entries()) {
        const bytes = hexToBytes(raw);
        await trie.put(RLP.encode(i), bytes);
        // A typed receipt is its type byte then the RLP list; a legacy one is the list alone.
        const typed = bytes[0]! < 0x80;
        assert.equal(typed ? bytes[0] : 0, Number(served[i]!.type));
        const [status, cumulative, , logs] = RLP.decode(typed ? bytes.subarray(1) : bytes) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array[][]];
        assert.equal(status.length === 0 ? "0x0" : "0x1", served[i]!.status);
        assert.equal(BigInt(bytesToHex(cumulative)), BigInt(served[i]!.cumulativeGasUsed));
        assert.deepEqual(logs.map((log) => bytesToHex(log[2] as Uint8Array)), served[i]!.logs.map((l) => l.data));
        receiptsSeen++;
      }
      assert.equal(bytesToHex(trie.root()), bytesToHex(server.node.blockByNumber(n)!.block.header.receiptTrie), `block ${n}'s receipts root`);
    }
    assert.equal(receiptsSeen, txHashes.length);
    assert.equal((await call("eth_getTransactionReceipt", [failedTx])).result !== null, true);
  });

  it("debug_getRawTransaction hashes to the transaction's hash, of every type", async () => {
    const common = createChainCommon({ chainId: server.node.chainId });
    const types = new Set<number>();
    for (const hash of txHashes) {
      const raw = (await call("debug_getRawTransaction", [hash])).result as Hex;
      const tx = createTxFromRLP(hexToBytes(raw), { common });
      assert.equal(bytesToHex(tx.hash()), hash);
      types.add(tx.type);
    }
    assert.deepEqual([...types].sort(), [0, 1, 2]);
  });

  it("answers null for a block past the head or an unknown transaction, and geth's error for an unknown block hash", async () => {
    const past = `0x${(server.node.headNumber + 5n).toString(16)}`;
    for (const method of ["debug_getRawBlock", "debug_getRawHeader", "debug_getRawReceipts"]) {
      assert.equal((await call(method, [past])).result, null, method);
      const unknown = await call(method, [`0x${"ab".repeat(32)}`]);
      assert.equal(unknown.error?.code, -32000, method);
      assert.match(unknown.error!.message, /not found/);
      assert.equal((await call(method, [])).error?.code, -32602, method);
    }
    assert.equal((await call("debug_getRawTransaction", [`0x${"cd".repeat(32)}`])).result, null);
    assert.equal((await call("debug_getRawTransaction", ["0x12"])).error?.code, -32602);
  });
});
