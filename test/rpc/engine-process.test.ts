// `aivm node --engine` as real processes on loopback: the printed Engine API URL and JWT secret file
// work for a consensus-client driver; a second node started with --sync-peers catches up on the
// first's chain from forkchoice alone; the first, SIGKILLed and restarted on its --db, resumes at its
// canonical head.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import { encodeAbiParameters, bytesToHex, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { parseJwtSecret } from "../../src/rpc/engine/auth.ts";
import { deriveDevAccounts } from "../../src/chain/accounts.ts";
import { encodeTensor } from "../../src/codec/tensor.ts";
import { DEMO_INPUT, DEMO_WEIGHTS } from "../../src/cli/demo.ts";
import { TMATMUL_INPUT } from "../../precompiles/a101-tmatmul.ts";
import { PRECOMPILE_ADDRESSES } from "../../precompiles/addresses.ts";
import { call, spawnAivmNode, waitForExit, type SpawnedNode } from "../cli/helpers.ts";

const ZERO = `0x${"00".repeat(32)}` as Hex;

interface EngineProcess {
  node: SpawnedNode;
  engineUrl: string;
  secret: Uint8Array;
}

async function startEngineProcess(args: string[]): Promise<EngineProcess> {
  const node = await spawnAivmNode(["--engine", "--quiet", "--authrpc.port", "0", ...args]);
  const m = /Engine API on (http:\/\/\S+) \(JWT secret (.+)\)/.exec(node.output());
  assert.ok(m, `no Engine API line in:\n${node.output()}`);
  return { node, engineUrl: m[1]!, secret: parseJwtSecret(readFileSync(m[2]!, "utf8"), m[2]!) };
}

async function engine(p: EngineProcess, method: string, params: unknown[]): Promise<any> {
  const token = await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setIssuedAt().sign(p.secret);
  const res = await fetch(p.engineUrl, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  const json = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (json.error) throw new Error(json.error.message);
  return json.result;
}

describe("aivm node --engine (real processes)", () => {
  const dir = mkdtempSync(join(tmpdir(), "aivm-engine-proc-"));
  const running: SpawnedNode[] = [];
  after(async () => {
    for (const n of running) {
      n.child.kill("SIGKILL");
      await waitForExit(n.child);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("drives a node through its printed Engine API, syncs a second from it, and resumes after SIGKILL", async () => {
    const db = join(dir, "db");
    const first = await startEngineProcess(["--db", db]);
    running.push(first.node);
    assert.match(readFileSync(join(db, "jwtsecret"), "utf8"), /^0x[0-9a-f]{64}\n$/, "the secret is created in --db");

    // A TMATMUL call in the first node's pool, built into block 1 and made canonical.
    const key = deriveDevAccounts()[1]!.privateKey;
    const data = encodeAbiParameters(TMATMUL_INPUT, [[bytesToHex(encodeTensor(DEMO_INPUT)), bytesToHex(encodeTensor(DEMO_WEIGHTS))], [], [], 0]);
    const raw = await privateKeyToAccount(key).signTransaction({ chainId: 31337, type: "eip1559", nonce: 0, to: PRECOMPILE_ADDRESSES.TMATMUL as Hex, data, gas: 3_000_000n, maxFeePerGas: 20_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n });
    const txHash = await call(first.node.url, "eth_sendRawTransaction", [raw]);
    const genesis = await call(first.node.url, "eth_getBlockByNumber", ["0x0", false]);
    const attrs = { timestamp: "0xc", prevRandao: bytesToHex(randomBytes(32)), suggestedFeeRecipient: "0x00000000000000000000000000000000000000fe", withdrawals: [], parentBeaconBlockRoot: bytesToHex(randomBytes(32)) };
    const fcu = await engine(first, "engine_forkchoiceUpdatedV3", [{ headBlockHash: genesis.hash, safeBlockHash: ZERO, finalizedBlockHash: ZERO }, attrs]);
    const { executionPayload } = await engine(first, "engine_getPayloadV5", [fcu.payloadId]);
    assert.equal((await engine(first, "engine_newPayloadV4", [executionPayload, [], attrs.parentBeaconBlockRoot, []])).status, "VALID");
    await engine(first, "engine_forkchoiceUpdatedV3", [{ headBlockHash: executionPayload.blockHash, safeBlockHash: executionPayload.blockHash, finalizedBlockHash: genesis.hash }, null]);
    assert.equal((await call(first.node.url, "eth_getTransactionReceipt", [txHash])).status, "0x1");

    // A second node that never saw the payload syncs it from the first when forkchoice names it.
    const second = await startEngineProcess(["--sync-peers", first.node.url]);
    running.push(second.node);
    const state = [{ headBlockHash: executionPayload.blockHash, safeBlockHash: ZERO, finalizedBlockHash: ZERO }, null];
    assert.equal((await engine(second, "engine_forkchoiceUpdatedV3", state)).payloadStatus.status, "SYNCING");
    let status = "SYNCING";
    for (let i = 0; i < 100 && status === "SYNCING"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await engine(second, "engine_forkchoiceUpdatedV3", state)).payloadStatus.status;
    }
    assert.equal(status, "VALID");
    const head = await call(second.node.url, "eth_getBlockByNumber", ["latest", false]);
    assert.equal(head.hash, executionPayload.blockHash);
    assert.equal(head.stateRoot, executionPayload.stateRoot);
    assert.deepEqual(await call(second.node.url, "aivm_getReceipts", [txHash]), await call(first.node.url, "aivm_getReceipts", [txHash]));

    // SIGKILL, restart on the same --db and secret: the canonical head and its receipts are there.
    first.node.child.kill("SIGKILL");
    await waitForExit(first.node.child);
    const again = await startEngineProcess(["--db", db]);
    running.push(again.node);
    assert.deepEqual(again.secret, first.secret, "the existing secret file is reused");
    assert.equal((await call(again.node.url, "eth_getBlockByNumber", ["latest", false])).hash, executionPayload.blockHash);
    assert.equal((await call(again.node.url, "eth_getTransactionReceipt", [txHash])).blockHash, executionPayload.blockHash);
  });
});
