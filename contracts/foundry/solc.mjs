#!/usr/bin/env node
// solc's command line, as forge calls it, over the npm `solc` package (soljson, WebAssembly): forge
// normally downloads a native solc, which an offline machine cannot. foundry.toml points at this
// file (`solc = "…/solc.mjs"`, `offline = true`). Forge runs `--version` and `--standard-json`
// (input on stdin, output on stdout); that is all this speaks. The compiler is the project's own
// `solc` package (resolved from the working directory first, then from this file), so forge
// compiles with exactly the version package-lock.json pins.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";

function loadSolc() {
  for (const base of [join(process.cwd(), "package.json"), import.meta.url]) {
    try {
      return createRequire(base)("solc");
    } catch {
      // not installed from there: try the next place
    }
  }
  process.stderr.write("solc.mjs: the npm package `solc` is not installed (npm install --save-dev solc)\n");
  process.exit(1);
}

const args = process.argv.slice(2);
const solc = loadSolc();

if (args.includes("--version") || args.includes("-v")) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  process.exit(0);
}

if (!args.includes("--standard-json")) {
  process.stderr.write(`solc.mjs: only --version and --standard-json are supported (got: ${args.join(" ")})\n`);
  process.exit(1);
}

// Import paths forge did not inline are read from disk, against --base-path and each --include-path.
function optionValues(name) {
  const values = [];
  args.forEach((a, i) => {
    if (a === name && i + 1 < args.length) values.push(args[i + 1]);
    else if (a.startsWith(`${name}=`)) values.push(a.slice(name.length + 1));
  });
  return values;
}
const roots = [...optionValues("--base-path"), ...optionValues("--include-path"), process.cwd()];

function findImports(path) {
  for (const root of isAbsolute(path) ? [""] : roots) {
    try {
      return { contents: readFileSync(resolve(root, path), "utf8") };
    } catch {
      // not under this root
    }
  }
  return { error: `File not found: ${path}` };
}

const input = readFileSync(0, "utf8");
process.stdout.write(solc.compile(input, { import: findImports }));
