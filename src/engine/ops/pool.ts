import type { OpDef } from "../op.ts";

export const poolOps: readonly OpDef[] = [];
