// npm skips optional dependencies whose `engines` exclude the running Node. EDR's native package
// requires Node >= 22, so an `npm install` started from Node 20 leaves Hardhat without its runtime.
// This script runs after every install and fetches the missing platform package from the registry.
// It also builds the native matmul kernel (scripts/build-native.mjs).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = process.cwd();

function edrPlatformPackage() {
  const { platform, arch } = process;
  if (platform === "linux") {
    const report = process.report?.getReport?.();
    const glibc = report?.header?.glibcVersionRuntime;
    return `@nomicfoundation/edr-linux-${arch}-${glibc ? "gnu" : "musl"}`;
  }
  if (platform === "darwin") return `@nomicfoundation/edr-darwin-${arch}`;
  if (platform === "win32") return `@nomicfoundation/edr-win32-${arch}-msvc`;
  return undefined;
}

function installMissing(name, version) {
  const target = join(root, "node_modules", ...name.split("/"));
  if (existsSync(join(target, "package.json"))) return false;
  const work = mkdtempSync(join(tmpdir(), "aivm-postinstall-"));
  try {
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const out = execFileSync(npm, ["pack", `${name}@${version}`, "--silent"], { cwd: work, encoding: "utf8" });
    const tarball = out.trim().split("\n").pop();
    execFileSync("tar", ["-xzf", tarball], { cwd: work });
    mkdirSync(join(target, ".."), { recursive: true });
    renameSync(join(work, "package"), target);
    return true;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The Node that ran npm itself (npm's user agent names it), which decided what to skip. */
function npmNode() {
  const agent = process.env.npm_config_user_agent ?? "";
  const match = /node\/(v[\d.]+)/.exec(agent);
  return match ? `npm ran under Node ${match[1]}` : "package missing";
}

// The optional native matmul kernel (native/matmul.c); without a C compiler the WASM kernel runs.
execFileSync(process.execPath, [join(root, "scripts", "build-native.mjs")], { stdio: "inherit" });

const edrManifest = join(root, "node_modules", "@nomicfoundation", "edr", "package.json");
if (!existsSync(edrManifest)) process.exit(0); // dev dependencies not installed: nothing to repair
const edrVersion = JSON.parse(readFileSync(edrManifest, "utf8")).version;
const pkg = edrPlatformPackage();
if (pkg && installMissing(pkg, edrVersion)) {
  console.log(`aivm postinstall: installed ${pkg}@${edrVersion} (npm skipped it: ${npmNode()})`);
}
