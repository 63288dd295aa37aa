// The differential test (issue 15): Hardhat's own node (`hardhat node`, EDR, a child process) and
// `aivm node` (startNodeServer on loopback), both with the "test test … junk" mnemonic and chain
// 31337, run the same scenario over JSON-RPC on HTTP (raw requests, and viem for deploys and
// signing). Every answer is normalised for what legitimately varies (wall-clock timestamps, and
// block hashes, which depend on them: each is replaced by its block number), then compared leaf by
// leaf. A difference fails the test unless a row of the allow-list in docs/node.md ("Differences
// from Hardhat's node") names it; a row no difference needs fails it too, so the list stays exact.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import {
  createWalletClient,
  defineChain,
  encodeDeployData,
  encodeFunctionData,
  http,
  keccak256,
  pad,
  toHex,
  type Abi,
  type Address,
  type Hex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { getContract } from "../../src/chain/solc.ts";
import { DEFAULT_MNEMONIC, deriveDevAccounts } from "../../src/chain/accounts.ts";
import { startNodeServer, type NodeServer } from "../../src/rpc/server.ts";
import { REPO_ROOT, startHardhatNode } from "../hardhat/hardhat-cli.ts";

const CHAIN_ID = 31337;
const contract = getContract("Differential", undefined, ["test/Differential.sol"]);
const abi = contract.abi as Abi;
const keys = deriveDevAccounts(DEFAULT_MNEMONIC, 20);
const account = (i: number) => keys[i]!.address as Address;
const chain = defineChain({ id: CHAIN_ID, name: "differential", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [] } } });
/** Explicit EIP-1559 fees (2 gwei cap, 1 gwei tip): the base fee stays below 1 gwei here. */
const FEES = { maxFeePerGas: "0x77359400", maxPriorityFeePerGas: "0x3b9aca00" };
const VIEM_FEES = { gas: 500_000n, maxFeePerGas: 2_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n };
const fn = (functionName: string, args: unknown[] = []) => encodeFunctionData({ abi, functionName, args });

// ---------------------------------------------------------------- the two nodes

interface Reply {
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

class Side {
  /** Block hash → number on this node (null: not a block), learnt while normalising. */
  private readonly blockOfHash = new Map<string, number | null>();
  constructor(
    readonly name: "hardhat" | "aivm",
    readonly url: string,
  ) {}

