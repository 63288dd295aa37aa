// `aivm node --demo` (what npm start runs): the banner lists accounts, keys, precompile and system
// addresses and the demo model, and the printed aivm_quote example works as printed.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { join } from "node:path";
import { REPO, call, spawnAivmNode, waitForExit } from "./helpers.ts";

const run = promisify(execFile);

describe("aivm node --demo", () => {
  it("prints accounts, addresses, the demo and a working example", async () => {
    const node = await spawnAivmNode(["--demo"]);
    try {
      const out = node.output();
      assert.match(out, /\(0\) 0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\n {4}private key: 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80/);
      assert.match(out, /\(9\) 0x[0-9a-f]{40}/);
      assert.match(out, /Mnemonic: test test test test test test test test test test test junk/);
      assert.match(out, /TMATMUL {3}0x000000000000000000000000000000000000a101/);
      assert.match(out, /BlockAnchor {6}0x000000000000000000000000000000000000a110/);
      assert.match(out, /InferenceDemo at 0x5fbdb2315678afecb367f032d93f642f64180aa3/);
      const body = /--data '([^']+)'/.exec(out)?.[1];
      assert.ok(body, "the banner prints a JSON-RPC request");
      const response = (await (await fetch(node.url, { method: "POST", headers: { "content-type": "application/json" }, body })).json()) as any;
      assert.ok(BigInt(response.result.aivmGas) > 0n, "the printed aivm_quote example charges AIVM gas");
      assert.equal(response.result.receipts[0].opcode, "TMATMUL");
      assert.equal(await call(node.url, "eth_chainId"), "0x7a69");
    } finally {
      node.child.kill("SIGTERM");
      await waitForExit(node.child);
    }
    assert.equal(node.child.exitCode, 0, "SIGTERM shuts down cleanly");
  });

  it("--hardfork chooses the EVM rules: the demo runs on prague, where CLZ (Osaka) is an invalid opcode", async () => {
    // Creation code PUSH1 1, CLZ, STOP: runs on Osaka, halts on an invalid opcode before it.
    const clz = { from: "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266", data: "0x60011e00" };
    const prague = await spawnAivmNode(["--hardfork", "prague", "--demo"]);
    try {
      assert.match(prague.output(), /Hardfork: prague/);
      const body = /--data '([^']+)'/.exec(prague.output())?.[1];
      const quote = (await (await fetch(prague.url, { method: "POST", headers: { "content-type": "application/json" }, body })).json()) as any;
      assert.equal(quote.result.receipts[0].opcode, "TMATMUL", "the demo contracts deploy and run on prague");
      const response = (await (await fetch(prague.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_call", params: [clz, "latest"] }) })).json()) as { error?: { message: string } };
      assert.ok(response.error, "CLZ must fail on prague");
      assert.match(response.error.message, /invalid opcode/i);
    } finally {
      prague.child.kill("SIGTERM");
      await waitForExit(prague.child);
    }
    const osaka = await spawnAivmNode(["--quiet"]);
    try {
      assert.equal(await call(osaka.url, "eth_call", [clz, "latest"]), "0x");
    } finally {
      osaka.child.kill("SIGTERM");
      await waitForExit(osaka.child);
    }
    const error = await run(process.execPath, [join(REPO, "bin/aivm.mjs"), "node", "--hardfork", "london"], { cwd: REPO }).catch((e: unknown) => e as { code: number; stderr: string });
    assert.equal((error as { code: number }).code, 1);
    assert.match((error as { stderr: string }).stderr, /--hardfork.*london.*cancun, prague, osaka/s);
  });

  it("rejects a bad --port with a usage error", async () => {
    const error = await run(process.execPath, [join(REPO, "bin/aivm.mjs"), "node", "--port", "http"], { cwd: REPO }).catch((e: unknown) => e as { code: number; stderr: string });
    assert.equal((error as { code: number }).code, 1);
    assert.match((error as { stderr: string }).stderr, /port must be an integer/);
  });
});

describe("aivm node --block-gas-limit", () => {
  it("mines blocks with that gas limit, caps calls at it, and refuses a limit below 21000", async () => {
    const node = await spawnAivmNode(["--quiet", "--block-gas-limit", "30000000"]);
    try {
      const latest = (await call(node.url, "eth_getBlockByNumber", ["latest", false])) as { gasLimit: string };
      assert.equal(BigInt(latest.gasLimit), 30_000_000n);
      // GAS PUSH0 MSTORE PUSH1 32 PUSH0 RETURN: the gas left at the first step of a call with no gas given.
      const left = BigInt((await call(node.url, "eth_call", [{ data: "0x5a5f5260205ff3" }, "latest"])) as string);
      assert.ok(left < 30_000_000n && left > 29_000_000n, `gas left ${left}`);
    } finally {
      node.child.kill("SIGTERM");
      await waitForExit(node.child);
    }
    const error = await run(process.execPath, [join(REPO, "bin/aivm.mjs"), "node", "--block-gas-limit", "100"], { cwd: REPO }).catch((e: unknown) => e as { code: number; stderr: string });
    assert.equal((error as { code: number }).code, 1);
    assert.match((error as { stderr: string }).stderr, /--block-gas-limit must be a gas amount from 21000/);
  });
});
