// Compiles contracts/**.sol with the npm solc package (soljson), standard JSON, optimizer on. The
// output is cached on disk in the user's cache directory (solcCacheDir), keyed by a hash of every
// source and the settings, so the many tests and tools that need bytecode pay the (slow) wasm compile
// once. Nothing is written inside the package: an installed aivm may sit in a read-only node_modules.
import { createRequire } from "node:module";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import type { Abi, Hex } from "viem";
import { AivmError } from "../engine/errors.ts";

const require = createRequire(import.meta.url);

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const CONTRACTS_DIR = join(REPO_ROOT, "contracts");
/** `$AIVM_CACHE_DIR/solc`, else `$XDG_CACHE_HOME/aivm/solc`, else `~/.cache/aivm/solc`. */
export function solcCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AIVM_CACHE_DIR) return join(env.AIVM_CACHE_DIR, "solc");
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "aivm", "solc");
}
const CACHE_DIR = solcCacheDir();
/**
 * Committed compiler outputs for what `npm start` compiles (system contracts, predeploys, demo),
 * named by the same content key as the cache, so a fresh clone starts without loading solc. A file
 * here is only ever found for exactly the sources and compiler it was made from; stale ones are
 * simply not hit. `npm run prebuild:contracts` rewrites them; test/chain/prebuilt.test.ts checks
 * that they cover a demo start and equal a fresh compile.
 */
export const PREBUILT_DIR = join(CONTRACTS_DIR, "prebuilt");

/** One compiled contract: what deployment and calls need. */
export interface CompiledContract {
  /** Source path relative to contracts/, e.g. "AIVM.sol". */
  source: string;
  name: string;
  abi: Abi;
  /** Creation bytecode. */
  bytecode: Hex;
  /** Runtime bytecode (what genesis predeploys use). */
  deployedBytecode: Hex;
}

/** The compiler reported errors (warnings are ignored). */
export class SolidityCompileError extends AivmError {
  override name = "SolidityCompileError";
  override readonly code = "SOLIDITY_COMPILE";
  constructor(readonly errors: string[]) {
    super(`Solidity compilation failed with ${errors.length} error(s).`, {
      details: errors.join("\n").slice(0, 4000),
      docsPath: "precompiles.md#runtime-vm-and-blocks",
    });
  }
}

/** The requested contract is not in the compiled output. */
export class ContractNotFoundError extends AivmError {
  override name = "ContractNotFoundError";
  override readonly code = "CONTRACT_NOT_FOUND";
  constructor(readonly contract: string) {
    super(`Contract "${contract}" was not found in contracts/.`, { docsPath: "precompiles.md#runtime-vm-and-blocks" });
  }
}

export const SOLC_SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  // The chain's fork (DEFAULT_HARDFORK): contracts may use every opcode the node runs, CLZ included.
  evmVersion: "osaka",
  viaIR: false,
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
} as const;

function listSolidity(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...listSolidity(full));
    else if (entry.endsWith(".sol")) out.push(full);
  }
  return out;
}

export type SolcOutput = {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>>;
};

const memo = new Map<string, Map<string, CompiledContract>>();
/** Every compile key requested in this process, with what was asked (for the prebuild script and its test). */
const requested = new Map<string, { dir: string; files: readonly string[] | undefined }>();

export function compileRequests(): ReadonlyMap<string, { dir: string; files: readonly string[] | undefined }> {
  return requested;
}
/**
 * The solc release that keys the caches and the prebuilt outputs: the installed one, or, when solc is not
 * installed (it is an optional peer dependency: only compiling needs it), the one aivm pins, so the
 * committed prebuilt outputs still serve a demo start.
 */
const SOLC_VERSION = installedSolcVersion() ?? (require("../../package.json") as { peerDependencies: { solc: string } }).peerDependencies.solc;

function installedSolcVersion(): string | undefined {
  try {
    return (require("solc/package.json") as { version: string }).version;
  } catch {
    return undefined;
  }
}

