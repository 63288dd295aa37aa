// The RPC side of the fuzzer (scripts/fuzz.ts): a real node server on loopback (startNodeServer) and
// random JSON-RPC bodies posted to it over HTTP: every method of its table with params drawn from a
// vocabulary of quantities, tags, addresses and call objects (whose data is a precompile fuzz input,
// so eth_call, eth_estimateGas, aivm_quote and eth_sendTransaction reach the precompiles through the
// chain), plus bodies that are not JSON-RPC at all. Each answer is checked: a response, valid JSON,
// every error a standard code and never -32603 (an exception that is no AIVM or node error).
import { bytesToHex } from "viem";
import { startNodeServer, type NodeServer } from "../../src/rpc/server.ts";
import { createMethodTable } from "../../src/rpc/methods.ts";
import { PRECOMPILE_ADDRESSES } from "../../precompiles/index.ts";
import { Rand, BOUNDARY_INTS } from "./generate.ts";
import { PRECOMPILE_TARGETS, generatePrecompileInput, type PrecompileWorld } from "./precompiles.ts";

export interface RpcWorld {
  server: NodeServer;
  methods: string[];
  accounts: string[];
}

/** What one body got back. */
export interface RpcOutcome {
  /** "ok", "error:<code>", "http:<status>", "empty" … */
  outcome: string;
  wallMs: number;
  /** A finding: the reason this answer is wrong, with what came back. */
  problem?: { kind: "crash" | "nonAivm" | "stall" | "protocol"; detail: string };
}

/**
 * Methods left out: a 1 ms interval mining timer makes the node mine continuously for the rest of
 * the run, which says nothing about the next input and eats the shared machine.
 */
const EXCLUDED = new Set(["evm_setIntervalMining"]);
/** A request slower than this is a stall (eth_call's own deadline is 5 s). */
export const STALL_MS = 8000;
/** Error codes an answer may carry (JSON-RPC 2.0, EIP-1474, and 3 for a revert). -32603 is a finding. */
const STANDARD_CODES = new Set([-32700, -32600, -32601, -32602, -32000, -32005, 3]);

export async function createRpcWorld(): Promise<RpcWorld> {
  const server = await startNodeServer({ port: 0, host: "127.0.0.1", accountCount: 3 });
  const methods = Object.keys(createMethodTable(server.node)).filter((m) => !EXCLUDED.has(m)).sort();
  return { server, methods, accounts: server.node.accounts.map((a) => a.address) };
}

const hex = (n: number | bigint) => `0x${n.toString(16)}`;

function quantity(r: Rand): unknown {
  switch (r.int(8)) {
    case 0:
      return r.pick(["latest", "pending", "earliest", "safe", "finalized", "0x", "0x00", "0X1", "-0x1", "1", "", "0xg"]);
    case 1:
      return r.pick([hex(2n ** 64n - 1n), hex(2n ** 64n), hex(2n ** 256n - 1n), hex(2n ** 256n), hex(2n ** 112n), "0x" + "f".repeat(300)]);
    case 2:
      return r.pick([0, 1, -1, 1e308, 2 ** 53, 0.5, Number.MAX_SAFE_INTEGER]);
    case 3:
      return hex(r.pick(BOUNDARY_INTS.filter((x) => x >= 0)));
    default:
      return hex(r.int(8));
  }
}

function address(w: RpcWorld, r: Rand): string {
  switch (r.int(5)) {
    case 0:
      return r.pick(Object.values(PRECOMPILE_ADDRESSES));
    case 1:
      return `0x${"00".repeat(19)}${r.pick(["00", "01", "02", "05", "0a"])}`;
    case 2:
      return bytesToHex(new Rand(r.int(2 ** 31)).bytes(r.oneIn(4) ? r.int(40) : 20));
    default:
      return r.pick(w.accounts);
  }
}

