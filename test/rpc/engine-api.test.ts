// The Engine API (docs/network.md#engine-api) over real HTTP on loopback: JWT authentication, and a
// driver playing the consensus client against `--engine` nodes: a payload built on one node from its
// pool (a transfer and a TMATMUL call) is re-executed by another (VALID) and made its head with the
// same state and receipts; tampered payloads, a fault-injecting producer's payload and an unknown
// parent are refused; a reorg between two children leaves blocks and receipts on the chosen branch.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import { encodeAbiParameters, encodeFunctionData, parseAbi, bytesToHex as viemBytesToHex, type Hex } from "viem";
import { sha512 } from "@noble/hashes/sha2.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { concatBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { privateKeyToAccount } from "viem/accounts";
import { createBlock, genTransactionsTrieRoot, genWithdrawalsTrieRoot } from "@ethereumjs/block";
import { createTxFromRLP } from "@ethereumjs/tx";
import { bytesToHex, createWithdrawal, hexToBytes } from "@ethereumjs/util";
import { startNodeServer, type NodeServer } from "../../src/rpc/server.ts";
import { startEngineServer, type EngineServer } from "../../src/rpc/engine/server.ts";
import { readOrCreateJwtSecret } from "../../src/rpc/engine/auth.ts";
import { peerBlockSource, peerReceiptSource } from "../../src/rpc/engine/sync.ts";
import { createAivmRuntime } from "../../src/chain/runtime.ts";
import { createChainCommon } from "../../src/evm/chain-vm.ts";
import { deriveDevAccounts } from "../../src/chain/accounts.ts";
import { encodeTensor } from "../../src/codec/tensor.ts";
import { DEMO_INPUT, DEMO_WEIGHTS } from "../../src/cli/demo.ts";
import { TMATMUL_INPUT } from "../../precompiles/a101-tmatmul.ts";
import { BLOCK_RANDOMNESS_ADDRESS, PRECOMPILE_ADDRESSES } from "../../precompiles/addresses.ts";
import { rpc } from "./helpers.ts";
import { MAX_BODY_BYTES } from "../../src/rpc/handler.ts";

const ZERO = `0x${"00".repeat(32)}` as Hex;
const keys = deriveDevAccounts().map((a) => a.privateKey);
const tmatmulCalldata = encodeAbiParameters(TMATMUL_INPUT, [[viemBytesToHex(encodeTensor(DEMO_INPUT)), viemBytesToHex(encodeTensor(DEMO_WEIGHTS))], [], [], 0]);

interface EngineNode {
  server: NodeServer;
  engine: EngineServer;
  secret: Uint8Array;
  /** An Engine API call with a fresh JWT; returns the JSON-RPC result, or throws with the error. */
  call(method: string, params: unknown[]): Promise<any>;
  /** An ordinary JSON-RPC call on the node's public port. */
  eth(method: string, params: unknown[]): Promise<any>;
}

async function jwt(secret: Uint8Array, iat = Math.floor(Date.now() / 1000)): Promise<string> {
  return new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setIssuedAt(iat).sign(secret);
}

