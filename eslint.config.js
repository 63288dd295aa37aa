import tseslint from "typescript-eslint";

const floatCalls = ["exp", "log", "log2", "log10", "pow", "tanh", "sinh", "cosh", "sin", "cos", "tan", "atan", "random", "expm1", "log1p", "cbrt", "hypot", "fround"];

// The layers of ../shared/DESIGN.md#layout and what each may import (its "depends on" column, and
// everything below that). A folder not listed here (src/cli, test/, bench/, scripts/) may import anything.
// commit and gas share a level: gas reads commit's chunk size to price hashing, never the reverse.
// src/model is offline only (engine, codec, commit, gas); the demo deployers that use it live in src/cli.
// src/viem is the client half of the RPC: it may not load the EVM, the node or the server.
// A "folder/file.ts" entry allows that one file of a layer that is otherwise forbidden: src/model and
// src/viem read the chain id, the address table and the call flags, not the precompiles' code.
const layerFolders = {
  engine: "src/engine",
  codec: "src/codec",
  commit: "src/commit",
  gas: "src/gas",
  precompiles: "precompiles",
  evm: "src/evm",
  chain: "src/chain",
  model: "src/model",
  rpc: "src/rpc",
  viem: "src/viem",
  hardhat: "src/hardhat",
  cli: "src/cli",
};
const mayImport = {
  engine: [],
  codec: ["engine"],
  commit: ["engine", "codec"],
  gas: ["engine", "codec", "commit"],
  precompiles: ["engine", "codec", "commit", "gas"],
  evm: ["engine", "codec", "commit", "gas", "precompiles"],
  chain: ["engine", "codec", "commit", "gas", "precompiles", "evm"],
  model: ["engine", "codec", "commit", "gas", "precompiles/addresses.ts", "precompiles/flags.ts"],
  rpc: ["engine", "codec", "commit", "gas", "precompiles", "evm", "chain"],
  viem: ["engine", "codec", "commit", "gas", "precompiles/addresses.ts", "precompiles/flags.ts"],
  hardhat: ["engine", "codec", "commit", "gas", "precompiles", "evm", "chain", "model", "rpc", "viem"],
};

/** One config block per layer: static imports (and re-exports) and literal dynamic imports of a forbidden layer are errors. */
function layerRules() {
  return Object.entries(mayImport).map(([layer, allowed]) => {
    const forbidden = Object.keys(layerFolders).filter((other) => other !== layer && !allowed.includes(other));
    // A relative specifier that climbs out (`../`, `../../src/`) into the forbidden folder, except into its allowed files.
    const regexOf = (other) => {
      const files = allowed.filter((a) => a.startsWith(`${other}/`)).map((a) => a.slice(other.length + 1).replaceAll(".", "\\."));
      const except = files.length === 0 ? "" : `(?!(${files.join("|")})$)`;
      return `^(\\.\\./)+(src/)?${layerFolders[other].replace(/^src\//, "")}(/${except}|$)`;
    };
    const messageOf = (other) => `${layerFolders[layer]} may not import ${layerFolders[other]}: a layer imports only the ones below it (../shared/DESIGN.md#layout).`;
    return {
      files: [`${layerFolders[layer]}/**/*.ts`, `${layerFolders[layer]}/**/*.mts`, `${layerFolders[layer]}/**/*.mjs`],
      rules: {
        "@typescript-eslint/no-restricted-imports": ["error", { patterns: forbidden.map((other) => ({ regex: regexOf(other), caseSensitive: true, message: messageOf(other) })) }],
        "no-restricted-syntax": ["error", ...forbidden.map((other) => ({ selector: `ImportExpression > Literal.source[value=/${regexOf(other).replaceAll("/", "\\/")}/]`, message: messageOf(other) }))],
      },
    };
  });
}

export default tseslint.config(
  { ignores: ["node_modules/**", "artifacts/**", "cache/**", "examples/**/node_modules/**", "examples/*/artifacts/**", "examples/*/cache/**", "**/*.cjs", "scripts/**/*.py"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "off",
    },
  },
  {
    // The consensus path: results must be bit-identical on every machine.
    files: ["src/engine/**/*.ts", "src/codec/**/*.ts", "src/commit/**/*.ts", "src/gas/**/*.ts", "precompiles/**/*.ts"],
    rules: {
      "no-restricted-properties": ["error", ...floatCalls.map((property) => ({ object: "Math", property, message: "Not bit-identical across engines: the consensus path is integer-only (see docs/spec.md#determinism)." }))],
      "no-restricted-globals": ["error", { name: "Float32Array", message: "Integer-only consensus path." }, { name: "Float64Array", message: "Integer-only consensus path." }],
    },
  },
  ...layerRules(),
);