/** A call or transaction object; its data is a precompile fuzz input when it goes to a precompile. */
function callObject(w: RpcWorld, pw: PrecompileWorld | undefined, r: Rand): Record<string, unknown> {
  const target = r.pick(PRECOMPILE_TARGETS);
  const toPrecompile = pw !== undefined && !r.oneIn(4);
  const obj: Record<string, unknown> = {};
  if (!r.oneIn(5)) obj.from = r.oneIn(6) ? address(w, r) : r.pick(w.accounts);
  obj.to = toPrecompile ? PRECOMPILE_ADDRESSES[target] : r.oneIn(6) ? null : address(w, r);
  obj.data = toPrecompile ? bytesToHex(generatePrecompileInput(pw, target, r).data) : bytesToHex(new Rand(r.int(2 ** 31)).bytes(r.int(200)));
  if (r.oneIn(2)) obj.gas = quantity(r);
  if (r.oneIn(4)) obj.value = quantity(r);
  if (r.oneIn(6)) obj.gasPrice = quantity(r);
  if (r.oneIn(8)) obj.nonce = quantity(r);
  if (r.oneIn(10)) obj[r.pick(["maxFeePerGas", "input", "accessList", "type", "chainId", "__proto__"])] = r.oneIn(2) ? quantity(r) : [];
  return obj;
}

function param(w: RpcWorld, pw: PrecompileWorld | undefined, r: Rand): unknown {
  switch (r.int(10)) {
    case 0:
    case 1:
      return quantity(r);
    case 2:
      return address(w, r);
    case 3:
      return bytesToHex(new Rand(r.int(2 ** 31)).bytes(r.pick([0, 1, 20, 32, 33, 65])));
    case 4:
      return callObject(w, pw, r);
    case 5:
      return { fromBlock: quantity(r), toBlock: quantity(r), address: r.oneIn(2) ? address(w, r) : [address(w, r)], topics: r.oneIn(2) ? [null, bytesToHex(new Uint8Array(32))] : "x" };
    case 6:
      return r.pick([null, true, false, {}, [], "", "x".repeat(r.oneIn(2) ? 10 : 100_000), [[[]]], { a: { b: {} } }]);
    case 7:
      return Array.from({ length: r.int(4) }, () => quantity(r));
    default:
      return r.oneIn(2) ? r.pick(w.accounts) : quantity(r);
  }
}

const CALL_METHODS = new Set(["eth_call", "eth_estimateGas", "eth_sendTransaction", "aivm_quote"]);

function request(w: RpcWorld, pw: PrecompileWorld | undefined, r: Rand, id: number): Record<string, unknown> {
  const method = r.oneIn(12) ? r.pick(["eth_foo", "__proto__", "constructor", "toString", "hasOwnProperty", "", "ETH_CHAINID", "aivm_"]) : r.pick(w.methods);
  let params: unknown;
  if (CALL_METHODS.has(method) && !r.oneIn(4)) params = [callObject(w, pw, r), ...(r.oneIn(2) ? [quantity(r)] : [])];
  else params = Array.from({ length: r.int(4) }, () => param(w, pw, r));
  if (r.oneIn(20)) params = r.pick([{}, { a: 1 }, "x", 7, null]);
  const req: Record<string, unknown> = { jsonrpc: r.oneIn(25) ? r.pick(["1.0", 2, undefined]) : "2.0", method, params };
  if (!r.oneIn(15)) req.id = r.oneIn(10) ? r.pick([null, "id", -1, 1.5, {}, [], true]) : id;
  return req;
}

