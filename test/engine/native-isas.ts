// The native matmul ISAs the tests run: every one this CPU runs when build/aivm-native.node is
// built. Where it is not built the native tests have nothing to run, which is an error in CI
// (AIVM_NATIVE=required, set by .ci/run) and a skip elsewhere.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { NATIVE_ADDON_PATH } from "../../src/engine/kernels/matmul-native.ts";

export function nativeIsasForTests(): string[] {
  if (!existsSync(NATIVE_ADDON_PATH)) {
    if (process.env.AIVM_NATIVE === "required") throw new Error(`AIVM_NATIVE=required but ${NATIVE_ADDON_PATH} is not built (npm run build:native)`);
    return [];
  }
  return [...(createRequire(import.meta.url)(NATIVE_ADDON_PATH) as { isas: string[] }).isas];
}
