// Finding 6 of issue 13: eth_call, eth_estimateGas and aivm_quote had no gas cap and no deadline and
// ran on the one serial queue, so a 2^60-gas loop stalled the node for good. Each test here runs
// against a real HTTP server on loopback and would hang (and time out) without the cap or deadline.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { NodeServer } from "../../src/rpc/server.ts";
import { rpc, startTestServer } from "./helpers.ts";

/** JUMPDEST PUSH1 0 JUMP: loops until it runs out of gas. */
const ENDLESS = "0x5b600056";
/** GAS PUSH0 MSTORE PUSH1 32 PUSH0 RETURN: returns the gas left at its first step. */
const GAS_LEFT = "0x5a5f5260205ff3";
/** Counts 200,000 down to zero (26 gas a turn, 5.2M gas in all), then stops: bounded but not short. */
const COUNTDOWN = "0x62030d405b6001900380600457" + "00";
const LOOP_AT = "0x00000000000000000000000000000000000000aa";
const GAS_AT = "0x00000000000000000000000000000000000000bb";
const COUNT_AT = "0x00000000000000000000000000000000000000cc";
const PLAIN_AT = "0x00000000000000000000000000000000000000dd";
/** Far beyond any block (2^52 gas of this loop would run for years) and within a transaction's gas field. */
const HUGE_GAS = `0x${(2n ** 52n).toString(16)}`;

async function call(url: string, method: string, params: unknown[]): Promise<any> {
  return (await rpc(url, { jsonrpc: "2.0", id: 1, method, params })).json;
}

async function installCode(url: string): Promise<void> {
  for (const [at, code] of [
    [LOOP_AT, ENDLESS],
    [GAS_AT, GAS_LEFT],
    [COUNT_AT, COUNTDOWN],
  ]) {
    assert.equal((await call(url, "hardhat_setCode", [at, code])).result, true);
  }
}

