import tseslint from "typescript-eslint";

const floatCalls = ["exp", "log", "log2", "log10", "pow", "tanh", "sinh", "cosh", "sin", "cos", "tan", "atan", "random", "expm1", "log1p", "cbrt", "hypot", "fround"];

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
);
