// `import "aivm"` loads what it promises (the codec, the address table, the errors, the viem chain and
// actions) and nothing else: no EVM, no engine kernels or worker threads, no solc, no Node built-ins.
// esbuild bundles it for the browser, which fails on any Node built-in, and its metafile lists every
// module the import reaches.
import { test } from "node:test";
import assert from "node:assert/strict";
import { build } from "esbuild";
import { join } from "node:path";
import { REPO_ROOT } from "../src/chain/solc.ts";

test("import \"aivm\" bundles for the browser without the EVM, the kernels, solc or Node built-ins", async () => {
  const result = await build({
    entryPoints: [join(REPO_ROOT, "src/index.ts")],
    absWorkingDir: REPO_ROOT,
    bundle: true,
    platform: "browser",
    format: "esm",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const modules = Object.keys(result.metafile.inputs);
  const forbidden = [/^src\/(chain|evm|rpc|cli|hardhat|model|gas)\//, /^src\/engine\/(kernels|ops)\//, /^src\/engine\/registry/, /node_modules\/(@ethereumjs|solc|level|classic-level)\//];
  const offending = modules.filter((m) => forbidden.some((re) => re.test(m)));
  assert.deepEqual(offending, [], `import "aivm" reaches ${offending.join(", ")}`);
  assert.ok(modules.includes("src/codec/tensor.ts") && modules.includes("src/viem/index.ts"));
  const bytes = result.outputFiles[0]!.contents.length;
  assert.ok(bytes < 400_000, `the browser bundle of "aivm" is ${bytes} bytes`);
});