describe("eth_call, eth_estimateGas and aivm_quote stop at the RPC deadline", () => {
  let server: NodeServer;
  before(async () => {
    // No gas cap: only the deadline can stop a 2^52-gas loop.
    server = await startTestServer({ rpcGasCap: 0n, rpcEvmTimeoutMs: 300 });
    await installCode(server.url);
  });
  after(() => server.close());

  for (const [method, params] of [
    ["eth_call", [{ to: LOOP_AT, gas: HUGE_GAS }]],
    ["eth_estimateGas", [{ to: LOOP_AT, gas: HUGE_GAS }]],
    ["aivm_quote", [{ to: LOOP_AT, gas: HUGE_GAS }]],
  ] as const) {
    it(`${method} of an endless loop answers -32005 naming --rpc.evmtimeout after about the deadline`, { timeout: 20_000 }, async () => {
      const started = performance.now();
      const reply = await call(server.url, method, [...params]);
      const elapsed = performance.now() - started;
      assert.equal(reply.error?.code, -32005, JSON.stringify(reply));
      assert.match(reply.error.message, /deadline of 300 ms/);
      assert.match(reply.error.message, /--rpc\.evmtimeout/);
      assert.equal(reply.error.data.limit, "rpc.evmtimeout");
      assert.ok(elapsed < 5_000, `stopped after ${elapsed.toFixed(0)} ms`);
    });
  }

  it("requests queued behind an endless call run once its deadline passes; eth_blockNumber is answered meanwhile", { timeout: 20_000 }, async () => {
    const [from] = (await call(server.url, "eth_accounts", [])).result;
    const before = BigInt((await call(server.url, "eth_blockNumber", [])).result);
    const endless = call(server.url, "eth_call", [{ to: LOOP_AT, gas: HUGE_GAS }]);
    // The transfer waits in the queue behind the call; eth_blockNumber does not use the queue.
    const transfer = call(server.url, "eth_sendTransaction", [{ from, to: LOOP_AT, value: "0x1", gas: "0x5208" }]);
    let answeredDuringCall = 0;
    let callDone = false;
    void endless.then(() => (callDone = true));
    while (!callDone) {
      const head = await call(server.url, "eth_blockNumber", []);
      if (callDone) break;
      answeredDuringCall++;
      // Nothing was mined yet: the transfer is still behind the call.
      assert.equal(BigInt(head.result), before);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(answeredDuringCall >= 3, `eth_blockNumber answered ${answeredDuringCall} times during the call`);
    assert.equal((await endless).error.code, -32005);
    const sent = await transfer;
    // 21000 gas into the loop runs out of gas: mined with status 0, answered -32000 as Hardhat does.
    assert.equal(sent.error?.code, -32000, JSON.stringify(sent));
    assert.match(sent.error?.message ?? "", /ran out of gas/);
    assert.equal(BigInt((await call(server.url, "eth_blockNumber", [])).result), before + 1n);
  });
});

describe("state reads do not wait behind a running call", () => {
  let server: NodeServer;
  before(async () => {
    server = await startTestServer({ rpcGasCap: 0n, rpcEvmTimeoutMs: 2_000 });
    await installCode(server.url);
  });
  after(() => server.close());

  it("eth_getBalance, eth_getCode and eth_getTransactionCount (latest and past blocks) are answered while an endless eth_call holds the queue", { timeout: 20_000 }, async () => {
    const [from] = (await call(server.url, "eth_accounts", [])).result;
    await call(server.url, "eth_sendTransaction", [{ from, to: PLAIN_AT, value: "0x7", gas: "0x5208" }]);
    let callDone = false;
    const endless = call(server.url, "eth_call", [{ to: LOOP_AT, gas: HUGE_GAS }]).then((reply) => {
      callDone = true;
      return reply;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const reads = await Promise.all([
      call(server.url, "eth_getBalance", [PLAIN_AT, "latest"]),
      call(server.url, "eth_getBalance", [PLAIN_AT, "0x0"]),
      call(server.url, "eth_getCode", [LOOP_AT, "latest"]),
      call(server.url, "eth_getTransactionCount", [from, "latest"]),
    ]);
    assert.equal(callDone, false, "the reads were answered before the call's deadline");
    assert.deepEqual(
      reads.map((r) => r.result),
      ["0x7", "0x0", ENDLESS, "0x1"],
    );
    assert.equal((await endless).error?.code, -32005);
  });

  it("a state edit is seen by the next read", async () => {
    await call(server.url, "hardhat_setBalance", [PLAIN_AT, "0x2a"]);
    assert.equal((await call(server.url, "eth_getBalance", [PLAIN_AT, "latest"])).result, "0x2a");
    await call(server.url, "hardhat_setBalance", [PLAIN_AT, "0x2b"]);
    assert.equal((await call(server.url, "eth_getBalance", [PLAIN_AT, "latest"])).result, "0x2b");
  });
});

describe("the deadline never reaches block building", () => {
  let server: NodeServer;
  before(async () => {
    server = await startTestServer({ rpcEvmTimeoutMs: 1 });
    await installCode(server.url);
  });
  after(() => server.close());

  it("a countdown an eth_call may not finish in 1 ms still runs to the end in a block", { timeout: 20_000 }, async () => {
    const reply = await call(server.url, "eth_call", [{ to: COUNT_AT }]);
    assert.equal(reply.error?.code, -32005, JSON.stringify(reply));
    const [from] = (await call(server.url, "eth_accounts", [])).result;
    const hash = (await call(server.url, "eth_sendTransaction", [{ from, to: COUNT_AT, gas: "0x5b8d80" }])).result;
    const receipt = (await call(server.url, "eth_getTransactionReceipt", [hash])).result;
    assert.equal(receipt.status, "0x1");
    assert.ok(BigInt(receipt.gasUsed) > 5_000_000n, `gas used ${BigInt(receipt.gasUsed)}`);
  });
});

describe("eth_call, eth_estimateGas and aivm_quote are capped at the RPC gas cap", () => {
  let capped: NodeServer;
  let byDefault: NodeServer;
  before(async () => {
    // No deadline: only the gas cap can stop a 2^52-gas loop.
    capped = await startTestServer({ rpcGasCap: 2_000_000n, rpcEvmTimeoutMs: 0 });
    byDefault = await startTestServer({ blockGasLimit: 30_000_000n });
    await installCode(capped.url);
    await installCode(byDefault.url);
  });
  after(async () => {
    await capped.close();
    await byDefault.close();
  });

  for (const method of ["eth_call", "eth_estimateGas", "aivm_quote"]) {
    it(`${method} of an endless loop with 2^52 gas answers -32005 naming --rpc.gascap`, { timeout: 20_000 }, async () => {
      const reply = await call(capped.url, method, [{ to: LOOP_AT, gas: HUGE_GAS }]);
      assert.equal(reply.error?.code, -32005, JSON.stringify(reply));
      assert.match(reply.error.message, /gas cap of 2000000/);
      assert.match(reply.error.message, /--rpc\.gascap/);
      assert.equal(reply.error.data.gasCap, "0x1e8480");
    });
  }

  it("a call asking for 2^52 gas runs with the cap; one asking for less keeps its own limit", async () => {
    const gasLeft = async (server: NodeServer, gas: string) => BigInt((await call(server.url, "eth_call", [{ to: GAS_AT, gas }])).result);
    const intrinsic = 21_000n;
    assert.equal(await gasLeft(capped, HUGE_GAS), 2_000_000n - intrinsic - 2n);
    assert.equal(await gasLeft(capped, "0x186a0"), 100_000n - intrinsic - 2n);
    // Without --rpc.gascap the cap is the block gas limit.
    assert.equal(await gasLeft(byDefault, HUGE_GAS), 30_000_000n - intrinsic - 2n);
  });

  it("running out of gas under the caller's own lower limit stays an ordinary out-of-gas", async () => {
    const reply = await call(capped.url, "eth_call", [{ to: LOOP_AT, gas: "0x186a0" }]);
    assert.equal(reply.error?.code, -32000, JSON.stringify(reply));
    assert.match(reply.error.message, /out of gas/);
  });
});

describe("debug_traceCall and debug_traceTransaction stop at the RPC deadline", () => {
  let server: NodeServer;
  let countdownTx: string;
  before(async () => {
    // No gas cap: only the deadline can stop a traced 2^52-gas loop.
    server = await startTestServer({ rpcGasCap: 0n, rpcEvmTimeoutMs: 1_000 });
    await installCode(server.url);
    const [from] = (await call(server.url, "eth_accounts", [])).result;
    // 200,000 gas of the countdown: it runs out of gas after ~7,000 turns (status 0, still traceable).
    // Automine answers a failed transaction with -32000, as Hardhat does; its hash is in the block.
    await call(server.url, "eth_sendTransaction", [{ from, to: COUNT_AT, gas: "0x30d40" }]);
    countdownTx = (await call(server.url, "eth_getBlockByNumber", ["latest", false])).result.transactions[0];
  });
  after(() => server.close());

  for (const tracer of ["callTracer", "aivmTracer", "4byteTracer", undefined]) {
    it(`debug_traceCall (${tracer ?? "struct logger"}) of an endless loop answers -32005 naming --rpc.evmtimeout after about the deadline`, { timeout: 20_000 }, async () => {
      const started = performance.now();
      const options = tracer ? { tracer } : { limit: 10 };
      const reply = await call(server.url, "debug_traceCall", [{ to: LOOP_AT, gas: HUGE_GAS }, "latest", options]);
      const elapsed = performance.now() - started;
      assert.equal(reply.error?.code, -32005, JSON.stringify(reply).slice(0, 300));
      assert.match(reply.error.message, /deadline of 1000 ms/);
      assert.equal(reply.error.data.code, "CALL_TIMEOUT");
      assert.ok(elapsed < 5_000, `stopped after ${elapsed.toFixed(0)} ms`);
    });
  }

  it("eth_blockNumber is answered while an endless trace runs", { timeout: 20_000 }, async () => {
    let done = false;
    const trace = call(server.url, "debug_traceCall", [{ to: LOOP_AT, gas: HUGE_GAS }, "latest", { tracer: "callTracer" }]).then((reply) => {
      done = true;
      return reply;
    });
    let answered = 0;
    while (!done) {
      const head = await call(server.url, "eth_blockNumber", []);
      if (done) break;
      assert.ok(head.result);
      answered++;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(answered >= 3, `eth_blockNumber answered ${answered} times during the trace`);
    assert.equal((await trace).error?.code, -32005);
  });

  it("a request's shorter timeout applies; a longer one is held to the node's deadline", { timeout: 20_000 }, async () => {
    const short = await call(server.url, "debug_traceCall", [{ to: LOOP_AT, gas: HUGE_GAS }, "latest", { tracer: "callTracer", timeout: "50ms" }]);
    assert.equal(short.error?.code, -32005);
    assert.match(short.error.message, /deadline of 50 ms/);
    const long = await call(server.url, "debug_traceCall", [{ to: LOOP_AT, gas: HUGE_GAS }, "latest", { tracer: "callTracer", timeout: "1m" }]);
    assert.match(long.error?.message ?? "", /deadline of 1000 ms/);
  });

  it("debug_traceTransaction of a mined 200,000-gas countdown: traced within the deadline, stopped past a 1 ms timeout", { timeout: 20_000 }, async () => {
    const full = await call(server.url, "debug_traceTransaction", [countdownTx, { tracer: "callTracer" }]);
    assert.equal(full.error, undefined, JSON.stringify(full.error));
    assert.equal(BigInt(full.result.gasUsed), 200_000n);
    const cut = await call(server.url, "debug_traceTransaction", [countdownTx, { tracer: "callTracer", timeout: "1ms" }]);
    assert.equal(cut.error?.code, -32005, JSON.stringify(cut).slice(0, 300));
    assert.match(cut.error.message, /deadline of 1 ms/);
  });

  it("a timeout that is not a positive duration is refused by name", async () => {
    for (const timeout of ["abc", "0s", "", "5", 5]) {
      const reply = await call(server.url, "debug_traceCall", [{ to: GAS_AT }, "latest", { tracer: "callTracer", timeout }]);
      assert.equal(reply.error?.code, -32602, `${JSON.stringify(timeout)}: ${JSON.stringify(reply)}`);
      assert.match(reply.error.message, /timeout must be a positive duration/);
    }
  });
});
