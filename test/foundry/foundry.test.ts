// examples/foundry, the Foundry template: `forge test` there runs TMATMUL and the Fashion-MNIST
// model through AivmTest's shims (aivm ffi), and every output and commit it logs must equal what
// `aivm node` returns for the same call on the same contract bytecode; `forge script` deploys to a
// node (with forge's simulation) and `cast call | send | block-number` work against it.
// The forge, cast and node binaries are the repository's (node_modules/.bin); nothing is downloaded.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createPublicClient, createWalletClient, decodeFunctionResult, encodeFunctionData, http, parseAbi, type Abi, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { REPO_ROOT, linkAivmPackage } from "../hardhat/hardhat-cli.ts";
import { startNodeServer, type NodeServer } from "../../src/rpc/server.ts";
import { deriveDevAccounts } from "../../src/chain/accounts.ts";
import { connect } from "../../src/model/chain.ts";
import { uploadPackage } from "../../src/model/deploy.ts";
import { parsePackage } from "../../src/model/package.ts";

const PROJECT = join(REPO_ROOT, "examples/foundry");
const BIN = join(REPO_ROOT, "node_modules/.bin");
// forge's ffi runs `node` from PATH: the repository's Node 22, as for the other example projects.
const ENV = { ...process.env, PATH: `${BIN}:${process.env.PATH ?? ""}`, NO_COLOR: "1", FOUNDRY_DISABLE_NIGHTLY_WARNING: "1" };
const KEY = deriveDevAccounts()[0]!.privateKey;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(tool: "forge" | "cast", args: string[], timeoutMs = 240_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(BIN, tool), args, { cwd: PROJECT, env: ENV, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function ok(tool: "forge" | "cast", args: string[]): Promise<string> {
  const r = await run(tool, args);
  assert.equal(r.code, 0, `${tool} ${args.join(" ")}\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
  return r.stdout;
}

function artifact(name: string): { abi: Abi; bytecode: Hex } {
  const a = JSON.parse(readFileSync(join(PROJECT, "out", `${name}.sol`, `${name}.json`), "utf8")) as { abi: Abi; bytecode: { object: Hex } };
  return { abi: a.abi, bytecode: a.bytecode.object };
}

let server: NodeServer;

before(async () => {
  linkAivmPackage(PROJECT);
  server = await startNodeServer({ port: 0 });
});

after(async () => {
  await server?.close();
  rmSync(join(PROJECT, "broadcast"), { recursive: true, force: true });
});

test("package-lock.json pins forge, cast and anvil with their Linux x64 binaries, so npm ci installs them", () => {
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { version?: string; integrity?: string; optional?: boolean; os?: string[]; cpu?: string[]; optionalDependencies?: Record<string, string> }> };
  for (const tool of ["forge", "cast", "anvil"]) {
    const wrapper = lock.packages[`node_modules/@foundry-rs/${tool}`];
    const binary = lock.packages[`node_modules/@foundry-rs/${tool}-linux-amd64`];
    assert.equal(wrapper?.version, "1.7.1", tool);
    assert.equal(wrapper?.optionalDependencies?.[`@foundry-rs/${tool}-linux-amd64`], "1.7.1", `${tool} lists its Linux binary`);
    assert.ok(binary?.integrity, `${tool}-linux-amd64 is locked with its integrity`);
    assert.deepEqual([binary.version, binary.optional, binary.os, binary.cpu], ["1.7.1", true, ["linux"], ["x64"]], `${tool}-linux-amd64`);
  }
});

test("the example's model files are the repository's fixtures", () => {
  for (const [copy, fixture] of [
    ["models/fashion_mlp.aivm.json", "test/fixtures/models/fashion_mlp.aivm.json"],
    ["models/fashion-samples.json", "test/fixtures/models/demo-samples.json"],
  ]) {
    assert.ok(readFileSync(join(PROJECT, copy)).equals(readFileSync(join(REPO_ROOT, fixture))), `examples/foundry/${copy} differs from ${fixture}: copy it again`);
  }
});

test("forge test: TMATMUL and the Fashion-MNIST model through the shims return the node's outputs and commits", async () => {
  const started = performance.now();
  // -vv: forge decodes the logs into `decoded_logs` only from that verbosity.
  const out = await ok("forge", ["test", "--json", "-vv"]);
  const forgeMs = performance.now() - started;
  const suites = JSON.parse(out.slice(out.indexOf("{"))) as Record<string, { test_results: Record<string, { status: string; decoded_logs: string[]; reason: string | null }> }>;
  const results = Object.entries(suites).flatMap(([suite, s]) => Object.entries(s.test_results).map(([name, r]) => [`${suite} ${name}`, r] as const));
  assert.deepEqual(Object.keys(suites).sort(), ["test/Aivm.t.sol:FashionTest", "test/Aivm.t.sol:MatmulTest", "test/Aivm.t.sol:StoreTest"]);
  assert.equal(results.length, 6, results.map(([name]) => name).join(", "));
  for (const [name, r] of results) assert.equal(r.status, "Success", `${name}: ${r.reason}`);
  const logged = new Map<string, string>();
  for (const [, r] of results) {
    for (const line of r.decoded_logs) {
      const m = /^\s*([\w.]+): (\S+)$/.exec(line);
      if (m) logged.set(m[1]!, m[2]!);
    }
  }
  const log = (key: string): Hex => {
    const v = logged.get(key);
    assert.ok(v !== undefined, `forge logged no ${key}: ${[...logged.keys()].join(", ")}`);
    return v.toLowerCase() as Hex;
  };

  // The same bytecode forge tested, on the node.
  const account = privateKeyToAccount(KEY);
  const pub = createPublicClient({ transport: http(server.url) });
  const wallet = createWalletClient({ transport: http(server.url), account });
  const deploy = async (name: string, args: readonly unknown[]) => {
    const { abi, bytecode } = artifact(name);
    const hash = await wallet.deployContract({ abi, bytecode, args, chain: null });
    const receipt = await pub.waitForTransactionReceipt({ hash });
    return { abi, address: receipt.contractAddress! };
  };
  const call = async (c: { abi: Abi; address: Hex }, functionName: string, args: readonly unknown[]) => {
    const { data } = await pub.call({ to: c.address, data: encodeFunctionData({ abi: c.abi, functionName, args }) });
    return decodeFunctionResult({ abi: c.abi, functionName, data: data! }) as readonly unknown[];
  };
  const pkg = parsePackage(readFileSync(join(PROJECT, "models/fashion_mlp.aivm.json"), "utf8"));
  await uploadPackage(await connect(server.url), pkg);
  const matmul = await deploy("MatmulExample", []);
  const classifier = await deploy("FashionClassifier", [pkg.programId]);

  const [a, b] = [log("matmul.a"), log("matmul.b")];
  const [product, commit] = (await call(matmul, "multiply", [a, b])) as [Hex, Hex];
  assert.equal(log("matmul.out"), product, "TMATMUL output, forge vs node");
  assert.equal(log("matmul.commit"), commit, "TCOMMIT of the output, forge vs node");

  const [handle, scratchCommit, traceRoot] = (await call(matmul, "multiplyInScratch", [a, b])) as [Hex, Hex, Hex];
  assert.equal(log("scratch.handle"), handle, "OUT_SCRATCH handle, forge vs node");
  assert.equal(log("scratch.commit"), scratchCommit, "TCOMMIT of the scratch handle, forge vs node");
  assert.equal(log("scratch.traceRoot"), traceRoot, "trace root of the call, forge vs node");

  for (const i of [0, 1, 2]) {
    const [label, logits, logitsCommit] = (await call(classifier, "classify", [log(`fashion.${i}.input`)])) as [bigint, Hex, Hex];
    assert.equal(BigInt(log(`fashion.${i}.label`)), label, `sample ${i}: label, forge vs node`);
    assert.equal(log(`fashion.${i}.logits`), logits, `sample ${i}: logits, forge vs node`);
    assert.equal(log(`fashion.${i}.commit`), logitsCommit, `sample ${i}: logits commit, forge vs node`);
  }
  console.log(`forge test (6 tests, compile included when sources changed): ${(forgeMs / 1000).toFixed(1)} s`);
});

test("forge script deploys to aivm node with simulation, and cast call | send | block-number work against it", async () => {
  const url = server.url;
  const started = performance.now();
  await ok("forge", ["script", "script/Deploy.s.sol", "--rpc-url", url, "--broadcast", "--private-key", KEY]);
  const broadcast = JSON.parse(readFileSync(join(PROJECT, "broadcast/Deploy.s.sol/31337/run-latest.json"), "utf8")) as {
    transactions: { contractName: string; contractAddress: Hex }[];
    returns: Record<string, { value: string }>;
  };
  const example = broadcast.transactions.find((t) => t.contractName === "MatmulExample")!.contractAddress;
  const scriptProduct = broadcast.returns.product!.value.toLowerCase();
  const scriptCommit = broadcast.returns.commit!.value.toLowerCase();
  const pub = createPublicClient({ transport: http(url) });
  assert.notEqual(await pub.getCode({ address: example }), undefined, "the script's deployment is on the node");

  // What the node computes for the same call equals what the script computed through the shims.
  const { a, b } = { a: "0x414956540101020000000004000000020000000201020304", b: "0x414956540101020000000004000000020000000205fa07f8" };
  const called = (await ok("cast", ["call", example, "multiply(bytes,bytes)(bytes,bytes32)", a, b, "--rpc-url", url])).trim().split("\n");
  assert.deepEqual(called.map((s) => s.trim().toLowerCase()), [scriptProduct, scriptCommit], "cast call on the node vs the script's local run");

  // A broadcast transaction that calls a precompile: forge's simulation has no shims, so --skip-simulation.
  await ok("forge", ["script", "script/Deploy.s.sol", "--sig", "record(address)", example, "--rpc-url", url, "--broadcast", "--skip-simulation", "--private-key", KEY]);
  const recorded = JSON.parse(readFileSync(join(PROJECT, "broadcast/Deploy.s.sol/31337/record-latest.json"), "utf8")) as { returns: Record<string, { value: string }> };
  assert.equal(recorded.returns.commit!.value.toLowerCase(), scriptCommit, "the shims' commit for record()");
  const last = (await ok("cast", ["call", example, "lastCommit()(bytes32)", "--rpc-url", url])).trim();
  assert.equal(last.toLowerCase(), scriptCommit, "record() ran TMATMUL on the node");

  const sent = JSON.parse(await ok("cast", ["send", example, "record(bytes,bytes)", a, b, "--rpc-url", url, "--private-key", KEY, "--json"])) as { status: string; logs: { topics: Hex[] }[]; blockNumber: Hex };
  assert.equal(sent.status, "0x1");
  const event = parseAbi(["event Multiplied(address indexed caller, bytes32 indexed commit, bytes32 traceRoot)"]);
  assert.equal(sent.logs[0]!.topics[2], scriptCommit, `the ${event[0].name} event carries the commit`);
  const head = BigInt((await ok("cast", ["block-number", "--rpc-url", url])).trim());
  assert.equal(head, await pub.getBlockNumber());
  assert.equal(head, BigInt(sent.blockNumber));
  console.log(`forge script ×2 + cast ×4: ${((performance.now() - started) / 1000).toFixed(1)} s`);
});
