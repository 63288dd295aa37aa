// Child process of matmul-env.test.ts: runs the engine's matmul op on a fixed set of int8 operands
// under whatever AIVM_MATMUL_THREADS / AIVM_MATMUL_KERNEL it was started with, and prints the
// SHA-256 of every output tensor plus which paths ran. Each case runs twice: its B is packed per
// call the first time and cached from the second (where `matmulu8` runs, on AVX-512 VNNI).
import { createHash } from "node:crypto";
import { getOp } from "../../src/engine/registry.ts";
import { matmulBytesCalls, matmulDirectCalls, matmulKernelName, matmulNativeThreadedCalls, matmulThreadedCalls, matmulWorkersReady, wasmMatmul } from "../../src/engine/kernels/matmul-wasm.ts";
import { matmulWorkerCount } from "../../src/engine/kernels/matmul-threads.ts";
import { matmulEnvCases } from "./matmul-env-cases.ts";

if (matmulWorkerCount() > 0 && wasmMatmul() !== null) await matmulWorkersReady(matmulWorkerCount());
const op = getOp("matmul");
const digests = matmulEnvCases().flatMap(({ inputs, attrs }) =>
  [1, 2].map(() => {
    const y = op.run(inputs, attrs)[0]!;
    return createHash("sha256").update(new Uint8Array(y.data.buffer, y.data.byteOffset, y.data.byteLength)).digest("hex");
  }),
);
console.log(JSON.stringify({ digests, wasm: wasmMatmul() !== null, kernel: matmulKernelName(), threadedCalls: matmulThreadedCalls(), nativeThreadedCalls: matmulNativeThreadedCalls(), bytesCalls: matmulBytesCalls(), directCalls: matmulDirectCalls() }));
