// Compiles the dev node's demo contract (src/chain/demo/*.sol) against contracts/ (AIVM.sol and
// interfaces), with the same solc settings as src/chain/solc.ts, cached on disk by source hash.
import { createRequire } from "node:module";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import type { Abi, Hex } from "viem";
import { CONTRACTS_DIR, REPO_ROOT, SOLC_SETTINGS, SolidityCompileError, type CompiledContract } from "./solc.ts";

const require = createRequire(import.meta.url);
const DEMO_DIR = join(dirname(fileURLToPath(import.meta.url)), "demo");
const CACHE_DIR = join(REPO_ROOT, "cache", "solc-demo");

type SolcOutput = {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>>;
};

/** Compiles src/chain/demo/<file> and returns contract `name`. Imports resolve from contracts/. */
export function compileDemoContract(file: string, name: string): CompiledContract {
  const source = readFileSync(join(DEMO_DIR, file), "utf8");
  const read = (path: string) => readFileSync(join(CONTRACTS_DIR, normalize(path)), "utf8");
  const seen = new Map<string, string>();
  // Collect the import closure first so the cache key covers every source the compile reads.
  const visit = (path: string, text: string) => {
    for (const m of text.matchAll(/import\s+(?:\{[^}]*\}\s+from\s+)?"([^"]+)"/g)) {
      const dep = normalize(join(dirname(path), m[1]!)).replace(/^\.\//, "");
      const target = m[1]!.startsWith(".") ? dep : m[1]!;
      if (seen.has(target)) continue;
      const content = read(target);
      seen.set(target, content);
      visit(target, content);
    }
  };
  visit("", source);
  // The package version names the compiler without loading soljson (seconds) on a cache hit.
  const solcVersion = (require("solc/package.json") as { version: string }).version;
  const input = JSON.stringify({ language: "Solidity", sources: { [file]: { content: source } }, settings: SOLC_SETTINGS });
  const key = bytesToHex(keccak_256(utf8ToBytes(`${solcVersion}\n${input}\n${[...seen].sort().join("\n")}`)));
  const cacheFile = join(CACHE_DIR, `${key}.json`);
  let output: SolcOutput;
  if (existsSync(cacheFile)) {
    output = JSON.parse(readFileSync(cacheFile, "utf8")) as SolcOutput;
  } else {
    const findImports = (path: string) => {
      try {
        return { contents: read(path) };
      } catch {
        return { error: `File not found: ${path}` };
      }
    };
    const solc = require("solc") as { compile(input: string, callbacks?: object): string };
    output = JSON.parse(solc.compile(input, { import: findImports })) as SolcOutput;
    const errors = (output.errors ?? []).filter((e) => e.severity === "error").map((e) => e.formattedMessage);
    if (errors.length) throw new SolidityCompileError(errors);
    mkdirSync(CACHE_DIR, { recursive: true });
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(output));
    renameSync(tmp, cacheFile);
  }
  const c = output.contracts?.[file]?.[name];
  if (!c) throw new SolidityCompileError([`Contract ${name} not found in ${file}.`]);
  return {
    source: file,
    name,
    abi: c.abi,
    bytecode: `0x${c.evm.bytecode.object}` as Hex,
    deployedBytecode: `0x${c.evm.deployedBytecode.object}` as Hex,
  };
}
