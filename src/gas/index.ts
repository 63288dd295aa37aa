// Gas: γ, the congestion multiplier, per-op and per-program quotes (docs/gas.md).
export * from "./constants.ts";
export * from "./congestion.ts";
export * from "./formula.ts";
export * from "./quote.ts";
export * from "./reads.ts";
