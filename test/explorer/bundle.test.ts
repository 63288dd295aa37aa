// The explorer's committed bundle (src/explorer/dist/explorer.js) is what src/explorer/app builds
// to today, it checks receipts with src/commit's own code on @noble/hashes (no hash-wasm, no
// Buffer), and the addresses it hard-codes are the chain's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { EXPLORER_BUNDLE_PATH, buildExplorerBundle } from "../../src/explorer/build.ts";
import { AGENT_SCHEDULER, MODEL_REGISTRY, registryAbi, schedulerAbi } from "../../src/explorer/app/chain.ts";
import { AGENT_SCHEDULER_ADDRESS, MODEL_REGISTRY_ADDRESS } from "../../src/chain/predeploys.ts";
import { getContract } from "../../src/chain/solc.ts";
import { toFunctionSelector, toEventSelector, type AbiFunction, type AbiEvent } from "viem";
import { keccak256 as nodeKeccak } from "../../src/commit/keccak.ts";
import { keccak256 as browserKeccak } from "../../src/explorer/app/shims/keccak.ts";
import * as nodeHex from "../../src/commit/hex.ts";
import * as browserHex from "../../src/explorer/app/shims/hex.ts";

test("the committed explorer bundle is current: npm run explorer:build rebuilds it byte for byte", async () => {
  const { bytes } = await buildExplorerBundle();
  const committed = readFileSync(EXPLORER_BUNDLE_PATH);
  assert.ok(Buffer.from(bytes).equals(committed), "src/explorer/dist/explorer.js is stale: run `npm run explorer:build` and commit it");
});

test("the bundle checks receipts with src/commit's own code, on the browser keccak and hex instead of hash-wasm and Buffer", async () => {
  const { modules } = await buildExplorerBundle();
  for (const m of ["src/commit/merkle.ts", "src/commit/receipt.ts", "src/commit/trace.ts", "src/commit/tensor-commit.ts", "src/codec/tensor.ts", "src/explorer/app/shims/keccak.ts", "src/explorer/app/shims/hex.ts"]) {
    assert.ok(modules.includes(m), `the bundle holds ${m}`);
  }
  const nodeSide = modules.filter((m) => /^src\/commit\/(keccak|hex)\.ts$|^src\/(chain|evm|rpc|cli)\/|node_modules\/(hash-wasm|@ethereumjs)\//.test(m));
  assert.deepEqual(nodeSide, [], "no node-side module in the browser bundle");
  const bundle = readFileSync(EXPLORER_BUNDLE_PATH, "utf8");
  assert.deepEqual(["Buffer.from", "createKeccak", 'from"node:'].filter((s) => bundle.includes(s)), [], "no Node built-ins or hash-wasm in the browser bundle");
  assert.ok(bundle.length < 250_000, `the bundle is ${bundle.length} bytes`);
});

test("the browser keccak and hex codec give the node's bytes", () => {
  for (const parts of [[], [Uint8Array.of(1)], [new Uint8Array(70_000).fill(7), Uint8Array.of(2, 3)]]) {
    assert.deepEqual(browserKeccak(...parts), nodeKeccak(...parts));
  }
  const bytes = Uint8Array.from({ length: 33 }, (_v, i) => i * 7);
  assert.equal(browserHex.toHex(bytes), nodeHex.toHex(bytes));
  assert.deepEqual(browserHex.fromHexChecked(nodeHex.toHex(bytes), "x"), nodeHex.fromHexChecked(nodeHex.toHex(bytes), "x"));
  assert.throws(() => browserHex.fromHexChecked("0xzz", "a commit"), /a commit is not 0x-prefixed hex/);
  assert.throws(() => nodeHex.fromHexChecked("0xzz", "a commit"), /a commit is not 0x-prefixed hex/);
});

test("the explorer's registry and scheduler addresses and ABI fragments are the predeploys'", () => {
  assert.equal(MODEL_REGISTRY, MODEL_REGISTRY_ADDRESS);
  assert.equal(AGENT_SCHEDULER, AGENT_SCHEDULER_ADDRESS);
  const compiled = (name: string) => getContract(name, undefined, ["ModelRegistry.sol", "AgentScheduler.sol"]).abi as (AbiFunction | AbiEvent)[];
  for (const [mine, name] of [[registryAbi, "ModelRegistry"], [schedulerAbi, "AgentScheduler"]] as const) {
    const real = compiled(name);
    const selectors = new Set(real.map((x) => (x.type === "function" ? toFunctionSelector(x) : x.type === "event" ? toEventSelector(x) : "")));
    for (const item of mine as readonly (AbiFunction | AbiEvent)[]) {
      const selector = item.type === "function" ? toFunctionSelector(item) : toEventSelector(item);
      assert.ok(selectors.has(selector), `${name}: ${item.name} as the explorer declares it is not in the compiled ABI`);
    }
  }
});
