// The decode-step matmul paths (matvec-suite.ts) with worker threads on: the kernel's memory is
// shared with the workers. node:test runs this file in its own process.
process.env.AIVM_MATMUL_THREADS = "2";
const { matvecSuite } = await import("./matvec-suite.ts");
matvecSuite(true);