  async rpc(method: string, params: unknown[] = []): Promise<Reply> {
    const res = await fetch(this.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
    const json = (await res.json()) as Reply;
    return json.error ? { error: json.error } : { result: json.result };
  }

  /** The result, or a thrown error naming the node (for scenario set-up, not for comparison). */
  async must<T = any>(method: string, params: unknown[] = []): Promise<T> {
    const reply = await this.rpc(method, params);
    if (reply.error) throw new Error(`${this.name} ${method}: ${reply.error.code} ${reply.error.message}`);
    return reply.result as T;
  }

  async receipt(hash: unknown): Promise<any> {
    return this.must("eth_getTransactionReceipt", [hash]);
  }

  /** Replaces this node's block hashes by "block N" (they depend on timestamps and state roots). */
  async normalise(value: unknown, keepTime: boolean): Promise<unknown> {
    const hashes = new Set<string>();
    collect(value, hashes);
    for (const h of hashes) {
      if (this.blockOfHash.has(h)) continue;
      const block = await this.must<{ number: string } | null>("eth_getBlockByHash", [h, false]);
      this.blockOfHash.set(h, block ? Number(block.number) : null);
    }
    const walk = (v: unknown, key: string): unknown => {
      if (typeof v === "string") {
        const n = this.blockOfHash.get(v.toLowerCase());
        if (n !== undefined && n !== null) return `<block ${n}>`;
        if (!keepTime && (key === "timestamp" || key === "blockTimestamp")) return "<timestamp>";
        return v;
      }
      if (Array.isArray(v)) return v.map((x) => walk(x, key));
      if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
      return v;
    };
    return walk(value, "");
  }
}

function collect(value: unknown, into: Set<string>): void {
  if (typeof value === "string" && /^0x[0-9a-fA-F]{64}$/.test(value)) into.add(value.toLowerCase());
  else if (Array.isArray(value)) for (const v of value) collect(v, into);
  else if (value !== null && typeof value === "object") for (const v of Object.values(value)) collect(v, into);
}

// ---------------------------------------------------------------- comparison and the allow-list

interface Difference {
  path: string;
  hardhat: unknown;
  aivm: unknown;
}

interface AllowRow {
  patterns: string[];
  regexes: RegExp[];
  aivm: string;
  hardhat: string;
  why: string;
  used: number;
}

/** The allow-list table of docs/node.md: `| item (backticked path patterns) | AIVM | Hardhat | why |`. */
function readAllowList(): AllowRow[] {
  const doc = readFileSync(join(REPO_ROOT, "docs/node.md"), "utf8");
  const start = doc.indexOf("### Differences from Hardhat's node");
  assert.ok(start >= 0, "docs/node.md has the section \"Differences from Hardhat's node\"");
  const section = doc.slice(start).split(/\n#{2,3} /)[0]!;
  const rows: AllowRow[] = [];
  for (const line of section.split("\n")) {
    if (!line.startsWith("| `")) continue;
    const [item, aivm, hardhat, why] = line.slice(1, -1).split(" | ").map((c) => c.trim());
    const patterns = [...item!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    const regexes = patterns.map((p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`));
    rows.push({ patterns, regexes, aivm: aivm!, hardhat: hardhat!, why: why!, used: 0 });
  }
  assert.ok(rows.length > 0, "the allow-list has rows");
  return rows;
}

class Comparison {
  compared = 0;
  allowed: (Difference & { row: AllowRow })[] = [];
  unexpected: Difference[] = [];
  constructor(readonly allowList: AllowRow[]) {}

  compare(path: string, hardhat: unknown, aivm: unknown): void {
    if (Array.isArray(hardhat) && Array.isArray(aivm)) {
      const n = Math.max(hardhat.length, aivm.length);
      for (let i = 0; i < n; i++) this.compare(`${path}/${i}`, i < hardhat.length ? hardhat[i] : "<absent>", i < aivm.length ? aivm[i] : "<absent>");
      return;
    }
    if (isObject(hardhat) && isObject(aivm)) {
      const keys = new Set([...Object.keys(hardhat), ...Object.keys(aivm)]);
      for (const k of [...keys].sort()) this.compare(`${path}/${k}`, k in hardhat ? hardhat[k] : "<absent>", k in aivm ? aivm[k] : "<absent>");
      return;
    }
    this.compared++;
    if (JSON.stringify(hardhat) === JSON.stringify(aivm)) return;
    const row = this.allowList.find((r) => r.regexes.some((re) => re.test(path)));
    if (row) {
      row.used++;
      this.allowed.push({ path, hardhat, aivm, row });
    } else this.unexpected.push({ path, hardhat, aivm });
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Error messages differ in wording between the nodes; what must agree is their class: the kind of
 * failure and, for a revert, its reason. Codes and data are compared as they are.
 */
function messageClass(message: string): string {
  const m = message.toLowerCase().replace(/\.$/, "");
  const reason = /reverted with reason string '([^']*)'/.exec(message) ?? /execution reverted: (.*?)(?: \(transaction 0x[0-9a-f]+ was mined with status 0\))?$/.exec(message);
  if (reason) return `revert: ${reason[1]}`;
  if (/panic code 0x([0-9a-f]+)/.test(m)) return `panic 0x${/panic code 0x([0-9a-f]+)/.exec(m)![1]}`;
  if (m.includes("custom error") || m.includes("without a reason") || m.includes("without reason") || /execution reverted($| \()/.test(m) || m.includes("reverted with an unrecognized")) return "revert";
  if (m.includes("out of gas") || m.includes("ran out of gas")) return "out of gas";
  if (m.includes("invalid opcode") || m.includes("invalid_opcode") || m.includes("invalidfeopcode")) return "invalid opcode";
  if (m.includes("nonce too low")) return "nonce too low";
  if (m.includes("nonce too high")) return "nonce too high";
  if (m.includes("insufficient funds") || m.includes("sender doesn't have enough funds")) return "insufficient funds";
  if (m.includes("chainid") || m.includes("chain id")) return "wrong chain id";
  if (m.includes("not supported") || m.includes("does not exist") || m.includes("not found")) return "unsupported method";
  if (m.includes("unknown account") || m.includes("not owned") || m.includes("unknown")) return "unknown account";
  if (m.includes("invalid") || m.includes("expected")) return "invalid params";
  return m;
}

/**
 * An answer as compared: { result }, or { error: { code, message class, data } }. Hardhat wraps an
 * error's data as { message, data?, txHash? }: the revert data inside is compared as `data`, and the
 * wrapper itself as `dataWrapper` (on the allow-list).
 */
function shapeReply(reply: Reply): unknown {
  if (!reply.error) return { result: reply.result };
  const { code, message, data } = reply.error;
  const error: Record<string, unknown> = { code, message: messageClass(message), data: data ?? "<absent>" };
  if (isObject(data) && typeof data.message === "string") {
    error.data = data.data ?? "<absent>";
    error.dataWrapper = Object.keys(data).sort().join(",");
  }
  return { error };
}

/** Floats (eth_feeHistory's gasUsedRatio) to 12 significant digits: the nodes round the last bit differently. */
function roundFloats(value: unknown): unknown {
  if (typeof value === "number" && !Number.isInteger(value)) return Number(value.toPrecision(12));
  if (Array.isArray(value)) return value.map(roundFloats);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, roundFloats(v)]));
  return value;
}

// ---------------------------------------------------------------- the scenario

describe("differential: Hardhat's node and aivm node answer the same scenario alike", () => {
  let hardhat: Side;
  let aivm: Side;
  let hardhatProcess: { url: string; child: ChildProcess; dir: string } | undefined;
  let server: NodeServer | undefined;
  const comparison = new Comparison(readAllowList());
  const raw: { step: string; hardhat: Reply; aivm: Reply }[] = [];

  before(async () => {
    const starting = startHardhatNode("aivm-hardhat-differential-");
    server = await startNodeServer({ host: "127.0.0.1", port: 0, chainId: CHAIN_ID });
    aivm = new Side("aivm", server.url);
    hardhatProcess = await starting;
    hardhat = new Side("hardhat", hardhatProcess.url);
  });

  after(async () => {
    await server?.close();
    if (hardhatProcess) {
      const { child } = hardhatProcess;
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGINT");
        await exited;
      }
      rmSync(hardhatProcess.dir, { recursive: true, force: true });
    }
  });

  /** Runs `run` on both nodes (Hardhat first), normalises both answers and compares them under `step`. */
  async function both<T>(step: string, run: (side: Side) => Promise<T>, opts: { keepTime?: boolean } = {}): Promise<{ hardhat: T; aivm: T }> {
    const h = await run(hardhat);
    const a = await run(aivm);
    comparison.compare(step, await hardhat.normalise(h, opts.keepTime ?? false), await aivm.normalise(a, opts.keepTime ?? false));
    return { hardhat: h, aivm: a };
  }

  /** Compares a whole reply shape: results as they are, errors by code, message class and data. */
  async function compareRpc(step: string, method: string, params: unknown[] | ((side: Side) => unknown[]) = [], opts: { keepTime?: boolean } = {}) {
    const h = await hardhat.rpc(method, typeof params === "function" ? params(hardhat) : params);
    const a = await aivm.rpc(method, typeof params === "function" ? params(aivm) : params);
    raw.push({ step, hardhat: h, aivm: a });
    const keep = opts.keepTime ?? false;
    comparison.compare(step, roundFloats(await hardhat.normalise(shapeReply(h), keep)), roundFloats(await aivm.normalise(shapeReply(a), keep)));
    return { hardhat: h, aivm: a };
  }

  /** Sends (eth_sendTransaction) on both, then compares the answer, the transaction and its receipt. */
  async function sendAndCompare(step: string, tx: Record<string, unknown>, opts: { nodeDefaults?: boolean } = {}) {
    // The nodes fill gas and fees their own ways (compared in their own steps); given here, the
    // transactions, hashes and signatures are the same on both.
    const priced = tx.gasPrice !== undefined || tx.maxFeePerGas !== undefined;
    const filled = opts.nodeDefaults ? tx : { gas: "0x7a120", ...(priced ? {} : FEES), ...tx };
    const sent = await compareRpc(`${step}/send`, "eth_sendTransaction", [filled]);
    if (sent.hardhat.result && sent.aivm.result) {
      await compareRpc(`${step}/transaction`, "eth_getTransactionByHash", (s) => [s === hardhat ? sent.hardhat.result : sent.aivm.result]);
      await compareRpc(`${step}/receipt`, "eth_getTransactionReceipt", (s) => [s === hardhat ? sent.hardhat.result : sent.aivm.result]);
    }
    return sent;
  }

  it("runs the scenario on both nodes and finds no difference outside the allow-list", { timeout: 120_000 }, async () => {
    const a0 = account(0);
    const a1 = account(1);

    // ------------------------------------------------------------ accounts and chain
    await compareRpc("eth_chainId", "eth_chainId");
    await compareRpc("net_version", "net_version");
    await compareRpc("eth_accounts", "eth_accounts");
    await compareRpc("eth_blockNumber", "eth_blockNumber");
    await compareRpc("eth_getBalance", "eth_getBalance", [a0, "latest"]);
    await compareRpc("eth_getTransactionCount", "eth_getTransactionCount", [a0, "latest"]);
    await compareRpc("eth_gasPrice", "eth_gasPrice");
    await compareRpc("eth_maxPriorityFeePerGas", "eth_maxPriorityFeePerGas");
    await compareRpc("eth_syncing", "eth_syncing");
    await compareRpc("eth_coinbase", "eth_coinbase");
    await compareRpc("web3_clientVersion", "web3_clientVersion");
    await compareRpc("web3_sha3", "web3_sha3", ["0x68656c6c6f"]);
    await compareRpc("genesis block", "eth_getBlockByNumber", ["0x0", false]);

    // ------------------------------------------------------------ deploys
    const deployData = encodeDeployData({ abi, bytecode: contract.bytecode, args: [7n] });
    const deploy = await sendAndCompare("deploy", { from: a0, data: deployData, value: "0x64" });
    const target = ((await hardhat.receipt(deploy.hardhat.result)) as { contractAddress: Address }).contractAddress;
    assert.equal(((await aivm.receipt(deploy.aivm.result)) as { contractAddress: Address }).contractAddress, target, "the same contract address");
    await compareRpc("deployed code", "eth_getCode", [target, "latest"]);
    await compareRpc("deployed storage", "eth_getStorageAt", [target, "0x0", "latest"]);

    // viem: deployContract and writeContract with a JSON-RPC account (the node signs).
    const viemDeploy = await both("viem deployContract", async (side) => {
      const wallet = createWalletClient({ chain, transport: http(side.url), account: a1 });
      const hash = await wallet.deployContract({ abi, bytecode: contract.bytecode, args: [1n], ...VIEM_FEES });
      return side.receipt(hash);
    });
    assert.equal(viemDeploy.hardhat.contractAddress, viemDeploy.aivm.contractAddress);
    await both("viem writeContract", async (side) => {
      const wallet = createWalletClient({ chain, transport: http(side.url), account: a1 });
      const hash = await wallet.writeContract({ address: target, abi, functionName: "setMap", args: [3n, 33n], ...VIEM_FEES });
      return side.receipt(hash);
    });

    // ------------------------------------------------------------ every transaction type via eth_sendTransaction
    await sendAndCompare("type 0 (gasPrice)", { from: a0, to: target, data: fn("set", [10n]), gasPrice: "0x77359400" });
    await sendAndCompare("type 1 (gasPrice + accessList)", {
      from: a0,
      to: target,
      data: fn("set", [11n]),
      gasPrice: "0x77359400",
      accessList: [{ address: target, storageKeys: [pad("0x0")] }],
    });
    // Without gas or fees: each node fills them its own way (no logs, so the hash stays out of the log steps).
    await sendAndCompare("type 2 (node defaults)", { from: a0, to: account(18), value: "0x1" }, { nodeDefaults: true });
    await sendAndCompare("type 2 (fees)", { from: a0, to: target, data: fn("set", [13n]), maxFeePerGas: "0xb2d05e00", maxPriorityFeePerGas: "0x3b9aca00" });
    await sendAndCompare("value transfer", { from: a0, to: account(19), value: "0xde0b6b3a7640000" });

    // EIP-7702: account 5 delegates to the contract with an authorization it signs; account 0 sends it.
    const delegator = privateKeyToAccount(keys[5]!.privateKey);
    const authorization = await delegator.signAuthorization({ chainId: CHAIN_ID, address: target, nonce: 0 });
    const authorizationList = [
      { chainId: toHex(authorization.chainId), address: authorization.address, nonce: toHex(authorization.nonce), yParity: toHex(authorization.yParity!), r: authorization.r, s: authorization.s },
    ];
    await sendAndCompare("type 4 (authorizationList)", { from: a0, to: delegator.address, data: fn("set", [44n]), authorizationList });
    await compareRpc("type 4 delegated code", "eth_getCode", [delegator.address, "latest"]);
    await compareRpc("type 4 delegate storage", "eth_getStorageAt", [delegator.address, "0x0", "latest"]);
    await compareRpc("type 4 delegate call", "eth_call", [{ to: delegator.address, data: fn("value") }, "latest"]);

    // Raw transactions signed by the client, one of each type, with every field given.
    const signer = privateKeyToAccount(keys[2]!.privateKey);
    const nonce2 = Number(await hardhat.must("eth_getTransactionCount", [signer.address, "latest"]));
    const base = { chainId: CHAIN_ID, to: target, gas: 100_000n } as const;
    const rawTxs: [string, () => Promise<Hex>][] = [
      ["raw type 0", () => signer.signTransaction({ ...base, type: "legacy", nonce: nonce2, gasPrice: 3_000_000_000n, data: fn("set", [20n]) })],
      ["raw type 1", () => signer.signTransaction({ ...base, type: "eip2930", nonce: nonce2 + 1, gasPrice: 3_000_000_000n, data: fn("set", [21n]), accessList: [{ address: target, storageKeys: [pad("0x0")] }] })],
      ["raw type 2", () => signer.signTransaction({ ...base, type: "eip1559", nonce: nonce2 + 2, maxFeePerGas: 3_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n, data: fn("set", [22n]) })],
    ];
    const delegator6 = privateKeyToAccount(keys[6]!.privateKey);
    const auth6 = await delegator6.signAuthorization({ chainId: CHAIN_ID, address: target, nonce: 0 });
    rawTxs.push([
      "raw type 4",
      () => signer.signTransaction({ ...base, to: delegator6.address, type: "eip7702", nonce: nonce2 + 3, maxFeePerGas: 3_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n, data: fn("set", [66n]), authorizationList: [auth6] }),
    ]);
    for (const [step, sign] of rawTxs) {
      const signed = await sign();
      const sent = await compareRpc(`${step}/send`, "eth_sendRawTransaction", [signed]);
      assert.ok(sent.hardhat.result, `${step} mined on Hardhat: ${JSON.stringify(sent.hardhat.error)}`);
      await compareRpc(`${step}/transaction`, "eth_getTransactionByHash", [sent.hardhat.result]);
      await compareRpc(`${step}/receipt`, "eth_getTransactionReceipt", [sent.hardhat.result]);
    }
    await compareRpc("raw type 4 delegated code", "eth_getCode", [delegator6.address, "latest"]);

    // ------------------------------------------------------------ reverts of each kind
    const failures: [string, Hex][] = [
      ["require string", fn("failRequire")],
      ["custom error", fn("failCustom")],
      ["panic (division by zero)", fn("failPanic", [0n])],
      ["panic (assert)", fn("failAssert")],
      ["empty revert", fn("failEmpty")],
      ["out of gas", fn("failOutOfGas")],
      ["invalid opcode", fn("failInvalid")],
    ];
    for (const [kind, input] of failures) {
      const call = { from: a0, to: target, data: input, gas: "0x30d40", ...FEES };
      await compareRpc(`revert ${kind}/eth_call`, "eth_call", [call, "latest"]);
      await compareRpc(`revert ${kind}/eth_estimateGas`, "eth_estimateGas", [{ from: a0, to: target, data: input }]);
      await compareRpc(`revert ${kind}/eth_sendTransaction without gas`, "eth_sendTransaction", [{ from: a0, to: target, data: input }]);
      const sent = await compareRpc(`revert ${kind}/eth_sendTransaction with gas`, "eth_sendTransaction", [call]);
      void sent;
      await compareRpc(`revert ${kind}/mined block`, "eth_getBlockByNumber", ["latest", true]);
    }

    // ------------------------------------------------------------ estimates
    const estimates: [string, Record<string, unknown>][] = [
      ["transfer", { from: a0, to: a1, value: "0x1" }],
      ["set", { from: a0, to: target, data: fn("set", [5n]) }],
      ["setMap new slot", { from: a0, to: target, data: fn("setMap", [9n, 1n]) }],
      ["clear (refund)", { from: a0, to: target, data: fn("clear", [3n]) }],
      ["forward (63/64 rule)", { from: a0, to: target, data: fn("forward", [6n]) }],
      ["ping 20 logs", { from: a0, to: target, data: fn("ping", [20n]) }],
      ["deploy", { from: a0, data: deployData }],
      ["with access list", { from: a0, to: target, data: fn("set", [5n]), accessList: [{ address: target, storageKeys: [pad("0x0")] }] }],
    ];
    for (const [name, req] of estimates) {
      await compareRpc(`estimate ${name}`, "eth_estimateGas", [req]);
      await sendAndCompare(`estimated ${name}`, req);
    }
    await compareRpc("estimate at a past block", "eth_estimateGas", [{ from: a0, to: target, data: fn("set", [5n]) }, "0x1"]);

    // ------------------------------------------------------------ logs and filters
    const logFilter = await compareRpc("eth_newFilter", "eth_newFilter", [{ address: target, fromBlock: "latest" }]);
    const blockFilter = await compareRpc("eth_newBlockFilter", "eth_newBlockFilter");
    await sendAndCompare("ping", { from: a0, to: target, data: fn("ping", [3n]) });
    await compareRpc("filter changes (logs)", "eth_getFilterChanges", (s) => [s === hardhat ? logFilter.hardhat.result : logFilter.aivm.result]);
    await compareRpc("filter changes (blocks)", "eth_getFilterChanges", (s) => [s === hardhat ? blockFilter.hardhat.result : blockFilter.aivm.result]);
    await compareRpc("filter logs", "eth_getFilterLogs", (s) => [s === hardhat ? logFilter.hardhat.result : logFilter.aivm.result]);
    await compareRpc("uninstall filter", "eth_uninstallFilter", (s) => [s === hardhat ? logFilter.hardhat.result : logFilter.aivm.result]);
    await compareRpc("uninstall filter again", "eth_uninstallFilter", (s) => [s === hardhat ? logFilter.hardhat.result : logFilter.aivm.result]);
    const stored = keccak256(new TextEncoder().encode("Stored(address,uint256,uint256)"));
    await compareRpc("logs all", "eth_getLogs", [{ fromBlock: "0x0", toBlock: "latest" }]);
    await compareRpc("logs by address and topic", "eth_getLogs", [{ fromBlock: "0x0", address: target, topics: [stored, pad(a1)] }]);
    await compareRpc("logs by topic alternatives", "eth_getLogs", [{ fromBlock: "0x0", topics: [[stored, keccak256(new TextEncoder().encode("Pinged(uint256)"))], null, pad("0x3")] }]);
    await compareRpc("logs toBlock past head", "eth_getLogs", [{ fromBlock: "0x1", toBlock: "0xffff" }]);
    await compareRpc("logs fromBlock past head", "eth_getLogs", [{ fromBlock: "0xffff", toBlock: "0xffff" }]);

    // ------------------------------------------------------------ blocks
    let hhLatestHash: string;
    let aivmLatestHash: string;
    async function latestHashes() {
      hhLatestHash = (await hardhat.must("eth_getBlockByNumber", ["latest", false])).hash;
      aivmLatestHash = (await aivm.must("eth_getBlockByNumber", ["latest", false])).hash;
    }
    await latestHashes();
    await compareRpc("logs by blockHash", "eth_getLogs", (s) => [{ blockHash: s === hardhat ? hhLatestHash : aivmLatestHash }]);
    await compareRpc("block latest", "eth_getBlockByNumber", ["latest", false]);
    await compareRpc("block latest full", "eth_getBlockByNumber", ["latest", true]);
    await compareRpc("block by hash", "eth_getBlockByHash", (s) => [s === hardhat ? hhLatestHash : aivmLatestHash, true]);
    await compareRpc("block 1", "eth_getBlockByNumber", ["0x1", true]);
    await compareRpc("block past head", "eth_getBlockByNumber", ["0xffff", false]);
    await compareRpc("block by unknown hash", "eth_getBlockByHash", [pad("0x1234"), false]);
    await compareRpc("block transaction count", "eth_getBlockTransactionCountByNumber", ["0x1"]);
    await compareRpc("block transaction count by hash", "eth_getBlockTransactionCountByHash", (s) => [s === hardhat ? hhLatestHash : aivmLatestHash]);
    await compareRpc("transaction by block and index", "eth_getTransactionByBlockNumberAndIndex", ["0x1", "0x0"]);
    await compareRpc("transaction by block hash and index", "eth_getTransactionByBlockHashAndIndex", (s) => [s === hardhat ? hhLatestHash : aivmLatestHash, "0x0"]);
    await compareRpc("eth_getBlockReceipts", "eth_getBlockReceipts", ["0x1"]);
    await compareRpc("unknown transaction", "eth_getTransactionByHash", [pad("0x1234")]);
    await compareRpc("unknown receipt", "eth_getTransactionReceipt", [pad("0x1234")]);
    await compareRpc("fee history", "eth_feeHistory", ["0x4", "latest", [25, 75]]);

    // ------------------------------------------------------------ proofs
    await compareRpc("eth_getProof contract", "eth_getProof", [target, [pad("0x0"), keccak256(`0x${pad("0x3").slice(2)}${pad("0x1").slice(2)}`)], "latest"]);
    await compareRpc("eth_getProof account", "eth_getProof", [a1, [], "latest"]);
    await compareRpc("eth_getProof missing account", "eth_getProof", ["0x00000000000000000000000000000000000000ee", [pad("0x0")], "latest"]);

    // ------------------------------------------------------------ signing
    await compareRpc("eth_sign", "eth_sign", [a0, "0x68656c6c6f"]);
    await compareRpc("personal_sign", "personal_sign", ["0x68656c6c6f", a0]);
    const typedData = {
      types: {
        EIP712Domain: [
          { name: "name", type: "string" },
          { name: "version", type: "string" },
          { name: "chainId", type: "uint256" },
          { name: "verifyingContract", type: "address" },
        ],
        Permit: [
          { name: "owner", type: "address" },
          { name: "spender", type: "address" },
          { name: "value", type: "uint256" },
          { name: "nonce", type: "uint256" },
          { name: "deadline", type: "uint256" },
        ],
      },
      primaryType: "Permit",
      domain: { name: "Token", version: "1", chainId: CHAIN_ID, verifyingContract: target },
      message: { owner: a0, spender: a1, value: "1000", nonce: 0, deadline: "99999999999" },
    };
    await compareRpc("eth_signTypedData_v4", "eth_signTypedData_v4", [a0, typedData]);
    await compareRpc("eth_signTypedData_v4 (JSON string)", "eth_signTypedData_v4", [a0, JSON.stringify(typedData)]);
    await compareRpc("eth_sign unknown account", "eth_sign", ["0x00000000000000000000000000000000000000ee", "0x68656c6c6f"]);

    // ------------------------------------------------------------ eth_call state overrides
    const valueCall = { to: target, data: fn("value") };
    await compareRpc("override none", "eth_call", [valueCall, "latest"]);
    await compareRpc("override stateDiff", "eth_call", [valueCall, "latest", { [target]: { stateDiff: { [pad("0x0")]: pad("0x2a") } } }]);
    await compareRpc("override state", "eth_call", [{ to: target, data: fn("map", [3n]) }, "latest", { [target]: { state: { [pad("0x0")]: pad("0x2a") } } }]);
    await compareRpc("override balance", "eth_call", [{ from: a0, to: target, data: fn("env") }, "latest", { [target]: { balance: "0x123" } }]);
    await compareRpc("override code", "eth_call", [{ to: "0x00000000000000000000000000000000000000ee", data: fn("value") }, "latest", { "0x00000000000000000000000000000000000000ee": { code: contract.deployedBytecode } }]);
    await compareRpc("override estimate", "eth_estimateGas", [{ from: a0, to: target, data: fn("failRequire") }, "latest", { [target]: { code: "0x00" } }]);

    // ------------------------------------------------------------ snapshots
    const snap = await compareRpc("evm_snapshot", "evm_snapshot");
    await sendAndCompare("after snapshot", { from: a0, to: target, data: fn("set", [99n]) });
    await compareRpc("evm_revert", "evm_revert", (s) => [s === hardhat ? snap.hardhat.result : snap.aivm.result]);
    await compareRpc("after revert: storage", "eth_getStorageAt", [target, "0x0", "latest"]);
    await compareRpc("after revert: block number", "eth_blockNumber");
    await compareRpc("evm_revert consumed", "evm_revert", (s) => [s === hardhat ? snap.hardhat.result : snap.aivm.result]);

    // ------------------------------------------------------------ time control
    const head = await hardhat.must("eth_getBlockByNumber", ["latest", false]);
    const pinned = Number(head.timestamp) + 1000;
    await compareRpc("evm_setNextBlockTimestamp", "evm_setNextBlockTimestamp", [pinned]);
    await compareRpc("evm_mine", "evm_mine");
    await compareRpc("mined at the pinned time", "eth_getBlockByNumber", ["latest", false], { keepTime: true });
    await compareRpc("evm_setNextBlockTimestamp in the past", "evm_setNextBlockTimestamp", [pinned - 10]);
    await compareRpc("evm_mine with a timestamp", "evm_mine", [pinned + 500]);
    await compareRpc("mined at the given time", "eth_getBlockByNumber", ["latest", false], { keepTime: true });
    await compareRpc("hardhat_mine with interval", "hardhat_mine", ["0x3", "0x3c"]);
    await both(
      "hardhat_mine timestamps",
      async (side) => {
        const out: number[] = [];
        const n = Number(await side.must("eth_blockNumber"));
        for (let i = n - 3; i <= n; i++) out.push(Number((await side.must("eth_getBlockByNumber", [toHex(i), false])).timestamp));
        return out.map((t, i) => (i === 0 ? 0 : t - out[i - 1]!));
      },
      { keepTime: true },
    );
    // The total offset: how far the pinned timestamps above were from the wall clock when they were
    // mined, so the nodes may differ by the second or two between their requests.
    const offsets = { hardhat: await hardhat.must<string>("evm_increaseTime", [3600]), aivm: await aivm.must<string>("evm_increaseTime", [3600]) };
    const shape = (offset: string) => ({ type: typeof offset, decimal: /^\d+$/.test(offset) });
    comparison.compare("evm_increaseTime", shape(offsets.hardhat), shape(offsets.aivm));
    assert.ok(Math.abs(Number(offsets.hardhat) - Number(offsets.aivm)) <= 5, `evm_increaseTime offsets ${offsets.hardhat} and ${offsets.aivm} are 5 s apart or more`);
    await compareRpc("evm_mine after increaseTime", "evm_mine");
    await both("increaseTime moved the clock", async (side) => {
      const n = Number(await side.must("eth_blockNumber"));
      const last = Number((await side.must("eth_getBlockByNumber", [toHex(n), false])).timestamp);
      const prev = Number((await side.must("eth_getBlockByNumber", [toHex(n - 1), false])).timestamp);
      return last - prev >= 3600 && last - prev < 3700;
    });
    await compareRpc("env in a call", "eth_call", [{ from: a0, to: target, data: fn("env") }, "latest"]);

    // ------------------------------------------------------------ state edits
    const edited = "0x00000000000000000000000000000000000000ed";
    await compareRpc("hardhat_setBalance", "hardhat_setBalance", [edited, "0x0de0b6b3a7640000"]);
    await compareRpc("hardhat_setNonce", "hardhat_setNonce", [edited, "0x05"]);
    await compareRpc("hardhat_setCode", "hardhat_setCode", [edited, contract.deployedBytecode]);
    await compareRpc("hardhat_setStorageAt", "hardhat_setStorageAt", [edited, "0x0000000000000000000000000000000000000000000000000000000000000000", pad("0x07")]);
    await compareRpc("edited balance", "eth_getBalance", [edited, "latest"]);
    await compareRpc("edited nonce", "eth_getTransactionCount", [edited, "latest"]);
    await compareRpc("edited code", "eth_getCode", [edited, "latest"]);
    await compareRpc("edited storage via call", "eth_call", [{ to: edited, data: fn("value") }, "latest"]);
    await compareRpc("hardhat_setNonce below current", "hardhat_setNonce", [a0, "0x0"]);
    await compareRpc("hardhat_setCoinbase", "hardhat_setCoinbase", ["0x00000000000000000000000000000000000000c0"]);
    await compareRpc("eth_coinbase after setCoinbase", "eth_coinbase");
    const whale = "0x00000000000000000000000000000000000000a1";
    await compareRpc("fund the impersonated account", "hardhat_setBalance", [whale, "0xde0b6b3a7640000"]);
    await compareRpc("hardhat_impersonateAccount", "hardhat_impersonateAccount", [whale]);
    await sendAndCompare("impersonated send", { from: whale, to: target, data: fn("set", [77n]) });
    await compareRpc("hardhat_stopImpersonatingAccount", "hardhat_stopImpersonatingAccount", [whale]);
    await compareRpc("send from unknown account", "eth_sendTransaction", [{ from: whale, to: target }]);

    // ------------------------------------------------------------ the pending block and the pool
    await compareRpc("evm_setAutomine false", "evm_setAutomine", [false]);
    await compareRpc("hardhat_getAutomine", "hardhat_getAutomine");
    const pendingTx = await compareRpc("pending send", "eth_sendTransaction", [{ from: a0, to: target, data: fn("set", [123n]), gas: "0x186a0", ...FEES }]);
    await compareRpc("pending transaction", "eth_getTransactionByHash", [pendingTx.hardhat.result]);
    await compareRpc("pending receipt", "eth_getTransactionReceipt", [pendingTx.hardhat.result]);
    await compareRpc("pending nonce", "eth_getTransactionCount", [a0, "pending"]);
    await compareRpc("pending block", "eth_getBlockByNumber", ["pending", false]);
    await compareRpc("eth_call pending", "eth_call", [valueCall, "pending"]);
    await compareRpc("eth_call latest while pending", "eth_call", [valueCall, "latest"]);
    await compareRpc("storage pending", "eth_getStorageAt", [target, "0x0", "pending"]);
    await compareRpc("pending tx filter", "eth_newPendingTransactionFilter");
    await compareRpc("hardhat_dropTransaction", "hardhat_dropTransaction", [pendingTx.hardhat.result]);
    await compareRpc("pending send again", "eth_sendTransaction", [{ from: a0, to: target, data: fn("set", [124n]), gas: "0x186a0", ...FEES }]);
    await compareRpc("evm_mine pending", "evm_mine");
    await compareRpc("mined pending block", "eth_getBlockByNumber", ["latest", true]);
    await compareRpc("evm_setAutomine true", "evm_setAutomine", [true]);

    // ------------------------------------------------------------ error cases
    await compareRpc("unknown method", "eth_noSuchMethod");
    await compareRpc("bad address", "eth_getBalance", ["0x1234", "latest"]);
    await compareRpc("bad block tag", "eth_getBlockByNumber", ["newest", false]);
    await compareRpc("too few params", "eth_getBalance", []);
    await compareRpc("wrong chainId", "eth_sendTransaction", [{ from: a0, to: target, chainId: "0x1" }]);
    const used = await signer.signTransaction({ ...base, type: "eip1559", nonce: 0, maxFeePerGas: 3_000_000_000n, maxPriorityFeePerGas: 1n, data: fn("set", [1n]) });
    await compareRpc("raw nonce too low", "eth_sendRawTransaction", [used]);
    const future = await signer.signTransaction({ ...base, type: "eip1559", nonce: 1000, maxFeePerGas: 3_000_000_000n, maxPriorityFeePerGas: 1n, data: fn("set", [1n]) });
    await compareRpc("raw nonce too high", "eth_sendRawTransaction", [future]);
    const otherChain = await signer.signTransaction({ ...base, chainId: 1, type: "eip1559", nonce: nonce2 + 4, maxFeePerGas: 3_000_000_000n, maxPriorityFeePerGas: 1n });
    await compareRpc("raw other chain", "eth_sendRawTransaction", [otherChain]);
    const poor = privateKeyToAccount(pad("0x1234", { size: 32 }));
    const broke = await poor.signTransaction({ ...base, type: "eip1559", nonce: 0, maxFeePerGas: 3_000_000_000n, maxPriorityFeePerGas: 1n });
    await compareRpc("raw insufficient funds", "eth_sendRawTransaction", [broke]);
    await compareRpc("raw garbage", "eth_sendRawTransaction", ["0x1234"]);
    await compareRpc("evm_revert unknown snapshot", "evm_revert", ["0x99"]);
    await compareRpc("call at a future block", "eth_call", [valueCall, "0xffff"]);
    await compareRpc("balance at a future block", "eth_getBalance", [a0, "0xffff"]);

    // An impersonated account with code (EIP-3607 would refuse its transactions): near the end, as
    // only Hardhat mines it.
    await compareRpc("impersonate an account with code", "hardhat_impersonateAccount", [edited]);
    await compareRpc("send from an account with code", "eth_sendTransaction", [{ from: edited, to: a1, gas: "0x7a120", ...FEES }]);
    await compareRpc("stop impersonating the account with code", "hardhat_stopImpersonatingAccount", [edited]);

    // ------------------------------------------------------------ hardhat_reset (last: Hardhat 3's node has no such method)
    await compareRpc("hardhat_reset", "hardhat_reset", []);

    // ------------------------------------------------------------ the report
    const rows = comparison.allowList;
    console.log("\nAllow-list (docs/node.md, \"Differences from Hardhat's node\"):");
    for (const r of rows) console.log(`  ${r.patterns.join(", ")} — AIVM: ${r.aivm}; Hardhat: ${r.hardhat}; ${r.why} [${r.used} differing]`);
    console.log(`\nItems compared: ${comparison.compared}; allowed to differ (allow-list): ${comparison.allowed.length}; unexpected differences: ${comparison.unexpected.length}\n`);
    const unused = rows.filter((r) => r.used === 0);
    const show = (d: Difference) => `  ${d.path}\n    hardhat: ${JSON.stringify(d.hardhat)?.slice(0, 300)}\n    aivm:    ${JSON.stringify(d.aivm)?.slice(0, 300)}`;
    // The raw answers once per step, before its differences.
    const report: string[] = [];
    let lastStep: string | undefined;
    for (const d of comparison.unexpected) {
      const entry = raw.find((r) => d.path.startsWith(`${r.step}/`));
      if (entry?.step !== lastStep && entry) report.push(`  raw hardhat: ${JSON.stringify(entry.hardhat).slice(0, 600)}\n  raw aivm:    ${JSON.stringify(entry.aivm).slice(0, 600)}`);
      lastStep = entry?.step;
      report.push(show(d));
    }
    assert.equal(comparison.unexpected.length, 0, `differences not on the allow-list:\n${report.join("\n")}`);
    assert.deepEqual(
      unused.map((r) => r.patterns.join(", ")),
      [],
      "allow-list rows that no difference needs (remove them from docs/node.md)",
    );
  });
});
