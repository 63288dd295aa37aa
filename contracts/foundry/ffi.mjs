#!/usr/bin/env node
// `aivm ffi …` for AivmTest's shims (run as `node ffi.mjs ffi call …`), started in about a third of
// the time: forge starts one process per precompile call, and through tsx (bin/aivm.mjs) most of each
// start is loading and transpiling the TypeScript sources and the packages they import. This bundles
// src/cli/commands/ffi.ts (and the src/cli/ffi.ts it loads) with everything it imports (but native addons) with esbuild, tsx's own compiler,
// into cache/ffi/ of the aivm package, and runs the bundle: the same code as `aivm ffi`, only loaded
// faster. The bundle is rebuilt whenever a file it was built from changes (size or mtime), so it
// never runs stale code.
import { copyFileSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const AIVM_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
// Two levels below the package root, like src/chain/solc.ts, whose REPO_ROOT is "../.." of its module.
const OUT_DIR = join(AIVM_ROOT, "cache", "ffi");
const BUNDLE = join(OUT_DIR, "aivm-ffi.mjs");
const INPUTS = join(OUT_DIR, "aivm-ffi.inputs.json");
const ENTRY_NAME = "aivm-ffi-entry.ts";
// Loaded by URL relative to their module (src/engine/kernels/matmul-threads.ts): they sit next to the bundle.
const WORKER_FILES = ["src/engine/kernels/matmul-worker.mjs", "src/engine/kernels/matmul-chunks.mjs"];

function stamp(file) {
  const s = statSync(file);
  return `${s.size}:${s.mtimeMs}`;
}

function upToDate() {
  let recorded;
  try {
    recorded = JSON.parse(readFileSync(INPUTS, "utf8"));
    statSync(BUNDLE);
  } catch {
    return false;
  }
  try {
    return Object.entries(recorded).every(([file, s]) => stamp(join(AIVM_ROOT, file)) === s);
  } catch {
    return false; // an input was removed
  }
}

async function rebuild() {
  const require = createRequire(join(AIVM_ROOT, "package.json"));
  const esbuild = require(createRequire(require.resolve("tsx")).resolve("esbuild"));
  mkdirSync(OUT_DIR, { recursive: true });
  const tmp = `${BUNDLE}.${process.pid}.tmp`;
  const result = await esbuild.build({
    stdin: {
      // The grammar of `aivm ffi …`: this file is a drop-in for `aivm` in AivmTest.aivmCommand().
      contents: [
        'import { Command } from "commander";',
        'import { ffiCommand } from "./src/cli/commands/ffi.ts";',
        'await new Command("aivm").addCommand(ffiCommand()).parseAsync(process.argv);',
      ].join("\n"),
      resolveDir: AIVM_ROOT,
      sourcefile: ENTRY_NAME,
      loader: "ts",
    },
    absWorkingDir: AIVM_ROOT,
    bundle: true,
    // Native addons stay outside; the rest loads from one file. CommonJS parts of the bundle need `require`.
    external: ["classic-level", "secp256k1", "onnxruntime-node"],
    banner: { js: 'import { createRequire as __aivmCreateRequire } from "node:module"; const require = __aivmCreateRequire(import.meta.url);' },
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: tmp,
    metafile: true,
    logLevel: "error",
  });
  const inputs = {};
  for (const file of Object.keys(result.metafile.inputs)) {
    if (file === ENTRY_NAME) continue;
    inputs[file] = stamp(join(AIVM_ROOT, file));
  }
  // This file too: a change to the build options is a change to the bundle.
  inputs["contracts/foundry/ffi.mjs"] = stamp(fileURLToPath(import.meta.url));
  for (const file of WORKER_FILES) {
    copyFileSync(join(AIVM_ROOT, file), join(OUT_DIR, file.split("/").pop()));
    inputs[file] = stamp(join(AIVM_ROOT, file));
  }
  // Renames are atomic: forge runs tests in parallel, and two of them may rebuild at once.
  renameSync(tmp, BUNDLE);
  const inputsTmp = `${INPUTS}.${process.pid}.tmp`;
  writeFileSync(inputsTmp, JSON.stringify(inputs));
  renameSync(inputsTmp, INPUTS);
}

if (!upToDate()) await rebuild();
await import(pathToFileURL(BUNDLE).href);
