// aivm/engine: the deterministic, integer-only tensor engine.
export * from "./errors.ts";
export * from "./tensor.ts";
export * from "./requant.ts";
export * from "./attrs.ts";
export type * from "./op.ts";
export * from "./registry.ts";
