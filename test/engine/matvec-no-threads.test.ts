// The decode-step matmul paths (matvec-suite.ts) with worker threads off: the kernel's memory is
// unshared, so growing it detaches every earlier view. node:test runs this file in its own process.
process.env.AIVM_MATMUL_THREADS = "0";
const { matvecSuite } = await import("./matvec-suite.ts");
matvecSuite(false);
