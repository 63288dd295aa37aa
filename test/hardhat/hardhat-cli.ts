// Runs the Hardhat CLI of the repository (Node 22 from node_modules) in an example project, and
// starts `hardhat aivm node` on a free port. Used by the example-project tests.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const NODE = join(REPO_ROOT, "node_modules/.bin/node");
export const HARDHAT_CLI = join(REPO_ROOT, "node_modules/hardhat/dist/src/cli.js");

/**
 * Makes `import "aivm/..."` resolve in an example project the way `npm install` of "file:../.."
 * would: node_modules/aivm → the repository root. Everything else resolves from the root's
 * node_modules by Node's usual upward search, so no install is needed in the example.
 */
export function linkAivmPackage(projectDir: string): void {
  const link = join(projectDir, "node_modules", "aivm");
  if (existsSync(link) || isDanglingLink(link)) return;
  mkdirSync(join(projectDir, "node_modules"), { recursive: true });
  symlinkSync(relative(join(projectDir, "node_modules"), REPO_ROOT) || ".", link, "dir");
}

function isDanglingLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `hardhat <args>` in `cwd`, to completion (killed after `timeoutMs`). */
export function runHardhat(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 240_000): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(NODE, [HARDHAT_CLI, ...args], {
      cwd,
      env: { ...process.env, ...env, HARDHAT_DISABLE_TELEMETRY_PROMPT: "true", DO_NOT_TRACK: "1", FORCE_COLOR: "0", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

export interface RunningNode {
  url: string;
  child: ChildProcess;
  output(): string;
  /** SIGINT, then waits for the process to exit; returns its exit code. */
  stop(): Promise<number | null>;
}

/** Starts `hardhat aivm node --port 0` in `cwd` and resolves once it prints its "Listening on" line. */
export function startAivmNode(cwd: string, timeoutMs = 120_000): Promise<RunningNode> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(NODE, [HARDHAT_CLI, "aivm", "node", "--port", "0"], {
      cwd,
      env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: "true", DO_NOT_TRACK: "1", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`hardhat aivm node did not start within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /Listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePromise({
          url: m[1]!,
          child,
          output: () => out,
          async stop() {
            if (child.exitCode === null) child.kill("SIGINT");
            return exited;
          },
        });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`hardhat aivm node exited with ${code} before listening:\n${out}`));
    });
  });
}

/**
 * Hardhat's own `hardhat node` (EDR) in a temporary project with an empty config: Hardhat's defaults
 * (chain 31337, 20 accounts from the default mnemonic), on a free loopback port. The caller kills
 * `child` and removes `dir`.
 */
export async function startHardhatNode(dirPrefix: string): Promise<{ url: string; child: ChildProcess; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module", private: true }));
  writeFileSync(join(dir, "hardhat.config.js"), "export default {};\n");
  symlinkSync(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  // The child is a plain node process: the test runner's own variables stay out of it.
  const { NODE_TEST_CONTEXT: _context, NODE_OPTIONS: _options, ...env } = process.env;
  const child = spawn(NODE, [HARDHAT_CLI, "--show-stack-traces", "node", "--hostname", "127.0.0.1", "--port", "0"], {
    cwd: dir,
    env: { ...env, HARDHAT_DISABLE_TELEMETRY_PROMPT: "true", DO_NOT_TRACK: "1", NO_COLOR: "1", FORCE_COLOR: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const url = await new Promise<string>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`hardhat node did not start within 60 s:\n${out}`)), 60_000);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /server at (http:\/\/[^\s/]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePromise(m[1]!);
      }
    });
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`hardhat node exited with ${code}:\n${out}`));
    });
  });
  return { url, child, dir };
}
