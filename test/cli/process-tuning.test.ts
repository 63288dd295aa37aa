// tuneNodeProcess tunes glibc's malloc from the environment when GLIBC_TUNABLES is set, else from
// inside the process through the native addon (mallopt), else with the start-up warm-up: each in
// its own child process, since the settings last for the process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { NATIVE_ADDON_PATH } from "../../src/engine/kernels/matmul-native.ts";
import { ALLOCATOR_ENV } from "../../src/cli/process-tuning.ts";

const script = `import { tuneNodeProcess } from ${JSON.stringify(new URL("../../src/cli/process-tuning.ts", import.meta.url).href)};
console.log(tuneNodeProcess());`;

function tuneIn(env: NodeJS.ProcessEnv): string {
  return execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { env, encoding: "utf8" }).trim();
}

test("the allocator is tuned from the environment, else through the native addon, else by the warm-up", () => {
  const bare = { ...process.env };
  delete bare["GLIBC_TUNABLES"];
  assert.equal(tuneIn({ ...bare, ...ALLOCATOR_ENV }), "environment");
  const built = existsSync(NATIVE_ADDON_PATH);
  if (process.env.AIVM_NATIVE === "required") assert.ok(built, "AIVM_NATIVE=required: the addon is built");
  const glibc = process.platform === "linux" && (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime !== undefined;
  assert.equal(tuneIn(bare), built && glibc ? "mallopt" : "warm-up");
});
