// npm run bench:devnet — finalized throughput of a 3-node `aivm devnet` (docs/network.md#devnet),
// printed as JSON. The load: BENCH_DEVNET_TXS transactions (default 3000) from the 20 dev accounts,
// every 10th a TMATMUL inference (the rest ETH transfers), all signed before the clock starts and
// sent in JSON-RPC batches of 100, account k's to node k mod 3 (forwarded to the others). Measured:
// seconds from the first send until every transaction is in a block every node has finalized, and
// the transactions and TMATMUL calls per block. Reference, in the same run: the same transactions
// (signed again for that chain) on one `aivm node --block-time <slot>` without a consensus side,
// until all are mined. The ratio is devnet tx/s over that single node's.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { encodeAbiParameters, bytesToHex, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { startDevnet } from "../src/cli/devnet.ts";
import { deriveDevAccounts } from "../src/chain/accounts.ts";
import { encodeTensor } from "../src/codec/tensor.ts";
import { DEMO_INPUT, DEMO_WEIGHTS } from "../src/cli/demo.ts";
import { TMATMUL_INPUT } from "../precompiles/a101-tmatmul.ts";
import { PRECOMPILE_ADDRESSES } from "../precompiles/addresses.ts";

const TXS = Number(process.env.BENCH_DEVNET_TXS ?? 3000);
const SLOT_MS = Number(process.env.BENCH_DEVNET_SLOT_MS ?? 2000);
const BATCH = 100;
const ACCOUNTS = deriveDevAccounts();
const TMATMUL = PRECOMPILE_ADDRESSES.TMATMUL as Hex;
const tmatmulCalldata = encodeAbiParameters(TMATMUL_INPUT, [[bytesToHex(encodeTensor(DEMO_INPUT)), bytesToHex(encodeTensor(DEMO_WEIGHTS))], [], [], 0]);

async function rpc<T>(url: string, method: string, params: unknown[]): Promise<T> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  const json = (await res.json()) as { result?: T; error?: { message: string } };
  if (json.error) throw new Error(`${method}: ${json.error.message}`);
  return json.result as T;
}

interface SignedTx {
  raw: Hex;
  account: number;
  matmul: boolean;
}

/** The load, signed for `chainId`: transaction i from account i mod 20, every 10th a TMATMUL call. */
async function signLoad(chainId: number): Promise<SignedTx[]> {
  const nonces = new Array<number>(ACCOUNTS.length).fill(0);
  const txs: SignedTx[] = [];
  for (let i = 0; i < TXS; i++) {
    const account = i % ACCOUNTS.length;
    const matmul = i % 10 === 9;
    const raw = await privateKeyToAccount(ACCOUNTS[account]!.privateKey as Hex).signTransaction({
      chainId,
      type: "eip1559",
      nonce: nonces[account]!++,
      to: matmul ? TMATMUL : "0x00000000000000000000000000000000000000bb",
      value: matmul ? 0n : 1n,
      data: matmul ? tmatmulCalldata : "0x",
      gas: matmul ? 3_000_000n : 21_000n,
      maxFeePerGas: 50_000_000_000n,
      maxPriorityFeePerGas: 1_000_000_000n,
    });
    txs.push({ raw, account, matmul });
  }
  return txs;
}