/** A body: mostly one request, sometimes a batch, sometimes not JSON-RPC (or not JSON). */
export function generateRpcBody(w: RpcWorld, pw: PrecompileWorld | undefined, r: Rand): { body: string; description: string } {
  const pick = r.int(12);
  if (pick === 0) {
    const junk = [
      "",
      "{",
      "[]",
      "[",
      "null",
      "1",
      '"x"',
      '{"jsonrpc":"2.0"}',
      "[".repeat(5000) + "]".repeat(5000),
      '{"a":'.repeat(3000) + "1" + "}".repeat(3000),
      "1".repeat(400),
      "\u0000\uffff",
      '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[],"__proto__":{"x":1}}',
      JSON.stringify(Array.from({ length: 1001 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "eth_chainId" }))),
    ];
    const body = r.pick(junk);
    return { body, description: `raw body (${body.length} chars): ${body.slice(0, 80)}` };
  }
  if (pick === 1) {
    const batch = Array.from({ length: r.range(1, 5) }, (_, i) => (r.oneIn(8) ? r.pick([1, "x", null, []]) : request(w, pw, r, i)));
    const body = JSON.stringify(batch);
    return { body, description: `batch: ${body.slice(0, 300)}` };
  }
  const body = JSON.stringify(request(w, pw, r, r.int(1000)));
  return { body, description: body.slice(0, 300) };
}

/** Posts one body and checks the answer. */
export async function runRpcBody(w: RpcWorld, body: string): Promise<RpcOutcome> {
  const started = performance.now();
  let status: number;
  let text: string;
  try {
    const res = await fetch(w.server.url, { method: "POST", headers: { "content-type": "application/json" }, body, signal: AbortSignal.timeout(STALL_MS * 2) });
    status = res.status;
    text = await res.text();
  } catch (e) {
    const wallMs = performance.now() - started;
    const kind = wallMs >= STALL_MS ? "stall" : "crash";
    return { outcome: kind, wallMs, problem: { kind, detail: `no answer: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}` } };
  }
  const wallMs = performance.now() - started;
  if (status >= 500) return { outcome: `http:${status}`, wallMs, problem: { kind: "crash", detail: `HTTP ${status}: ${text.slice(0, 300)}` } };
  if (wallMs >= STALL_MS) return { outcome: "stall", wallMs, problem: { kind: "stall", detail: `answered after ${Math.round(wallMs)} ms` } };
  if (status !== 200) return { outcome: `http:${status}`, wallMs };
  if (text === "") return { outcome: "empty", wallMs };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { outcome: "bad-json", wallMs, problem: { kind: "protocol", detail: `not JSON: ${text.slice(0, 300)}` } };
  }
  const responses = Array.isArray(json) ? json : [json];
  const codes: string[] = [];
  for (const res of responses as { jsonrpc?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown } }[]) {
    if (res === null || typeof res !== "object" || res.jsonrpc !== "2.0" || ("result" in res) === ("error" in res)) {
      return { outcome: "bad-response", wallMs, problem: { kind: "protocol", detail: `not a JSON-RPC response: ${JSON.stringify(res).slice(0, 300)}` } };
    }
    if (res.error === undefined) continue;
    const code = res.error.code;
    if (code === -32603) return { outcome: "error:-32603", wallMs, problem: { kind: "nonAivm", detail: `internal error: ${String(res.error.message).slice(0, 500)}` } };
    if (typeof code !== "number" || !STANDARD_CODES.has(code)) {
      return { outcome: `error:${String(code)}`, wallMs, problem: { kind: "protocol", detail: `non-standard error code ${String(code)}: ${String(res.error.message).slice(0, 300)}` } };
    }
    codes.push(String(code));
  }
  return { outcome: codes.length === 0 ? "ok" : `error:${codes[0]}`, wallMs };
}

/** eth_blockNumber must still be answered promptly; returns its latency in ms (or a problem). */
export async function liveness(w: RpcWorld): Promise<{ ms: number; problem?: string }> {
  const started = performance.now();
  const res = await runRpcBody(w, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }));
  const ms = performance.now() - started;
  if (res.problem) return { ms, problem: res.problem.detail };
  if (res.outcome !== "ok") return { ms, problem: `eth_blockNumber answered ${res.outcome}` };
  return { ms };
}
