// `aivm --help` starts fast because building the program loads no implementation (issue 21): each
// subcommand's definition lives in src/cli/commands/ and its action imports the EVM, the engine, the
// model importers, solc or viem only when it runs. esbuild's metafile gives the module graph; only
// static imports count, since a dynamic import() waits for its action to run.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { join } from "node:path";
import { build, type Metafile } from "esbuild";
import { REPO } from "./helpers.ts";
import { createProgram } from "../../src/cli/commands/program.ts";
import * as defaults from "../../src/cli/commands/defaults.ts";
import { DEFAULT_HOST, DEFAULT_PORT } from "../../src/rpc/server.ts";
import { DEFAULT_BLOCK_GAS_LIMIT, DEFAULT_RPC_EVM_TIMEOUT_MS } from "../../src/chain/node.ts";
import { DEFAULT_HARDFORK, NODE_HARDFORKS } from "../../src/evm/chain-vm.ts";
import { DEFAULT_MNEMONIC } from "../../src/chain/accounts.ts";
import { MODEL_REGISTRY_ADDRESS } from "../../src/chain/predeploys.ts";
import { LM_DIR } from "../../src/model/lm.ts";

const run = promisify(execFile);

/** Every module and package the entry reaches through static imports alone. */
function staticallyReached(metafile: Metafile, entry: string): Set<string> {
  const reached = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const path = queue.pop()!;
    if (reached.has(path)) continue;
    reached.add(path);
    for (const imported of metafile.inputs[path]?.imports ?? []) {
      if (imported.kind === "import-statement") queue.push(imported.path);
    }
  }
  return reached;
}

describe("aivm startup", () => {
  it("aivm --help lists every subcommand", async () => {
    const { stdout } = await run(process.execPath, [join(REPO, "bin/aivm.mjs"), "--help"], { cwd: REPO });
    const names = createProgram().commands.map((c) => c.name());
    assert.deepEqual(names, ["node", "onnx", "model", "generate", "embed", "verify-vrf", "ffi", "trace", "verify", "verifier", "explorer", "export", "import", "genesis", "devnet"]);
    for (const name of names) assert.match(stdout, new RegExp(`^  ${name}\\b`, "m"), `aivm --help lists ${name}`);
  });

  it("aivm model --help lists its subcommands", async () => {
    const { stdout } = await run(process.execPath, [join(REPO, "bin/aivm.mjs"), "model", "--help"], { cwd: REPO });
    for (const name of ["pack", "deploy", "quote", "run"]) assert.match(stdout, new RegExp(`^  ${name}\\b`, "m"));
  });

  it("building the program loads no EVM, engine, model importer, solc, onnxruntime or viem", async () => {
    const entry = "src/cli/commands/program.ts";
    const result = await build({ entryPoints: [join(REPO, entry)], absWorkingDir: REPO, bundle: true, platform: "node", format: "esm", packages: "external", write: false, metafile: true, logLevel: "silent" });
    const reached = staticallyReached(result.metafile, entry);
    const forbidden = [/^src\/(chain|evm|rpc|model|engine|codec|gas|commit|viem)\//, /^src\/cli\/[^/]+\.ts$/, /^precompiles\/(?!addresses\.ts$)/, /^(@ethereumjs|viem|solc|onnxruntime|level|classic-level)/];
    const offending = [...reached].filter((m) => forbidden.some((re) => re.test(m)));
    assert.deepEqual(offending, [], `building the aivm program loads ${offending.join(", ")}`);
    assert.ok(reached.has("src/cli/commands/node.ts") && reached.has("commander"), "the graph walk follows static imports");
  });

  it("the option defaults the help prints equal their sources", () => {
    assert.equal(defaults.DEFAULT_HOST, DEFAULT_HOST);
    assert.equal(defaults.DEFAULT_PORT, DEFAULT_PORT);
    assert.equal(defaults.DEFAULT_RPC_EVM_TIMEOUT_MS, DEFAULT_RPC_EVM_TIMEOUT_MS);
    assert.equal(defaults.DEFAULT_BLOCK_GAS_LIMIT, DEFAULT_BLOCK_GAS_LIMIT);
    assert.deepEqual(defaults.NODE_HARDFORKS, NODE_HARDFORKS);
    assert.equal(defaults.DEFAULT_HARDFORK, DEFAULT_HARDFORK);
    assert.equal(defaults.DEFAULT_MNEMONIC, DEFAULT_MNEMONIC);
    assert.equal(defaults.MODEL_REGISTRY_ADDRESS, MODEL_REGISTRY_ADDRESS);
    assert.equal(defaults.LM_DIR, LM_DIR);
  });
});
