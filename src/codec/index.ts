// The AIVM codecs: the tensor wire format and the tensor-program format (docs/spec.md).
export * from "./tensor.ts";
export * from "./program.ts";
export * from "./program-infer.ts";
export * from "./program-run.ts";