async function engineNode(injectFault?: string, hardfork?: string): Promise<EngineNode> {
  const server = await startNodeServer({ port: 0, host: "127.0.0.1", engine: true, hardfork, ...(injectFault ? { runtime: createAivmRuntime({ injectFault }) } : {}) });
  const secret = Uint8Array.from(randomBytes(32));
  const engine = await startEngineServer({ node: server.node, jwtSecret: secret, port: 0 });
  const unwrap = (json: any) => {
    if (json.error) throw Object.assign(new Error(json.error.message), { code: json.error.code });
    return json.result;
  };
  return {
    server,
    engine,
    secret,
    async call(method, params) {
      const res = await fetch(engine.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${await jwt(secret)}` },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
      });
      assert.equal(res.status, 200, `${method}: HTTP ${res.status}`);
      return unwrap(await res.json());
    },
    async eth(method, params) {
      return unwrap((await rpc(server.url, { jsonrpc: "2.0", id: 1, method, params })).json);
    },
  };
}

const nonces = new Map<number, number>();
/** Signs an EIP-1559 transaction from dev account `from` and sends it raw to `node`'s public port. */
async function sendRaw(node: EngineNode, from: number, tx: { to: Hex; value?: bigint; data?: Hex; gas?: bigint }): Promise<Hex> {
  const nonce = nonces.get(from) ?? 0;
  nonces.set(from, nonce + 1);
  const raw = await privateKeyToAccount(keys[from]!).signTransaction({
    chainId: node.server.node.chainId,
    type: "eip1559",
    nonce,
    to: tx.to,
    value: tx.value ?? 0n,
    data: tx.data ?? "0x",
    gas: tx.gas ?? 3_000_000n,
    maxFeePerGas: 20_000_000_000n,
    maxPriorityFeePerGas: 2_000_000_000n,
  });
  return node.eth("eth_sendRawTransaction", [raw]);
}

/** The consensus client's side: payload attributes for a child of `parent`. */
function attributes(parent: { timestamp: Hex }, feeRecipient: Hex, offset = 12n) {
  return {
    timestamp: `0x${(BigInt(parent.timestamp) + offset).toString(16)}`,
    prevRandao: bytesToHex(randomBytes(32)),
    suggestedFeeRecipient: feeRecipient,
    withdrawals: [{ index: "0x0", validatorIndex: "0x7", address: "0x00000000000000000000000000000000000000aa", amount: "0x3b9aca00" }],
    parentBeaconBlockRoot: bytesToHex(randomBytes(32)),
  };
}

/** Builds a payload on `node`'s head: fcU with attributes, then getPayloadV5. */
async function buildPayload(node: EngineNode, feeRecipient: Hex, offset?: bigint): Promise<{ response: any; beaconRoot: Hex }> {
  const head = await node.eth("eth_getBlockByNumber", ["latest", false]);
  const attrs = attributes(head, feeRecipient, offset);
  const fcu = await node.call("engine_forkchoiceUpdatedV3", [{ headBlockHash: head.hash, safeBlockHash: head.hash, finalizedBlockHash: ZERO }, attrs]);
  assert.equal(fcu.payloadStatus.status, "VALID");
  assert.match(fcu.payloadId, /^0x[0-9a-f]{16}$/);
  return { response: await node.call("engine_getPayloadV5", [fcu.payloadId]), beaconRoot: attrs.parentBeaconBlockRoot as Hex };
}

const newPayload = (node: EngineNode, payload: any, beaconRoot: Hex, requests: Hex[] = []) => node.call("engine_newPayloadV4", [payload, [], beaconRoot, requests]);
const forkchoice = (node: EngineNode, head: Hex, safe: Hex = ZERO, finalized: Hex = ZERO) =>
  node.call("engine_forkchoiceUpdatedV3", [{ headBlockHash: head, safeBlockHash: safe, finalizedBlockHash: finalized }, null]);

/** The payload with `edit` applied to its block and the block hash sealed again (so only re-execution can find the change). */
async function reseal(payload: any, beaconRoot: Hex, edit: (p: any) => void): Promise<any> {
  const copy = structuredClone(payload);
  edit(copy);
  const common = createChainCommon();
  const txs = copy.transactions.map((t: Hex) => createTxFromRLP(hexToBytes(t), { common }));
  const withdrawals = copy.withdrawals.map((w: any) => createWithdrawal(w));
  const block = createBlock(
    {
      header: {
        parentHash: copy.parentHash,
        coinbase: copy.feeRecipient,
        stateRoot: copy.stateRoot,
        transactionsTrie: await genTransactionsTrieRoot(txs),
        receiptTrie: copy.receiptsRoot,
        withdrawalsRoot: await genWithdrawalsTrieRoot(withdrawals),
        logsBloom: copy.logsBloom,
        mixHash: copy.prevRandao,
        number: BigInt(copy.blockNumber),
        gasLimit: BigInt(copy.gasLimit),
        gasUsed: BigInt(copy.gasUsed),
        timestamp: BigInt(copy.timestamp),
        extraData: copy.extraData,
        baseFeePerGas: BigInt(copy.baseFeePerGas),
        blobGasUsed: BigInt(copy.blobGasUsed),
        excessBlobGas: BigInt(copy.excessBlobGas),
        parentBeaconBlockRoot: beaconRoot,
        // sha256 of nothing: no execution requests.
        requestsHash: "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      },
      transactions: txs,
      withdrawals: copy.withdrawals,
    },
    { common },
  );
  copy.blockHash = bytesToHex(block.hash());
  return copy;
}

describe("Engine API", () => {
  let a: EngineNode;
  let b: EngineNode;
  const feeRecipient = "0x00000000000000000000000000000000000000fe" as Hex;

  before(async () => {
    a = await engineNode();
    b = await engineNode();
  });
  after(async () => {
    for (const n of [a, b]) {
      await n?.engine.close();
      await n?.server.close();
    }
  });

  it("authenticates with an HS256 JWT: missing, wrongly signed or stale tokens get HTTP 401", async () => {
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "engine_exchangeCapabilities", params: [[]] });
    const post = (auth?: string) => fetch(a.engine.url, { method: "POST", headers: { "content-type": "application/json", ...(auth ? { authorization: auth } : {}) }, body });
    assert.equal((await post()).status, 401, "no token");
    assert.equal((await post(`Bearer ${await jwt(Uint8Array.from(randomBytes(32)))}`)).status, 401, "another secret");
    assert.equal((await post(`Bearer ${await jwt(a.secret, Math.floor(Date.now() / 1000) - 120)}`)).status, 401, "iat 120 s old");
    assert.equal((await post(`Bearer ${await jwt(a.secret, Math.floor(Date.now() / 1000) + 120)}`)).status, 401, "iat 120 s ahead");
    const ok = await post(`Bearer ${await jwt(a.secret, Math.floor(Date.now() / 1000) - 30)}`);
    assert.equal(ok.status, 200, "iat 30 s old");
    const methods = (await ok.json()).result as string[];
    for (const m of ["engine_forkchoiceUpdatedV3", "engine_newPayloadV4", "engine_getPayloadV5"]) assert.ok(methods.includes(m), m);
    assert.equal(await a.call("eth_chainId", []), `0x${a.server.node.chainId.toString(16)}`, "eth_ methods on the auth port");
    const [version] = await a.call("engine_getClientVersionV1", [{ code: "LS", name: "Lodestar", version: "v1", commit: "0x01020304" }]);
    assert.equal(version.name, "aivm");
    await assert.rejects(a.call("engine_getPayloadV3", ["0x0000000000000001"]), (e: any) => e.code === -38005, "V3 is not Osaka's getPayload");
    await assert.rejects(a.call("engine_getPayloadV5", ["0x0000000000000001"]), (e: any) => e.code === -38001, "unknown payload id");
  });

  it("a body over MAX_BODY_BYTES is refused with 413 before it is parsed; an unauthenticated one gets 401 unread", async () => {
    const big = `{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[],"pad":"${"x".repeat(MAX_BODY_BYTES)}"}`;
    const post = (auth?: string) => fetch(a.engine.url, { method: "POST", headers: { "content-type": "application/json", ...(auth ? { authorization: auth } : {}) }, body: big });
    const tooLarge = await post(`Bearer ${await jwt(a.secret)}`);
    assert.equal(tooLarge.status, 413);
    assert.match(((await tooLarge.json()) as { error: { message: string } }).error.message, new RegExp(`limit of ${MAX_BODY_BYTES} bytes`));
    assert.equal((await post()).status, 401);
    assert.equal(await a.call("eth_chainId", []), `0x${a.server.node.chainId.toString(16)}`, "the port still serves");
  });

  it("both nodes start from the same genesis block", async () => {
    const [ga, gb] = [await a.eth("eth_getBlockByNumber", ["0x0", false]), await b.eth("eth_getBlockByNumber", ["0x0", false])];
    assert.equal(ga.hash, gb.hash);
    assert.equal(ga.timestamp, "0x0");
  });

  it("a payload built on A (a transfer and a TMATMUL call) is VALID on B, and B's head then matches A's", async () => {
    const transfer = await sendRaw(a, 1, { to: "0x00000000000000000000000000000000000000bb", value: 12345n, gas: 21_000n });
    const matmul = await sendRaw(a, 2, { to: PRECOMPILE_ADDRESSES.TMATMUL as Hex, data: tmatmulCalldata });
    assert.equal(await a.eth("eth_blockNumber", []), "0x0", "no automine in engine mode");
    await assert.rejects(a.eth("evm_mine", []), /consensus client/, "nor evm_mine");
    await assert.rejects(a.eth("hardhat_setBalance", [feeRecipient, "0x1"]), /consensus client/, "nor state edits");
    const { response, beaconRoot } = await buildPayload(a, feeRecipient);
    const payload = response.executionPayload;
    assert.equal(payload.transactions.length, 2);
    assert.equal(payload.blockNumber, "0x1");
    assert.ok(BigInt(response.blockValue) > 0n, "blockValue: the priority fees to the fee recipient");
    assert.deepEqual(response.executionRequests, []);
    assert.deepEqual(response.blobsBundle, { commitments: [], proofs: [], blobs: [] });
    assert.equal(payload.extraData.length, 66, "extraData carries the AIVM anchor root");

    assert.deepEqual(await newPayload(a, payload, beaconRoot), { status: "VALID", latestValidHash: payload.blockHash, validationError: null });
    assert.deepEqual(await newPayload(b, payload, beaconRoot), { status: "VALID", latestValidHash: payload.blockHash, validationError: null });
    for (const n of [a, b]) assert.equal((await forkchoice(n, payload.blockHash)).payloadStatus.status, "VALID");

    const [ha, hb] = [await a.eth("eth_getBlockByNumber", ["latest", false]), await b.eth("eth_getBlockByNumber", ["latest", false])];
    assert.equal(hb.hash, payload.blockHash);
    assert.equal(hb.stateRoot, ha.stateRoot);
    for (const tx of [transfer, matmul]) {
      const [ra, rb] = [await a.eth("eth_getTransactionReceipt", [tx]), await b.eth("eth_getTransactionReceipt", [tx])];
      assert.equal(rb.status, "0x1");
      assert.deepEqual(rb, ra);
    }
    const [aa, ab] = [await a.eth("aivm_getReceipts", [matmul]), await b.eth("aivm_getReceipts", [matmul])];
    assert.equal(ab.receipts[0].opcode, "TMATMUL");
    assert.deepEqual(ab, aa);
    assert.deepEqual(await b.eth("aivm_getAnchor", ["latest"]), await a.eth("aivm_getAnchor", ["latest"]));
    assert.equal(await b.eth("eth_getBalance", ["0x00000000000000000000000000000000000000aa", "latest"]), "0xde0b6b3a7640000", "the withdrawal: 10^9 gwei");
    assert.equal((await a.eth("txpool_status", [])).pending, "0x0", "A's pool lost the included transactions");
    // The block's randomness: SHA-512("AIVM.randao" ‖ prevRandao ‖ parentHash ‖ uint64 number), no proof, no key.
    const alpha = concatBytes(hexToBytes(payload.parentHash), hexToBytes(`0x${"1".padStart(16, "0")}`));
    const beta = bytesToHex(sha512(concatBytes(utf8ToBytes("AIVM.randao"), hexToBytes(payload.prevRandao), alpha)));
    const vrf = await b.eth("aivm_getVrf", ["0x1"]);
    assert.deepEqual(vrf, await a.eth("aivm_getVrf", ["0x1"]));
    assert.equal(vrf.beta, beta);
    assert.equal(vrf.pi, `0x${"00".repeat(80)}`);
    assert.equal(vrf.publicKey, ZERO, "no producer key in an engine-mode genesis");
    const vrfOutput = encodeFunctionData({ abi: parseAbi(["function vrfOutput(uint256) view returns (bytes32)"]), args: [1n] });
    const output = await b.eth("eth_call", [{ to: BLOCK_RANDOMNESS_ADDRESS, data: vrfOutput }, "latest"]);
    assert.equal(output, bytesToHex(keccak_256(hexToBytes(beta))), "BlockRandomness.vrfOutput(1) reads it");
    const bodies = await b.call("engine_getPayloadBodiesByHashV1", [[payload.blockHash, bytesToHex(randomBytes(32))]]);
    assert.deepEqual(bodies, [{ transactions: payload.transactions, withdrawals: payload.withdrawals }, null]);
    assert.deepEqual(await b.call("engine_getPayloadBodiesByRangeV1", ["0x1", "0x8"]), [bodies[0]], "up to the head");
  });

  it("tampered payloads are INVALID, naming what re-execution found different; an unknown parent is SYNCING", async () => {
    await sendRaw(a, 1, { to: "0x00000000000000000000000000000000000000bb", value: 1n, gas: 21_000n });
    await sendRaw(a, 2, { to: PRECOMPILE_ADDRESSES.TMATMUL as Hex, data: tmatmulCalldata });
    const { response, beaconRoot } = await buildPayload(a, feeRecipient);
    const payload = response.executionPayload;
    const parentHash = payload.parentHash;

    const badRoot = await reseal(payload, beaconRoot, (p) => (p.stateRoot = bytesToHex(randomBytes(32))));
    const r1 = await newPayload(b, badRoot, beaconRoot);
    assert.equal(r1.status, "INVALID");
    assert.equal(r1.latestValidHash, parentHash);
    assert.match(r1.validationError, /stateRoot 0x[0-9a-f]{64} != re-executed/);

    const dropped = await reseal(payload, beaconRoot, (p) => p.transactions.pop());
    const r2 = await newPayload(b, dropped, beaconRoot);
    assert.equal(r2.status, "INVALID");
    assert.match(r2.validationError, /AIVM anchor root \(extraData\).*gasUsed/);

    await assert.rejects(newPayload(b, payload, beaconRoot, ["0x01"]), (e: any) => e.code === -32602, "an execution request without data");
    await assert.rejects(newPayload(b, payload, beaconRoot, ["0x0101", "0x0001"]), (e: any) => e.code === -32602, "execution requests out of order");
    const r4 = await newPayload(b, payload, beaconRoot, ["0x0001"]);
    assert.equal(r4.status, "INVALID", "requests the block's requestsHash does not commit to");
    assert.match(r4.validationError, /Invalid blockHash/);
    const r3 = await newPayload(b, { ...payload, blockHash: bytesToHex(randomBytes(32)) }, beaconRoot);
    assert.equal(r3.status, "INVALID");
    assert.match(r3.validationError, /Invalid blockHash/);

    const orphan = await reseal(payload, beaconRoot, (p) => (p.parentHash = bytesToHex(randomBytes(32))));
    assert.deepEqual(await newPayload(b, orphan, beaconRoot), { status: "SYNCING", latestValidHash: null, validationError: null });
    assert.equal((await forkchoice(b, orphan.blockHash)).payloadStatus.status, "SYNCING");

    // The untampered payload is still fine.
    assert.equal((await newPayload(b, payload, beaconRoot)).status, "VALID");
    for (const n of [a, b]) await forkchoice(n, payload.blockHash);
  });

  it("a payload from a node that flips one TMATMUL output bit (--inject-fault) is INVALID at B", async () => {
    const faulty = await engineNode("TMATMUL");
    try {
      // The faulty node re-executes A's block 1 (with a TMATMUL call) and, faulty, disagrees.
      {
        const block = await a.eth("eth_getBlockByNumber", ["0x1", false]);
        const raw = await Promise.all(block.transactions.map((h: Hex) => a.eth("debug_getRawTransaction", [h])));
        const payload = {
          parentHash: block.parentHash,
          feeRecipient: block.miner,
          stateRoot: block.stateRoot,
          receiptsRoot: block.receiptsRoot,
          logsBloom: block.logsBloom,
          prevRandao: block.mixHash,
          blockNumber: block.number,
          gasLimit: block.gasLimit,
          gasUsed: block.gasUsed,
          timestamp: block.timestamp,
          extraData: block.extraData,
          baseFeePerGas: block.baseFeePerGas,
          blockHash: block.hash,
          transactions: raw,
          withdrawals: block.withdrawals,
          blobGasUsed: block.blobGasUsed,
          excessBlobGas: block.excessBlobGas,
        };
        const status = await newPayload(faulty, payload, block.parentBeaconBlockRoot);
        assert.equal(status.status, "INVALID", "the faulty node rejects the honest blocks with TMATMUL calls");
        assert.match(status.validationError, /AIVM anchor root/);
      }
      // From genesis, with the faulty node's own TMATMUL call: B rejects its payload.
      const genesis = await faulty.eth("eth_getBlockByNumber", ["0x0", false]);
      const raw = await privateKeyToAccount(keys[5]!).signTransaction({
        chainId: faulty.server.node.chainId,
        type: "eip1559",
        nonce: 0,
        to: PRECOMPILE_ADDRESSES.TMATMUL as Hex,
        data: tmatmulCalldata,
        gas: 3_000_000n,
        maxFeePerGas: 20_000_000_000n,
        maxPriorityFeePerGas: 1n,
      });
      await faulty.eth("eth_sendRawTransaction", [raw]);
      const attrs = attributes(genesis, feeRecipient);
      const fcu = await faulty.call("engine_forkchoiceUpdatedV3", [{ headBlockHash: genesis.hash, safeBlockHash: ZERO, finalizedBlockHash: ZERO }, attrs]);
      const { executionPayload } = await faulty.call("engine_getPayloadV5", [fcu.payloadId]);
      assert.equal(executionPayload.transactions.length, 1);
      b.server.node.engine!.setReceiptSource(peerReceiptSource([faulty.server.url]));
      const status = await newPayload(b, executionPayload, attrs.parentBeaconBlockRoot as Hex);
      assert.equal(status.status, "INVALID");
      // B asks the producer for its receipts and names the one that differs: the flipped output commit.
      const diagnosis = await b.server.node.engine!.lastDiagnosis;
      const txHash = bytesToHex(keccak_256(hexToBytes(raw)));
      assert.match(diagnosis!, new RegExp(`the mismatching AIVM receipt is transaction ${txHash} receipt 0 \\(TMATMUL\\): output commit 0 0x[0-9a-f]{64} != re-executed 0x[0-9a-f]{64}`));
      b.server.node.engine!.setReceiptSource(undefined);
      assert.equal(status.latestValidHash, genesis.hash);
      assert.match(status.validationError, /AIVM anchor root \(extraData\) 0x[0-9a-f]{64} != re-executed 0x[0-9a-f]{64}; stateRoot/);
    } finally {
      await faulty.engine.close();
      await faulty.server.close();
    }
  });

  it("a reorg between two children of the head leaves B's blocks, receipts and pool on the chosen branch", async () => {
    const head = await b.eth("eth_getBlockByNumber", ["latest", false]);
    // Y: built on B, whose pool is empty; X: built on A, with a transfer.
    const y = await buildPayload(b, feeRecipient, 5n);
    const tx = await sendRaw(a, 3, { to: "0x00000000000000000000000000000000000000cc", value: 777n, gas: 21_000n });
    const x = await buildPayload(a, feeRecipient, 7n);
    const [X, Y] = [x.response.executionPayload, y.response.executionPayload];
    assert.equal(X.transactions.length, 1);
    assert.equal(Y.transactions.length, 0);
    assert.equal((await newPayload(b, X, x.beaconRoot)).status, "VALID");
    assert.equal((await newPayload(b, Y, y.beaconRoot)).status, "VALID");
    const number = X.blockNumber;

    await forkchoice(b, X.blockHash, head.hash, ZERO);
    assert.equal((await b.eth("eth_getBlockByNumber", [number, false])).hash, X.blockHash);
    assert.equal((await b.eth("eth_getTransactionReceipt", [tx])).blockHash, X.blockHash);
    assert.equal(await b.eth("eth_getBalance", ["0x00000000000000000000000000000000000000cc", "latest"]), "0x309");
    assert.equal((await b.eth("eth_getBlockByNumber", ["safe", false])).hash, head.hash, "safe is what forkchoice said");

    await forkchoice(b, Y.blockHash, head.hash, ZERO);
    assert.equal((await b.eth("eth_getBlockByNumber", [number, false])).hash, Y.blockHash);
    assert.equal(await b.eth("eth_blockNumber", []), number);
    assert.equal(await b.eth("eth_getTransactionReceipt", [tx]), null, "X's transaction left with X");
    assert.equal((await b.eth("eth_getTransactionByHash", [tx])).blockHash, null, "and is pending again in B's pool");
    assert.equal(await b.eth("eth_getBalance", ["0x00000000000000000000000000000000000000cc", "latest"]), "0x0");
    assert.equal((await b.eth("eth_getBlockByNumber", ["latest", false])).stateRoot, Y.stateRoot);

    await forkchoice(b, X.blockHash, head.hash, head.hash);
    assert.equal((await b.eth("eth_getBlockByNumber", [number, false])).hash, X.blockHash);
    assert.equal((await b.eth("eth_getTransactionReceipt", [tx])).blockHash, X.blockHash);
    assert.equal((await b.eth("eth_getBlockByNumber", ["finalized", false])).hash, head.hash);
    assert.equal((await b.eth("txpool_status", [])).pending, "0x0");
    await assert.rejects(forkchoice(b, X.blockHash, Y.blockHash, ZERO), (e: any) => e.code === -38002, "a safe block off the head's chain");
  });

  it("a node that missed the chain syncs it from a peer (re-executing every block) when forkchoice names an unknown head", async () => {
    const late = await engineNode();
    try {
      late.server.node.engine!.setBlockSource(peerBlockSource(["http://127.0.0.1:1", b.server.url]));
      const head = await b.eth("eth_getBlockByNumber", ["latest", false]);
      assert.equal((await forkchoice(late, head.hash)).payloadStatus.status, "SYNCING");
      await late.server.node.engine!.syncInProgress;
      assert.equal((await forkchoice(late, head.hash)).payloadStatus.status, "VALID");
      const mine = await late.eth("eth_getBlockByNumber", ["latest", false]);
      assert.equal(mine.hash, head.hash);
      assert.equal(mine.stateRoot, head.stateRoot);
      assert.deepEqual(await late.eth("aivm_getAnchor", ["0x1"]), await b.eth("aivm_getAnchor", ["0x1"]));
    } finally {
      await late.engine.close();
      await late.server.close();
    }
  });
});

describe("Engine API under Prague and Cancun", () => {
  for (const [fork, getV, newV, wrongGetV] of [["prague", 4, 4, 5], ["cancun", 3, 3, 4]] as const) {
    it(`a ${fork} node builds with getPayloadV${getV} and validates with newPayloadV${newV}`, async () => {
      const [p, q] = [await engineNode(undefined, fork), await engineNode(undefined, fork)];
      try {
        await sendRaw(p, fork === "prague" ? 10 : 11, { to: PRECOMPILE_ADDRESSES.TMATMUL as Hex, data: tmatmulCalldata });
        const genesis = await p.eth("eth_getBlockByNumber", ["0x0", false]);
        const attrs = attributes(genesis, "0x00000000000000000000000000000000000000fe");
        const fcu = await p.call("engine_forkchoiceUpdatedV3", [{ headBlockHash: genesis.hash, safeBlockHash: ZERO, finalizedBlockHash: ZERO }, attrs]);
        await assert.rejects(p.call(`engine_getPayloadV${wrongGetV}`, [fcu.payloadId]), (e: any) => e.code === -38005);
        const response = await p.call(`engine_getPayloadV${getV}`, [fcu.payloadId]);
        assert.equal("executionRequests" in response, getV >= 4);
        const payload = response.executionPayload;
        assert.equal(payload.transactions.length, 1);
        const params = newV === 4 ? [payload, [], attrs.parentBeaconBlockRoot, []] : [payload, [], attrs.parentBeaconBlockRoot];
        const wrong = newV === 4 ? [payload, [], attrs.parentBeaconBlockRoot] : [payload, [], attrs.parentBeaconBlockRoot, []];
        await assert.rejects(q.call(`engine_newPayloadV${newV === 4 ? 3 : 4}`, wrong), (e: any) => e.code === -38005);
        assert.equal((await q.call(`engine_newPayloadV${newV}`, params)).status, "VALID");
        await forkchoice(q, payload.blockHash);
        assert.equal((await q.eth("eth_getBlockByNumber", ["latest", false])).stateRoot, payload.stateRoot);
      } finally {
        for (const n of [p, q]) {
          await n.engine.close();
          await n.server.close();
        }
      }
    });
  }
});

describe("Engine API with --db", () => {
  it("a restarted node resumes at the canonical head a reorg left, with its receipts", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aivm-engine-db-"));
    const open = async () => {
      const server = await startNodeServer({ port: 0, host: "127.0.0.1", engine: true, dbPath: dir });
      const secret = Uint8Array.from(randomBytes(32));
      const engine = await startEngineServer({ node: server.node, jwtSecret: secret, port: 0 });
      const node: EngineNode = {
        server,
        engine,
        secret,
        async call(method, params) {
          const res = await fetch(engine.url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${await jwt(secret)}` }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
          const json = await res.json();
          if (json.error) throw new Error(json.error.message);
          return json.result;
        },
        async eth(method, params) {
          return (await rpc(server.url, { jsonrpc: "2.0", id: 1, method, params })).json.result;
        },
      };
      return node;
    };
    try {
      const first = await open();
      const tx = await sendRaw(first, 9, { to: "0x00000000000000000000000000000000000000dd", value: 5n, gas: 21_000n });
      const genesis = await first.eth("eth_getBlockByNumber", ["0x0", false]);
      // Two children of genesis holding the same transaction: X, then Y by a reorg.
      const built = [];
      for (const offset of [12n, 13n]) {
        const attrs = attributes(genesis, feeRecipientOf(offset), offset);
        const fcu = await first.call("engine_forkchoiceUpdatedV3", [{ headBlockHash: genesis.hash, safeBlockHash: ZERO, finalizedBlockHash: ZERO }, attrs]);
        built.push({ payload: (await first.call("engine_getPayloadV5", [fcu.payloadId])).executionPayload, beaconRoot: attrs.parentBeaconBlockRoot as Hex });
      }
      const [x, y] = built as [{ payload: any; beaconRoot: Hex }, { payload: any; beaconRoot: Hex }];
      assert.notEqual(x.payload.blockHash, y.payload.blockHash);
      for (const { payload, beaconRoot } of [x, y]) assert.equal((await newPayload(first, payload, beaconRoot)).status, "VALID");
      await forkchoice(first, x.payload.blockHash);
      await forkchoice(first, y.payload.blockHash);
      assert.equal((await first.eth("eth_getTransactionReceipt", [tx])).blockHash, y.payload.blockHash);
      await first.engine.close();
      await first.server.close();

      const second = await open();
      try {
        const head = await second.eth("eth_getBlockByNumber", ["latest", false]);
        assert.equal(head.hash, y.payload.blockHash);
        assert.equal(head.stateRoot, y.payload.stateRoot);
        assert.equal((await second.eth("eth_getTransactionReceipt", [tx])).blockHash, y.payload.blockHash);
        assert.equal(await second.eth("eth_getBalance", ["0x00000000000000000000000000000000000000dd", "latest"]), "0x5");
        // And the chain goes on from there.
        const next = await buildPayload(second, feeRecipientOf(1n));
        assert.equal(next.response.executionPayload.parentHash, y.payload.blockHash);
        assert.equal((await newPayload(second, next.response.executionPayload, next.beaconRoot)).status, "VALID");
      } finally {
        await second.engine.close();
        await second.server.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function feeRecipientOf(n: bigint): Hex {
  return `0x${n.toString(16).padStart(40, "0")}`;
}

describe("Engine API: the JWT secret file", () => {
  it("is created with 32 random bytes when missing, and read back as is", () => {
    const dir = mkdtempSync(join(tmpdir(), "aivm-jwt-"));
    try {
      const path = join(dir, "sub", "jwtsecret");
      const first = readOrCreateJwtSecret(path);
      assert.equal(first.created, true);
      assert.match(readFileSync(path, "utf8"), /^0x[0-9a-f]{64}\n$/);
      const again = readOrCreateJwtSecret(path);
      assert.equal(again.created, false);
      assert.deepEqual(again.secret, first.secret);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