/** A compile was needed and the optional peer dependency solc is not installed. */
export class SolcMissingError extends AivmError {
  override name = "SolcMissingError";
  override readonly code = "SOLC_MISSING";
  constructor(contracts: string) {
    super(`Compiling ${contracts} needs the solc package, which is not installed.`, {
      metaMessages: [`Install it: npm install --save-dev solc@${SOLC_VERSION}`],
      docsPath: "precompiles.md#runtime-vm-and-blocks",
    });
  }
}
const IMPORT_RE = /import\s+(?:[^"']*\sfrom\s+)?["']([^"']+)["']/g;

/** Every source reachable from `entries` through relative imports. */
function importClosure(entries: readonly string[], contents: ReadonlyMap<string, string>): Set<string> {
  const seen = new Set<string>();
  const stack = [...entries];
  while (stack.length) {
    const f = stack.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    for (const m of (contents.get(f) ?? "").matchAll(IMPORT_RE)) {
      const target = m[1]!.startsWith(".") ? join(dirname(f), m[1]!).split(sep).join("/") : m[1]!;
      stack.push(target);
    }
  }
  return seen;
}

/**
 * Compiles .sol files under `dir` (default contracts/) in one standard-JSON run and returns the
 * contracts by name (and by "path:Name"). `files` (paths relative to `dir`) limits the entry points;
 * their imports are resolved from `dir`. Cached on disk by the hash of every source under `dir`.
 */
export function compileContracts(dir: string = CONTRACTS_DIR, files?: readonly string[]): Map<string, CompiledContract> {
  const { contents, entries, input } = standardInput(dir, files);
  // The key covers the entry points and everything they import, so edits elsewhere keep the cache.
  const reachable = [...importClosure(entries, contents)].sort().map((f) => `${f}\n${contents.get(f) ?? ""}`).join("\n");
  const key = bytesToHex(keccak_256(utf8ToBytes(`${SOLC_VERSION}\n${input}\n${reachable}`)));
  requested.set(key, { dir, files });
  const memoized = memo.get(key);
  if (memoized) return memoized;
  // Imports outside the entry points come from the same directory.
  const findImports = importsFrom(contents);

  const cacheFile = join(CACHE_DIR, `${key}.json`);
  const prebuiltFile = join(PREBUILT_DIR, `${key}.json`);
  let output: SolcOutput;
  if (existsSync(cacheFile)) {
    output = JSON.parse(readFileSync(cacheFile, "utf8")) as SolcOutput;
  } else if (existsSync(prebuiltFile)) {
    output = JSON.parse(readFileSync(prebuiltFile, "utf8")) as SolcOutput;
  } else {
    output = runSolc(input, findImports);
    mkdirSync(CACHE_DIR, { recursive: true });
    // Write then rename, so a concurrent reader never sees a half-written cache file.
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(output));
    renameSync(tmp, cacheFile);
  }

  const contracts = new Map<string, CompiledContract>();
  for (const [source, byName] of Object.entries(output.contracts ?? {})) {
    for (const [name, c] of Object.entries(byName)) {
      const compiled: CompiledContract = {
        source,
        name,
        abi: c.abi,
        bytecode: `0x${c.evm.bytecode.object}`,
        deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
      };
      contracts.set(`${source}:${name}`, compiled);
      if (!contracts.has(name)) contracts.set(name, compiled);
    }
  }
  memo.set(key, contracts);
  return contracts;
}

/** Compiles a standard-JSON input with the pinned npm solc; throws SolidityCompileError on errors. */
function runSolc(input: string, findImports: (path: string) => { contents: string } | { error: string }): SolcOutput {
  // Loading soljson takes seconds: only on a cache miss.
  if (installedSolcVersion() === undefined) throw new SolcMissingError(Object.keys((JSON.parse(input) as { sources: object }).sources).join(", ").slice(0, 300));
  const solc = require("solc") as { compile(input: string, callbacks?: object): string };
  const output = JSON.parse(solc.compile(input, { import: findImports })) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === "error").map((e) => e.formattedMessage);
  if (errors.length) throw new SolidityCompileError(errors);
  return output;
}

/** A fresh compile for a key requested earlier in this process, bypassing every cache (prebuild script, tests). */
export function compileFresh(key: string): SolcOutput {
  const request = requested.get(key);
  if (!request) throw new Error(`No compile request with key ${key} in this process.`);
  const { contents, input } = standardInput(request.dir, request.files);
  return runSolc(input, importsFrom(contents));
}

/** The solc standard-JSON input for `files` (default: every .sol) under `dir`, and the sources read. */
function standardInput(dir: string, files: readonly string[] | undefined): { contents: Map<string, string>; entries: readonly string[]; input: string } {
  const all = listSolidity(dir).map((f) => relative(dir, f).split(sep).join("/"));
  const contents = new Map(all.map((f) => [f, readFileSync(join(dir, f), "utf8")]));
  const entries = files ?? all;
  const sources: Record<string, { content: string }> = {};
  for (const f of entries) sources[f] = { content: contents.get(f) ?? readFileSync(join(dir, f), "utf8") };
  return { contents, entries, input: JSON.stringify({ language: "Solidity", sources, settings: SOLC_SETTINGS }) };
}

function importsFrom(contents: ReadonlyMap<string, string>): (path: string) => { contents: string } | { error: string } {
  return (path) => (contents.has(path) ? { contents: contents.get(path)! } : { error: `File not found: ${path}` });
}

/** One contract by name ("AIVM") or qualified name ("examples/Foo.sol:Foo"). */
export function getContract(name: string, dir?: string, files?: readonly string[]): CompiledContract {
  const c = compileContracts(dir, files).get(name);
  if (!c) throw new ContractNotFoundError(name);
  return c;
}