/** Sends each node its share in batches (in nonce order per account); returns the hashes. */
async function send(urls: string[], txs: SignedTx[]): Promise<Hex[]> {
  const perNode = urls.map(() => [] as SignedTx[]);
  for (const tx of txs) perNode[tx.account % urls.length]!.push(tx);
  const hashes: Hex[] = [];
  await Promise.all(
    perNode.map(async (share, n) => {
      for (let i = 0; i < share.length; i += BATCH) {
        const body = share.slice(i, i + BATCH).map((tx, id) => ({ jsonrpc: "2.0", id, method: "eth_sendRawTransaction", params: [tx.raw] }));
        const res = await fetch(urls[n]!, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
        const answers = (await res.json()) as { result?: Hex; error?: { message: string } }[];
        for (const a of answers) {
          if (a.error) throw new Error(`eth_sendRawTransaction: ${a.error.message}`);
          hashes.push(a.result!);
        }
      }
    }),
  );
  return hashes;
}

/** Waits until block tag `tag` on every url holds all `count` transactions sent after block `from`; returns that block's number. */
async function waitForAll(urls: string[], tag: "finalized" | "latest", from: number, count: number): Promise<number> {
  for (;;) {
    const heads = await Promise.all(urls.map((url) => rpc<{ number: Hex }>(url, "eth_getBlockByNumber", [tag, false])));
    const head = Math.min(...heads.map((h) => Number(h.number)));
    let included = 0;
    for (let n = from + 1; n <= head; n++) included += Number(await rpc<Hex>(urls[0]!, "eth_getBlockTransactionCountByNumber", [`0x${n.toString(16)}`]));
    if (included >= count) return head;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function blockStats(url: string, from: number, to: number) {
  const perBlock: { txs: number; matmul: number }[] = [];
  for (let n = from + 1; n <= to; n++) {
    const block = await rpc<{ transactions: { to: string | null }[] }>(url, "eth_getBlockByNumber", [`0x${n.toString(16)}`, true]);
    perBlock.push({ txs: block.transactions.length, matmul: block.transactions.filter((t) => t.to?.toLowerCase() === TMATMUL.toLowerCase()).length });
  }
  const withTxs = perBlock.filter((b) => b.txs > 0);
  return {
    blocks: withTxs.length,
    txsPerBlockMax: Math.max(...withTxs.map((b) => b.txs)),
    txsPerBlockMean: Math.round(withTxs.reduce((s, b) => s + b.txs, 0) / withTxs.length),
    inferenceCallsPerBlockMax: Math.max(...withTxs.map((b) => b.matmul)),
    inferenceCallsPerBlockMean: Math.round(withTxs.reduce((s, b) => s + b.matmul, 0) / withTxs.length),
  };
}

async function measureDevnet() {
  const devnet = await startDevnet({ nodes: 3, port: 38545, authPort: 38651, slotMs: SLOT_MS, hardfork: "osaka", dir: mkdtempSync(join(tmpdir(), "aivm-bench-devnet-")), log: () => {} });
  try {
    const urls = devnet.nodes.map((n) => n.rpcUrl);
    const txs = await signLoad(Number(await rpc<Hex>(urls[0]!, "eth_chainId", [])));
    const from = Number(await rpc<Hex>(urls[0]!, "eth_blockNumber", []));
    const t0 = performance.now();
    await send(urls, txs);
    const sentS = (performance.now() - t0) / 1000;
    const to = await waitForAll(urls, "finalized", from, txs.length);
    const seconds = (performance.now() - t0) / 1000;
    const rejections = devnet.beacon.rejections.length;
    return { txs: txs.length, sendSeconds: +sentS.toFixed(2), seconds: +seconds.toFixed(2), txPerSecondFinalized: +(txs.length / seconds).toFixed(1), rejections, ...(await blockStats(urls[0]!, from, to)) };
  } finally {
    await devnet.stop();
    rmSync(devnet.dir, { recursive: true, force: true });
  }
}

async function measureSingleNode() {
  const child = spawn(process.execPath, [join(import.meta.dirname, "../bin/aivm.mjs"), "node", "--port", "0", "-q", "--block-time", String(Math.max(1, Math.round(SLOT_MS / 1000)))], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve) => {
    const check = () => {
      const m = /Listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on("data", check);
  });
  try {
    const txs = await signLoad(Number(await rpc<Hex>(url, "eth_chainId", [])));
    const from = Number(await rpc<Hex>(url, "eth_blockNumber", []));
    const t0 = performance.now();
    await send([url], txs);
    const to = await waitForAll([url], "latest", from, txs.length);
    const seconds = (performance.now() - t0) / 1000;
    return { txs: txs.length, seconds: +seconds.toFixed(2), txPerSecondMined: +(txs.length / seconds).toFixed(1), ...(await blockStats(url, from, to)) };
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
}

const devnet = await measureDevnet();
const single = await measureSingleNode();
console.log(
  JSON.stringify(
    {
      bench: "devnet",
      nodes: 3,
      slotMs: SLOT_MS,
      load: `${TXS} transactions from ${ACCOUNTS.length} accounts, every 10th a TMATMUL call, sent to 3 nodes`,
      devnet,
      singleNodeReference: single,
      ratioDevnetToSingleNode: +(devnet.txPerSecondFinalized / single.txPerSecondMined).toFixed(2),
      machine: { cores: availableParallelism(), loadavg1m: +loadavg()[0]!.toFixed(2) },
    },
    null,
    2,
  ),
);
