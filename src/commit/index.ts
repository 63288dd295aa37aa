// Tensor Commits, receipts, trace roots and block anchors (docs/spec.md#commitments).
export * from "./hash.ts";
export * from "./hex.ts";
export * from "./merkle.ts";
export * from "./tensor-commit.ts";
export * from "./receipt.ts";
export * from "./trace.ts";
