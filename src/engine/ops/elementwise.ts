import type { OpDef } from "../op.ts";

export const elementwiseOps: readonly OpDef[] = [];
