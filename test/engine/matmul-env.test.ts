// The matmul op gives the same bytes whatever the kernel and thread settings a node starts with:
// AIVM_MATMUL_THREADS = 0, 1 and 2 (the calling thread alone, or with workers), AIVM_MATMUL_KERNEL
// = wasm, js (the JS kernels only) and native-<isa> for every native ISA this CPU runs (the default
// where the addon is built), each in its own process since both are read once at start-up; all
// equal to the readable reference kernel run here. Every case runs twice in the child, so the
// second call runs on its cached B: on AVX-512 VNNI the `matmulu8` kernel on bytes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { runMatmul } from "../../src/engine/ops/linear.ts";
import { matmulReference } from "../../src/engine/kernels/matmul-reference.ts";
import { matmulEnvCases } from "./matmul-env-cases.ts";
import { nativeIsasForTests } from "./native-isas.ts";

interface ChildReport {
  digests: string[];
  wasm: boolean;
  kernel: string;
  threadedCalls: number;
  nativeThreadedCalls: number;
  bytesCalls: number;
  directCalls: number;
}

function runChild(env: Record<string, string>): ChildReport {
  const script = fileURLToPath(new URL("./matmul-env-digest.ts", import.meta.url));
  const out = execFileSync(process.execPath, ["--import", "tsx", script], { env: { ...process.env, ...env }, encoding: "utf8", timeout: 120_000 });
  return JSON.parse(out) as ChildReport;
}

test("matmul output bytes are identical with 0, 1 and 2 worker threads, on the WASM, native and JS kernels, and equal the reference", () => {
  const want = matmulEnvCases().flatMap(({ inputs, attrs }) => {
    const y = runMatmul(inputs, attrs, matmulReference);
    const digest = createHash("sha256").update(new Uint8Array(y.data.buffer, y.data.byteOffset, y.data.byteLength)).digest("hex");
    return [digest, digest];
  });
  const settings: [string, Record<string, string>, (r: ChildReport) => boolean][] = [
    ["0 workers", { AIVM_MATMUL_THREADS: "0", AIVM_MATMUL_KERNEL: "" }, (r) => r.wasm && r.threadedCalls === 0],
    ["1 worker", { AIVM_MATMUL_THREADS: "1", AIVM_MATMUL_KERNEL: "" }, (r) => r.wasm && r.threadedCalls > 0],
    ["2 workers", { AIVM_MATMUL_THREADS: "2", AIVM_MATMUL_KERNEL: "" }, (r) => r.wasm && r.threadedCalls > 0],
    ["JS kernels", { AIVM_MATMUL_THREADS: "0", AIVM_MATMUL_KERNEL: "js" }, (r) => !r.wasm],
    ["WASM kernel, 1 worker", { AIVM_MATMUL_THREADS: "1", AIVM_MATMUL_KERNEL: "wasm" }, (r) => r.kernel === "wasm-simd128" && r.threadedCalls > 0 && r.nativeThreadedCalls === 0],
  ];
  for (const isa of nativeIsasForTests()) {
    // The byte kernel where the ISA has it (AVX-512 VNNI), on the second call of each large int8
    // case; outputs written in place by every native ISA (the unpadded cases without bias).
    const bytes = (r: ChildReport) => (isa === "avx512vnni" ? r.bytesCalls > 0 : r.bytesCalls === 0) && r.directCalls > 0;
    settings.push([`native ${isa}, 0 workers`, { AIVM_MATMUL_THREADS: "0", AIVM_MATMUL_KERNEL: `native-${isa}` }, (r) => r.kernel === `native-${isa}` && r.threadedCalls === 0 && bytes(r)]);
    // With a worker: the large cases written in place run on the addon's helper thread
    // (nativeThreadedCalls), the others on the worker thread (threadedCalls counts both).
    settings.push([`native ${isa}, 1 worker`, { AIVM_MATMUL_THREADS: "1", AIVM_MATMUL_KERNEL: `native-${isa}` }, (r) => r.kernel === `native-${isa}` && r.threadedCalls > r.nativeThreadedCalls && r.nativeThreadedCalls > 0 && bytes(r)]);
  }
  for (const [label, env, ranAsSet] of settings) {
    const report = runChild(env);
    assert.ok(ranAsSet(report), `${label}: the paths that ran (wasm ${report.wasm}, kernel ${report.kernel}, threaded calls ${report.threadedCalls}, of them on the addon's threads ${report.nativeThreadedCalls}, byte-kernel calls ${report.bytesCalls}, in place ${report.directCalls})`);
    assert.deepEqual(report.digests, want, label);
  }
});
