// eslint.config.js's layer rules (../shared/DESIGN.md#layout): an import of a higher layer is a lint
// error, so `npm run lint` fails on it; an import of a lower layer passes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const eslint = new ESLint({ cwd: repoRoot });

/** The layer-rule messages ESLint reports for `code` as if it were the file `filePath`. */
async function layerErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  assert.ok(result !== undefined);
  const layerRules = new Set(["@typescript-eslint/no-restricted-imports", "no-restricted-syntax"]);
  // Anything else (a parse error, another rule) would mean the fixture, not the layering, is wrong.
  assert.deepEqual(result.messages.filter((m) => !layerRules.has(m.ruleId ?? "")).map((m) => m.message), [], `${filePath}: only layer rules fire`);
  return result.messages.map((m) => `${m.severity === 2 ? "error" : "warning"} ${m.message}`);
}

test("a precompile that imports the runtime in src/chain is a lint error naming both layers", async () => {
  const errors = await layerErrors("precompiles/a1ff-fixture.ts", 'import { TxContext } from "../src/chain/runtime.ts";\nexport const context = new TxContext();\n');
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /^error .*precompiles may not import src\/chain/);
});

test("a type-only import, a re-export and a literal dynamic import of a higher layer are errors too", async () => {
  assert.match((await layerErrors("src/commit/fixture.ts", 'import type { DevNode } from "../chain/node.ts";\nexport type Node = DevNode;\n')).join("\n"), /^error .*src\/commit may not import src\/chain/);
  assert.match((await layerErrors("src/engine/ops/fixture.ts", 'export { encodeTensor } from "../../codec/tensor.ts";\n')).join("\n"), /^error .*src\/engine may not import src\/codec/);
  assert.match((await layerErrors("src/chain/fixture.ts", 'export const provider = () => import("../rpc/provider.ts");\n')).join("\n"), /^error .*src\/chain may not import src\/rpc/);
});

test("side branches: src/model and src/viem may not load the chain, and commit may not import gas", async () => {
  assert.match((await layerErrors("src/model/fixture.ts", 'import { createChainVM } from "../evm/chain-vm.ts";\nexport const f = createChainVM;\n')).join("\n"), /src\/model may not import src\/evm/);
  assert.match((await layerErrors("src/viem/actions/fixture.ts", 'import { DevNode } from "../../chain/node.ts";\nexport const n = DevNode;\n')).join("\n"), /src\/viem may not import src\/chain/);
  assert.match((await layerErrors("src/commit/fixture.ts", 'import { commitGas } from "../gas/formula.ts";\nexport const g = commitGas;\n')).join("\n"), /src\/commit may not import src\/gas/);
  // They may read the address table, not the precompiles' code.
  assert.match((await layerErrors("src/viem/fixture.ts", 'import { PRECOMPILE_ADDRESSES } from "../../precompiles/index.ts";\nexport const a = PRECOMPILE_ADDRESSES;\n')).join("\n"), /src\/viem may not import precompiles/);
  assert.match((await layerErrors("src/model/fixture.ts", 'export const load = () => import("../../precompiles/call.ts");\n')).join("\n"), /src\/model may not import precompiles/);
});

test("imports of lower layers, of the own layer and of packages pass", async () => {
  const allowed: [string, string][] = [
    ["precompiles/a1ff-fixture.ts", 'import { encodeTensor } from "../src/codec/tensor.ts";\nimport { quoteOp } from "./gas.ts";\nexport const f = [encodeTensor, quoteOp];\n'],
    ["src/gas/fixture.ts", 'import { CHUNK_BYTES } from "../commit/tensor-commit.ts";\nexport const c = CHUNK_BYTES;\n'],
    ["src/chain/fixture.ts", 'import { createChainVM } from "../evm/chain-vm.ts";\nimport { createAivmPrecompiles } from "../../precompiles/index.ts";\nexport const f = [createChainVM, createAivmPrecompiles];\n'],
    ["src/hardhat/fixture.ts", 'export const provider = () => import("../rpc/provider.ts");\n'],
    ["src/cli/fixture.ts", 'import { parsePackage } from "../model/package.ts";\nimport { startNodeServer } from "../rpc/server.ts";\nexport const f = [parsePackage, startNodeServer];\n'],
    ["src/viem/fixture.ts", 'import { defineChain } from "viem";\nexport const d = defineChain;\n'],
    ["src/viem/actions/fixture.ts", 'import { PRECOMPILE_ADDRESSES } from "../../../precompiles/addresses.ts";\nexport const a = PRECOMPILE_ADDRESSES;\n'],
    ["src/model/fixture.ts", 'export const load = () => import("../../precompiles/addresses.ts");\n'],
  ];
  for (const [filePath, code] of allowed) assert.deepEqual(await layerErrors(filePath, code), [], filePath);
});
